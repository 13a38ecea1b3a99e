//! The AsyncAPI catalogue (`specs/events.asyncapi.yaml`) as a validator: an event as it travels on the bus is
//! checked against the payload schema of the message its `type` names, so a test that reads real events also
//! checks that the catalogue tells subscribers the truth.
//!
//! Dialects: the catalogue's schemas are AsyncAPI schemas, a superset of JSON Schema Draft 7, so they are read
//! as Draft 7 (its `contentMediaType` asserts, which checks that `changes` is a JSON string). The
//! `idp-management.yaml#/...` refs point into an OpenAPI 3.0 contract, whose Schema Object is an extended subset
//! of Draft 4 (the `Wright-00` draft): it is read as Draft 4 after [`openapi_3_0_as_draft_4`], and its own
//! annotations (`example`, `x-*`, `readOnly`, ...) are unknown keywords, ignored as the JSON Schema rules say.
//! Both documents are in-memory resources; nothing is fetched. Formats assert, and an unknown one is an error.

use jsonschema::{Draft, Registry, Validator};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// Where the two documents live for `$ref` resolution: `idp-management.yaml` relative to the catalogue is the
/// contract, as in `specs/`. The host is reserved (RFC 2606), so nothing could be fetched from it anyway.
const CATALOGUE_URI: &str = "https://identity-suite.invalid/specs/events.asyncapi.yaml";
const IDP_MANAGEMENT_URI: &str = "https://identity-suite.invalid/specs/idp-management.yaml";

/// One compiled payload validator per event type (channel address), built once per test process.
fn validators() -> &'static BTreeMap<String, Validator> {
    static VALIDATORS: OnceLock<BTreeMap<String, Validator>> = OnceLock::new();
    VALIDATORS.get_or_init(|| build().unwrap_or_else(|e| panic!("the event catalogue: {e}")))
}

/// Validates `event` (a whole CloudEvent, as published) against the payload schema of its `type`'s message.
/// The error names every violation, one line each: the instance path, then what is wrong.
pub fn validate(event: &Value) -> Result<(), String> {
    let Some(event_type) = event.get("type").and_then(Value::as_str) else {
        return Err("the event has no string `type`".to_owned());
    };
    validate_on(event_type, event)
}

/// Validates `event` against the message of channel `address` (the routing key it was delivered with), so an
/// event whose `type` disagrees with its routing key fails on the message's `type` const.
pub fn validate_on(address: &str, event: &Value) -> Result<(), String> {
    let Some(validator) = validators().get(address) else {
        return Err(format!(
            "{address} is not an event type of specs/events.asyncapi.yaml"
        ));
    };
    let errors: Vec<String> = validator
        .iter_errors(event)
        .map(|error| {
            let path = error.instance_path().as_str();
            format!("{}: {error}", if path.is_empty() { "/" } else { path })
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{address} does not match its catalogue schema:\n  {}",
            errors.join("\n  ")
        ))
    }
}

/// Panics (failing the test) unless `event` matches its catalogue schema, showing the event.
pub fn assert_valid(event: &Value) {
    if let Err(error) = validate(event) {
        panic!("{error}\nevent: {event:#}");
    }
}

/// Validates each of `samples` and asserts their types are exactly `all` (a service's `events::ALL`): a type
/// with no sample, or a sample of a type the service does not list, fails the test.
pub fn assert_covered<'a>(all: &[&str], samples: impl IntoIterator<Item = &'a Value>) {
    let mut validated = BTreeSet::new();
    for event in samples {
        assert_valid(event);
        validated.insert(event["type"].as_str().unwrap_or_default().to_owned());
    }
    let expected: BTreeSet<String> = all.iter().map(|t| (*t).to_owned()).collect();
    let missing: Vec<&String> = expected.difference(&validated).collect();
    let unlisted: Vec<&String> = validated.difference(&expected).collect();
    assert!(
        missing.is_empty() && unlisted.is_empty(),
        "validated samples do not cover the service's event types: no sample of {missing:?}; not listed: {unlisted:?}"
    );
}

/// Every event type the catalogue declares (its channel addresses).
pub fn event_types() -> Vec<&'static str> {
    validators().keys().map(String::as_str).collect()
}

