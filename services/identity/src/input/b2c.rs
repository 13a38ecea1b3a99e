//! Azure AD B2C API connector requests: `POST /b2c/register` (step `PostAttributeCollection`) and
//! `POST /b2c/token` (step `PreTokenIssuance` with `client_id`, or `PreTokenApplicationClaims` with `clientId`).
//! B2C leaves claims without a value out of its requests, so every optional field may be absent; what cannot be
//! read becomes an [`Invalid`] the person is shown.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::connector::{self, Invalid, SignUp, SignedIn};

pub const REGISTER_STEP: &str = "PostAttributeCollection";
pub const TOKEN_STEPS: [&str; 2] = ["PreTokenIssuance", "PreTokenApplicationClaims"];

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
    let email = connector::email("email", claim(&body, "email")?)?;
    step(&body, &[REGISTER_STEP])?;
    let client_id = client_id(&body)?;
    identities(&body)?;
    Ok(SignUp {
        client_id,
        email,
        display_name: connector::optional_text(
            "displayName",
            "display name",
            claim(&body, "displayName")?,
        )?,
        given_name: connector::optional_text(
            "givenName",
            "first name",
            claim(&body, "givenName")?,
        )?,
        surname: connector::optional_text("surname", "last name", claim(&body, "surname")?)?,
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
        Some(raw) => Some(connector::email("email", Some(raw))?),
        None => None,
    };
    Ok(SignedIn {
        oid,
        email,
        firstname: connector::optional_text("givenName", "first name", claim(&body, "givenName")?)?,
        lastname: connector::optional_text("surname", "last name", claim(&body, "surname")?)?,
        country: connector::optional_text("country", "country", claim(&body, "country")?)?,
    })
}
