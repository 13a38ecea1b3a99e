//! Entra External ID custom authentication extension answers: always 200 with `data.actions`; a request that is
//! not the event's payload is a 400 problem document (Entra shows its own error).

use actix_web::{HttpResponse, ResponseError};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::connectors::decide::{SignUpOutcome, TokenOutcome};
use crate::input::connector::Invalid;

fn submit_answer(action: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "data": {
            "@odata.type": "microsoft.graph.onAttributeCollectionSubmitResponseData",
            "actions": [action],
        }
    }))
}

fn token_answer(claims: Map<String, Value>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "data": {
            "@odata.type": "microsoft.graph.onTokenIssuanceStartResponseData",
            "actions": [{
                "@odata.type": "microsoft.graph.tokenIssuanceStart.provideClaimsForToken",
                "claims": claims,
            }],
        }
    }))
}

/// A request that is not the expected event.
pub fn malformed(detail: &str) -> HttpResponse {
    service_kit::Problem::bad_request("body", detail).error_response()
}

/// An attribute the person must fix, highlighted on the attribute page.
pub fn validation_error(invalid: &Invalid) -> HttpResponse {
    submit_answer(json!({
        "@odata.type": "microsoft.graph.attributeCollectionSubmit.showValidationError",
        "message": "Please fix the highlighted field to continue.",
        "attributeErrors": { invalid.field.clone(): invalid.message },
    }))
}

/// The answer to an attribute-collection submit: continue (modifying the display name when it was normalised)
/// or the block page.
pub fn sign_up(outcome: SignUpOutcome) -> HttpResponse {
    match outcome {
        SignUpOutcome::Continue { display_name: None } => submit_answer(json!({
            "@odata.type": "microsoft.graph.attributeCollectionSubmit.continueWithDefaultBehavior",
        })),
        SignUpOutcome::Continue {
            display_name: Some(name),
        } => submit_answer(json!({
            "@odata.type": "microsoft.graph.attributeCollectionSubmit.modifyAttributeValues",
            "attributes": { "displayName": name },
        })),
        SignUpOutcome::Block(message) => submit_answer(json!({
            "@odata.type": "microsoft.graph.attributeCollectionSubmit.showBlockPage",
            "message": message,
        })),
    }
}

/// The answer to a token-issuance start for user `oid`. Token issuance has no block page: the sign-in goes on
/// without authorization claims (the refusal logged with its error id) rather than failing in front of the
/// person.
pub fn token(outcome: TokenOutcome, oid: Uuid) -> HttpResponse {
    match outcome {
        TokenOutcome::Continue(claims) => token_answer(claims),
        TokenOutcome::Block(message) => {
            tracing::warn!(%oid, reason = %message, "token issued without authorization claims");
            token_answer(Map::new())
        }
    }
}
