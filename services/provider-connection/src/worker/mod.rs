//! The verification worker: claims queued runs (`FOR UPDATE SKIP LOCKED`, so replicas never take the same run),
//! asks Microsoft for a client-credentials token with the connection's effective app, compares the token's
//! `roles` with the required application permissions, probes Graph, and records the outcome on the run and the
//! connection with its event. Runs left `running` past the timeout (a worker died) are failed.
//!
//! No HTTP call happens inside a database transaction: claim, call Microsoft, then record.

mod verdict;

pub use verdict::{Verdict, failure};

use crate::credentials;
use crate::db::models::{
    Connection, ConnectionType, ConsentStatus, Credential, Run, RunOutcome, RunStatus,
    VerificationStatus,
};
use crate::db::schema::{provider_connections as pc, verification_runs as runs};
use crate::events::{self, EMIT};
use crate::ids::{ConnectionId, RunId};
use crate::settings::Settings;
use crate::verification::NO_CREDENTIAL;
use crate::views::view;
use diesel::IntoSql;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use event_types::provider_connection::VerificationOutcome;
use microsoft::graph::{GRAPH_SCOPE, GraphClient};
use microsoft::token::{CachedToken, TokenClient};
use microsoft::{MicrosoftSettings, MsError};
use persistence::outbox::wake_after_commit;
use persistence::{DbError, Pool};
use security::secret_box::SecretBox;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// What the worker needs, shared with the API (the platform app, the sealing keys, Microsoft's URLs).
pub struct Worker {
    pub pool: Pool,
    pub microsoft: MicrosoftSettings,
    pub tokens: TokenClient,
    pub secrets: Arc<SecretBox>,
    pub platform_client_id: String,
    pub platform_client_secret: String,
    pub required_roles: Vec<String>,
    pub graph_probe_path: String,
    pub run_timeout: Duration,
    pub poll_interval: Duration,
    pub wake: Arc<Notify>,
}

/// A claimed run with what is needed to verify it.
struct Job {
    run: Run,
    connection: Connection,
    credential: Option<Credential>,
}

/// Consent states are kept this long after they expire (for investigation), then deleted by the sweep.
const CONSENT_STATE_RETENTION_HOURS: i64 = 24;

