//! What every HTTP service of the suite needs, written once: layered configuration, JSON logs with request ids,
//! RFC 9457 problem responses, function-key authentication, probes, Prometheus metrics, spec serving and a
//! graceful run loop.

pub mod api_key;
pub mod cli;
pub mod docs;
pub mod metrics;
pub mod observe;
pub mod probes;
pub mod problem;
pub mod run;
pub mod service;
pub mod settings;
pub mod telemetry;

pub use problem::Problem;
pub use settings::{HttpSettings, LogSettings};
