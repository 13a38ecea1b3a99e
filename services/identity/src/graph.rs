//! The routes backed by Microsoft Graph: `/b2c/userdetails/{useroid}`, `/aad/userdetails/{useroid}` (the user
//! as Graph knows it, in the contract's PascalCase shape) and `POST /aad/getoidbyemail` (the local oid, creating
//! the user from the Entra directory when only Graph knows the address).

use std::fmt;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::RETRY_AFTER;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use chrono::{DateTime, SecondsFormat};
use domain::{Email, FieldError};
use microsoft::MsError;
use microsoft::graph::{GRAPH_SCOPE, GraphClient};
use microsoft::token::{CachedToken, TokenClient};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use service_kit::Problem;
use uuid::Uuid;

use crate::connectors::provisioning;
use crate::error::ApiError;

/// The two app registrations that read Graph, one per tenant.
#[derive(Debug, Clone, Deserialize)]
pub struct GraphSettings {
    /// The Azure AD B2C tenant (`/b2c/userdetails`).
    pub b2c: AppRegistration,
    /// The Entra ID (workforce) tenant (`/aad/userdetails`, `/aad/getoidbyemail`).
    pub aad: AppRegistration,
}

/// One app registration's client credentials. An empty `tenant` means "not configured".
#[derive(Clone, Deserialize)]
pub struct AppRegistration {
    pub tenant: String,
    pub client_id: String,
    pub client_secret: String,
}

impl fmt::Debug for AppRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppRegistration")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

impl GraphSettings {
    /// A registration is all or nothing, so a half-configured one fails at start rather than at first call.
    pub fn check(&self) -> Result<(), String> {
        for (name, app) in [("b2c", &self.b2c), ("aad", &self.aad)] {
            let set = [&app.tenant, &app.client_id, &app.client_secret]
                .iter()
                .filter(|v| !v.trim().is_empty())
                .count();
            if set != 0 && set != 3 {
                return Err(format!(
                    "configuration error: graph.{name}.tenant, client_id and client_secret must be set together (IDENTITY__GRAPH__{}__...)",
                    name.to_uppercase()
                ));
            }
        }
        Ok(())
    }
}

/// The Graph clients the routes use; `None` where the registration is not configured.
pub struct Graphs {
    pub b2c: Option<GraphClient>,
    pub aad: Option<GraphClient>,
}

impl Graphs {
    pub fn new(settings: &crate::settings::Settings) -> anyhow::Result<Self> {
        let tokens = TokenClient::new(&settings.microsoft)?;
        let client = |app: &AppRegistration| -> anyhow::Result<Option<GraphClient>> {
            if app.tenant.trim().is_empty() {
                return Ok(None);
            }
            let token = CachedToken::new(
                tokens.clone(),
                app.tenant.trim(),
                app.client_id.trim(),
                app.client_secret.clone(),
                GRAPH_SCOPE,
            );
            Ok(Some(GraphClient::new(
                &settings.microsoft,
                Arc::new(token),
            )?))
        };
        Ok(Self {
            b2c: client(&settings.graph.b2c)?,
            aad: client(&settings.graph.aad)?,
        })
    }
}

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

/// Errors of the Graph-backed routes, as problem documents.
#[derive(Debug, thiserror::Error)]
pub enum GraphRouteError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("{0}")]
    Microsoft(#[from] MsError),
    #[error("the {0} Graph registration is not configured")]
    NotConfigured(&'static str),
}

impl ResponseError for GraphRouteError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Api(err) => err.status_code(),
            Self::NotConfigured(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Microsoft(MsError::Timeout) => StatusCode::GATEWAY_TIMEOUT,
            Self::Microsoft(MsError::Throttled { .. }) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Microsoft(_) => StatusCode::BAD_GATEWAY,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let detail = match self {
            Self::Api(err) => return err.error_response(),
            Self::NotConfigured(tenant) => format!(
                "Microsoft Graph is not configured for the {tenant} tenant (graph.{tenant} settings)."
            ),
            Self::Microsoft(MsError::Timeout) => {
                "Microsoft Graph did not answer in time; retry shortly.".to_owned()
            }
            Self::Microsoft(MsError::Throttled { .. }) => {
                "Microsoft Graph is throttling requests; retry shortly.".to_owned()
            }
            Self::Microsoft(MsError::InvalidClient { .. } | MsError::TenantNotFound) => {
                "The service's Microsoft Graph credentials were refused; an operator must check them.".to_owned()
            }
            Self::Microsoft(_) => "Microsoft Graph failed to answer; retry shortly.".to_owned(),
        };
        if let Self::Microsoft(err) = self {
            tracing::warn!(error = %err, "Microsoft Graph call failed");
        }
        let mut response = Problem::new(self.status_code(), detail).error_response();
        if let Self::Microsoft(MsError::Throttled {
            retry_after: Some(wait),
        }) = self
            && let Ok(value) =
                actix_web::http::header::HeaderValue::from_str(&wait.as_secs().max(1).to_string())
        {
            response.headers_mut().insert(RETRY_AFTER, value);
        }
        response
    }
}

