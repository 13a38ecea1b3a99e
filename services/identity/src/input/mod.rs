//! What comes in, validated once, so every use case past this point holds valid input: the directory's request
//! bodies here, the connectors' protocol requests in [`b2c`] and [`entra`] (sharing [`connector`]).
//!
//! Wire structs take every field as optional so a missing required field is reported by name (serde's own
//! message would need text matching); `serde_path_to_error` names the field of a wrong type.

pub mod b2c;
pub mod connector;
pub mod entra;

use domain::field::{bounded_text, optional_text};
use domain::{Email, FieldError};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// Longest name, local id or person-name field accepted (the contract sets none; see `specs/identity.yaml`).
pub const MAX_TEXT: usize = 256;

/// Decodes a JSON body, naming the field at fault on a type error.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, FieldError> {
    // serde would also read a struct from a JSON array (`["name", 2]`); the contract's bodies are objects.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(FieldError::new("body", "must be a JSON object"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            FieldError::new("body", format!("is not valid JSON: {inner}"))
        } else if path == "." {
            FieldError::new("body", format!("must be a JSON object: {inner}"))
        } else {
            FieldError::new(path, strip_position(&inner))
        }
    })?;
    deserializer
        .end()
        .map_err(|err| FieldError::new("body", format!("is not valid JSON: {err}")))?;
    Ok(value)
}

/// serde_json appends "at line L column C", which means little to a caller naming fields.
fn strip_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rsplit_once(" at line ") {
        Some((message, _)) => message.to_owned(),
        None => text,
    }
}

/// A field that may be absent but not `null`: the contract types every field of these bodies without `null`
/// (`nullable` nowhere), so an explicit `null` is a wrong type, named like any other (`#[serde(default,
/// deserialize_with = "present")]`). Not applied to a group's `localid`: the one known client
/// (CFSBPermissionsApp) sends `"localid": null`, so null stays "none" there (and only there).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

fn required<T>(field: &str, value: Option<T>) -> Result<T, FieldError> {
    value.ok_or_else(|| FieldError::new(field, "is required"))
}

/// Checks that an id given in a PUT body names the resource of the URI.
fn id_matches<T: PartialEq + std::fmt::Display>(
    field: &str,
    body: Option<T>,
    uri: &T,
) -> Result<(), FieldError> {
    match body {
        Some(id) if &id != uri => Err(FieldError::new(
            field,
            format!("{id} does not match the resource in the URI ({uri})"),
        )),
        _ => Ok(()),
    }
}

/// A group as a caller may write it: `name`, `typeid`, `localid`. Ids and timestamps are the server's.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupInput {
    pub name: String,
    pub typeid: i32,
    pub localid: Option<String>,
}

#[derive(Deserialize)]
struct GroupWire {
    #[serde(default, deserialize_with = "present")]
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    typeid: Option<i32>,
    localid: Option<String>,
}

#[derive(Deserialize)]
struct GroupPutWire {
    #[serde(default, deserialize_with = "present")]
    id: Option<Uuid>,
    #[serde(flatten)]
    fields: GroupWire,
}

impl GroupInput {
    /// A POST body: any `id`, `created` or `updated` given is ignored, even malformed.
    pub fn for_create(body: &[u8]) -> Result<Self, FieldError> {
        Self::validate(decode(body)?)
    }

    /// A PUT body: an `id`, if given, must be the URI's.
    pub fn for_update(body: &[u8], uri_id: &Uuid) -> Result<Self, FieldError> {
        let wire: GroupPutWire = decode(body)?;
        id_matches("id", wire.id, uri_id)?;
        Self::validate(wire.fields)
    }

    fn validate(wire: GroupWire) -> Result<Self, FieldError> {
        let name = required("name", wire.name)?;
        bounded_text("name", &name, MAX_TEXT)?;
        let typeid = required("typeid", wire.typeid)?;
        if let Some(localid) = &wire.localid {
            optional_text("localid", localid, MAX_TEXT)?;
        }
        Ok(Self {
            name,
            typeid,
            localid: wire.localid,
        })
    }
}

/// A permission or group type as a caller may write it: just its `name`.
#[derive(Debug, Clone, PartialEq)]
pub struct NameInput {
    pub name: String,
}

#[derive(Deserialize)]
struct NameWire {
    #[serde(default, deserialize_with = "present")]
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "Id: DeserializeOwned"))]
struct NamePutWire<Id> {
    #[serde(default, deserialize_with = "present")]
    id: Option<Id>,
    #[serde(default, deserialize_with = "present")]
    name: Option<String>,
}

impl NameInput {
    pub fn for_create(body: &[u8]) -> Result<Self, FieldError> {
        let wire: NameWire = decode(body)?;
        Self::validate(wire.name)
    }

    pub fn for_update<Id>(body: &[u8], uri_id: &Id) -> Result<Self, FieldError>
    where
        Id: DeserializeOwned + PartialEq + std::fmt::Display,
    {
        let wire: NamePutWire<Id> = decode(body)?;
        id_matches("id", wire.id, uri_id)?;
        Self::validate(wire.name)
    }

