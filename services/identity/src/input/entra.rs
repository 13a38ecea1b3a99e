//! Entra External ID custom authentication extension requests: `OnAttributeCollectionSubmit` and
//! `OnTokenIssuanceStart` events. A request that is not the event's payload is the caller's error; an attribute
//! the person entered that cannot be used is theirs to correct.

use serde_json::Value;
use uuid::Uuid;

use super::b2c::object;
use super::connector::{self, Invalid, SignUp, SignedIn};

pub const SUBMIT_EVENT: &str = "microsoft.graph.authenticationEvent.attributeCollectionSubmit";
pub const TOKEN_EVENT: &str = "microsoft.graph.authenticationEvent.tokenIssuanceStart";

/// Why a request was not read.
#[derive(Debug, Clone, PartialEq)]
pub enum Unread {
    /// An attribute the person must correct.
    Person(Invalid),
    /// Not the event's payload: the detail for the caller.
    Malformed(String),
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
    if !matches!(body.get("source"), None | Some(Value::String(_))) {
        return Err("source must be a string".to_owned());
    }
    match body.get("data") {
        Some(data @ Value::Object(_)) => Ok(data.clone()),
        _ => Err("data must be an object".to_owned()),
    }
}

/// Reads an attribute-collection submit.
pub fn parse_submit(body: &[u8]) -> Result<SignUp, Unread> {
    let data = event_data(body, SUBMIT_EVENT).map_err(Unread::Malformed)?;
    let client_id = text(&data, "/authenticationContext/clientServicePrincipal/appId")
        .ok_or_else(|| {
            Unread::Malformed(
                "data.authenticationContext.clientServicePrincipal.appId is required".to_owned(),
            )
        })?
        .to_owned();
    let attribute = |name: &str| text(&data, &format!("/userSignUpInfo/attributes/{name}/value"));
    // Email sign-up carries the address as the email identity rather than as an attribute.
    let identity_email = data
        .pointer("/userSignUpInfo/identities")
        .and_then(Value::as_array)
        .and_then(|ids| {
            ids.iter()
                .find(|id| id.get("signInType").and_then(Value::as_str) == Some("email"))
        })
        .and_then(|id| id.get("issuerAssignedId").and_then(Value::as_str));
    let person = Unread::Person;
    let email = connector::email("email", attribute("email").or(identity_email)).map_err(person)?;
    Ok(SignUp {
        client_id,
        email,
        display_name: connector::optional_text(
            "displayName",
            "display name",
            attribute("displayName"),
        )
        .map_err(person)?,
        given_name: connector::optional_text("givenName", "first name", attribute("givenName"))
            .map_err(person)?,
        surname: connector::optional_text("surname", "last name", attribute("surname"))
            .map_err(person)?,
    })
}

/// Reads a token-issuance start: the user's object id is required; other claims that cannot be used are left
/// out rather than failing the sign-in. The error is the detail for the caller.
pub fn parse_token_start(body: &[u8]) -> Result<SignedIn, String> {
    let data = event_data(body, TOKEN_EVENT)?;
    let Some(oid) =
        text(&data, "/authenticationContext/user/id").and_then(|id| Uuid::try_parse(id).ok())
    else {
        return Err(
            "data.authenticationContext.user.id must be the user's object id (a UUID)".to_owned(),
        );
    };
    let user = |name: &str| text(&data, &format!("/authenticationContext/user/{name}"));
    let email = user("mail")
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .and_then(|m| connector::email("mail", Some(m)).ok());
    Ok(SignedIn {
        oid,
        email,
        firstname: connector::optional_text("givenName", "first name", user("givenName"))
            .ok()
            .flatten(),
        lastname: connector::optional_text("surname", "last name", user("surname"))
            .ok()
            .flatten(),
        country: None,
    })
}
