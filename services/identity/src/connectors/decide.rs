//! The connectors' logic, independent of the protocol that carried the request: may this person sign up, and
//! what goes in their token. Failures never escape as errors: they become a block page with an error id.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::provisioning::{self, Grants, Refusal};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::input::connector::{SignUp, SignedIn};
use crate::settings::ConnectorSettings;
use persistence::Pool;

#[derive(Debug, Clone, PartialEq)]
pub enum SignUpOutcome {
    /// Let the person continue; with a normalised display name when it differs from what they entered.
    Continue { display_name: Option<String> },
    /// Stop the sign-up with this message.
    Block(String),
}

/// Sign-up rules: the application must be allowed, the address not yet registered (one indexed statement).
pub async fn sign_up(settings: &ConnectorSettings, pool: &Pool, input: &SignUp) -> SignUpOutcome {
    if !allows_client(settings, &input.client_id) {
        tracing::info!(client_id = %input.client_id, "sign-up refused: client application not allowed");
        return SignUpOutcome::Block(settings.client_not_allowed_message.clone());
    }
    match provisioning::oid_by_email(pool, &input.email).await {
        Ok(Some(_)) => SignUpOutcome::Block(settings.email_taken_message.clone()),
        Ok(None) => SignUpOutcome::Continue {
            display_name: settings
                .normalise_display_name
                .then(|| normalised_display_name(input))
                .flatten()
                .filter(|name| Some(name) != input.display_name.as_ref()),
        },
        Err(err) => SignUpOutcome::Block(internal_failure(settings, "sign-up", &err)),
    }
}

/// Whether `client_id` may sign up (case-insensitive, as GUIDs are); an empty list allows every application.
fn allows_client(settings: &ConnectorSettings, client_id: &str) -> bool {
    settings.allowed_client_ids.is_empty()
        || settings
            .allowed_client_ids
            .iter()
            .any(|allowed| allowed.trim().eq_ignore_ascii_case(client_id.trim()))
}

/// Whitespace trimmed and collapsed; given name + surname when no display name was entered.
fn normalised_display_name(input: &SignUp) -> Option<String> {
    let source = match &input.display_name {
        Some(name) => name.clone(),
        None => [&input.given_name, &input.surname]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
    };
    let collapsed = source.split_whitespace().collect::<Vec<_>>().join(" ");
    (!collapsed.is_empty()).then_some(collapsed)
}

#[derive(Debug, Clone, PartialEq)]
pub enum TokenOutcome {
    /// Issue the token with these extra claims.
    Continue(Map<String, Value>),
    /// Stop the sign-in with this message.
    Block(String),
}

/// Token step: provision the person, then return their authorization claims.
pub async fn token(
    settings: &ConnectorSettings,
    pool: &Pool,
    ctx: &Ctx,
    who: &SignedIn,
) -> TokenOutcome {
    match provisioning::provision(pool, ctx, who).await {
        Ok(Ok((_, grants))) => TokenOutcome::Continue(claims(settings, &grants)),
        Ok(Err(Refusal::EmailTaken)) => {
            let id = Uuid::new_v4();
            tracing::warn!(error_id = %id, oid = %who.oid, "token step refused: another user already has this email address");
            TokenOutcome::Block(format!(
                "This email address belongs to another account here. Please contact support (error id {id})."
            ))
        }
        Ok(Err(Refusal::MissingEmail)) => {
            let id = Uuid::new_v4();
            tracing::warn!(error_id = %id, oid = %who.oid, "token step refused: unknown user without an email claim");
            TokenOutcome::Block(format!(
                "We could not read your email address from your sign-in. Please contact support (error id {id})."
            ))
        }
        Err(err) => TokenOutcome::Block(internal_failure(settings, "token", &err)),
    }
}

/// The enrichment claims: group ids comma-separated, and `{"<group id>":["<permission>",...]}` as a string.
pub fn claims(settings: &ConnectorSettings, grants: &Grants) -> Map<String, Value> {
    let groups = grants
        .keys()
        .map(Uuid::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let permissions: Map<String, Value> = grants
        .iter()
        .map(|(group, names)| {
            (
                group.to_string(),
                Value::Array(names.iter().cloned().map(Value::String).collect()),
            )
        })
        .collect();
    let mut out = Map::new();
    out.insert(settings.groups_claim.clone(), Value::String(groups));
    out.insert(
        settings.permissions_claim.clone(),
        Value::String(Value::Object(permissions).to_string()),
    );
    out
}

/// Logs the failure under a fresh error id and returns the support message quoting it.
pub fn internal_failure(settings: &ConnectorSettings, step: &str, err: &ApiError) -> String {
    let id = Uuid::new_v4();
    tracing::error!(error_id = %id, step, error = %err, "connector failed; the person sees a block page");
    settings
        .support_message
        .replace("{error_id}", &id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Email;

    fn input(display: Option<&str>, given: Option<&str>, surname: Option<&str>) -> SignUp {
        SignUp {
            client_id: "c".into(),
            email: Email::parse("email", "a@b.example").unwrap(),
            display_name: display.map(str::to_owned),
            given_name: given.map(str::to_owned),
            surname: surname.map(str::to_owned),
        }
    }

    #[test]
    fn display_names_are_normalised() {
        assert_eq!(
            normalised_display_name(&input(Some("  Test   User "), None, None)).as_deref(),
            Some("Test User")
        );
        assert_eq!(
            normalised_display_name(&input(None, Some("Test"), Some("User"))).as_deref(),
            Some("Test User")
        );
        assert_eq!(normalised_display_name(&input(None, None, None)), None);
    }
}