fn build() -> Result<BTreeMap<String, Validator>, String> {
    let catalogue: Value =
        serde_norway::from_str(contracts::EVENTS).map_err(|e| format!("not YAML: {e}"))?;
    let mut idp_management: Value = serde_norway::from_str(contracts::IDP_MANAGEMENT)
        .map_err(|e| format!("idp-management.yaml is not YAML: {e}"))?;
    openapi_3_0_as_draft_4(&mut idp_management);
    let messages = messages(&catalogue)?;
    let registry = Registry::new()
        .add(CATALOGUE_URI, Draft::Draft7.create_resource(catalogue))
        .and_then(|r| {
            r.add(
                IDP_MANAGEMENT_URI,
                Draft::Draft4.create_resource(idp_management),
            )
        })
        .and_then(|r| r.prepare())
        .map_err(|e| format!("registering the documents: {e}"))?;
    let options = jsonschema::options()
        .with_draft(Draft::Draft7)
        .with_registry(&registry)
        .should_validate_formats(true)
        .should_ignore_unknown_formats(false)
        // Draft 7 has no `uuid`; the catalogue means the hyphenated form (`Uuid` serializes to it).
        .with_format("uuid", |s: &str| {
            s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
        });
    messages
        .into_iter()
        .map(|(event_type, pointer)| {
            let schema = serde_json::json!({ "$ref": format!("{CATALOGUE_URI}{pointer}/payload") });
            let validator = options
                .build(&schema)
                .map_err(|e| format!("{event_type}'s payload schema: {e}"))?;
            Ok((event_type, validator))
        })
        .collect()
}

/// Each channel's address (the event type) and the `#/components/messages/...` pointer of its one message, whose
/// `name` must be that address too.
fn messages(catalogue: &Value) -> Result<Vec<(String, String)>, String> {
    let channels = catalogue
        .get("channels")
        .and_then(Value::as_object)
        .ok_or("no channels")?;
    channels
        .iter()
        .map(|(id, channel)| {
            let address = channel
                .get("address")
                .and_then(Value::as_str)
                .ok_or(format!("channel {id} has no address"))?;
            let refs: Vec<&str> = channel
                .get("messages")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|m| m.values())
                .filter_map(|m| m.get("$ref").and_then(Value::as_str))
                .collect();
            let [pointer] = refs.as_slice() else {
                return Err(format!("channel {id} must reference exactly one message"));
            };
            let pointer = pointer
                .strip_prefix('#')
                .ok_or(format!("channel {id}: {pointer} is not in the catalogue"))?;
            let name = catalogue.pointer(pointer).and_then(|m| m.get("name"));
            if name.and_then(Value::as_str) != Some(address) {
                return Err(format!(
                    "the message of channel {id} is not named {address}"
                ));
            }
            Ok((address.to_owned(), format!("#{pointer}")))
        })
        .collect()
}

