//! Azure AD B2C API connector answers: every answer is `version` 1.0.0 JSON; `Continue` (200, optionally with
//! claims), `ShowBlockPage` (200, `userMessage`) or `ValidationError` (400, `status` 400, `userMessage`).

use actix_web::HttpResponse;
use serde_json::{Map, Value, json};

use crate::connectors::decide::{SignUpOutcome, TokenOutcome};
use crate::input::connector::Invalid;

/// 200 `Continue`, with `claims` merged in.
pub fn continue_with(claims: Map<String, Value>) -> HttpResponse {
    let mut body = Map::new();
    body.insert("version".into(), json!("1.0.0"));
    body.insert("action".into(), json!("Continue"));
    body.extend(claims);
    HttpResponse::Ok().json(Value::Object(body))
}

/// 200 `ShowBlockPage`: B2C stops the flow and shows `message`.
pub fn block(message: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "version": "1.0.0",
        "action": "ShowBlockPage",
        "userMessage": message,
    }))
}

/// 400 `ValidationError`: B2C shows `message` on the attribute page so the person can correct it.
pub fn validation_error(invalid: &Invalid) -> HttpResponse {
    tracing::info!(field = %invalid.field, "connector request refused as invalid");
    HttpResponse::BadRequest().json(json!({
        "version": "1.0.0",
        "status": 400,
        "action": "ValidationError",
        "userMessage": invalid.message,
    }))
}

/// The answer to a sign-up: continue (with the normalised display name, if any) or the block page.
pub fn sign_up(outcome: SignUpOutcome) -> HttpResponse {
    match outcome {
        SignUpOutcome::Continue { display_name } => {
            let mut claims = Map::new();
            if let Some(name) = display_name {
                claims.insert("displayName".into(), Value::String(name));
            }
            continue_with(claims)
        }
        SignUpOutcome::Block(message) => block(&message),
    }
}

/// The answer to a token step: continue with the authorization claims, or the block page.
pub fn token(outcome: TokenOutcome) -> HttpResponse {
    match outcome {
        TokenOutcome::Continue(claims) => continue_with(claims),
        TokenOutcome::Block(message) => block(&message),
    }
}
