//! A subscriber keeping a projection in its own database: who holds which permission in which group, from
//! identity's `identity.assignment.granted.v1` / `identity.assignment.revoked.v1`, each row written in the
//! same transaction as the event's dedupe mark.
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/permissions_projection \
//!   cargo run -p subscriber --example permissions_projection
//! ```
//!
//! Also `AMQP_URL`, `EXCHANGE` (default `identity-suite.events`), `QUEUE` (default `permissions-projection`).
//! The first start replays the event stream from its first retained event, so the projection starts complete
//! (as far as the stream's retention reaches); later starts replay it again, which the dedupe marks make cheap
//! and harmless. Ctrl-C stops it gracefully.

#[path = "support/permissions.rs"]
mod permissions;

use subscriber::{CatchUp, PgStore, Subscriber};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let env =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let database_url = env(
        "DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/permissions_projection",
    );
    // The subscriber's own database: created here, its tables by the projection and the store.
    persistence::db::ensure_database(&database_url).await?;
    let store = PgStore::connect(&database_url).await?;
    {
        let mut conn = persistence::db::conn(store.pool()).await?;
        permissions::create_table(&mut conn).await?;
    }
    let pool = store.pool().clone();
    let subscriber = permissions::register(Subscriber::builder(
        env("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f"),
        env("QUEUE", "permissions-projection"),
        store,
    ))
    .exchange(env("EXCHANGE", subscriber::DEFAULT_EXCHANGE))
    .catch_up(CatchUp::First)
    .on_gap(|gap| tracing::warn!(user = %gap.subject, "missed assignment changes; resynchronise this user from identity's API"))
    .build()?;
    let stop = CancellationToken::new();
    let on_signal = stop.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        on_signal.cancel();
    });
    subscriber.run(stop).await?;
    let mut conn = persistence::db::conn(&pool).await?;
    let holders = permissions::holders(&mut conn).await?;
    println!("{} permission assignments projected", holders.len());
    Ok(())
}
