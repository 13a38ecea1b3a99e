ALTER TABLE identity_providers
    DROP CONSTRAINT identity_providers_idp_type_check,
    DROP CONSTRAINT identity_providers_status_check,
    DROP CONSTRAINT identity_providers_visibility_check;
