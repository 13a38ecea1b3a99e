//! The identity service's events: CloudEvents whose `data` is the resource as the API shows it, written to the
//! outbox by the use cases in the change's transaction. Their catalogue is `specs/events.asyncapi.yaml`.

use crate::db::models::Assignment;
use domain::CloudEvent;
use serde::Serialize;

pub const SOURCE: &str = "/identity";

pub const USER_CREATED: &str = "identity.user.created.v1";
pub const USER_UPDATED: &str = "identity.user.updated.v1";
pub const USER_DELETED: &str = "identity.user.deleted.v1";
pub const GROUP_CREATED: &str = "identity.group.created.v1";
pub const GROUP_UPDATED: &str = "identity.group.updated.v1";
pub const GROUP_DELETED: &str = "identity.group.deleted.v1";
pub const GROUPTYPE_CREATED: &str = "identity.grouptype.created.v1";
pub const GROUPTYPE_UPDATED: &str = "identity.grouptype.updated.v1";
pub const GROUPTYPE_DELETED: &str = "identity.grouptype.deleted.v1";
pub const PERMISSION_CREATED: &str = "identity.permission.created.v1";
pub const PERMISSION_UPDATED: &str = "identity.permission.updated.v1";
pub const PERMISSION_DELETED: &str = "identity.permission.deleted.v1";
pub const ASSIGNMENT_GRANTED: &str = "identity.assignment.granted.v1";
pub const ASSIGNMENT_REVOKED: &str = "identity.assignment.revoked.v1";

/// An event of this service about `subject` carrying `data`.
pub fn event(event_type: &str, subject: impl ToString, data: &impl Serialize) -> CloudEvent {
    CloudEvent::of(SOURCE, event_type, subject, data)
}

/// An assignment's subject: the user, so one person's grants and revocations keep their order.
pub fn assignment_subject(assignment: &Assignment) -> String {
    assignment.userid.to_string()
}

/// The events of a cascading delete: one `revoked` per assignment removed first, then the deletion itself.
pub fn cascade(revoked: &[Assignment], deleted: CloudEvent) -> Vec<CloudEvent> {
    revoked
        .iter()
        .map(|a| event(ASSIGNMENT_REVOKED, assignment_subject(a), a))
        .chain(std::iter::once(deleted))
        .collect()
}

/// Every event type this service publishes (the catalogue test checks each is documented).
pub const ALL: &[&str] = &[
    USER_CREATED,
    USER_UPDATED,
    USER_DELETED,
    GROUP_CREATED,
    GROUP_UPDATED,
    GROUP_DELETED,
    GROUPTYPE_CREATED,
    GROUPTYPE_UPDATED,
    GROUPTYPE_DELETED,
    PERMISSION_CREATED,
    PERMISSION_UPDATED,
    PERMISSION_DELETED,
    ASSIGNMENT_GRANTED,
    ASSIGNMENT_REVOKED,
];

#[cfg(test)]
mod tests {
    #[test]
    fn every_event_type_is_in_the_asyncapi_catalogue() {
        test_support::assert_catalogued(super::ALL);
    }
}
