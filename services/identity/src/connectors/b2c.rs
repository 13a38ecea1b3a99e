//! Azure AD B2C API connectors: `POST /b2c/register` (step `PostAttributeCollection`) and `POST /b2c/token`
//! (step `PreTokenIssuance` with `client_id`, or `PreTokenApplicationClaims` with `clientId`).
//!
//! Protocol: every answer is `version` 1.0.0 JSON; `Continue` (200, optionally with claims), `ShowBlockPage`
//! (200, `userMessage`) or `ValidationError` (400, `status` 400, `userMessage`). B2C leaves claims without a
//! value out of its requests, so every optional field may be absent.

use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::ConnectorSettings;
use super::decide::{self, Invalid, SignUp, SignUpOutcome, TokenOutcome};
use super::provisioning::SignedIn;
use crate::AppState;

pub const REGISTER_STEP: &str = "PostAttributeCollection";
pub const TOKEN_STEPS: [&str; 2] = ["PreTokenIssuance", "PreTokenApplicationClaims"];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/register").route(web::post().to(register)))
        .service(web::resource("/token").route(web::post().to(token)));
}

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

/// The body as a JSON object, or the message for a request B2C could not have meant.
pub fn object(body: &[u8]) -> Result<Map<String, Value>, Invalid> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Invalid::new(
            "body",
            "Your request could not be read. Please try again.",
        )),
    }
}

/// A string claim: absent (or null) is `None`; another JSON type is invalid.
pub fn claim<'a>(body: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, Invalid> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(Invalid::new(
            name,
            format!("The value of {name} could not be read. Please try again."),
        )),
    }
}

fn required<'a>(body: &'a Map<String, Value>, name: &str) -> Result<&'a str, Invalid> {
    claim(body, name)?
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            Invalid::new(
                name,
                format!(
                    "The sign-in request was incomplete ({name} is missing). Please try again."
                ),
            )
        })
}

fn step(body: &Map<String, Value>, allowed: &[&str]) -> Result<(), Invalid> {
    let step = required(body, "step")?;
    if allowed.contains(&step) {
        Ok(())
    } else {
        Err(Invalid::new(
            "step",
            format!("The sign-in request came from an unexpected step ({step}). Please try again."),
        ))
    }
}

/// `client_id` (`PreTokenIssuance`, sign-up) or `clientId` (`PreTokenApplicationClaims`).
fn client_id(body: &Map<String, Value>) -> Result<String, Invalid> {
    let id = match claim(body, "client_id")? {
        Some(id) if !id.trim().is_empty() => id,
        _ => required(body, "clientId").map_err(|_| {
            Invalid::new(
                "client_id",
                "The sign-in request was incomplete (client_id is missing). Please try again.",
            )
        })?,
    };
    Ok(id.trim().to_owned())
}

fn identities(body: &Map<String, Value>) -> Result<(), Invalid> {
    match body.get("identities") {
        Some(Value::Array(_)) => Ok(()),
        _ => Err(Invalid::new(
            "identities",
            "The sign-in request was incomplete (identities is missing). Please try again.",
        )),
    }
}

/// Reads a sign-up request (`PostAttributeCollection`).
pub fn parse_sign_up(body: &[u8]) -> Result<SignUp, Invalid> {
    let body = object(body)?;
    let email = decide::email("email", claim(&body, "email")?)?;
    step(&body, &[REGISTER_STEP])?;
    let client_id = client_id(&body)?;
    identities(&body)?;
    Ok(SignUp {
        client_id,
        email,
        display_name: decide::optional_text(
            "displayName",
            "display name",
            claim(&body, "displayName")?,
        )?,
        given_name: decide::optional_text("givenName", "first name", claim(&body, "givenName")?)?,
        surname: decide::optional_text("surname", "last name", claim(&body, "surname")?)?,
    })
}

/// Reads a token request (either token step shape).
pub fn parse_token(body: &[u8]) -> Result<SignedIn, Invalid> {
    let body = object(body)?;
    let oid = required(&body, "objectId")?;
    let oid = Uuid::try_parse(oid).map_err(|_| {
        Invalid::new(
            "objectId",
            "The sign-in request carried an unreadable objectId. Please try again.",
        )
    })?;
    step(&body, &TOKEN_STEPS)?;
    client_id(&body)?;
    let email = match claim(&body, "email")?
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(raw) => Some(decide::email("email", Some(raw))?),
        None => None,
    };
    Ok(SignedIn {
        oid,
        email,
        firstname: decide::optional_text("givenName", "first name", claim(&body, "givenName")?)?,
        lastname: decide::optional_text("surname", "last name", claim(&body, "surname")?)?,
        country: decide::optional_text("country", "country", claim(&body, "country")?)?,
    })
}

async fn register(
    state: web::Data<AppState>,
    settings: web::Data<ConnectorSettings>,
    body: web::Bytes,
) -> HttpResponse {
    let input = match parse_sign_up(&body) {
        Ok(input) => input,
        Err(invalid) => return validation_error(&invalid),
    };
    match decide::sign_up(&settings, &state.pool, &input).await {
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

async fn token(
    state: web::Data<AppState>,
    settings: web::Data<ConnectorSettings>,
    body: web::Bytes,
) -> HttpResponse {
    let who = match parse_token(&body) {
        Ok(who) => who,
        Err(invalid) => return validation_error(&invalid),
    };
    match decide::token(&settings, &state.pool, &who).await {
        TokenOutcome::Continue(claims) => continue_with(claims),
        TokenOutcome::Block(message) => block(&message),
    }
}