impl Worker {
    /// The worker configured from `settings` (the service runs one; tests build extra ones to race them).
    pub fn from_settings(
        settings: &Settings,
        pool: Pool,
        wake: Arc<Notify>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            pool,
            tokens: TokenClient::new(&settings.microsoft)?,
            microsoft: settings.microsoft.clone(),
            secrets: Arc::new(SecretBox::new(&settings.secrets)?),
            platform_client_id: settings.platform.client_id.clone(),
            platform_client_secret: settings.platform.client_secret.clone(),
            required_roles: settings.verification.required_roles.clone(),
            graph_probe_path: settings.verification.graph_probe_path.clone(),
            run_timeout: Duration::from_secs(settings.verification.run_timeout_secs),
            poll_interval: Duration::from_millis(settings.verification.poll_interval_ms),
            wake,
        })
    }

    /// Works until `stop`: sweeps stuck runs and expired consent states (every [`Self::sweep_interval`]), then
    /// drains the queue, then sleeps until woken or the poll interval.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        tracing::info!("verification worker started");
        let sweep_every = self.sweep_interval();
        let mut last_sweep: Option<tokio::time::Instant> = None;
        while !stop.is_cancelled() {
            if last_sweep.is_none_or(|at| at.elapsed() >= sweep_every) {
                last_sweep = Some(tokio::time::Instant::now());
                if let Err(err) = self.fail_stuck().await {
                    tracing::warn!(error = %err, "sweeping stuck verification runs failed");
                }
                if let Err(err) = self.purge_consent_states().await {
                    tracing::warn!(error = %err, "purging expired consent states failed");
                }
            }
            loop {
                match self.run_once().await {
                    Ok(true) if !stop.is_cancelled() => continue,
                    Ok(_) => break,
                    Err(err) => {
                        tracing::warn!(error = %err, "verification worker could not claim a run");
                        break;
                    }
                }
            }
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.poll_interval) => {}
            }
        }
        tracing::info!("verification worker stopped");
    }

    /// How often the sweeps run: a tenth of the run timeout (so a stuck run is failed at most 10% late), never
    /// more often than the queue is polled nor less often than once a minute. Sweeping at every poll was two of
    /// the idle service's statements each second for work that changes nothing on almost every pass.
    fn sweep_interval(&self) -> Duration {
        (self.run_timeout / 10).clamp(
            self.poll_interval.min(Duration::from_secs(60)),
            Duration::from_secs(60),
        )
    }

    /// Claims and completes one queued run; `false` when none was queued.
    pub async fn run_once(&self) -> Result<bool, DbError> {
        let Some(job) = self.claim().await? else {
            return Ok(false);
        };
        let verdict = self.verify(&job).await;
        tracing::info!(
            run_id = job.run.id.get(),
            connection_id = job.connection.id.get(),
            outcome = verdict.outcome.as_str(),
            "verification run finished"
        );
        metrics::counter!("verification_runs_total", "outcome" => verdict.outcome.as_str())
            .increment(1);
        self.record(&job, &verdict).await?;
        Ok(true)
    }

    async fn claim(&self) -> Result<Option<Job>, DbError> {
        let mut conn = persistence::db::conn(&self.pool).await?;
        let job = conn
            .transaction::<_, diesel::result::Error, _>(async |conn| {
                let claimed: Option<RunId> = runs::table
                    .filter(runs::status.eq(RunStatus::Queued))
                    .order(runs::id)
                    .select(runs::id)
                    .limit(1)
                    .for_update()
                    .skip_locked()
                    .first(conn)
                    .await
                    .optional()?;
                let Some(run_id) = claimed else {
                    return Ok(None);
                };
                let run: Run = diesel::update(runs::table.find(run_id))
                    .set((
                        runs::status.eq(RunStatus::Running),
                        runs::started_at.eq(diesel::dsl::now),
                    ))
                    .returning(Run::as_returning())
                    .get_result(conn)
                    .await?;
                let connection: Connection = pc::table
                    .find(run.connection_id)
                    .select(Connection::as_select())
                    .first(conn)
                    .await?;
                let credential = credentials::stored(conn, run.connection_id).await?;
                Ok(Some(Job {
                    run,
                    connection,
                    credential,
                }))
            })
            .await?;
        Ok(job)
    }

    /// Talks to Microsoft; never fails, every problem is a verdict.
    async fn verify(&self, job: &Job) -> Verdict {
        let connection = &job.connection;
        let (client_id, secret) = match connection.connection_type {
            ConnectionType::Platform => (
                self.platform_client_id.clone(),
                self.platform_client_secret.clone(),
            ),
            ConnectionType::Dedicated => {
                let Some(credential) = &job.credential else {
                    return Verdict::new(RunOutcome::Blocked, NO_CREDENTIAL);
                };
                match credentials::open(&self.secrets, credential) {
                    Ok(secret) => (credential.client_id.clone(), secret),
                    Err(err) => {
                        tracing::error!(connection_id = connection.id.get(), error = %err, "a stored credential could not be opened");
                        return Verdict::new(
                            RunOutcome::Error,
                            "Error: the stored credential could not be decrypted",
                        );
                    }
                }
            }
        };
        let cache = Arc::new(CachedToken::new(
            self.tokens.clone(),
            connection.entra_tenant_id.clone(),
            client_id,
            secret,
            GRAPH_SCOPE,
        ));
        let token = match cache.get_token().await {
            Ok(token) => token,
            Err(err) => return failure("requesting a token", &err),
        };
        let missing: Vec<&str> = self
            .required_roles
            .iter()
            .filter(|role| !token.roles.iter().any(|granted| granted == *role))
            .map(String::as_str)
            .collect();
        let graph = match GraphClient::new(&self.microsoft, Arc::clone(&cache)) {
            Ok(graph) => graph,
            Err(err) => return failure("preparing the Graph client", &err),
        };
        let probe = graph.get_json(&self.graph_probe_path).await;
        match (probe, missing.is_empty()) {
            (Ok(_), true) => Verdict::new(
                RunOutcome::Healthy,
                "Healthy: token issued, required permissions granted, Graph reachable",
            ),
            (Ok(_), false) | (Err(MsError::Upstream { status: 403 }), false) => Verdict::new(
                RunOutcome::Degraded,
                format!(
                    "Degraded: missing application permissions: {}",
                    missing.join(", ")
                ),
            ),
            (Err(MsError::Upstream { status: 403 }), true) => Verdict::new(
                RunOutcome::Degraded,
                "Degraded: Graph refused the probe (403) although the permissions are granted",
            ),
            (Err(err), _) => failure("probing Graph", &err),
        }
    }

    /// Records the verdict on the run and its connection, unless the run was failed as stuck meanwhile.
    async fn record(&self, job: &Job, verdict: &Verdict) -> Result<(), DbError> {
        let mut conn = persistence::db::conn(&self.pool).await?;
        let platform = self.platform_client_id.clone();
        let done = conn
            .transaction::<_, diesel::result::Error, _>(async |conn| {
                let status = if verdict.outcome == RunOutcome::Blocked {
                    RunStatus::Blocked
                } else {
                    RunStatus::Completed
                };
                let finished = diesel::update(
                    runs::table
                        .find(job.run.id)
                        .filter(runs::status.eq(RunStatus::Running)),
                )
                .set((
                    runs::status.eq(status),
                    runs::outcome.eq(verdict.outcome),
                    runs::detail.eq(&verdict.health),
                    runs::finished_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
                if finished == 0 {
                    return Ok(());
                }
                finish_connection(conn, job.run.id, job.connection.id, verdict, &platform).await
            })
            .await;
        wake_after_commit(done)?;
        Ok(())
    }

    /// Deletes consent states expired for more than a day; returns how many.
    pub async fn purge_consent_states(&self) -> Result<usize, DbError> {
        use crate::db::schema::consent_states;
        let mut conn = persistence::db::conn(&self.pool).await?;
        let cutoff = chrono::Utc::now() - chrono::Duration::hours(CONSENT_STATE_RETENTION_HOURS);
        Ok(
            diesel::delete(consent_states::table.filter(consent_states::expires_at.lt(cutoff)))
                .execute(&mut conn)
                .await?,
        )
    }

    /// Fails runs `running` for longer than the timeout, and their connections' pending state.
    pub async fn fail_stuck(&self) -> Result<usize, DbError> {
        let mut conn = persistence::db::conn(&self.pool).await?;
        let cutoff = chrono::Utc::now()
            - chrono::Duration::from_std(self.run_timeout).unwrap_or(chrono::Duration::MAX);
        let platform = self.platform_client_id.clone();
        let timeout_secs = self.run_timeout.as_secs();
        let failed = conn
            .transaction::<_, diesel::result::Error, _>(async |conn| {
                let health = format!("Error: verification did not finish within {timeout_secs} s");
                let stuck: Vec<(RunId, ConnectionId)> = diesel::update(
                    runs::table
                        .filter(runs::status.eq(RunStatus::Running))
                        .filter(runs::started_at.lt(cutoff)),
                )
                .set((
                    runs::status.eq(RunStatus::Failed),
                    runs::outcome.eq(RunOutcome::Error),
                    runs::detail.eq(&health),
                    runs::finished_at.eq(diesel::dsl::now),
                ))
                .returning((runs::id, runs::connection_id))
                .get_results(conn)
                .await?;
                let verdict = Verdict::new(RunOutcome::Error, health.clone());
                for (run_id, connection_id) in &stuck {
                    finish_connection(conn, *run_id, *connection_id, &verdict, &platform).await?;
                }
                Ok(stuck.len())
            })
            .await;
        let failed = failed?;
        if failed > 0 {
            // Only then did it append events (waking for an empty sweep kept an idle relay polling fast).
            persistence::outbox::wake();
            tracing::warn!(failed, "failed verification runs stuck past the timeout");
            metrics::counter!("verification_runs_total", "outcome" => "timed_out")
                .increment(u64::try_from(failed).unwrap_or(u64::MAX));
        }
        Ok(failed)
    }
}

/// Sets the connection's verification state from a verdict and writes the outcome event (actor
/// `worker:verification`), bumping the connection's version in the first update. A healthy verdict ends a legacy
/// credential's migration review.
async fn finish_connection(
    conn: &mut AsyncPgConnection,
    run_id: RunId,
    connection_id: ConnectionId,
    verdict: &Verdict,
    platform_client_id: &str,
) -> QueryResult<()> {
    let healthy = verdict.outcome == RunOutcome::Healthy;
    let updated: Connection = diesel::update(pc::table.find(connection_id))
        .set((
            pc::verification_status.eq(VerificationStatus::from(verdict.outcome)),
            pc::health_status.eq(&verdict.health),
            pc::migration_review_required
                .eq(pc::migration_review_required
                    .and((!healthy).into_sql::<diesel::sql_types::Bool>())),
            pc::updated_at.eq(diesel::dsl::now),
            pc::version.eq(pc::version + 1),
        ))
        .returning(Connection::as_returning())
        .get_result(conn)
        .await?;
    let updated = if verdict.consent_revoked && updated.consent_status == ConsentStatus::Granted {
        diesel::update(pc::table.find(connection_id))
            .set(pc::consent_status.eq(ConsentStatus::Revoked))
            .returning(Connection::as_returning())
            .get_result(conn)
            .await?
    } else {
        updated
    };
    let credential = credentials::meta(conn, connection_id).await?;
    let shown = view(&updated, credential.as_ref(), platform_client_id);
    let outcome = VerificationOutcome {
        operation_run_id: run_id.get(),
        connection_id: connection_id.get(),
        outcome: verdict.outcome,
        health_status: verdict.health.clone(),
        connection: shown,
    };
    persistence::outbox::append(
        conn,
        &[EMIT.event::<events::VerificationCompleted>(
            &crate::context::worker(),
            connection_id,
            &outcome,
            updated.version,
        )],
    )
    .await
}
