//! The skeleton every HTTP service of the suite shares, written once: layered settings with the shared
//! sections checked in one place, the server assembled with probes and middleware, the CLI and `main`, JSON
//! logs with request ids, RFC 9457 problem responses, the database-failure mapping, request parsing helpers
//! (paging, ids, media type, bearer), function-key authentication, metrics and spec serving.

pub mod api_key;
pub mod cli;
pub mod db;
pub mod docs;
pub mod guard;
pub mod metrics;
pub mod observe;
pub mod probes;
pub mod problem;
pub mod request;
pub mod run;
pub mod service;
pub mod settings;
pub mod telemetry;

pub use cli::ServiceApp;
pub use db::DbFailure;
pub use problem::Problem;
pub use settings::{CommonSettings, HttpSettings, LogFormat, LogSettings, ServiceSettings};

/// An error and its sources, `outer: inner: innermost`, for a log line that keeps the whole cause.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
