-- The application registry: an application must be registered before identity providers can be configured for
-- it. `change_id` is the application's change sequence: every change to its providers bumps it (under this
-- row's lock, which also serializes concurrent writers of one application).
CREATE TABLE applications (
    application_id TEXT        PRIMARY KEY,
    change_id      BIGINT      NOT NULL DEFAULT 1,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by     TEXT        NOT NULL
);

-- One identity-provider configuration of an application. Lists and discovery read by the primary key's prefix
-- (application_id), ordered by key. `config` holds the descriptive and type-specific parts as the API shows them
-- (name, description, oauth2Config, oidcConfig, additionalConfigEntries); the OAuth2 client secret lives only in
-- the three client_secret_* columns, sealed with AES-256-GCM (key id kept for rotation), never in `config`.
CREATE TABLE identity_providers (
    application_id            TEXT        NOT NULL REFERENCES applications (application_id) ON DELETE CASCADE,
    key                       TEXT        NOT NULL,
    subject_pool_key          TEXT        NOT NULL,
    idp_type                  TEXT        NOT NULL,
    status                    TEXT        NOT NULL,
    visibility                TEXT        NOT NULL,
    config                    JSONB       NOT NULL,
    client_secret_key_id      TEXT,
    client_secret_nonce       BYTEA,
    client_secret_ciphertext  BYTEA,
    created_at                TIMESTAMPTZ NOT NULL,
    created_by                TEXT        NOT NULL,
    last_modified_at          TIMESTAMPTZ NOT NULL,
    last_modified_by          TEXT        NOT NULL,
    change_id                 BIGINT      NOT NULL,
    PRIMARY KEY (application_id, key),
    CONSTRAINT identity_providers_secret_complete CHECK (
        (client_secret_key_id IS NULL) = (client_secret_nonce IS NULL)
        AND (client_secret_nonce IS NULL) = (client_secret_ciphertext IS NULL))
);

-- Revoked token ids (`jti`); a token whose jti is here is refused with AUTHENTICATION_REVOKED.
CREATE TABLE revoked_tokens (
    jti        TEXT        PRIMARY KEY,
    revoked_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_by TEXT        NOT NULL,
    expires_at TIMESTAMPTZ
);
