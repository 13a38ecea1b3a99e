//! Reading configurations: one provider, or all of an application streamed as they are read (one statement
//! each, which also tells an unregistered application from one without providers).

use crate::db::models::Provider;
use crate::db::schema::{applications, identity_providers as ip};
use crate::error::ApiError;
use crate::ids::{ApplicationId, ProviderKey};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::{Stream, StreamExt};
use persistence::Pool;
use tokio::sync::mpsc;

/// One row of the list query: the application's change id, and a provider unless it has none.
type Row = (i64, Option<Provider>);

/// How many rows the reader may be ahead of the response.
const READ_AHEAD: usize = 64;

/// An application's change id and its providers by key, streamed as the database returns them (a failure
/// mid-way ends the stream with the error). 404 `IAM_APPLICATION_NOT_FOUND` before anything is streamed.
pub async fn list(
    pool: &Pool,
    application_id: &ApplicationId,
) -> Result<
    (
        i64,
        impl Stream<Item = Result<Provider, ApiError>> + Send + 'static,
    ),
    ApiError,
> {
    let mut conn = persistence::db::conn(pool).await?;
    let (tx, mut rx) = mpsc::channel::<Result<Row, ApiError>>(READ_AHEAD);
    let app = application_id.clone();
    // Carried and instrumented: the query counts among the request's statements and its span stays under the
    // request's (neither a task-local nor the current span follows a spawn).
    tokio::spawn(tracing::Instrument::in_current_span(
        persistence::statements::carried(async move {
            let query = applications::table
                .left_join(ip::table.on(ip::application_id.eq(applications::application_id)))
                .filter(applications::application_id.eq(&app))
                .order(ip::key)
                .select((applications::change_id, Option::<Provider>::as_select()));
            match query.load_stream::<Row>(&mut conn).await {
                Err(err) => {
                    let _ = tx.send(Err(err.into())).await;
                }
                Ok(stream) => {
                    let mut stream = std::pin::pin!(stream);
                    while let Some(item) = stream.next().await {
                        if tx.send(item.map_err(ApiError::from)).await.is_err() {
                            break;
                        }
                    }
                }
            }
        }),
    ));
    let (change_id, first) = match rx.recv().await {
        None => return Err(ApiError::ApplicationNotFound(application_id.clone())),
        Some(item) => item?,
    };
    let rest = futures_util::stream::unfold(rx, |mut rx| async move {
        let item = rx.recv().await?.and_then(|(_, row)| {
            row.ok_or_else(|| ApiError::bug("a provider row without its provider"))
        });
        Some((item, rx))
    });
    Ok((
        change_id,
        futures_util::stream::iter(first.map(Ok)).chain(rest),
    ))
}

/// One provider and its application's existence, in one statement.
pub async fn get_one(
    pool: &Pool,
    application_id: &ApplicationId,
    key: &ProviderKey,
) -> Result<Provider, ApiError> {
    let mut conn = persistence::db::conn(pool).await?;
    let found: Option<(ApplicationId, Option<Provider>)> = applications::table
        .left_join(
            ip::table.on(ip::application_id
                .eq(applications::application_id)
                .and(ip::key.eq(key))),
        )
        .filter(applications::application_id.eq(application_id))
        .select((
            applications::application_id,
            Option::<Provider>::as_select(),
        ))
        .first(&mut conn)
        .await
        .optional()?;
    match found {
        None => Err(ApiError::ApplicationNotFound(application_id.clone())),
        Some((_, None)) => Err(ApiError::IdpNotFound(key.clone())),
        Some((_, Some(row))) => Ok(row),
    }
}
