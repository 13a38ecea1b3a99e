-- Provider connections of workspace tenants to Microsoft Entra, their dedicated credentials (sealed), single-use
-- consent states, verification runs and the audit trail of every mutating decision.

CREATE TABLE provider_connections (
    id BIGSERIAL PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    tenant TEXT NOT NULL,
    provider TEXT NOT NULL CHECK (provider IN ('microsoft')),
    entra_tenant_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    is_default BOOLEAN NOT NULL,
    connection_type TEXT NOT NULL CHECK (connection_type IN ('platform', 'dedicated')),
    consent_status TEXT NOT NULL DEFAULT 'unknown'
        CHECK (consent_status IN ('unknown', 'required', 'granted', 'failed', 'revoked')),
    verification_status TEXT NOT NULL DEFAULT 'unknown'
        CHECK (verification_status IN ('unknown', 'pending', 'healthy', 'degraded', 'blocked', 'error')),
    health_status TEXT NOT NULL,
    migration_review_required BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- At most one default connection per tenant and provider.
CREATE UNIQUE INDEX provider_connections_one_default
    ON provider_connections (workspace_id, tenant, provider) WHERE is_default;

-- The secret is sealed (AEAD) under `key_id`; only the client id is readable.
CREATE TABLE dedicated_credentials (
    connection_id BIGINT PRIMARY KEY REFERENCES provider_connections (id) ON DELETE CASCADE,
    credential_kind TEXT NOT NULL CHECK (credential_kind IN ('client_secret')),
    source TEXT NOT NULL CHECK (source IN ('dedicated_manual', 'dedicated_imported', 'legacy_migrated')),
    client_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    nonce BYTEA NOT NULL,
    ciphertext BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per issued admin-consent state: the signature proves origin, this row makes it single-use.
CREATE TABLE consent_states (
    nonce UUID PRIMARY KEY,
    connection_id BIGINT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    consumed_at TIMESTAMPTZ
);

CREATE TABLE verification_runs (
    id BIGSERIAL PRIMARY KEY,
    connection_id BIGINT NOT NULL REFERENCES provider_connections (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    tenant TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'blocked', 'failed')),
    outcome TEXT CHECK (outcome IN ('healthy', 'degraded', 'blocked', 'error')),
    detail TEXT,
    requested_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ
);

-- One active run per tenant scope: the backstop behind the start use case's advisory lock.
CREATE UNIQUE INDEX verification_runs_one_active_per_scope
    ON verification_runs (workspace_id, tenant) WHERE status IN ('queued', 'running');
-- The worker's claim and the reaper's sweep.
CREATE INDEX verification_runs_queued ON verification_runs (id) WHERE status = 'queued';
CREATE INDEX verification_runs_running ON verification_runs (started_at) WHERE status = 'running';

CREATE TABLE audit_records (
    id BIGSERIAL PRIMARY KEY,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    tenant TEXT,
    connection_id BIGINT,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied')),
    reason TEXT,
    request_id TEXT
);

-- The audit read lists one tenant's records newest first.
CREATE INDEX audit_records_scope ON audit_records (workspace_id, tenant, id);
