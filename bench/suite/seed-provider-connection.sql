-- Provider connections at scale, into the migrated schema (bench/suite.sh): :connections connections over
-- :tenants tenants of workspace :'ws' (one default platform connection per tenant, the others dedicated-less
-- platform ones), and one audit record per connection (its create), as the API would leave them.
\set ON_ERROR_STOP on
\timing on
SET synchronous_commit = off;
INSERT INTO provider_connections (workspace_id, tenant, provider, entra_tenant_id, display_name, is_default,
    connection_type, consent_status, health_status)
  SELECT :'ws', 't-' || lpad((1 + c % :tenants)::text, 6, '0'), 'microsoft',
         md5('e' || c)::uuid::text, 'Connection ' || c, c <= :tenants, 'platform',
         (ARRAY['unknown', 'granted', 'required'])[1 + c % 3], 'Not verified yet'
  FROM generate_series(1, :connections) c;
INSERT INTO audit_records (actor, workspace_id, tenant, connection_id, action, outcome, request_id)
  SELECT 'sub:bench-member', workspace_id, tenant, id, 'connection.create', 'allowed', md5('r' || id)
  FROM provider_connections;
VACUUM ANALYZE;