pub fn configure_b2c(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/userdetails/{useroid}").route(web::get().to(b2c_user_details)));
}

pub fn configure_aad(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/userdetails/{useroid}").route(web::get().to(aad_user_details)))
        .service(web::resource("/getoidbyemail").route(web::post().to(get_oid_by_email)));
}

async fn b2c_user_details(
    graphs: web::Data<Graphs>,
    path: web::Path<String>,
) -> Result<HttpResponse, GraphRouteError> {
    user_details(graphs.b2c.as_ref(), "b2c", &path).await
}

async fn aad_user_details(
    graphs: web::Data<Graphs>,
    path: web::Path<String>,
) -> Result<HttpResponse, GraphRouteError> {
    user_details(graphs.aad.as_ref(), "aad", &path).await
}

async fn user_details(
    graph: Option<&GraphClient>,
    tenant: &'static str,
    raw_oid: &str,
) -> Result<HttpResponse, GraphRouteError> {
    let oid = crate::routes::params::uuid("useroid", raw_oid)?;
    let graph = graph.ok_or(GraphRouteError::NotConfigured(tenant))?;
    match graph.get_user(&oid.to_string(), USER_SELECT).await? {
        Some(user) => Ok(HttpResponse::Ok().json(user_details_body(&user))),
        None => Err(ApiError::not_found("user", oid).into()),
    }
}

/// A Graph user (camelCase JSON) in the contract's shape: the Graph SDK's PascalCase serialisation, with the
/// contract's own spellings (`Identitites`, `SignIntype`), every key present (null when Graph has no value)
/// and timestamps as `+00:00` offsets.
pub fn user_details_body(user: &Value) -> Value {
    let field = |name: &str| user.get(name).cloned().unwrap_or(Value::Null);
    let time = |name: &str| match user.get(name).and_then(Value::as_str) {
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, false)))
            .unwrap_or_else(|_| Value::String(text.to_owned())),
        None => Value::Null,
    };
    let backing = |completed: bool| json!({"InitializationCompleted": completed, "ReturnOnlyChangedValues": false});
    let identities = match user.get("identities") {
        Some(Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|item| {
                    json!({
                        "AdditionalData": {},
                        "BackingStore": backing(false),
                        "Issuer": item.get("issuer").cloned().unwrap_or(Value::Null),
                        "IssuerAssignedId": item.get("issuerAssignedId").cloned().unwrap_or(Value::Null),
                        "OdataType": Value::Null,
                        "SignIntype": item.get("signInType").cloned().unwrap_or(Value::Null),
                    })
                })
                .collect(),
        ),
        _ => Value::Null,
    };
    let sign_in = match user.get("signInActivity") {
        Some(Value::Object(activity)) => {
            let get = |name: &str| activity.get(name).cloned().unwrap_or(Value::Null);
            json!({
                "AdditionalData": {},
                "BackingStore": backing(true),
                "LastNonInteractiveSignInDateTime": get("lastNonInteractiveSignInDateTime"),
                "LastNonInteractiveSignInRequestId": get("lastNonInteractiveSignInRequestId"),
                "LastSignInDateTime": get("lastSignInDateTime"),
                "LastSignInRequestId": get("lastSignInRequestId"),
                "OdataType": Value::Null,
            })
        }
        _ => Value::Null,
    };
    let mut body = Map::new();
    for (key, value) in [
        ("AccountEnabled", field("accountEnabled")),
        ("BusinessPhones", field("businessPhones")),
        ("City", field("city")),
        ("CompanyName", field("companyName")),
        ("Country", field("country")),
        ("CreatedDateTime", time("createdDateTime")),
        ("Department", field("department")),
        ("DisplayName", field("displayName")),
        ("GivenName", field("givenName")),
        ("Identitites", identities),
        ("JobTitle", field("jobTitle")),
        (
            "LastPasswordChangeDateTime",
            time("lastPasswordChangeDateTime"),
        ),
        ("Mail", field("mail")),
        ("MobilePhone", field("mobilePhone")),
        ("OfficeLocation", field("officeLocation")),
        ("PostalCode", field("postalCode")),
        ("SignInActivity", sign_in),
        (
            "SignInSessionsValidFromDateTime",
            time("signInSessionsValidFromDateTime"),
        ),
        ("State", field("state")),
        ("StreetAddress", field("streetAddress")),
        ("Surname", field("surname")),
        ("UsageLocation", field("usageLocation")),
        ("UserPrincipalName", field("userPrincipalName")),
        ("UserType", field("userType")),
        ("Id", field("id")),
        ("OdataType", json!("#microsoft.graph.user")),
    ] {
        body.insert(key.to_owned(), value);
    }
    Value::Object(body)
}

