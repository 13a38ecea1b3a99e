-- The identity directory at scale, into the migrated schema (bench/suite.sh): :users users, :groups groups in
-- :types group types, :perms permissions, :per_user assignments per user (users x per_user rows in
-- group_user_permissions). Ids are md5-derived (deterministic), so the assignments are generated from the row
-- numbers without reading the tables back. The rows are consistent by construction, so the load runs with
-- session_replication_role = replica: the foreign keys' per-row checks (triggers) are skipped. Every primary key
-- and unique index is maintained as rows go in (rows inserted in primary-key order, so the key's btree grows at
-- its right edge); the assignments' two secondary (non-constraint) indexes are dropped for the load and built
-- again after it, with the migration's own definitions. Generated in the server (INSERT ... SELECT
-- generate_series): no rows cross the client connection.
\set ON_ERROR_STOP on
\timing on
SET session_replication_role = replica;
SET synchronous_commit = off;
SET work_mem = '512MB';
SET maintenance_work_mem = '1GB';
INSERT INTO grouptypes (name) SELECT 'TYPE-' || lpad(t::text, 3, '0') FROM generate_series(1, :types) t;
INSERT INTO permissions (id, name)
  SELECT md5('p' || p)::uuid, 'perm-' || lpad(p::text, 5, '0') FROM generate_series(1, :perms) p;
INSERT INTO groups (id, name, typeid, localid)
  SELECT md5('g' || g)::uuid, 'group-' || g, (SELECT min(id) FROM grouptypes) + g % :types, 'L' || (g % 1000)
  FROM generate_series(1, :groups) g ORDER BY 1;
INSERT INTO users (oid, email, firstname, lastname, country)
  SELECT md5('u' || u)::uuid, 'u' || u || '@bench.test', 'First' || u, 'Last' || u, 'US'
  FROM generate_series(1, :users) u ORDER BY 1;
SELECT pg_get_indexdef('gup_groupid_userid'::regclass) AS gup_groupid_userid_def,
       pg_get_indexdef('gup_permissionid'::regclass) AS gup_permissionid_def \gset
DROP INDEX gup_groupid_userid;
DROP INDEX gup_permissionid;
-- User u holds :per_user (group, permission) pairs: distinct groups (stride groups / per_user), so no
-- primary-key clash.
INSERT INTO group_user_permissions (userid, groupid, permissionid)
  SELECT md5('u' || u)::uuid,
         md5('g' || (1 + (u * 7 + k * (:groups / :per_user)) % :groups))::uuid,
         md5('p' || (1 + (u + k * 13) % :perms))::uuid
  FROM generate_series(1, :users) u, generate_series(0, :per_user - 1) k ORDER BY 1, 2, 3;
:gup_groupid_userid_def;
:gup_permissionid_def;
RESET session_replication_role;
VACUUM ANALYZE;
