//! The number of database statements a request issued, as its access-log line reports it
//! (`db_statements`, counted by `persistence::statements`), for tests that pin each endpoint's count: a list
//! must not grow a statement per row, a write must not grow a look-up.
//!
//! Call [`crate::logs::capture`] before spawning the app; send each request with its own `x-request-id`.

use serde_json::Value;

/// The `db_statements` of the access-log line of request `request_id`, once it has been logged.
pub async fn of(request_id: &str) -> u32 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        if let Some(n) = logged(request_id) {
            return n;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no access-log line for request {request_id}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

fn logged(request_id: &str) -> Option<u32> {
    crate::logs::text().lines().find_map(|line| {
        if !line.contains(request_id) {
            return None;
        }
        let entry: Value = serde_json::from_str(line).ok()?;
        let fields = &entry["fields"];
        let ours =
            entry["span"]["request_id"] == request_id && fields["message"] == "request served";
        ours.then(|| fields["db_statements"].as_u64())
            .flatten()
            .and_then(|n| u32::try_from(n).ok())
    })
}
