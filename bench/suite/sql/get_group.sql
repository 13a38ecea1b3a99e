-- GET /groups/{groupid}: the group by primary key.
\set n random(1, :groups)
SELECT groups.id, groups.name, groups.typeid, groups.localid, groups.created, groups.updated
  FROM groups WHERE groups.id = md5('g' || :n)::uuid LIMIT 1;
