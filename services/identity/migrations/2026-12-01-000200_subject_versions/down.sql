ALTER TABLE permissions DROP COLUMN version;
ALTER TABLE grouptypes DROP COLUMN version;
ALTER TABLE groups DROP COLUMN version;
ALTER TABLE users DROP COLUMN version;
