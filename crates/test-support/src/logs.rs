//! Every log line a test process writes, as JSON at debug level, for tests that check what is (and is not)
//! logged. One global subscriber per test binary: the first call installs it.

use std::sync::{Arc, Mutex, OnceLock};

/// The buffer all log lines of this process go to from the first call on.
pub fn capture() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&buffer);
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || Sink(Arc::clone(&sink)))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buffer
    })
    .clone()
}

/// What has been logged so far, as text.
pub fn text() -> String {
    let buffer = capture();
    let bytes = buffer.lock().unwrap_or_else(|poison| poison.into_inner());
    String::from_utf8_lossy(&bytes).into_owned()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
