-- GET connection: the connection by id, then its dedicated credential's summary.
\set i random(1, :connections)
SELECT provider_connections.id, provider_connections.workspace_id, provider_connections.tenant, provider_connections.provider, provider_connections.entra_tenant_id, provider_connections.display_name, provider_connections.is_default, provider_connections.connection_type, provider_connections.consent_status, provider_connections.verification_status, provider_connections.health_status, provider_connections.migration_review_required, provider_connections.created_at, provider_connections.updated_at, provider_connections.version FROM provider_connections WHERE provider_connections.id = :i LIMIT 1;
SELECT dedicated_credentials.client_id, dedicated_credentials.source FROM dedicated_credentials
  WHERE dedicated_credentials.connection_id = :i LIMIT 1;
