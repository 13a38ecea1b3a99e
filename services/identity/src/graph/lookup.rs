//! The Graph-backed look-ups: a user's details, and the oid of an email address (local first, then the Entra
//! directory, provisioning the user it finds).

use domain::Email;
use microsoft::MsError;
use persistence::Pool;
use serde_json::Value;
use uuid::Uuid;

use super::Graphs;
use crate::connectors::provisioning;
use crate::context::Ctx;
use crate::error::ApiError;
use crate::input::{MAX_TEXT, UserInput};
use crate::settings::Tenant;

/// Graph user properties the contract's user-details example shows, as Graph names them.
const USER_SELECT: &[&str] = &[
    "id",
    "accountEnabled",
    "businessPhones",
    "city",
    "companyName",
    "country",
    "createdDateTime",
    "department",
    "displayName",
    "givenName",
    "identities",
    "jobTitle",
    "lastPasswordChangeDateTime",
    "mail",
    "mobilePhone",
    "officeLocation",
    "postalCode",
    "signInSessionsValidFromDateTime",
    "state",
    "streetAddress",
    "surname",
    "usageLocation",
    "userPrincipalName",
    "userType",
];

/// What the email look-up needs of a Graph user to provision it.
const PROVISION_SELECT: &[&str] = &[
    "id",
    "mail",
    "userPrincipalName",
    "givenName",
    "surname",
    "country",
];

/// The user `oid` as Graph knows it in `tenant` (Graph's camelCase JSON); 404 when Graph does not know it.
pub async fn user_details(graphs: &Graphs, tenant: Tenant, oid: Uuid) -> Result<Value, ApiError> {
    let graph = graphs.client(tenant)?;
    graph
        .get_user(&oid.to_string(), USER_SELECT)
        .await?
        .ok_or_else(|| ApiError::not_found("user", oid))
}

/// Where the oid of an email address came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OidByEmail {
    /// A user already registered here.
    Registered(Uuid),
    /// Created just now from the Entra directory.
    Created(Uuid),
}

/// The oid of the user with `email`: registered here, else created from the Entra directory's user with that
/// address (a concurrent call may create it first: then theirs); 404 when neither knows the address.
pub async fn oid_by_email(
    pool: &Pool,
    graphs: &Graphs,
    ctx: &Ctx,
    email: Email,
) -> Result<OidByEmail, ApiError> {
    if let Some(oid) = provisioning::oid_by_email(pool, &email).await? {
        return Ok(OidByEmail::Registered(oid));
    }
    let graph = graphs.client(Tenant::Aad)?;
    let Some(found) = graph
        .find_user_by_email(email.as_str(), PROVISION_SELECT)
        .await?
    else {
        return Err(ApiError::NotFound(format!(
            "no user with email {email} in the database or in the directory"
        )));
    };
    let oid = found
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| Uuid::try_parse(id).ok())
        .ok_or_else(|| MsError::Malformed("Graph user without a UUID id".into()))?;
    Ok(
        match provisioning::create_if_absent(pool, ctx, oid, user_input(email, &found)).await? {
            (oid, true) => OidByEmail::Created(oid),
            (oid, false) => OidByEmail::Registered(oid),
        },
    )
}

/// A Graph user as our user: its names and country where Graph has usable ones.
fn user_input(email: Email, found: &Value) -> UserInput {
    let text = |name: &str| {
        found
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.chars().count() <= MAX_TEXT)
            .map(str::to_owned)
    };
    UserInput {
        email,
        firstname: text("givenName"),
        lastname: text("surname"),
        country: text("country"),
    }
}
