-- idp-management at scale (bench/suite.sh): :apps applications in all, each with the providers of the template
-- application :'app' (seeded through the API, so its rows are exactly what the service writes), copied by SQL.
\set ON_ERROR_STOP on
\timing on
SET synchronous_commit = off;
INSERT INTO applications (application_id, created_by)
  SELECT 'app-' || lpad(a::text, 5, '0'), 'configuration' FROM generate_series(1, :apps - 1) a;
INSERT INTO identity_providers (application_id, key, subject_pool_key, idp_type, status, visibility, config,
    client_secret_key_id, client_secret_nonce, client_secret_ciphertext, created_at, created_by,
    last_modified_at, last_modified_by, change_id, version)
  SELECT 'app-' || lpad(a::text, 5, '0'), p.key, p.subject_pool_key, p.idp_type, p.status, p.visibility, p.config,
         p.client_secret_key_id, p.client_secret_nonce, p.client_secret_ciphertext, p.created_at, p.created_by,
         p.last_modified_at, p.last_modified_by, p.change_id, p.version
  FROM identity_providers p, generate_series(1, :apps - 1) a
  WHERE p.application_id = :'app';
TRUNCATE outbox;
VACUUM ANALYZE;
