-- Each event subject's version: 1 when created, +1 in the transaction of every change of it (before its event
-- is written), so an event's `subjectversion` lets a subscriber tell a gap or a reordering from normal traffic.
-- A provider (subject `<applicationId>/<key>`) is changed by its create, replace and delete. An application's
-- events are its registration and its `public-setup.changed`: its version counts those, unlike `change_id`,
-- which every provider write bumps (also the writes that change nothing public discovery shows).
ALTER TABLE applications ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE identity_providers ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
