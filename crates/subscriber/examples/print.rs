//! Subscribes to event types and prints each event as it comes.
//!
//! ```text
//! cargo run -p subscriber --example print -- identity.user.created.v1 identity.user.deleted.v1
//! ```
//!
//! `AMQP_URL` (default `amqp://guest:guest@127.0.0.1:5672/%2f`), `EXCHANGE` (default `identity-suite.events`),
//! `QUEUE` (default `print-example`; durable: delete it when done), `CATCH_UP=first` to replay the stream first.
//! Without arguments it prints identity's user events. Ctrl-C stops it gracefully. Dedupe is in memory.

use subscriber::{CatchUp, Event, MemoryStore, Subscriber, boxed};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> Result<(), subscriber::Error> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let env =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let mut types: Vec<String> = std::env::args().skip(1).collect();
    if types.is_empty() {
        types = ["created", "updated", "deleted"]
            .map(|verb| format!("identity.user.{verb}.v1"))
            .to_vec();
    }
    let mut builder = Subscriber::builder(
        env("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f"),
        env("QUEUE", "print-example"),
        MemoryStore::new(),
    )
    .exchange(env("EXCHANGE", subscriber::DEFAULT_EXCHANGE))
    .on_gap(|gap| {
        println!(
            "gap: {} {} expected version {}, got {}",
            gap.source, gap.subject, gap.expected, gap.received
        )
    });
    if env("CATCH_UP", "") == "first" {
        builder = builder.catch_up(CatchUp::First);
    }
    for event_type in &types {
        builder =
            builder.on::<serde_json::Value>(event_type, |_, event: Event<serde_json::Value>| {
                boxed(async move {
                    let e = &event.envelope;
                    println!(
                        "{} {} {} subject={} version={:?}",
                        e.time, e.event_type, e.id, e.subject, e.subjectversion
                    );
                    println!("  {}", event.data);
                    Ok(())
                })
            });
    }
    let subscriber = builder.build()?;
    let stop = CancellationToken::new();
    let on_signal = stop.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        on_signal.cancel();
    });
    subscriber.run(stop).await
}
