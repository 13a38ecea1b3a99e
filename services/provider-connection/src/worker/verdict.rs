//! What a verification run concluded: the outcome recorded on the run and the connection, the human health text,
//! and whether Microsoft said the app is no longer consented. A failed Microsoft call becomes a verdict here:
//! a refusal that needs a person is `blocked`, a transient failure `error`.

use crate::db::models::RunOutcome;
use microsoft::MsError;

/// A run's result: the connection's new `verification_status` and its human `health_status`.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub outcome: RunOutcome,
    pub health: String,
    /// Microsoft says the app is not (or no longer) consented in the tenant: granted consent becomes `revoked`.
    pub consent_revoked: bool,
}

impl Verdict {
    pub fn new(outcome: RunOutcome, health: impl Into<String>) -> Self {
        Self {
            outcome,
            health: health.into(),
            consent_revoked: false,
        }
    }
}

/// AADSTS codes meaning the app has no service principal / consent in the tenant.
const NOT_CONSENTED_CODES: [u32; 3] = [700016, 7000229, 65001];

/// The verdict for a Microsoft call that failed while `during`.
pub fn failure(during: &str, err: &MsError) -> Verdict {
    if let Some(code) = NOT_CONSENTED_CODES.into_iter().find(|c| err.has_code(*c)) {
        return Verdict {
            consent_revoked: true,
            ..Verdict::new(
                RunOutcome::Blocked,
                format!(
                    "Blocked: the app is not consented in the tenant (AADSTS{code}); ask for admin consent again"
                ),
            )
        };
    }
    match err {
        MsError::InvalidClient { error, .. } => Verdict::new(
            RunOutcome::Blocked,
            format!("Blocked: Microsoft rejected the app's credentials ({error}) while {during}"),
        ),
        MsError::TenantNotFound => Verdict::new(
            RunOutcome::Blocked,
            "Blocked: the Microsoft tenant was not found",
        ),
        MsError::Throttled { .. } => Verdict::new(
            RunOutcome::Error,
            format!("Error: Microsoft throttled the request while {during}; retry later"),
        ),
        MsError::Timeout => Verdict::new(
            RunOutcome::Error,
            format!("Error: Microsoft did not answer in time while {during}"),
        ),
        MsError::Upstream { status } => Verdict::new(
            RunOutcome::Error,
            format!("Error: Microsoft answered HTTP {status} while {during}"),
        ),
        MsError::Malformed(_) | MsError::Transport(_) | MsError::InvalidInput(_) => Verdict::new(
            RunOutcome::Error,
            format!("Error: Microsoft could not be reached properly while {during}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_map_to_blocked_or_error() {
        let invalid = MsError::InvalidClient {
            error: "invalid_client".into(),
            description: "AADSTS7000215".into(),
            error_codes: vec![7000215],
        };
        assert_eq!(failure("x", &invalid).outcome.as_str(), "blocked");
        assert!(!failure("x", &invalid).consent_revoked);
        let unconsented = MsError::InvalidClient {
            error: "unauthorized_client".into(),
            description:
                "AADSTS700016: Application with identifier 'x' was not found in the directory"
                    .into(),
            error_codes: vec![700016],
        };
        let verdict = failure("x", &unconsented);
        assert_eq!(verdict.outcome.as_str(), "blocked");
        assert!(verdict.consent_revoked);
        assert!(verdict.health.contains("AADSTS700016"));
        assert_eq!(
            failure("x", &MsError::TenantNotFound).outcome.as_str(),
            "blocked"
        );
        assert_eq!(failure("x", &MsError::Timeout).outcome.as_str(), "error");
        assert_eq!(
            failure("x", &MsError::Throttled { retry_after: None })
                .outcome
                .as_str(),
            "error"
        );
        assert_eq!(
            failure("x", &MsError::Upstream { status: 500 })
                .outcome
                .as_str(),
            "error"
        );
    }

    #[test]
    fn consent_is_judged_by_the_code_not_the_text() {
        let mentioned_only = MsError::InvalidClient {
            error: "invalid_client".into(),
            description: "see AADSTS700016 in the docs".into(),
            error_codes: vec![7000215],
        };
        assert!(!failure("x", &mentioned_only).consent_revoked);
    }
}