/// `POST /aad/getoidbyemail?email=`: 200 with the local oid; else 201 after creating the user Graph knows;
/// else 404. The email is read from the query (first occurrence), as the contract says.
async fn get_oid_by_email(
    req: HttpRequest,
    state: web::Data<crate::AppState>,
    graphs: web::Data<Graphs>,
) -> Result<HttpResponse, GraphRouteError> {
    let raw = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(name, _)| name == "email")
        .map(|(_, value)| value.into_owned())
        .ok_or_else(|| ApiError::from(FieldError::new("email", "is required")))?;
    let email = Email::parse("email", &raw).map_err(ApiError::from)?;
    if let Some(oid) = provisioning::oid_by_email(&state.pool, &email).await? {
        return Ok(text_oid(HttpResponse::Ok(), oid));
    }
    let graph = graphs
        .aad
        .as_ref()
        .ok_or(GraphRouteError::NotConfigured("aad"))?;
    let Some(found) = graph
        .find_user_by_email(
            email.as_str(),
            &[
                "id",
                "mail",
                "userPrincipalName",
                "givenName",
                "surname",
                "country",
            ],
        )
        .await?
    else {
        return Err(ApiError::NotFound(format!(
            "no user with email {email} in the database or in the directory"
        ))
        .into());
    };
    let oid = found
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| Uuid::try_parse(id).ok())
        .ok_or_else(|| MsError::Malformed("Graph user without a UUID id".into()))?;
    let text = |name: &str| {
        found
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.chars().count() <= crate::input::MAX_TEXT)
            .map(str::to_owned)
    };
    let input = crate::input::UserInput {
        email,
        firstname: text("givenName"),
        lastname: text("surname"),
        country: text("country"),
    };
    match provisioning::create_if_absent(&state.pool, oid, input).await? {
        (oid, true) => Ok(text_oid(
            HttpResponse::Created()
                .insert_header(("Location", format!("{}/users/{oid}", crate::routes::BASE)))
                .take(),
            oid,
        )),
        (oid, false) => Ok(text_oid(HttpResponse::Ok(), oid)),
    }
}

fn text_oid(mut builder: actix_web::HttpResponseBuilder, oid: Uuid) -> HttpResponse {
    builder
        .content_type("text/plain; charset=utf-8")
        .body(oid.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_json_becomes_the_contract_shape() {
        let graph = json!({
            "id": "8ecb4bd7-47b4-424c-af07-c85aa0e42d8a",
            "createdDateTime": "2023-07-17T14:20:26Z",
            "identities": [{"signInType": "federated", "issuer": "ExternalAzureAD", "issuerAssignedId": null}],
            "displayName": "Test User"
        });
        let body = user_details_body(&graph);
        assert_eq!(body["CreatedDateTime"], "2023-07-17T14:20:26+00:00");
        assert_eq!(body["Identitites"][0]["SignIntype"], "federated");
        assert_eq!(
            body["Identitites"][0]["BackingStore"]["InitializationCompleted"],
            false
        );
        assert_eq!(body["SignInActivity"], Value::Null);
        assert_eq!(body["OdataType"], "#microsoft.graph.user");
        assert_eq!(body["Mail"], Value::Null);
        assert_eq!(body.as_object().unwrap().len(), 26);
    }
}
