//! What comes in, validated once against the contract, so every use case holds valid input: the request bodies,
//! the `{tenant}` path segment and the consent callback's query.
//!
//! Bodies are read as a JSON object and each field is taken by name, so an error names the field and never
//! echoes the value it received (a misplaced secret must not come back in an error body).

use crate::db::models::{ConnectionType, CredentialKind, CredentialSource, Provider};
use actix_web::HttpRequest;
use domain::FieldError;
use domain::field::bounded_text;
use persistence::TextEnum;
use serde_json::{Map, Value};
use uuid::Uuid;

/// Longest display name accepted (the contract sets none).
pub const MAX_DISPLAY_NAME: usize = 256;
/// Longest client secret accepted (Entra secrets are about 40 characters).
pub const MAX_SECRET: usize = 1024;

/// Longest `{tenant}` path segment accepted.
pub const MAX_TENANT: usize = 128;

/// The `{tenant}` path segment: printable and bounded (it is stored in rows and audit records).
pub fn tenant(raw: &str) -> Result<String, FieldError> {
    bounded_text("tenant", raw, MAX_TENANT)?;
    Ok(raw.to_owned())
}

/// `POST /tenants/{tenant}/provider-connections`.
#[derive(Debug, Clone)]
pub struct CreateInput {
    pub provider: Provider,
    pub entra_tenant_id: String,
    pub display_name: String,
    pub is_default: bool,
    pub connection_type: ConnectionType,
    pub dedicated_credential: Option<CredentialInput>,
}

/// The contract's `DedicatedCredentialRequest`. The secret is write-only: `Debug` never shows it.
#[derive(Clone)]
pub struct CredentialInput {
    pub source: CredentialSource,
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for CredentialInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialInput")
            .field("source", &self.source)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

fn object(body: &[u8]) -> Result<Map<String, Value>, FieldError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(FieldError::new("body", "must be a JSON object")),
        Err(_) => Err(FieldError::new("body", "is not valid JSON")),
    }
}

fn field_name(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn string(
    map: &Map<String, Value>,
    prefix: &str,
    name: &str,
) -> Result<Option<String>, FieldError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(FieldError::new(
            field_name(prefix, name),
            "must be a string",
        )),
    }
}

fn required(map: &Map<String, Value>, prefix: &str, name: &str) -> Result<String, FieldError> {
    string(map, prefix, name)?
        .ok_or_else(|| FieldError::new(field_name(prefix, name), "is required"))
}

/// The value of one of `T`'s texts, if the field is present.
fn one_of<T: TextEnum>(
    map: &Map<String, Value>,
    prefix: &str,
    name: &str,
) -> Result<Option<T>, FieldError> {
    let Some(value) = string(map, prefix, name)? else {
        return Ok(None);
    };
    T::from_name(&value).map(Some).ok_or_else(|| {
        FieldError::new(
            field_name(prefix, name),
            format!("must be one of {}", T::NAMES.join(", ")),
        )
    })
}

/// A Microsoft Entra tenant: its GUID or one of its domain names (`contoso.onmicrosoft.com`).
pub fn entra_tenant(field: &str, raw: &str) -> Result<String, FieldError> {
    if Uuid::try_parse(raw).is_ok() && raw.len() == 36 {
        return Ok(raw.to_ascii_lowercase());
    }
    let labels: Vec<&str> = raw.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    let tld_ok = labels
        .last()
        .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
    if raw.len() <= 253 && labels.len() >= 2 && labels.iter().all(label_ok) && tld_ok {
        return Ok(raw.to_ascii_lowercase());
    }
    Err(FieldError::new(
        field,
        "must be a tenant id (GUID) or a domain name such as contoso.onmicrosoft.com",
    ))
}

