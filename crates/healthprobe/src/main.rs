//! `healthprobe [URL]`: exit 0 when the service answers 2xx (see the library docs).

use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let target = match std::env::args().nth(1) {
        Some(url) => healthprobe::Target::from_url(&url),
        None => healthprobe::Target::from_bind_addr(
            &std::env::var("BIND_ADDR").unwrap_or_else(|_| "0.0.0.0:8080".to_owned()),
        ),
    };
    let outcome = target.and_then(|t| healthprobe::probe(&t, Duration::from_secs(3)));
    match outcome {
        Ok(status) if (200..300).contains(&status) => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("healthprobe: status {status}");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("healthprobe: {err}");
            ExitCode::FAILURE
        }
    }
}
