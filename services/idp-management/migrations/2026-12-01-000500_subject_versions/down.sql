ALTER TABLE identity_providers DROP COLUMN version;
ALTER TABLE applications DROP COLUMN version;
