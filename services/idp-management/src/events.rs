//! The service's events: CloudEvents whose `data` is the resource as the API shows it (never a client secret).
//! Their catalogue is `specs/events.asyncapi.yaml`; the use cases append them to the outbox in the transaction
//! of the change they report.

use crate::ids::{ApplicationId, ProviderKey};
use domain::CloudEvent;
use serde::Serialize;

/// The CloudEvents `source` of every event of this service.
pub const SOURCE: &str = "/idp-management";

/// An application was registered (data: applicationId, changeId, createdBy).
pub const APPLICATION_REGISTERED: &str = "idp-management.application.registered.v1";
/// A provider was created; data: the provider as the API shows it.
pub const PROVIDER_CREATED: &str = "idp-management.identity-provider.created.v1";
/// A provider was replaced; data: the provider after the change.
pub const PROVIDER_REPLACED: &str = "idp-management.identity-provider.replaced.v1";
/// A provider was deleted; data: the provider as it was.
pub const PROVIDER_DELETED: &str = "idp-management.identity-provider.deleted.v1";
/// The public discovery setup of an application changed; `data` is the new `IdentityProviderSetupV1`.
pub const PUBLIC_SETUP_CHANGED: &str = "idp-management.public-setup.changed.v1";

/// Every event type this service publishes.
pub const ALL: &[&str] = &[
    APPLICATION_REGISTERED,
    PROVIDER_CREATED,
    PROVIDER_REPLACED,
    PROVIDER_DELETED,
    PUBLIC_SETUP_CHANGED,
];

/// An event of this service about `subject`, carrying `data`.
pub fn event(event_type: &str, subject: impl ToString, data: &impl Serialize) -> CloudEvent {
    CloudEvent::of(SOURCE, event_type, subject, data)
}

/// A provider's subject: `<applicationId>/<key>` (neither can contain `/`).
pub fn provider_subject(application_id: &ApplicationId, key: &ProviderKey) -> String {
    format!("{application_id}/{key}")
}

#[cfg(test)]
mod tests {
    use super::*;

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
