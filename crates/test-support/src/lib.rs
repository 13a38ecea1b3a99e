//! Test harness pieces shared by every service: each test gets its own database (cloned from a template
//! migrated once per run) and exchange, so tests run in parallel against the real PostgreSQL and RabbitMQ.
// A test harness: a failed expectation should panic the test, as in the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod app;
pub mod broker;
pub mod catalogue;
pub mod database;
pub mod http;
pub mod issuer;
pub mod logs;
pub mod methods;
pub mod outbox;
pub mod secrets;
pub mod settings;
pub mod statements;

pub use app::Spawned;
pub use broker::{BrokerProxy, HalfOpenProxy, Received, Subscriber, read_stream};
pub use database::{TestDatabase, cleanup, delete_exchange};
pub use issuer::FakeIssuer;

/// The local broker every test talks to (override with `TEST_AMQP_URL`).
pub fn amqp_url() -> String {
    std::env::var("TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

/// A name unique to this test, for databases and exchanges.
pub fn unique_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Asserts each of `event_types` is a channel address of the AsyncAPI catalogue (`specs/events.asyncapi.yaml`)
/// whose payload schema compiles.
pub fn assert_catalogued(event_types: &[&str]) {
    let addresses = catalogue::event_types();
    for event_type in event_types {
        assert!(
            addresses.contains(event_type),
            "{event_type} missing from specs/events.asyncapi.yaml"
        );
    }
}
