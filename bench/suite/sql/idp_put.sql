-- PUT one provider (replace, a real change): the token's revocation check, then in one transaction the
-- application's change id bumped under its row lock, the provider read, upserted, the public set read, the
-- application's version bumped (public-setup changed) and two events.
\set k random(0, 4)
SELECT EXISTS (SELECT revoked_tokens.jti, revoked_tokens.revoked_at, revoked_tokens.revoked_by, revoked_tokens.expires_at
  FROM revoked_tokens WHERE revoked_tokens.jti = 'bench-jti');
BEGIN;
UPDATE applications SET change_id = applications.change_id + 1 WHERE applications.application_id = :app
  RETURNING applications.change_id;
SELECT identity_providers.application_id, identity_providers.key, identity_providers.subject_pool_key, identity_providers.idp_type, identity_providers.status, identity_providers.visibility, identity_providers.config, identity_providers.client_secret_key_id, identity_providers.client_secret_nonce, identity_providers.client_secret_ciphertext, identity_providers.created_at, identity_providers.created_by, identity_providers.last_modified_at, identity_providers.last_modified_by, identity_providers.change_id FROM identity_providers
  WHERE identity_providers.application_id = :app AND identity_providers.key = 'idp-0' || :k LIMIT 1;
INSERT INTO identity_providers (application_id, key, subject_pool_key, idp_type, status, visibility, config,
    client_secret_key_id, client_secret_nonce, client_secret_ciphertext, created_at, created_by, last_modified_at,
    last_modified_by, change_id)
  SELECT application_id, key, subject_pool_key, idp_type, status, visibility,
         jsonb_set(config, '{description}', to_jsonb('raw ' || random())), client_secret_key_id,
         client_secret_nonce, client_secret_ciphertext, created_at, created_by, now(), 'raw', change_id + 1
  FROM identity_providers WHERE application_id = :app AND key = 'idp-0' || :k
  ON CONFLICT (application_id, key) DO UPDATE SET subject_pool_key = excluded.subject_pool_key,
    idp_type = excluded.idp_type, status = excluded.status, visibility = excluded.visibility,
    config = excluded.config, client_secret_key_id = excluded.client_secret_key_id,
    client_secret_nonce = excluded.client_secret_nonce, client_secret_ciphertext = excluded.client_secret_ciphertext,
    last_modified_at = excluded.last_modified_at, last_modified_by = excluded.last_modified_by,
    change_id = excluded.change_id, version = identity_providers.version + 1
  RETURNING identity_providers.application_id, identity_providers.key, identity_providers.subject_pool_key, identity_providers.idp_type, identity_providers.status, identity_providers.visibility, identity_providers.config, identity_providers.client_secret_key_id, identity_providers.client_secret_nonce, identity_providers.client_secret_ciphertext, identity_providers.created_at, identity_providers.created_by, identity_providers.last_modified_at, identity_providers.last_modified_by, identity_providers.change_id, identity_providers.version;
SELECT identity_providers.application_id, identity_providers.key, identity_providers.subject_pool_key, identity_providers.idp_type, identity_providers.status, identity_providers.visibility, identity_providers.config, identity_providers.client_secret_key_id, identity_providers.client_secret_nonce, identity_providers.client_secret_ciphertext, identity_providers.created_at, identity_providers.created_by, identity_providers.last_modified_at, identity_providers.last_modified_by, identity_providers.change_id FROM identity_providers
  WHERE identity_providers.application_id = :app AND identity_providers.status = 'ENABLED'
    AND identity_providers.visibility = 'PUBLIC' ORDER BY identity_providers.key;
UPDATE applications SET version = applications.version + 1 WHERE applications.application_id = :app
  RETURNING applications.version;
INSERT INTO outbox (event_id, event_type, subject, envelope)
  VALUES (gen_random_uuid(), 'idp.provider.replaced.v1', 'raw/p', '{"specversion":"1.0","id":"00000000-0000-0000-0000-000000000000","source":"/identity","type":"identity.group.created.v1","subject":"groups/00000000-0000-0000-0000-000000000000","time":"2026-12-01T00:00:00Z","datacontenttype":"application/json","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","data":{"id":"00000000-0000-0000-0000-000000000000","name":"a group with a plausible name","typeid":1,"localid":"L-000123","description":"a description of a typical length for a directory group, enough to make the event realistic","created":"2026-12-01T00:00:00Z","changed_by":"00000000-0000-0000-0000-000000000000"}}'),
         (gen_random_uuid(), 'idp.public-setup.changed.v1', 'raw', '{"specversion":"1.0","id":"00000000-0000-0000-0000-000000000000","source":"/identity","type":"identity.group.created.v1","subject":"groups/00000000-0000-0000-0000-000000000000","time":"2026-12-01T00:00:00Z","datacontenttype":"application/json","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","data":{"id":"00000000-0000-0000-0000-000000000000","name":"a group with a plausible name","typeid":1,"localid":"L-000123","description":"a description of a typical length for a directory group, enough to make the event realistic","created":"2026-12-01T00:00:00Z","changed_by":"00000000-0000-0000-0000-000000000000"}}');
COMMIT;
