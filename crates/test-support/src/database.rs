//! A database of the test's own, dropped when the test ends.

/// Names a fresh database (the service creates and migrates it on start) and drops it on `Drop`.
pub struct TestDatabase {
    pub url: String,
}

impl TestDatabase {
    /// `prefix` names the service, e.g. `identity` gives `identity_test_<uuid>`.
    pub fn new(prefix: &str) -> Self {
        let base = std::env::var("TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
        Self {
            url: format!("{base}/{prefix}_test_{}", crate::unique_suffix()),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let url = self.url.clone();
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread of our own.
        let _ = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                let _ = runtime.block_on(persistence::db::drop_database(&url));
            }
        })
        .join();
    }
}
