-- Each connection's version: 1 when created, +1 in the transaction of every event about it (before the event is
-- written), so an event's `subjectversion` lets a subscriber tell a gap or a reordering from normal traffic. The
-- subject of every event of this service is the connection: credential, consent and verification events bump
-- their connection's version too.
ALTER TABLE provider_connections ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
