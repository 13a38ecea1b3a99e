//! The identity service's events: CloudEvents whose `data` is the resource as the API shows it, written to the
//! outbox by the use cases in the change's transaction. Their catalogue is `specs/events.asyncapi.yaml`.

use std::collections::HashMap;

use crate::context::Ctx;
use crate::db::models;
use domain::CloudEvent;
use domain::event::Emitter;
use uuid::Uuid;

pub const SOURCE: &str = "/identity";

/// How this service builds its events (`EMIT.event`, `EMIT.updated`): its source, and the bookkeeping fields
/// its `changes` leave out.
pub const EMIT: Emitter = Emitter::new(SOURCE, &["updated"]);

/// The event types (`UserCreated`, ..) and their payloads, shared with subscribers.
pub use event_types::identity::*;

/// A row as its events show it: the payload type subscribers decode (the API shows the row itself, with the
/// same fields).
pub trait Payload {
    type Shown;
    fn payload(&self) -> Self::Shown;
}

impl Payload for models::User {
    type Shown = User;
    fn payload(&self) -> User {
        User {
            oid: self.oid,
            email: self.email.clone(),
            firstname: self.firstname.clone(),
            lastname: self.lastname.clone(),
            country: self.country.clone(),
            created: self.created,
            updated: self.updated,
        }
    }
}

impl Payload for models::Group {
    type Shown = Group;
    fn payload(&self) -> Group {
        Group {
            id: self.id,
            name: self.name.clone(),
            typeid: self.typeid,
            localid: self.localid.clone(),
            created: self.created,
            updated: self.updated,
        }
    }
}

impl Payload for models::GroupType {
    type Shown = GroupType;
    fn payload(&self) -> GroupType {
        GroupType {
            id: self.id,
            name: self.name.clone(),
            created: self.created,
            updated: self.updated,
        }
    }
}

impl Payload for models::Permission {
    type Shown = Permission;
    fn payload(&self) -> Permission {
        Permission {
            id: self.id,
            name: self.name.clone(),
            created: self.created,
            updated: self.updated,
        }
    }
}

impl Payload for models::Assignment {
    type Shown = Assignment;
    fn payload(&self) -> Assignment {
        Assignment {
            userid: self.userid,
            groupid: self.groupid,
            permissionid: self.permissionid,
            created: self.created,
            updated: self.updated,
        }
    }
}

/// An assignment's subject: the user, so one person's grants and revocations keep their order.
pub fn assignment_subject(assignment: &models::Assignment) -> String {
    assignment.userid.to_string()
}

/// The `revoked` events of a cascading delete, in `revoked` order. `after` holds each user's version after the
/// cascade (bumped once per revoked assignment), so a user's events carry its consecutive versions up to it.
pub fn cascade(
    ctx: &Ctx,
    revoked: &[models::Assignment],
    after: &HashMap<Uuid, i64>,
) -> Vec<CloudEvent> {
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
            EMIT.event::<AssignmentRevoked>(ctx, assignment_subject(a), &a.payload(), *version)
        })
        .collect()
}

/// Appends events to the shared outbox in the change's transaction.
pub use persistence::outbox::append;

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
