//! Every log line a test process writes, as JSON, for tests that check what is (and is not) logged. One global
//! subscriber per test binary: the first call installs it, at debug level; `log`-crate records (actix, and any
//! other dependency logging through `log`) are forwarded to it. A test that must see everything (the secret
//! scans) holds [`verbose`] to raise the whole process to trace level while it runs.

use std::sync::{Arc, Mutex, OnceLock};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Registry, reload};

struct Capture {
    buffer: Arc<Mutex<Vec<u8>>>,
    level: reload::Handle<LevelFilter, Registry>,
    /// How many [`Verbose`] guards are alive.
    verbose: Mutex<usize>,
}

fn installed() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&buffer);
        let (filter, level) = reload::Layer::new(LevelFilter::DEBUG);
        let _ = tracing_subscriber::registry()
            .with(filter)
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(move || Sink(Arc::clone(&sink))),
            )
            // Also installs the `log` bridge.
            .try_init();
        Capture {
            buffer,
            level,
            verbose: Mutex::new(0),
        }
    })
}

/// The buffer all log lines of this process go to from the first call on.
pub fn capture() -> Arc<Mutex<Vec<u8>>> {
    Arc::clone(&installed().buffer)
}

/// Trace level for the whole process while the guard lives (nested guards count; the last one dropped goes
/// back to debug). Other tests running meanwhile log at trace too, which only adds lines.
#[must_use = "the level goes back to debug when the guard is dropped"]
pub fn verbose() -> Verbose {
    let capture = installed();
    let mut count = capture.verbose.lock().unwrap_or_else(|p| p.into_inner());
    if *count == 0 {
        let _ = capture.level.modify(|level| *level = LevelFilter::TRACE);
    }
    *count += 1;
    Verbose(())
}

/// See [`verbose`].
pub struct Verbose(());

impl Drop for Verbose {
    fn drop(&mut self) {
        let capture = installed();
        let mut count = capture.verbose.lock().unwrap_or_else(|p| p.into_inner());
        *count = count.saturating_sub(1);
        if *count == 0 {
            let _ = capture.level.modify(|level| *level = LevelFilter::DEBUG);
        }
    }
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
