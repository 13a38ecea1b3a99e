//! Bus settings every service shares.

use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
pub struct BusSettings {
    /// `amqp://user:pass@host:port/vhost`.
    pub url: String,
    /// The durable topic exchange every service publishes to; routing key = event type.
    pub exchange: String,
    /// Run the relay in this process. Off only for tools and tests that want events to stay in the outbox.
    pub relay_enabled: bool,
    /// Events published per round trip of confirms.
    pub batch_size: i64,
    /// Batches sent whose confirms may still come: the next batch is read and sent while earlier ones' confirms
    /// travel. 1 waits for each batch's confirms before reading the next.
    pub in_flight_batches: u32,
    /// Longest wait of the adaptive poll for rows other replicas commit (this process's commits wake it at once).
    pub poll_interval_ms: u64,
    /// How long to wait for the broker's TCP + AMQP handshake before backing off.
    pub connect_timeout_ms: u64,
    /// How long to wait for a publisher confirm before treating the connection as lost.
    pub confirm_timeout_ms: u64,
    /// Longest pause between reconnection attempts (backoff doubles up to it).
    pub max_backoff_ms: u64,
    /// Delivered outbox rows older than this are purged.
    pub retention_hours: i64,
    /// Keep every event in the RabbitMQ stream `<exchange>.stream` (bound to all routing keys), so subscribers
    /// can start from the first retained event, an offset or a time, and nothing published is unroutable.
    pub stream_enabled: bool,
    /// The stream's age limit, in RabbitMQ's `x-max-age` units (`7D`, `36h`, `90m`, `1Y`).
    pub stream_max_age: String,
    /// The stream's size limit, in bytes (`x-max-length-bytes`); whichever limit is reached first applies.
    pub stream_max_length_bytes: i64,
}

impl BusSettings {
    /// The stream every event of this exchange is kept in.
    pub fn stream_name(&self) -> String {
        stream_name(&self.exchange)
    }

    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }
    pub fn confirm_timeout(&self) -> Duration {
        Duration::from_millis(self.confirm_timeout_ms)
    }
    pub fn max_backoff(&self) -> Duration {
        Duration::from_millis(self.max_backoff_ms)
    }
}

/// The stream of `exchange`: `<exchange>.stream`.
pub fn stream_name(exchange: &str) -> String {
    format!("{exchange}.stream")
}
