-- POST create connection (platform, default): in one transaction the tenant's advisory lock, the previous
-- default demoted, the insert, its credential read, the audit record and two events.
\set t random(1, 64)
BEGIN;
SELECT pg_advisory_xact_lock(1, hashtext((:ws)::text || 'microsoft' || 't-' || lpad(:t::text, 6, '0')));
UPDATE provider_connections SET is_default = false, updated_at = CURRENT_TIMESTAMP,
    version = provider_connections.version + 1
  WHERE provider_connections.workspace_id = (:ws)::text AND provider_connections.tenant = 't-' || lpad(:t::text, 6, '0')
    AND provider_connections.provider = 'microsoft' AND provider_connections.is_default
  RETURNING provider_connections.id, provider_connections.workspace_id, provider_connections.tenant, provider_connections.provider, provider_connections.entra_tenant_id, provider_connections.display_name, provider_connections.is_default, provider_connections.connection_type, provider_connections.consent_status, provider_connections.verification_status, provider_connections.health_status, provider_connections.migration_review_required, provider_connections.created_at, provider_connections.updated_at, provider_connections.version;
INSERT INTO provider_connections (workspace_id, tenant, provider, entra_tenant_id, display_name, is_default,
    connection_type, health_status, migration_review_required, version)
  VALUES ((:ws)::text, 't-' || lpad(:t::text, 6, '0'), 'microsoft', gen_random_uuid()::text, 'raw ' || gen_random_uuid(),
          true, 'platform', 'Not verified yet', false, 1)
  RETURNING provider_connections.id, provider_connections.workspace_id, provider_connections.tenant, provider_connections.provider, provider_connections.entra_tenant_id, provider_connections.display_name, provider_connections.is_default, provider_connections.connection_type, provider_connections.consent_status, provider_connections.verification_status, provider_connections.health_status, provider_connections.migration_review_required, provider_connections.created_at, provider_connections.updated_at, provider_connections.version;
SELECT dedicated_credentials.connection_id, dedicated_credentials.client_id, dedicated_credentials.source
  FROM dedicated_credentials WHERE dedicated_credentials.connection_id = ANY (ARRAY[currval('provider_connections_id_seq')]);
INSERT INTO audit_records (actor, workspace_id, tenant, connection_id, action, outcome, reason, request_id)
  VALUES ('sub' || chr(58) || 'bench-member', (:ws)::text, 't-' || lpad(:t::text, 6, '0'), currval('provider_connections_id_seq'),
          'connection.create', 'allowed', NULL, 'raw');
INSERT INTO outbox (event_id, event_type, subject, envelope)
  VALUES (gen_random_uuid(), 'provider-connection.connection.created.v1', 'raw', '{"specversion":"1.0","id":"00000000-0000-0000-0000-000000000000","source":"/identity","type":"identity.group.created.v1","subject":"groups/00000000-0000-0000-0000-000000000000","time":"2026-12-01T00:00:00Z","datacontenttype":"application/json","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","data":{"id":"00000000-0000-0000-0000-000000000000","name":"a group with a plausible name","typeid":1,"localid":"L-000123","description":"a description of a typical length for a directory group, enough to make the event realistic","created":"2026-12-01T00:00:00Z","changed_by":"00000000-0000-0000-0000-000000000000"}}'),
         (gen_random_uuid(), 'provider-connection.connection.updated.v1', 'raw', '{"specversion":"1.0","id":"00000000-0000-0000-0000-000000000000","source":"/identity","type":"identity.group.created.v1","subject":"groups/00000000-0000-0000-0000-000000000000","time":"2026-12-01T00:00:00Z","datacontenttype":"application/json","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","data":{"id":"00000000-0000-0000-0000-000000000000","name":"a group with a plausible name","typeid":1,"localid":"L-000123","description":"a description of a typical length for a directory group, enough to make the event realistic","created":"2026-12-01T00:00:00Z","changed_by":"00000000-0000-0000-0000-000000000000"}}');
COMMIT;
