//! The payload of every event the suite publishes, one marker type per event type naming its `data`
//! ([`EventType`]): `identity::UserCreated` is `identity.user.created.v1` carrying an [`identity::User`].
//!
//! The services build their events from these types (`EMIT.event::<identity::UserCreated>(..)`, which accepts no
//! other payload), and a subscriber decodes them with the same types
//! (`subscriber::Builder::handle::<identity::UserCreated>(..)`), so a field renamed on one side fails to compile
//! on the other instead of failing at run time. The catalogue, `specs/events.asyncapi.yaml`, documents the same
//! shapes; the services' tests validate the events they publish against it.
//!
//! Every type here is `Deserialize` and tolerates fields it does not know, so a subscriber keeps working when a
//! later version of a publisher adds a field (adding a field is not a breaking change; renaming or removing one
//! is, and gets a new `.v2` type).

pub use domain::event::EventType;

pub mod identity;
pub mod idp_management;
pub mod provider_connection;

/// Declares event marker types: `Name = "type" => Data;`, and `ALL`, every type of the module.
macro_rules! declare_events {
    ($($(#[$meta:meta])* $name:ident = $type:literal => $data:ty;)+) => {
        $(
            $(#[$meta])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            pub struct $name;

            impl $crate::EventType for $name {
                const TYPE: &'static str = $type;
                type Data = $data;
            }
        )+

        /// Every event type of this publisher, as published.
        pub const ALL: &[&str] = &[$($type),+];
    };
}
pub(crate) use declare_events;

/// The publishers' timestamps as JSON: RFC 3339 in UTC with milliseconds (`2026-12-01T12:00:00.123Z`).
pub(crate) mod millis {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        time: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&time.to_rfc3339_opts(SecondsFormat::Millis, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|time| time.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A subscriber built against these types keeps decoding what a later publisher adds to.
    #[test]
    fn payloads_tolerate_fields_they_do_not_know() {
        let user: identity::User = serde_json::from_value(json!({
            "oid": "0194f6a2-0000-7000-8000-000000000001", "email": "a@example.com", "firstname": null,
            "lastname": "L", "country": null, "created": "2026-12-01T12:00:00.123456Z",
            "updated": "2026-12-01T12:00:01Z", "added_later": 1
        }))
        .unwrap();
        assert_eq!(user.lastname.as_deref(), Some("L"));
    }

    #[test]
    fn idp_management_writes_change_ids_as_text_and_times_in_milliseconds() {
        let registered = idp_management::Registered {
            application_id: "app".into(),
            change_id: 7,
            created_by: "configuration".into(),
        };
        let shown = serde_json::to_value(&registered).unwrap();
        assert_eq!(
            shown,
            json!({"applicationId": "app", "changeId": "7", "createdBy": "configuration"})
        );
        assert_eq!(
            serde_json::from_value::<idp_management::Registered>(shown).unwrap(),
            registered
        );
        let provider = json!({
            "applicationId": "app", "key": "k", "subjectPoolKey": "p", "type": "OIDC", "status": "ENABLED",
            "visibility": "PUBLIC", "additionalConfigEntries": [], "createdAt": "2026-12-01T12:00:00.123Z",
            "createdBy": "a", "lastModifiedAt": "2026-12-01T12:00:00.120Z", "lastModifiedBy": "a", "changeId": "3"
        });
        let decoded: idp_management::Provider = serde_json::from_value(provider.clone()).unwrap();
        assert_eq!(decoded.change_id, 3);
        assert_eq!(serde_json::to_value(&decoded).unwrap(), provider);
        assert!(
            serde_json::from_value::<idp_management::Registered>(
                json!({"applicationId": "a", "changeId": "x", "createdBy": "c"})
            )
            .is_err()
        );
    }

    #[test]
    fn every_module_lists_each_of_its_types_once() {
        for all in [identity::ALL, provider_connection::ALL, idp_management::ALL] {
            let unique: std::collections::BTreeSet<_> = all.iter().collect();
            assert_eq!(unique.len(), all.len());
        }
        assert_eq!(
            <identity::AssignmentRevoked as EventType>::TYPE,
            "identity.assignment.revoked.v1"
        );
    }
}
