\set n random(1, 1000000000)
BEGIN;
INSERT INTO groups (id, name) VALUES (gen_random_uuid(), 'g' || :n || '-' || gen_random_uuid());
INSERT INTO outbox (event_id, event_type, subject, envelope)
  VALUES (gen_random_uuid(), 'identity.group.created.v1', 'x', '{"specversion":"1.0","data":{"name":"g"}}');
COMMIT;
