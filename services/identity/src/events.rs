//! The identity service's events: CloudEvents whose `data` is the resource as the API shows it, written to the
//! outbox by the use cases in the change's transaction. Their catalogue is `specs/events.asyncapi.yaml`.

use std::collections::HashMap;

use crate::context::Ctx;
use crate::db::models::Assignment;
use domain::CloudEvent;
use domain::event::Emitter;
use uuid::Uuid;

pub const SOURCE: &str = "/identity";

/// How this service builds its events (`EMIT.event`, `EMIT.updated`): its source, and the bookkeeping fields
/// its `changes` leave out.
pub const EMIT: Emitter = Emitter::new(SOURCE, &["updated"]);

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

/// An assignment's subject: the user, so one person's grants and revocations keep their order.
pub fn assignment_subject(assignment: &Assignment) -> String {
    assignment.userid.to_string()
}

/// The `revoked` events of a cascading delete, in `revoked` order. `after` holds each user's version after the
/// cascade (bumped once per revoked assignment), so a user's events carry its consecutive versions up to it.
pub fn cascade(ctx: &Ctx, revoked: &[Assignment], after: &HashMap<Uuid, i64>) -> Vec<CloudEvent> {
    let mut next: HashMap<Uuid, i64> = HashMap::new();
    for a in revoked {
        *next.entry(a.userid).or_insert(0) += 1;
    }
    for (user, count) in &mut next {
        *count = after.get(user).copied().unwrap_or(*count) - *count;
    }
    revoked
        .iter()
        .map(|a| {
            let version = next.entry(a.userid).or_insert(0);
            *version += 1;
            EMIT.event(ctx, ASSIGNMENT_REVOKED, assignment_subject(a), a, *version)
        })
        .collect()
}

/// Appends events to the shared outbox in the change's transaction.
pub use persistence::outbox::append;

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
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_name_only_the_changed_fields() {
        let before = json!({"id": 1, "name": "a", "updated": "t1", "localid": null});
        let after = json!({"id": 1, "name": "b", "updated": "t2", "localid": "L"});
        assert_eq!(
            EMIT.changes(&before, &after),
            json!({"name": {"before": "a", "after": "b"}, "localid": {"before": null, "after": "L"}})
        );
        assert_eq!(EMIT.changes(&after, &after), json!({}));
    }

    #[test]
    fn every_event_type_is_in_the_asyncapi_catalogue() {
        test_support::assert_catalogued(super::ALL);
    }
}
