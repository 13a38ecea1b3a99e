//! What every connection reports of its statements: a `db.statement` tracing span per statement (its SQL
//! without bind values, so no email or sealed secret reaches a trace), and a count of the statements a piece of
//! work issued ([`counted`]), which the HTTP layer logs per request and tests pin per endpoint (no N+1).
//!
//! Installed on every connection this crate opens ([`install`]); diesel calls it synchronously where the query
//! future is polled, so the span's parent is the caller's span and the count lands in the caller's task.

use diesel::connection::{Instrumentation, InstrumentationEvent};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

tokio::task_local! {
    static STATEMENTS: Arc<AtomicU32>;
}

/// Runs `work`, returning what it returned and how many statements it sent (`BEGIN` and `COMMIT` included),
/// on any connection, from this task (and from the work it spawned [`carried`]).
pub async fn counted<T>(work: impl Future<Output = T>) -> (T, u32) {
    let count = Arc::new(AtomicU32::new(0));
    let output = STATEMENTS.scope(Arc::clone(&count), work).await;
    (output, count.load(Ordering::Relaxed))
}

/// `work`, its statements counted into those of the work that creates it: for work handed to `tokio::spawn`,
/// which a task-local does not follow (a list streaming its rows from a task of its own). Its statements count
/// when they start, so the caller's count has them once it has heard back from the task. Outside a counting
/// scope, `work` as it is.
pub fn carried<F: Future>(work: F) -> impl Future<Output = F::Output> {
    let count = STATEMENTS.try_with(Arc::clone).unwrap_or_default();
    STATEMENTS.scope(count, work)
}

/// The instrumentation of one connection: the span of the statement in flight (a connection runs one at a
/// time).
#[derive(Default)]
pub struct StatementTrace {
    current: Option<tracing::Span>,
}

/// Puts the instrumentation on `conn`.
pub fn install(conn: &mut diesel_async::AsyncPgConnection) {
    diesel_async::AsyncConnection::set_instrumentation(conn, StatementTrace::default());
}

impl Instrumentation for StatementTrace {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { query, .. } => {
                let _ = STATEMENTS.try_with(|count| count.fetch_add(1, Ordering::Relaxed));
                let span = tracing::info_span!(
                    "db.statement",
                    db.system = "postgresql",
                    db.statement = tracing::field::Empty,
                    otel.kind = "client",
                );
                if !span.is_disabled() {
                    let text = query.to_string();
                    // diesel writes `<sql> -- binds: [..]`; the values stay out of traces.
                    let sql = text.split(" -- binds: ").next().unwrap_or_default();
                    span.record("db.statement", sql);
                }
                self.current = Some(span);
            }
            InstrumentationEvent::FinishQuery { error, .. } => {
                if let (Some(span), Some(error)) = (&self.current, error) {
                    span.in_scope(|| tracing::debug!(%error, "statement failed"));
                }
                self.current = None;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

    const URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

    #[tokio::test]
    async fn counts_every_statement_of_the_task_including_transaction_control() {
        let mut conn = AsyncPgConnection::establish(URL).await.unwrap();
        install(&mut conn);
        let ((), n) = counted(async {
            diesel::sql_query("SELECT 1")
                .execute(&mut conn)
                .await
                .unwrap();
            conn.transaction::<_, diesel::result::Error, _>(async |c| {
                diesel::sql_query("SELECT 2").execute(c).await?;
                Ok(())
            })
            .await
            .unwrap();
        })
        .await;
        assert_eq!(n, 4, "SELECT 1, BEGIN, SELECT 2, COMMIT");
        // Outside a counting scope nothing is counted and nothing fails.
        conn.batch_execute("SELECT 3").await.unwrap();
        let ((), none) = counted(async {}).await;
        assert_eq!(none, 0);
    }

    #[tokio::test]
    async fn counts_the_statements_of_a_spawned_task_it_carries() {
        let mut conn = AsyncPgConnection::establish(URL).await.unwrap();
        install(&mut conn);
        let (spawned, n) = counted(async {
            let task = tokio::spawn(carried(async move {
                diesel::sql_query("SELECT 1")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                conn
            }));
            task.await.unwrap()
        })
        .await;
        assert_eq!(n, 1, "the spawned task's SELECT 1");
        // Carried outside a counting scope, it runs uncounted.
        let mut conn = spawned;
        tokio::spawn(carried(async move {
            conn.batch_execute("SELECT 2").await.unwrap();
        }))
        .await
        .unwrap();
    }
}
