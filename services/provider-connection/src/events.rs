//! The service's events: CloudEvents whose subject is the connection id. Their catalogue is
//! `specs/events.asyncapi.yaml`. No event carries a secret: connection events carry the connection as the API
//! shows it, credential events only the client id, source and key id (see `crate::views`).
//!
//! Every event carries `actor` and the connection's `subjectversion` (`provider_connections.version`, bumped in
//! the change's transaction before the outbox insert, +1 per event about the connection), and `traceparent` when
//! the request carried a valid one; `connection.updated` and `connection.type_changed` carry `changes`.

use domain::event::Emitter;

pub const SOURCE: &str = "/provider-connection";

/// How this service builds its events (`EMIT.event`, `EMIT.updated`): its source, and the bookkeeping fields
/// its `changes` leave out.
pub const EMIT: Emitter = Emitter::new(SOURCE, &[]);

/// The event types (`ConnectionCreated`, ..) and their payloads, shared with subscribers.
pub use event_types::provider_connection::*;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_name_only_the_changed_fields() {
        let before = json!({"id": 1, "consent_status": "unknown", "effective_app_id": "a"});
        let after = json!({"id": 1, "consent_status": "required"});
        assert_eq!(
            EMIT.changes(&before, &after),
            json!({
                "consent_status": {"before": "unknown", "after": "required"},
                "effective_app_id": {"before": "a", "after": null}
            })
        );
        assert_eq!(EMIT.changes(&after, &after), json!({}));
    }

    #[test]
    fn every_event_type_is_in_the_asyncapi_catalogue() {
        test_support::assert_catalogued(super::ALL);
    }
}
