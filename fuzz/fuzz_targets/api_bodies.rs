//! The directory and provider-connection API bodies: identity's `input::{GroupInput, NameInput, UserInput}`
//! (serde wire structs behind `input::decode`) and provider-connection's `input::{CreateInput,
//! CredentialInput, connection_type_body}` (field-by-field over a JSON object). Beyond "no panic": what is
//! accepted is within the contract's bounds; provider-connection's verdict depends on the JSON value only, and
//! its refusals never echo the client secret.
#![no_main]

use domain::FieldError;
use identity::input::{GroupInput, MAX_TEXT, NameInput, UserInput};
use identity_suite_fuzz::assert_email;
use libfuzzer_sys::fuzz_target;
use provider_connection::db::models::ConnectionType;
use provider_connection::input::{
    CreateInput, CredentialInput, MAX_DISPLAY_NAME, MAX_SECRET, connection_type_body,
};
use serde_json::Value;
use uuid::Uuid;

const URI: Uuid = Uuid::from_u128(0x1111_2222_3333_4444_5555_6666_7777_8888);

fn refused(err: &FieldError) {
    assert!(
        !err.field.is_empty() && !err.message.is_empty(),
        "an empty refusal: {err:?}"
    );
}

/// A required free text as `domain::field::bounded_text` promises it: not blank, at most `max` characters, no
/// control character but tab.
fn bounded(name: &str, max: usize) {
    assert!(
        !name.trim().is_empty() && name.chars().count() <= max,
        "name {name:?}"
    );
    assert!(!name.chars().any(|c| c.is_control() && c != '\t'));
}

fn identity(body: &[u8]) {
    for group in [
        GroupInput::for_create(body),
        GroupInput::for_update(body, &URI),
    ] {
        match group {
            Ok(group) => {
                bounded(&group.name, MAX_TEXT);
                if let Some(localid) = &group.localid {
                    assert!(localid.chars().count() <= MAX_TEXT);
                }
            }
            Err(err) => refused(&err),
        }
    }
    for named in [
        NameInput::for_create(body),
        NameInput::for_update::<i32>(body, &7),
    ] {
        match named {
            Ok(named) => bounded(&named.name, MAX_TEXT),
            Err(err) => refused(&err),
        }
    }
    match UserInput::for_update(body, &URI) {
        Ok(user) => {
            assert_email(&user.email);
            for text in [&user.firstname, &user.lastname, &user.country] {
                assert!(text.as_ref().is_none_or(|t| t.chars().count() <= MAX_TEXT));
            }
        }
        Err(err) => refused(&err),
    }
}

/// The client secrets a body carries that no message or field name could hold unless echoed.
fn secrets(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "client_secret"
                    && let Value::String(s) = v
                    && s.chars().count() >= 4
                    && !s
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || " ,._():".contains(c))
                {
                    out.push(s.clone());
                }
                secrets(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| secrets(v, out)),
        _ => {}
    }
}

fn never_echoed(err: &FieldError, secrets: &[String]) {
    refused(err);
    let shown = err.to_string();
    for secret in secrets {
        assert!(
            !shown.contains(secret.as_str()),
            "the secret is echoed: {shown}"
        );
    }
}

fn credential(c: &CredentialInput) {
    assert_eq!(c.client_id.len(), 36);
    assert_eq!(c.client_id, c.client_id.to_ascii_lowercase());
    Uuid::try_parse(&c.client_id).expect("client_id is not a GUID");
    assert!(!c.client_secret.trim().is_empty() && c.client_secret.chars().count() <= MAX_SECRET);
    assert!(!c.client_secret.chars().any(char::is_control));
}

fn provider_connection(body: &[u8]) {
    let mut found = Vec::new();
    let value = serde_json::from_slice::<Value>(body).ok();
    if let Some(value) = &value {
        secrets(value, &mut found);
    }
    let create = CreateInput::parse(body);
    match &create {
        Ok(input) => {
            bounded(&input.display_name, MAX_DISPLAY_NAME);
            assert_eq!(
                provider_connection::input::entra_tenant("t", &input.entra_tenant_id).as_deref(),
                Ok(input.entra_tenant_id.as_str())
            );
            match (input.connection_type, &input.dedicated_credential) {
                (ConnectionType::Platform, None) => {}
                (ConnectionType::Dedicated, Some(c)) => credential(c),
                other => panic!("connection type and credential disagree: {other:?}"),
            }
        }
        Err(err) => never_echoed(err, &found),
    }
    let cred = CredentialInput::parse(body);
    match &cred {
        Ok(c) => credential(c),
        Err(err) => never_echoed(err, &found),
    }
    let kind = connection_type_body(body);
    if let Err(err) = &kind {
        never_echoed(err, &found);
    }
    if let Some(value) = value {
        let again = serde_json::to_vec(&value).unwrap();
        assert_eq!(
            format!("{create:?}"),
            format!("{:?}", CreateInput::parse(&again))
        );
        assert_eq!(
            format!("{cred:?}"),
            format!("{:?}", CredentialInput::parse(&again))
        );
        assert_eq!(kind, connection_type_body(&again));
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        identity(body);
    } else {
        provider_connection(body);
    }
});
