-- POST /api/v1/b2c/token (step PreTokenIssuance) for existing users, "oid|email" per line in $USERS_FILE, at a
-- random offset per thread then round-robin: the sign-in of a known person (JIT check + authorization claims).
local users = {}
local counter = 0
function init(args)
  for line in io.lines(os.getenv("USERS_FILE")) do users[#users + 1] = line end
  counter = math.random(1, #users)
end
function request()
  counter = counter + 1
  local oid, email = users[(counter % #users) + 1]:match("([^|]+)|(.+)")
  local body = string.format('{"step":"PreTokenIssuance","client_id":"3e945e86-81cb-4736-a81e-ee85cffdcdf6",'
    .. '"objectId":"%s","email":"%s","identities":[],"ui_locales":"en-US"}', oid, email)
  return wrk.format("POST", "/api/v1/b2c/token",
    { ["x-functions-key"] = os.getenv("KEY"), ["content-type"] = "application/json" }, body)
end
