-- GET public-identity-provider-setup: the application's change id and its enabled public providers, one query.
\set a random(0, :apps - 1)
SELECT applications.change_id, identity_providers.application_id, identity_providers.key, identity_providers.subject_pool_key, identity_providers.idp_type, identity_providers.status, identity_providers.visibility, identity_providers.config, identity_providers.client_secret_key_id, identity_providers.client_secret_nonce, identity_providers.client_secret_ciphertext, identity_providers.created_at, identity_providers.created_by, identity_providers.last_modified_at, identity_providers.last_modified_by, identity_providers.change_id
  FROM applications LEFT OUTER JOIN identity_providers
    ON identity_providers.application_id = applications.application_id AND identity_providers.status = 'ENABLED'
   AND identity_providers.visibility = ANY (ARRAY['PUBLIC'])
  WHERE applications.application_id = 'app-' || lpad(:a::text, 5, '0')
  ORDER BY identity_providers.key;
