-- GET /groups/{groupid}: the group by primary key with its type's name.
\set n random(1, :groups)
SELECT groups.id, groups.name, groups.typeid, groups.localid, groups.created, groups.updated, grouptypes.name
  FROM groups INNER JOIN grouptypes ON groups.typeid = grouptypes.id WHERE groups.id = md5('g' || :n)::uuid LIMIT 1;
