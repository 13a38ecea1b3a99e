-- GET /users/{oid}: the user by primary key (ids as bench/suite/seed-identity.sql makes them).
\set n random(1, :users)
SELECT users.oid, users.email, users.firstname, users.lastname, users.country, users.created, users.updated
  FROM users WHERE users.oid = md5('u' || :n)::uuid LIMIT 1;
