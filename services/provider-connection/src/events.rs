//! The service's events: CloudEvents whose subject is the connection id. Their catalogue is
//! `specs/events.asyncapi.yaml`. No event carries a secret: connection events carry the connection as the API
//! shows it, credential events only the client id, source and key id.

use domain::CloudEvent;
use serde::Serialize;

pub const SOURCE: &str = "/provider-connection";

pub const CONNECTION_CREATED: &str = "provider-connection.connection.created.v1";
pub const CONNECTION_UPDATED: &str = "provider-connection.connection.updated.v1";
pub const CONNECTION_TYPE_CHANGED: &str = "provider-connection.connection.type_changed.v1";
pub const CREDENTIAL_STORED: &str = "provider-connection.credential.stored.v1";
pub const CREDENTIAL_DELETED: &str = "provider-connection.credential.deleted.v1";
pub const CONSENT_GRANTED: &str = "provider-connection.consent.granted.v1";
pub const CONSENT_FAILED: &str = "provider-connection.consent.failed.v1";
pub const VERIFICATION_COMPLETED: &str = "provider-connection.verification.completed.v1";

/// Builds an event about connection `subject` carrying `data`.
pub fn event(event_type: &str, subject: i64, data: &impl Serialize) -> CloudEvent {
    let data = serde_json::to_value(data).unwrap_or(serde_json::Value::Null);
    CloudEvent::new(SOURCE, event_type, subject.to_string(), data)
}

/// Every event type this service publishes (the catalogue test checks each is documented).
pub const ALL: &[&str] = &[
    CONNECTION_CREATED,
    CONNECTION_UPDATED,
    CONNECTION_TYPE_CHANGED,
    CREDENTIAL_STORED,
    CREDENTIAL_DELETED,
    CONSENT_GRANTED,
    CONSENT_FAILED,
    VERIFICATION_COMPLETED,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_is_in_the_asyncapi_catalogue() {
        let catalogue: serde_json::Value = serde_norway::from_str(contracts::EVENTS).unwrap();
        let addresses: Vec<&str> = catalogue["channels"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(|channel| channel["address"].as_str())
            .collect();
        for event_type in ALL {
            assert!(
                addresses.contains(event_type),
                "{event_type} missing from specs/events.asyncapi.yaml"
            );
        }
    }
}
