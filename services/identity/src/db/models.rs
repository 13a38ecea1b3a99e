//! Rows as stored, which are also the contract's representations (field names match it exactly), and the
//! group as the API shows it ([`ShownGroup`]: its row and its type's name, read in the same statement).

use super::schema::{group_user_permissions, groups, grouptypes, permissions, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

/// An optional field without a value is left out of the representation, not `null`: the contract types
/// `firstname`, `lastname`, `country` (and a group's `localid`) as `string`, never null, and its one known client
/// declares them optional. Events carry them as `string | null` (their own payload types, `events::Payload`).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = users)]
pub struct User {
    pub oid: Uuid,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firstname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lastname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = groups)]
pub struct Group {
    pub id: Uuid,
    pub name: String,
    pub typeid: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub localid: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// A group as the API shows it: its row (what events carry as `data`) and, as an extension the one known
/// client reads (`typename`), the name of its type. Selected from `groups` joined to `grouptypes` (the typeid
/// foreign key guarantees the type, and a type in use cannot be deleted).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = groups)]
pub struct ShownGroup {
    #[diesel(embed)]
    #[serde(flatten)]
    pub group: Group,
    #[diesel(select_expression = grouptypes::name)]
    pub typename: String,
}

impl ShownGroup {
    pub fn new(group: Group, typename: String) -> Self {
        Self { group, typename }
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = grouptypes)]
pub struct GroupType {
    pub id: i32,
    pub name: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = permissions)]
pub struct Permission {
    pub id: Uuid,
    pub name: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// The contract's `GroupUserPermission`: a permission held by a user within a group.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = group_user_permissions)]
pub struct Assignment {
    pub userid: Uuid,
    pub groupid: Uuid,
    pub permissionid: Uuid,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}
