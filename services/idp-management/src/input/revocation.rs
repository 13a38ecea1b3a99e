//! The revocation extension's body: `{"jti": "...", "expiresAt": "<RFC 3339>"}`, `expiresAt` optional (when the
//! token expires anyway, for housekeeping). Every violation is reported at once, as for provider bodies.

use super::contract::MAX_JTI;
use crate::error::{ApiError, Detail};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// A token id to put on the revocation list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub jti: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Validates a revocation body (already known to be a JSON object).
pub fn revocation(value: &Value) -> Result<Revocation, ApiError> {
    let mut details = Vec::new();
    let empty = serde_json::Map::new();
    let map = value.as_object().unwrap_or(&empty);
    for name in map.keys().filter(|k| *k != "jti" && *k != "expiresAt") {
        details.push(Detail::new(name.clone(), None, "is not a known field"));
    }
    let jti = match map.get("jti") {
        Some(Value::String(s))
            if (1..=MAX_JTI).contains(&s.chars().count()) && !s.contains('\0') =>
        {
            Some(s.clone())
        }
        Some(other) => {
            details.push(Detail::new(
                "jti",
                None,
                format!(
                    "must be a string of 1 to {MAX_JTI} characters without U+0000, got {other}"
                ),
            ));
            None
        }
        None => {
            details.push(Detail::new("jti", None, "is required"));
            None
        }
    };
    let expires_at = match map.get("expiresAt") {
        None => None,
        Some(Value::String(s)) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                details.push(Detail::new(
                    "expiresAt",
                    Some(s.clone()),
                    "must be an RFC 3339 date-time",
                ));
                None
            }
        },
        Some(_) => {
            details.push(Detail::new("expiresAt", None, "must be a string"));
            None
        }
    };
    match jti {
        Some(jti) if details.is_empty() => Ok(Revocation { jti, expires_at }),
        _ => Err(ApiError::Malformed(details)),
    }
}