impl CreateInput {
    pub fn parse(body: &[u8]) -> Result<Self, FieldError> {
        let map = object(body)?;
        let provider = one_of::<Provider>(&map, "", "provider")?
            .ok_or_else(|| FieldError::new("provider", "is required"))?;
        let entra_tenant_id =
            entra_tenant("entra_tenant_id", &required(&map, "", "entra_tenant_id")?)?;
        let display_name = required(&map, "", "display_name")?;
        bounded_text("display_name", &display_name, MAX_DISPLAY_NAME)?;
        let is_default = match map.get("is_default") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(FieldError::new("is_default", "must be a boolean")),
        };
        let connection_type =
            one_of(&map, "", "connection_type")?.unwrap_or(ConnectionType::Platform);
        let dedicated_credential = match map.get("dedicated_credential") {
            None | Some(Value::Null) => None,
            Some(Value::Object(inner)) => {
                Some(CredentialInput::from_map(inner, "dedicated_credential")?)
            }
            Some(_) => {
                return Err(FieldError::new(
                    "dedicated_credential",
                    "must be an object or null",
                ));
            }
        };
        match (connection_type, &dedicated_credential) {
            (ConnectionType::Platform, Some(_)) => Err(FieldError::new(
                "dedicated_credential",
                "is only accepted with connection_type dedicated",
            )),
            (ConnectionType::Dedicated, None) => Err(FieldError::new(
                "dedicated_credential",
                "is required with connection_type dedicated",
            )),
            _ => Ok(Self {
                provider,
                entra_tenant_id,
                display_name,
                is_default,
                connection_type,
                dedicated_credential,
            }),
        }
    }
}

impl CredentialInput {
    pub fn parse(body: &[u8]) -> Result<Self, FieldError> {
        Self::from_map(&object(body)?, "")
    }

    fn from_map(map: &Map<String, Value>, prefix: &str) -> Result<Self, FieldError> {
        one_of::<CredentialKind>(map, prefix, "credential_kind")?
            .ok_or_else(|| FieldError::new(field_name(prefix, "credential_kind"), "is required"))?;
        let source = one_of(map, prefix, "source")?.unwrap_or(CredentialSource::DedicatedManual);
        let client_id = required(map, prefix, "client_id")?;
        if Uuid::try_parse(&client_id).is_err() || client_id.len() != 36 {
            return Err(FieldError::new(
                field_name(prefix, "client_id"),
                "must be the application (client) id, a GUID",
            ));
        }
        let client_secret = required(map, prefix, "client_secret")?;
        let secret_field = field_name(prefix, "client_secret");
        if client_secret.trim().is_empty() {
            return Err(FieldError::new(secret_field, "must not be blank"));
        }
        if client_secret.chars().count() > MAX_SECRET || client_secret.chars().any(char::is_control)
        {
            return Err(FieldError::new(
                secret_field,
                format!("must be at most {MAX_SECRET} printable characters"),
            ));
        }
        Ok(Self {
            source,
            client_id: client_id.to_ascii_lowercase(),
            client_secret,
        })
    }
}

/// `PUT /provider-connections/{connection}/connection-type`.
pub fn connection_type_body(body: &[u8]) -> Result<ConnectionType, FieldError> {
    one_of(&object(body)?, "", "connection_type")?
        .ok_or_else(|| FieldError::new("connection_type", "is required"))
}

