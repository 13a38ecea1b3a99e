//! Test harness pieces shared by every service: each test gets its own database and exchange so tests run in
//! parallel against the real PostgreSQL and RabbitMQ.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod broker;
pub mod database;
pub mod http;
pub mod settings;

pub use broker::{BrokerProxy, Received, Subscriber};
pub use database::TestDatabase;

/// The local broker every test talks to (override with `TEST_AMQP_URL`).
pub fn amqp_url() -> String {
    std::env::var("TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

/// A name unique to this test, for databases and exchanges.
pub fn unique_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
