-- POST /groups: the group insert (its type's name in RETURNING; the foreign key's check) and its event, one
-- transaction; ids time-ordered like the service's UUIDv7. No wake-up in SQL (the relay is woken after commit).
\set n random(1, 1000000000)
BEGIN;
INSERT INTO groups (id, name, typeid, localid)
  VALUES ((lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || substr(md5(random()::text), 1, 20))::uuid,
          'raw-' || :n || '-' || gen_random_uuid(), :typeid, 'L1')
  RETURNING groups.id, groups.name, groups.typeid, groups.localid, groups.created, groups.updated, groups.version,
    (SELECT grouptypes.name FROM grouptypes WHERE grouptypes.id = groups.typeid);
INSERT INTO outbox (event_id, event_type, subject, envelope)
  VALUES (gen_random_uuid(), 'identity.group.created.v1', 'groups/raw', '{"specversion":"1.0","id":"00000000-0000-0000-0000-000000000000","source":"/identity","type":"identity.group.created.v1","subject":"groups/00000000-0000-0000-0000-000000000000","time":"2026-12-01T00:00:00Z","datacontenttype":"application/json","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","data":{"id":"00000000-0000-0000-0000-000000000000","name":"a group with a plausible name","typeid":1,"localid":"L-000123","description":"a description of a typical length for a directory group, enough to make the event realistic","created":"2026-12-01T00:00:00Z","changed_by":"00000000-0000-0000-0000-000000000000"}}');
COMMIT;
