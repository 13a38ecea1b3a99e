-- The transactional outbox: one row per event, written in the same transaction as the change it describes.
CREATE TABLE outbox (
    seq          BIGSERIAL   PRIMARY KEY,
    event_id     UUID        NOT NULL UNIQUE,
    event_type   TEXT        NOT NULL,
    subject      TEXT        NOT NULL,
    envelope     JSONB       NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at TIMESTAMPTZ
);

-- The relay's claim query and the backlog gauge read only undelivered rows, in order.
CREATE INDEX outbox_pending ON outbox (seq) WHERE delivered_at IS NULL;
-- Retention purges delivered rows by age.
CREATE INDEX outbox_delivered_at ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;

-- Wake the relay at commit time (NOTIFY is transactional: a rolled-back write wakes nobody).
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
