-- POST /b2c/token for a known user: the user locked (the just-in-time check), then the authorization claims.
\set n random(1, :users)
BEGIN;
SELECT users.oid, users.email, users.firstname, users.lastname, users.country, users.created, users.updated
  FROM users WHERE users.oid = md5('u' || :n)::uuid LIMIT 1 FOR UPDATE;
SELECT group_user_permissions.groupid, permissions.name
  FROM group_user_permissions INNER JOIN permissions ON group_user_permissions.permissionid = permissions.id
  WHERE group_user_permissions.userid = md5('u' || :n)::uuid
  ORDER BY group_user_permissions.groupid, permissions.name;
COMMIT;