    fn validate(name: Option<String>) -> Result<Self, FieldError> {
        let name = required("name", name)?;
        bounded_text("name", &name, MAX_TEXT)?;
        Ok(Self { name })
    }
}

/// A user's updatable state: `email` and the person's names and country. `oid` is the URI's.
#[derive(Debug, Clone, PartialEq)]
pub struct UserInput {
    pub email: Email,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub country: Option<String>,
}

#[derive(Deserialize)]
struct UserPutWire {
    #[serde(default, deserialize_with = "present")]
    oid: Option<Uuid>,
    #[serde(default, deserialize_with = "present")]
    email: Option<String>,
    #[serde(default, deserialize_with = "present")]
    firstname: Option<String>,
    #[serde(default, deserialize_with = "present")]
    lastname: Option<String>,
    #[serde(default, deserialize_with = "present")]
    country: Option<String>,
}

impl UserInput {
    pub fn for_update(body: &[u8], uri_oid: &Uuid) -> Result<Self, FieldError> {
        let wire: UserPutWire = decode(body)?;
        id_matches("oid", wire.oid, uri_oid)?;
        let email = Email::parse("email", &required("email", wire.email)?)?;
        for (field, value) in [
            ("firstname", &wire.firstname),
            ("lastname", &wire.lastname),
            ("country", &wire.country),
        ] {
            if let Some(value) = value {
                optional_text(field, value, MAX_TEXT)?;
            }
        }
        Ok(Self {
            email,
            firstname: wire.firstname,
            lastname: wire.lastname,
            country: wire.country,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_create_ignores_server_fields_even_malformed() {
        let body = br#"{"id":"not-a-uuid","created":"yesterday","name":"Customer Account 12","typeid":2,"localid":"123456789AB"}"#;
        let input = GroupInput::for_create(body).unwrap();
        assert_eq!(input.name, "Customer Account 12");
        assert_eq!(input.typeid, 2);
        assert_eq!(input.localid.as_deref(), Some("123456789AB"));
    }

    #[test]
    fn group_missing_and_mistyped_fields_are_named() {
        assert_eq!(
            GroupInput::for_create(br#"{"typeid":2}"#)
                .unwrap_err()
                .field,
            "name"
        );
        assert_eq!(
            GroupInput::for_create(br#"{"name":"x"}"#)
                .unwrap_err()
                .field,
            "typeid"
        );
        let err = GroupInput::for_create(br#"{"name":"x","typeid":"2"}"#).unwrap_err();
        assert_eq!(err.field, "typeid");
        assert!(err.message.contains("expected i32"), "{}", err.message);
        let err = GroupInput::for_create(br#"{"name":"x","typeid":3000000000}"#).unwrap_err();
        assert_eq!(err.field, "typeid");
    }

    #[test]
    fn malformed_json_and_non_objects_are_body_errors() {
        for body in [
            &b"{"[..],
            b"",
            b"[1]",
            br#"["x", 2]"#,
            b"\"x\"",
            b"{} {}",
            b"null",
        ] {
            let err = GroupInput::for_create(body).unwrap_err();
            assert_eq!(err.field, "body", "{:?}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn put_id_must_match_uri() {
        let uri = Uuid::new_v4();
        let other = Uuid::new_v4();
        let body = format!(r#"{{"id":"{other}","name":"x","typeid":1}}"#);
        assert_eq!(
            GroupInput::for_update(body.as_bytes(), &uri)
                .unwrap_err()
                .field,
            "id"
        );
        let body = format!(r#"{{"id":"{uri}","name":"x","typeid":1}}"#);
        assert!(GroupInput::for_update(body.as_bytes(), &uri).is_ok());
        assert_eq!(
            NameInput::for_update(br#"{"id":3,"name":"x"}"#, &2)
                .unwrap_err()
                .field,
            "id"
        );
        assert_eq!(
            NameInput::for_update(br#"{"id":"x","name":"x"}"#, &2)
                .unwrap_err()
                .field,
            "id"
        );
    }

    #[test]
    fn names_are_bounded_and_not_blank() {
        assert_eq!(
            NameInput::for_create(br#"{"name":"  "}"#)
                .unwrap_err()
                .field,
            "name"
        );
        let long = format!(r#"{{"name":"{}"}}"#, "a".repeat(MAX_TEXT + 1));
        assert_eq!(
            NameInput::for_create(long.as_bytes()).unwrap_err().field,
            "name"
        );
        assert!(NameInput::for_create(br#"{"name":"Act on behalf of"}"#).is_ok());
    }

    #[test]
    fn user_update_requires_a_valid_email() {
        let oid = Uuid::new_v4();
        assert_eq!(
            UserInput::for_update(br#"{"firstname":"x"}"#, &oid)
                .unwrap_err()
                .field,
            "email"
        );
        assert_eq!(
            UserInput::for_update(br#"{"email":"nope"}"#, &oid)
                .unwrap_err()
                .field,
            "email"
        );
        let ok = UserInput::for_update(
            br#"{"email":"test.user@cfsbrands.dev","firstname":"Test","lastname":"User","country":"United States"}"#,
            &oid,
        )
        .unwrap();
        assert_eq!(ok.country.as_deref(), Some("United States"));
    }
}
