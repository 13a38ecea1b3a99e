ALTER TABLE provider_connections DROP COLUMN version;
