//! One HTTP call to Microsoft with bounded retries of throttling and server errors.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;

use crate::{MicrosoftSettings, MsError};

/// A final (non-retried) answer: its status and whole body.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

/// First wait when Microsoft gives no `Retry-After`; doubled at each retry.
const BASE_BACKOFF: Duration = Duration::from_millis(100);

/// Sends the request built by `build` (rebuilt for each attempt), retrying 429 and 5xx answers while both the
/// retry count and the total wait budget of `settings` allow; `what` names the call in logs.
#[tracing::instrument(name = "microsoft.call", skip_all, fields(call = what, otel.kind = "client"))]
pub(crate) async fn send(
    settings: &MicrosoftSettings,
    what: &'static str,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<Answer, MsError> {
    let budget = Duration::from_millis(settings.max_retry_wait_ms);
    let mut waited = Duration::ZERO;
    let mut attempt: u32 = 0;
    loop {
        let response = build().send().await.map_err(MsError::from_reqwest)?;
        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let retry_after = retry_after(&response);
            // Every throttled or failing answer counts, retried or not: the alert in OPERATIONS.md watches it.
            metrics::counter!(
                "microsoft_retryable_responses_total",
                "call" => what.to_string(),
                "status" => status.as_u16().to_string()
            )
            .increment(1);
            let wait =
                retry_after.unwrap_or_else(|| BASE_BACKOFF.saturating_mul(1 << attempt.min(10)));
            if attempt < settings.max_retries && waited + wait <= budget {
                tracing::warn!(
                    call = what,
                    status = status.as_u16(),
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    "Microsoft answered with a retryable status; retrying"
                );
                tokio::time::sleep(wait).await;
                waited += wait;
                attempt += 1;
                continue;
            }
            tracing::warn!(
                call = what,
                status = status.as_u16(),
                attempt,
                "Microsoft still failing after the retry budget"
            );
            return Err(
                if status == StatusCode::TOO_MANY_REQUESTS
                    || status == StatusCode::SERVICE_UNAVAILABLE
                {
                    MsError::Throttled { retry_after }
                } else {
                    MsError::Upstream {
                        status: status.as_u16(),
                    }
                },
            );
        }
        let body = response.bytes().await.map_err(MsError::from_reqwest)?;
        return Ok(Answer {
            status,
            body: body.to_vec(),
        });
    }
}

/// `Retry-After` in delta-seconds (the form Microsoft sends); an HTTP date or garbage counts as absent.
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0)))
}
