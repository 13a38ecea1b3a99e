-- bench/outbox-wakeup.sh's schema (P11's comparison, in bench/suite.sh): a group table, the outbox as
-- crates/persistence/migrations/outbox creates it, and the NOTIFY wake-up the relay no longer uses.
\set ON_ERROR_STOP on
CREATE TABLE groups (id uuid PRIMARY KEY, name text UNIQUE NOT NULL, created timestamptz NOT NULL DEFAULT now());
CREATE TABLE outbox (seq BIGSERIAL PRIMARY KEY, event_id UUID NOT NULL UNIQUE, event_type TEXT NOT NULL,
  subject TEXT NOT NULL, envelope JSONB NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  delivered_at TIMESTAMPTZ);
CREATE INDEX outbox_pending ON outbox (seq) WHERE delivered_at IS NULL;
CREATE INDEX outbox_delivered_at ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('outbox', ''); RETURN NULL; END $$;
