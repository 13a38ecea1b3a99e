// @generated automatically by Diesel CLI.

diesel::table! {
    applications (application_id) {
        application_id -> Text,
        change_id -> Int8,
        created_at -> Timestamptz,
        created_by -> Text,
        version -> Int8,
    }
}

diesel::table! {
    identity_providers (application_id, key) {
        application_id -> Text,
        key -> Text,
        subject_pool_key -> Text,
        idp_type -> Text,
        status -> Text,
        visibility -> Text,
        config -> Jsonb,
        client_secret_key_id -> Nullable<Text>,
        client_secret_nonce -> Nullable<Bytea>,
        client_secret_ciphertext -> Nullable<Bytea>,
        created_at -> Timestamptz,
        created_by -> Text,
        last_modified_at -> Timestamptz,
        last_modified_by -> Text,
        change_id -> Int8,
        version -> Int8,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        revoked_at -> Timestamptz,
        revoked_by -> Text,
        expires_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(identity_providers -> applications (application_id));

diesel::allow_tables_to_appear_in_same_query!(applications, identity_providers, revoked_tokens,);
