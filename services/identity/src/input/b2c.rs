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

/// A string claim: absent is `None`; another JSON type, `null` included (B2C leaves a claim without a value out,
/// and the contract types every claim `string`), is invalid.
pub fn claim<'a>(body: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, Invalid> {
    match body.get(name) {
        None => Ok(None),
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
    // The contract's `format: uuid`: B2C sends the application (client) id, a GUID.
    let id = id.trim();
    if Uuid::try_parse(id).is_err() {
        return Err(Invalid::new(
            "client_id",
            "The sign-in request carried an unreadable client_id. Please try again.",
        ));
    }
    Ok(id.to_owned())
}

/// `identities`: an array of `B2CIdentitiy` objects, each with its three string fields.
fn identities(body: &Map<String, Value>) -> Result<(), Invalid> {
    let unreadable = || {
        Invalid::new(
            "identities",
            "The sign-in request carried unreadable identities. Please try again.",
        )
    };
    let Some(value) = body.get("identities") else {
        return Err(Invalid::new(
            "identities",
            "The sign-in request was incomplete (identities is missing). Please try again.",
        ));
    };
    let Value::Array(items) = value else {
        return Err(unreadable());
    };
    for item in items {
        let Value::Object(identity) = item else {
            return Err(unreadable());
        };
        for field in ["signInType", "issuer", "issuerAssignedId"] {
            if !matches!(identity.get(field), Some(Value::String(_))) {
                return Err(unreadable());
            }
        }
    }
    Ok(())
}

/// The string claims the operation reads only to pass on (or not at all) must still be strings, as the contract
/// types them: a claim of another type is a request B2C could not have sent.
fn strings(body: &Map<String, Value>, names: &[&str]) -> Result<(), Invalid> {
    for name in names {
        claim(body, name)?;
    }
    Ok(())
}

/// Reads a sign-up request (`PostAttributeCollection`).
pub fn parse_sign_up(body: &[u8]) -> Result<SignUp, Invalid> {
    let body = object(body)?;
    let email = connector::email("email", claim(&body, "email")?)?;
    step(&body, &[REGISTER_STEP])?;
    let client_id = client_id(&body)?;
    identities(&body)?;
    strings(&body, &["country", "ui_locales"])?;
    // Sign-up does not keep the country, but it is a text a person typed: the same rules as the names.
    connector::optional_text("country", "country", claim(&body, "country")?)?;
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
    strings(&body, &["ui_locales"])?;
    // The contract's B2CTokenRequest (`client_id`, the API connector's PreTokenIssuance) requires `email` and
    // `identities`; the custom policy's PreTokenApplicationClaims shape (`clientId`) sends what the policy lists.
    let contract_shape = body.contains_key("client_id");
    if contract_shape {
        identities(&body)?;
    }
    let email = match claim(&body, "email")?
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(raw) => Some(connector::email("email", Some(raw))?),
        None if contract_shape => {
            return Err(Invalid::new(
                "email",
                "The sign-in request was incomplete (email is missing). Please try again.",
            ));
        }
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
