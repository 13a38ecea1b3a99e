BEGIN;
SET LOCAL synchronous_commit = off;
NOTIFY outbox_wake;
COMMIT;
