// @generated automatically by Diesel CLI.

diesel::table! {
    group_user_permissions (userid, groupid, permissionid) {
        userid -> Uuid,
        groupid -> Uuid,
        permissionid -> Uuid,
        created -> Timestamptz,
        updated -> Timestamptz,
    }
}

diesel::table! {
    groups (id) {
        id -> Uuid,
        name -> Text,
        typeid -> Int4,
        localid -> Nullable<Text>,
        created -> Timestamptz,
        updated -> Timestamptz,
        version -> Int8,
    }
}

diesel::table! {
    grouptypes (id) {
        id -> Int4,
        name -> Text,
        created -> Timestamptz,
        updated -> Timestamptz,
        version -> Int8,
    }
}

diesel::table! {
    permissions (id) {
        id -> Uuid,
        name -> Text,
        created -> Timestamptz,
        updated -> Timestamptz,
        version -> Int8,
    }
}

diesel::table! {
    users (oid) {
        oid -> Uuid,
        email -> Text,
        firstname -> Nullable<Text>,
        lastname -> Nullable<Text>,
        country -> Nullable<Text>,
        created -> Timestamptz,
        updated -> Timestamptz,
        version -> Int8,
    }
}

diesel::joinable!(group_user_permissions -> groups (groupid));
diesel::joinable!(group_user_permissions -> permissions (permissionid));
diesel::joinable!(group_user_permissions -> users (userid));
diesel::joinable!(groups -> grouptypes (typeid));

diesel::allow_tables_to_appear_in_same_query!(
    group_user_permissions,
    groups,
    grouptypes,
    permissions,
    users,
);
