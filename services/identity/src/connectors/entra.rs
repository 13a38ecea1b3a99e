//! Entra External ID custom authentication extensions, the successor protocol of B2C's API connectors, served
//! from the same logic on their own paths (extensions of the contract):
//! `POST /entra/attributecollectionsubmit` (event `OnAttributeCollectionSubmit`) and
//! `POST /entra/tokenissuancestart` (event `OnTokenIssuanceStart`).
//!
//! Entra answers are always 200 with `data.actions`; a request that is not the event's payload is 400.

use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::ConnectorSettings;
use super::b2c::object;
use super::decide::{self, Invalid, SignUp, SignUpOutcome, TokenOutcome};
use super::provisioning::SignedIn;
use crate::AppState;

pub const SUBMIT_EVENT: &str = "microsoft.graph.authenticationEvent.attributeCollectionSubmit";
pub const TOKEN_EVENT: &str = "microsoft.graph.authenticationEvent.tokenIssuanceStart";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/attributecollectionsubmit")
            .route(web::post().to(attribute_collection_submit)),
    )
    .service(web::resource("/tokenissuancestart").route(web::post().to(token_issuance_start)));
}

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

/// A request that is not the expected event: a problem document (Entra shows its own error).
fn malformed(detail: &str) -> HttpResponse {
    use actix_web::ResponseError;
    service_kit::Problem::bad_request("body", detail).error_response()
}

fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

/// The `data` of an event of `event_type`, or why not.
fn event_data(body: &[u8], event_type: &str) -> Result<Value, String> {
    let body = object(body).map_err(|_| "must be a JSON object".to_owned())?;
    match body.get("type").and_then(Value::as_str) {
        Some(t) if t == event_type => {}
        _ => return Err(format!("type must be {event_type}")),
    }
    match body.get("data") {
        Some(data @ Value::Object(_)) => Ok(data.clone()),
        _ => Err("data must be an object".to_owned()),
    }
}

/// Reads an attribute-collection submit; `Err(Ok(invalid))` is the person's to fix, `Err(Err(detail))` the
/// caller's.
fn parse_submit(data: &Value) -> Result<SignUp, Result<Invalid, String>> {
    let client_id = text(data, "/authenticationContext/clientServicePrincipal/appId")
        .ok_or_else(|| {
            Err("data.authenticationContext.clientServicePrincipal.appId is required".to_owned())
        })?
        .to_owned();
    let attribute = |name: &str| text(data, &format!("/userSignUpInfo/attributes/{name}/value"));
    // Email sign-up carries the address as the email identity rather than as an attribute.
    let identity_email = data
        .pointer("/userSignUpInfo/identities")
        .and_then(Value::as_array)
        .and_then(|ids| {
            ids.iter()
                .find(|id| id.get("signInType").and_then(Value::as_str) == Some("email"))
        })
        .and_then(|id| id.get("issuerAssignedId").and_then(Value::as_str));
    let email = decide::email("email", attribute("email").or(identity_email)).map_err(Ok)?;
    Ok(SignUp {
        client_id,
        email,
        display_name: decide::optional_text(
            "displayName",
            "display name",
            attribute("displayName"),
        )
        .map_err(Ok)?,
        given_name: decide::optional_text("givenName", "first name", attribute("givenName"))
            .map_err(Ok)?,
        surname: decide::optional_text("surname", "last name", attribute("surname")).map_err(Ok)?,
    })
}

async fn attribute_collection_submit(
    state: web::Data<AppState>,
    settings: web::Data<ConnectorSettings>,
    body: web::Bytes,
) -> HttpResponse {
    let data = match event_data(&body, SUBMIT_EVENT) {
        Ok(data) => data,
        Err(detail) => return malformed(&detail),
    };
    let input = match parse_submit(&data) {
        Ok(input) => input,
        Err(Ok(invalid)) => {
            return submit_answer(json!({
                "@odata.type": "microsoft.graph.attributeCollectionSubmit.showValidationError",
                "message": "Please fix the highlighted field to continue.",
                "attributeErrors": { invalid.field: invalid.message },
            }));
        }
        Err(Err(detail)) => return malformed(&detail),
    };
    match decide::sign_up(&settings, &state.pool, &input).await {
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

async fn token_issuance_start(
    state: web::Data<AppState>,
    settings: web::Data<ConnectorSettings>,
    body: web::Bytes,
) -> HttpResponse {
    let data = match event_data(&body, TOKEN_EVENT) {
        Ok(data) => data,
        Err(detail) => return malformed(&detail),
    };
    let Some(oid) =
        text(&data, "/authenticationContext/user/id").and_then(|id| Uuid::try_parse(id).ok())
    else {
        return malformed(
            "data.authenticationContext.user.id must be the user's object id (a UUID)",
        );
    };
    let user = |name: &str| text(&data, &format!("/authenticationContext/user/{name}"));
    let email = user("mail")
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .and_then(|m| decide::email("mail", Some(m)).ok());
    let who = SignedIn {
        oid,
        email,
        firstname: decide::optional_text("givenName", "first name", user("givenName"))
            .ok()
            .flatten(),
        lastname: decide::optional_text("surname", "last name", user("surname"))
            .ok()
            .flatten(),
        country: None,
    };
    match decide::token(&settings, &state.pool, &who).await {
        TokenOutcome::Continue(claims) => token_answer(claims),
        // Token issuance has no block page: the sign-in goes on without authorization claims (logged above
        // with its error id) rather than failing in front of the person.
        TokenOutcome::Block(message) => {
            tracing::warn!(%oid, reason = %message, "token issued without authorization claims");
            token_answer(Map::new())
        }
    }
}
