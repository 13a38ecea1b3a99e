//! The service's events: CloudEvents whose `data` is the resource as the API shows it (never a client secret).
//! Their catalogue is `specs/events.asyncapi.yaml`; the use cases append them to the outbox in the transaction
//! of the change they report.
//!
//! Every event carries `actor` and `subjectversion` (and `traceparent` when the request had a valid one); the
//! changed events (`identity-provider.replaced`, `public-setup.changed`) carry `changes` too.

use crate::ids::{ApplicationId, ProviderKey};
use domain::event::Emitter;

/// The CloudEvents `source` of every event of this service.
pub const SOURCE: &str = "/idp-management";

/// How this service builds its events (`EMIT.event`, `EMIT.updated`): its source, and the bookkeeping fields
/// its `changes` leave out.
pub const EMIT: Emitter = Emitter::new(SOURCE, BOOKKEEPING);

/// The event types (`ProviderCreated`, ..) and their payloads, shared with subscribers.
pub use event_types::idp_management::{
    ALL, ApplicationRegistered, ProviderCreated, ProviderDeleted, ProviderReplaced,
    PublicSetupChanged,
};

/// Fields of a representation that every write changes whatever it changed, left out of `changes`: the
/// modification time and the change id (the `ETag`; the event's `subjectversion` and `data` carry the order).
const BOOKKEEPING: &[&str] = &["lastModifiedAt", "changeId"];

/// A provider's subject: `<applicationId>/<key>` (neither can contain `/`).
pub fn provider_subject(application_id: &ApplicationId, key: &ProviderKey) -> String {
    format!("{application_id}/{key}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_name_only_the_changed_fields_and_no_bookkeeping() {
        let before = json!({"key": "k", "name": "a", "lastModifiedAt": "t1", "changeId": "1", "status": "ENABLED"});
        let after = json!({"key": "k", "lastModifiedAt": "t2", "changeId": "2", "status": "DISABLED",
                           "description": "d"});
        assert_eq!(
            EMIT.changes(&before, &after),
            json!({"name": {"before": "a", "after": null}, "status": {"before": "ENABLED", "after": "DISABLED"},
                   "description": {"before": null, "after": "d"}})
        );
        assert_eq!(EMIT.changes(&after, &after), json!({}));
    }

    #[test]
    fn every_event_type_is_in_the_asyncapi_catalogue() {
        test_support::assert_catalogued(ALL);
    }

    #[test]
    fn the_contract_documents_the_extensions() {
        let spec: serde_json::Value = serde_norway::from_str(contracts::IDP_MANAGEMENT).unwrap();
        for path in [
            "/idp/v1/admin/applications/{application}",
            "/idp/v1/admin/revoked-tokens",
        ] {
            assert_eq!(spec["paths"][path]["x-extension"], true, "{path}");
        }
        let codes =
            spec["components"]["schemas"]["IamIdpErrorCodeExtensionsV1"]["enum"].to_string();
        for code in [
            "IAM_IDP_CHANGE_CONFLICT",
            "MEDIA_TYPE_UNSUPPORTED",
            "MEDIA_TYPE_NOT_ACCEPTABLE",
        ] {
            assert!(codes.contains(code), "{code}");
        }
    }
}
