//! The resources a test owns, dropped when the test ends: its database and, once `settings::for_test` has named
//! one, its bus exchange (so test runs leave nothing behind in PostgreSQL or RabbitMQ).

use lapin::options::ExchangeDeleteOptions;
use std::sync::Mutex;

/// Names a fresh database (the service creates and migrates it on start) and drops it, and the test's exchange,
/// on `Drop`.
pub struct TestDatabase {
    pub url: String,
    exchange: Mutex<Option<String>>,
}

impl TestDatabase {
    /// `prefix` names the service, e.g. `identity` gives `identity_test_<uuid>`.
    pub fn new(prefix: &str) -> Self {
        let base = std::env::var("TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
        Self {
            url: format!("{base}/{prefix}_test_{}", crate::unique_suffix()),
            exchange: Mutex::new(None),
        }
    }

    /// Deletes `exchange` too when the test ends.
    pub fn owns_exchange(&self, exchange: &str) {
        if let Ok(mut slot) = self.exchange.lock() {
            *slot = Some(exchange.to_owned());
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let url = self.url.clone();
        let exchange = self.exchange.lock().ok().and_then(|mut slot| slot.take());
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread of our own.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                let _ = persistence::db::drop_database(&url).await;
                if let Some(exchange) = exchange {
                    delete_exchange(&exchange).await;
                }
            });
        })
        .join();
    }
}

async fn delete_exchange(exchange: &str) {
    let Ok(connection) =
        lapin::Connection::connect(&crate::amqp_url(), lapin::ConnectionProperties::default())
            .await
    else {
        return;
    };
    if let Ok(channel) = connection.create_channel().await {
        let _ = channel
            .exchange_delete(exchange.into(), ExchangeDeleteOptions::default())
            .await;
    }
    let _ = connection.close(200, "test done".into()).await;
}
