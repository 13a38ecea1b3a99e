//! The event bus: AMQP topology and the outbox relay that moves committed events to RabbitMQ.
//!
//! Delivery is at-least-once: an event is marked delivered only after the broker confirms it, so a crash between
//! publish and mark re-publishes it; consumers dedupe on the CloudEvents `id` (also the AMQP `message_id`).

pub mod publisher;
pub mod relay;
pub mod settings;
pub mod topology;

pub use relay::{Relay, RelayStatus};
pub use settings::BusSettings;