/// OpenAPI 3.0's `nullable: true` in Draft 4 terms: `null` joins the `type` (and the `enum`, which would refuse
/// it otherwise). A Draft 4 validator ignores `nullable`, so without this a null the contract allows would fail.
/// (The contract has no `nullable` today; this keeps the validator honest if it gains one.)
pub fn openapi_3_0_as_draft_4(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(single)) = map.get("type") {
                    let single = Value::String(single.clone());
                    map.insert("type".to_owned(), Value::Array(vec![single, "null".into()]));
                }
                if let Some(Value::Array(values)) = map.get_mut("enum")
                    && !values.contains(&Value::Null)
                {
                    values.push(Value::Null);
                }
            }
            map.values_mut().for_each(openapi_3_0_as_draft_4);
        }
        Value::Array(items) => items.iter_mut().for_each(openapi_3_0_as_draft_4),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An `identity.group.updated.v1` as identity publishes it.
    fn group_updated() -> Value {
        json!({
            "specversion": "1.0",
            "id": "01920000-0000-7000-8000-000000000001",
            "source": "/identity",
            "type": "identity.group.updated.v1",
            "subject": "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f",
            "time": "2025-01-02T03:04:05.678901Z",
            "datacontenttype": "application/json",
            "data": {
                "id": "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f", "name": "G2", "typeid": 1, "localid": null,
                "created": "2025-01-02T03:04:05.000001Z", "updated": "2025-01-02T03:04:05.678Z"
            },
            "actor": "key:1",
            "subjectversion": 2,
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "changes": "{\"name\":{\"before\":\"G\",\"after\":\"G2\"}}"
        })
    }

    /// An `idp-management.identity-provider.created.v1`, whose `data` schema is in the OpenAPI contract.
    fn provider_created() -> Value {
        json!({
            "specversion": "1.0",
            "id": "01920000-0000-7000-8000-000000000002",
            "source": "/idp-management",
            "type": "idp-management.identity-provider.created.v1",
            "subject": "app-1/k",
            "time": "2025-01-02T03:04:05.678901Z",
            "datacontenttype": "application/json",
            "data": {
                "applicationId": "app-1", "key": "k", "subjectPoolKey": "pool", "type": "OIDC", "status": "ENABLED",
                "visibility": "PUBLIC", "oidcConfig": {"issuer": "https://login.example.com", "audience": "a"},
                "additionalConfigEntries": [], "createdAt": "2025-01-02T03:04:05.678Z", "createdBy": "actor",
                "lastModifiedAt": "2025-01-02T03:04:05.678Z", "lastModifiedBy": "actor", "changeId": "1"
            },
            "actor": "sub:actor",
            "subjectversion": 1
        })
    }

    fn fails(event: &Value, expected: &str) {
        let error = validate(event).expect_err("a broken event must fail");
        assert!(error.contains(expected), "{expected:?} not in: {error}");
    }

    #[test]
    fn valid_samples_pass_and_each_broken_copy_fails_naming_what_is_wrong() {
        validate(&group_updated()).unwrap();
        validate(&provider_created()).unwrap();

        let mut event = group_updated();
        event.as_object_mut().unwrap().remove("subjectversion");
        fails(&event, "/: \"subjectversion\" is a required property");

        let mut event = group_updated();
        event["subjectversion"] = json!(0);
        fails(&event, "/subjectversion: 0 is less than the minimum of 1");

        let mut event = group_updated();
        event["data"]["typeid"] = json!("1");
        fails(&event, "/data/typeid: \"1\" is not of type \"integer\"");

        let mut event = group_updated();
        event["data"]["members"] = json!([]);
        fails(
            &event,
            "/data: Additional properties are not allowed ('members' was unexpected)",
        );

        let mut event = group_updated();
        event["data"]["created"] = json!("yesterday");
        fails(
            &event,
            "/data/created: \"yesterday\" is not a \"date-time\"",
        );

        let mut event = group_updated();
        event["changes"] = json!("{not json");
        fails(&event, "/changes:");

        let mut event = group_updated();
        event.as_object_mut().unwrap().remove("changes");
        fails(&event, "\"changes\" is a required property");

        let mut event = group_updated();
        event["source"] = json!("/idp-management");
        fails(&event, "/source: \"/identity\" was expected");

        // Routed as a group update, typed as a creation: the message's `type` const refuses it.
        let mut event = group_updated();
        event["type"] = json!("identity.group.created.v1");
        let error = validate_on("identity.group.updated.v1", &event).unwrap_err();
        assert!(
            error.contains("/type: \"identity.group.updated.v1\" was expected"),
            "{error}"
        );

        let mut event = group_updated();
        event["type"] = json!("identity.group.renamed.v1");
        fails(
            &event,
            "identity.group.renamed.v1 is not an event type of specs/events.asyncapi.yaml",
        );
        fails(&json!({"data": {}}), "no string `type`");

        // The external `idp-management.yaml#/...` ref resolves, with the contract's rules and formats.
        let mut event = provider_created();
        event["data"]
            .as_object_mut()
            .unwrap()
            .remove("applicationId");
        fails(&event, "/data: \"applicationId\" is a required property");
        let mut event = provider_created();
        event["data"]["lastModifiedAt"] = json!("2025-01-02");
        fails(
            &event,
            "/data/lastModifiedAt: \"2025-01-02\" is not a \"date-time\"",
        );
        let mut event = provider_created();
        event["data"]["oidcConfig"]["issuer"] = json!(7);
        fails(
            &event,
            "/data/oidcConfig/issuer: 7 is not of type \"string\"",
        );
    }

    #[test]
    #[should_panic(expected = "no sample of [\"identity.group.created.v1\"]")]
    fn a_type_without_a_validated_sample_fails_the_coverage_check() {
        let all = ["identity.group.updated.v1", "identity.group.created.v1"];
        assert_covered(&all, [&group_updated()]);
    }

    #[test]
    fn openapi_nullable_becomes_a_type_union() {
        let mut schema = json!({"properties": {
            "a": {"type": "string", "nullable": true, "example": "x"},
            "b": {"type": "string", "enum": ["x"], "nullable": true},
            "c": {"type": "string"}
        }});
        openapi_3_0_as_draft_4(&mut schema);
        assert_eq!(schema["properties"]["a"]["type"], json!(["string", "null"]));
        assert_eq!(schema["properties"]["b"]["enum"], json!(["x", null]));
        assert_eq!(schema["properties"]["c"]["type"], "string");
        let validator = jsonschema::options()
            .with_draft(Draft::Draft4)
            .build(&schema)
            .unwrap();
        assert!(validator.is_valid(&json!({"a": null, "b": null, "c": "y"})));
        assert!(!validator.is_valid(&json!({"c": null})));
    }
}
