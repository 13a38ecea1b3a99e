//! identity's events (source `/identity`): users, groups, group types, permissions and assignments, each `data`
//! the resource as the directory API shows it (for a delete, as it was).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A user (subject: `oid`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub oid: Uuid,
    pub email: String,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub country: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// A group (subject: `id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: Uuid,
    pub name: String,
    /// The group type's `id`.
    pub typeid: i32,
    pub localid: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// A group type (subject: `id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupType {
    pub id: i32,
    pub name: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// A permission (subject: `id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    pub id: Uuid,
    pub name: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// The contract's `GroupUserPermission`: `permissionid` held by `userid` within `groupid`. The subject of an
/// assignment event is the user, so one person's grants and revocations keep their order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub userid: Uuid,
    pub groupid: Uuid,
    pub permissionid: Uuid,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

crate::declare_events! {
    /// A user was registered (B2C / Entra connector, AAD look-up, directory API).
    UserCreated = "identity.user.created.v1" => User;
    /// A user's email, names or country changed (`changes` says which).
    UserUpdated = "identity.user.updated.v1" => User;
    /// A user was deleted, after its assignments were revoked (each with its own event).
    UserDeleted = "identity.user.deleted.v1" => User;
    GroupCreated = "identity.group.created.v1" => Group;
    GroupUpdated = "identity.group.updated.v1" => Group;
    /// A group was deleted, after its assignments were revoked.
    GroupDeleted = "identity.group.deleted.v1" => Group;
    GroupTypeCreated = "identity.grouptype.created.v1" => GroupType;
    GroupTypeUpdated = "identity.grouptype.updated.v1" => GroupType;
    GroupTypeDeleted = "identity.grouptype.deleted.v1" => GroupType;
    PermissionCreated = "identity.permission.created.v1" => Permission;
    PermissionUpdated = "identity.permission.updated.v1" => Permission;
    /// A permission was deleted, after its assignments were revoked.
    PermissionDeleted = "identity.permission.deleted.v1" => Permission;
    /// A user was given a permission within a group.
    AssignmentGranted = "identity.assignment.granted.v1" => Assignment;
    /// A user's permission within a group was taken away (directly, or by deleting the user, group or
    /// permission).
    AssignmentRevoked = "identity.assignment.revoked.v1" => Assignment;
}
