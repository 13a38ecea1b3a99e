-- The relay is no longer woken by NOTIFY: pg_notify at commit takes a lock shared by the whole cluster and holds
-- it through the WAL flush, serializing every write. The committing process wakes its own relay; the relay polls
-- adaptively for rows other replicas commit.
DROP TRIGGER IF EXISTS outbox_notify ON outbox;
DROP FUNCTION IF EXISTS outbox_notify();
