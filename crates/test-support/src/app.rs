//! A service spawned in the test process the way `main` starts it, on a free port, against its own database
//! (cloned from the run's migrated template) and its own exchange.

use crate::TestDatabase;
use persistence::Pool;
use service_kit::{ServiceApp, ServiceSettings};

/// The running service and what a test needs to talk to it. Stops the server when dropped; the database (and
/// exchange) go last.
pub struct Spawned {
    pub address: String,
    pub client: reqwest::Client,
    pub pool: Pool,
    pub db_url: String,
    pub exchange: String,
    pub handle: actix_web::dev::ServerHandle,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
    /// Declared last, so dropped after the server task is aborted.
    pub database: TestDatabase,
}

impl Spawned {
    /// Starts service `A` from its compiled defaults pointed at the test's resources, after `tweak` (the
    /// service's test keys, then the test's own changes) has had its say.
    pub async fn start<A: ServiceApp>(tweak: impl FnOnce(&mut A::Settings)) -> Self {
        let service = A::Settings::SERVICE;
        let database = TestDatabase::migrated(&service.replace('-', "_"), A::MIGRATIONS);
        let mut settings = A::Settings::defaults().expect("defaults parse");
        crate::settings::for_test(service, &database, settings.common_mut());
        tweak(&mut settings);
        let db_url = settings.common().database.url.clone();
        let exchange = settings.common().bus.exchange.clone();
        let app = A::build(settings).await.expect("app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let pool = app.pool();
        let handle = app.server_handle();
        let task = tokio::spawn(app.run_until_stopped());
        Self {
            address,
            client: reqwest::Client::new(),
            pool,
            db_url,
            exchange,
            handle,
            task,
            database,
        }
    }

    /// Receives every event the service publishes from now on, each checked against the catalogue. It first
    /// waits (up to 5 s) for the relay to publish what earlier writes left in the outbox, so those events cannot
    /// arrive among the ones under test; a test that holds the relay back on purpose just pays the wait.
    pub async fn subscribe(&self) -> crate::Subscriber {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            let drained = match self.pool.get().await {
                Ok(mut conn) => matches!(persistence::outbox::backlog(&mut conn).await, Ok((0, _))),
                Err(_) => true,
            };
            if drained {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        crate::Subscriber::bind_catalogued(&self.exchange).await
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.task.abort();
    }
}
