//! The service's events: CloudEvents whose subject is the connection id. Their catalogue is
//! `specs/events.asyncapi.yaml`. No event carries a secret: connection events carry the connection as the API
//! shows it, credential events only the client id, source and key id (see `crate::views`).

use crate::ids::ConnectionId;
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

/// An event about connection `subject` carrying `data`.
pub fn event(event_type: &str, subject: ConnectionId, data: &impl Serialize) -> CloudEvent {
    CloudEvent::of(SOURCE, event_type, subject, data)
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
    #[test]
    fn every_event_type_is_in_the_asyncapi_catalogue() {
        test_support::assert_catalogued(super::ALL);
    }
}
