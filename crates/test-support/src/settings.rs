//! The settings every spawned test service shares: a free port, its own database and exchange, and a relay that
//! notices a broker outage within a second.

use service_kit::CommonSettings;

/// Points the shared sections at a test's own resources (the exchange is deleted with `database`); returns the
/// exchange name.
pub fn for_test(
    service: &str,
    database: &crate::TestDatabase,
    common: &mut CommonSettings,
) -> String {
    let CommonSettings {
        http,
        database: db,
        bus,
        ..
    } = common;
    http.bind = "127.0.0.1:0".to_owned();
    http.workers = 2;
    http.shutdown_timeout_secs = 5;
    // The suites send bad credentials on purpose, hundreds of times from one address; the tests of the limit
    // itself turn it back on with a small threshold.
    http.auth_failure_limit = 0;
    db.url = database.url.clone();
    db.pool_size = 6;
    bus.url = crate::amqp_url();
    bus.exchange = format!("test.{service}.{}", crate::unique_suffix());
    bus.poll_interval_ms = 200;
    bus.max_backoff_ms = 500;
    bus.connect_timeout_ms = 1000;
    bus.confirm_timeout_ms = 2000;
    database.owns_exchange(&bus.exchange);
    bus.exchange.clone()
}