/// The consent callback's query: Microsoft's v1 shape (`admin_consent`, `tenant`, `state`) and v2 shape (the same
/// plus `scope`), or an error (`error`, `error_description`, `state`).
#[derive(Debug, Default)]
pub struct CallbackQuery {
    pub state: Option<String>,
    pub tenant: Option<String>,
    pub admin_consent: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

impl CallbackQuery {
    /// First occurrence of each parameter wins; unknown ones (`scope`, `session_state`) are ignored.
    pub fn read(req: &HttpRequest) -> Self {
        let [state, tenant, admin_consent, error, error_description] =
            service_kit::request::query_first(
                req,
                [
                    "state",
                    "tenant",
                    "admin_consent",
                    "error",
                    "error_description",
                ],
            );
        Self {
            state,
            tenant,
            admin_consent,
            error,
            error_description,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "11111111-2222-3333-4444-555555555555";

    #[test]
    fn create_defaults_to_a_default_platform_connection() {
        let input = CreateInput::parse(
            br#"{"provider":"microsoft","entra_tenant_id":"Contoso.onmicrosoft.com","display_name":"Contoso"}"#,
        )
        .unwrap();
        assert!(input.is_default);
        assert_eq!(input.connection_type, ConnectionType::Platform);
        assert_eq!(input.entra_tenant_id, "contoso.onmicrosoft.com");
        assert!(input.dedicated_credential.is_none());
    }

    #[test]
    fn create_rejections_name_the_field() {
        let cases: &[(&str, &str)] = &[
            (
                r#"{"entra_tenant_id":"a.com","display_name":"x"}"#,
                "provider",
            ),
            (
                r#"{"provider":"google","entra_tenant_id":"a.com","display_name":"x"}"#,
                "provider",
            ),
            (
                r#"{"provider":"microsoft","display_name":"x"}"#,
                "entra_tenant_id",
            ),
            (
                r#"{"provider":"microsoft","entra_tenant_id":"not a tenant","display_name":"x"}"#,
                "entra_tenant_id",
            ),
            (
                r#"{"provider":"microsoft","entra_tenant_id":"a.com"}"#,
                "display_name",
            ),
            (
                r#"{"provider":"microsoft","entra_tenant_id":"a.com","display_name":" "}"#,
                "display_name",
            ),
            (
                r#"{"provider":"microsoft","entra_tenant_id":"a.com","display_name":"x","is_default":"yes"}"#,
                "is_default",
            ),
            (
                r#"{"provider":"microsoft","entra_tenant_id":"a.com","display_name":"x","connection_type":"shared"}"#,
                "connection_type",
            ),
            (
                r#"{"provider":"microsoft","entra_tenant_id":"a.com","display_name":"x","connection_type":"dedicated"}"#,
                "dedicated_credential",
            ),
            (r#"[1]"#, "body"),
            (r#"{"#, "body"),
        ];
        for (body, field) in cases {
            let err = CreateInput::parse(body.as_bytes()).unwrap_err();
            assert_eq!(err.field, *field, "{body}");
        }
    }

    #[test]
    fn a_credential_on_a_platform_request_is_refused_without_echoing_the_secret() {
        let body = format!(
            r#"{{"provider":"microsoft","entra_tenant_id":"a.com","display_name":"x","dedicated_credential":{{"credential_kind":"client_secret","client_id":"{APP}","client_secret":"s3cr3t-value"}}}}"#
        );
        let err = CreateInput::parse(body.as_bytes()).unwrap_err();
        assert_eq!(err.field, "dedicated_credential");
        assert!(!err.to_string().contains("s3cr3t-value"));
    }

    #[test]
    fn credential_validation() {
        let ok = CredentialInput::parse(
            format!(r#"{{"credential_kind":"client_secret","client_id":"{APP}","client_secret":"abc","source":"legacy_migrated"}}"#).as_bytes(),
        )
        .unwrap();
        assert_eq!(ok.source.as_str(), "legacy_migrated");
        assert!(!format!("{ok:?}").contains("abc\""));
        let err = CredentialInput::parse(
            br#"{"credential_kind":"certificate","client_id":"x","client_secret":"y"}"#,
        )
        .unwrap_err();
        assert_eq!(err.field, "credential_kind");
        let err = CredentialInput::parse(
            format!(
                r#"{{"credential_kind":"client_secret","client_id":"{APP}","client_secret":12345}}"#
            )
            .as_bytes(),
        )
        .unwrap_err();
        assert_eq!(err.field, "client_secret");
        assert!(!err.to_string().contains("12345"));
        let err = CredentialInput::parse(
            br#"{"credential_kind":"client_secret","client_id":"app","client_secret":"y"}"#,
        )
        .unwrap_err();
        assert_eq!(err.field, "client_id");
    }

    #[test]
    fn tenant_ids_and_domains() {
        assert!(entra_tenant("t", "72F988BF-86F1-41AF-91AB-2D7CD011DB47").is_ok());
        assert!(entra_tenant("t", "contoso.com").is_ok());
        for bad in [
            "",
            "contoso",
            "-a.com",
            "a..com",
            "a.c0m",
            "a b.com",
            "{72f988bf-86f1-41af-91ab-2d7cd011db47}",
        ] {
            assert!(entra_tenant("t", bad).is_err(), "{bad}");
        }
    }
}
