-- Each subject's version: 1 when created, +1 in the transaction of every change of it (before its event is
-- written), so an event's `subjectversion` lets a subscriber tell a gap or a reordering from normal traffic.
-- An assignment's subject is its user: a grant or a revocation bumps the user's version.
ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE groups ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE grouptypes ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE permissions ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
