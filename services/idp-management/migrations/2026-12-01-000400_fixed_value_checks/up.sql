-- The columns whose values come from the contract's enums (db::models::{IdpType, Status, Visibility}) refuse
-- anything else at the database too, as provider-connection's do. Added NOT VALID, then validated, so the
-- table is not locked against writes while existing rows are checked.
ALTER TABLE identity_providers
    ADD CONSTRAINT identity_providers_idp_type_check
        CHECK (idp_type IN ('OAUTH2_IMPLICIT', 'OAUTH2_AUTH_CODE', 'OIDC')) NOT VALID,
    ADD CONSTRAINT identity_providers_status_check
        CHECK (status IN ('ENABLED', 'DISABLED')) NOT VALID,
    ADD CONSTRAINT identity_providers_visibility_check
        CHECK (visibility IN ('APPLICATION', 'PUBLIC', 'HIDDEN')) NOT VALID;
ALTER TABLE identity_providers VALIDATE CONSTRAINT identity_providers_idp_type_check;
ALTER TABLE identity_providers VALIDATE CONSTRAINT identity_providers_status_check;
ALTER TABLE identity_providers VALIDATE CONSTRAINT identity_providers_visibility_check;
