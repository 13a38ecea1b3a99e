// @generated automatically by Diesel CLI.

diesel::table! {
    audit_records (id) {
        id -> Int8,
        recorded_at -> Timestamptz,
        actor -> Text,
        workspace_id -> Text,
        tenant -> Nullable<Text>,
        connection_id -> Nullable<Int8>,
        action -> Text,
        outcome -> Text,
        reason -> Nullable<Text>,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    consent_states (nonce) {
        nonce -> Uuid,
        connection_id -> Int8,
        expires_at -> Timestamptz,
        consumed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    dedicated_credentials (connection_id) {
        connection_id -> Int8,
        credential_kind -> Text,
        source -> Text,
        client_id -> Text,
        key_id -> Text,
        nonce -> Bytea,
        ciphertext -> Bytea,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    provider_connections (id) {
        id -> Int8,
        workspace_id -> Text,
        tenant -> Text,
        provider -> Text,
        entra_tenant_id -> Text,
        display_name -> Text,
        is_default -> Bool,
        connection_type -> Text,
        consent_status -> Text,
        verification_status -> Text,
        health_status -> Text,
        migration_review_required -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int8,
    }
}

diesel::table! {
    verification_runs (id) {
        id -> Int8,
        connection_id -> Int8,
        workspace_id -> Text,
        tenant -> Text,
        status -> Text,
        outcome -> Nullable<Text>,
        detail -> Nullable<Text>,
        requested_by -> Text,
        created_at -> Timestamptz,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(dedicated_credentials -> provider_connections (connection_id));
diesel::joinable!(verification_runs -> provider_connections (connection_id));

diesel::allow_tables_to_appear_in_same_query!(
    audit_records,
    consent_states,
    dedicated_credentials,
    provider_connections,
    verification_runs,
);
