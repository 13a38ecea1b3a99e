-- GET /users?limit=100&offset=0: the first page in the primary key's order.
SELECT users.oid, users.email, users.firstname, users.lastname, users.country, users.created, users.updated
  FROM users ORDER BY users.oid LIMIT 100 OFFSET 0;
