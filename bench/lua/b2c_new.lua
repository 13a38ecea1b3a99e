-- POST /api/v1/b2c/$STEP for people never seen before (a unique email, and for the token step a unique objectId
-- built from thread id + counter): register = the sign-up check, token = just-in-time creation with its event.
local counter = 0
local thread_id = 0
local next_thread = 0
function setup(thread)
  next_thread = next_thread + 1
  thread:set("tid", next_thread)
end
function init(args)
  thread_id = tid or math.random(1, 1000000)
end
function request()
  counter = counter + 1
  local run = os.getenv("RUN")
  local email = string.format("new-%s-%d-%d@bench.test", run, thread_id, counter)
  local body
  if os.getenv("STEP") == "token" then
    local oid = string.format("%08x-%04x-4000-8000-%012x", tonumber(run), thread_id, counter)
    body = string.format('{"step":"PreTokenIssuance","client_id":"3e945e86-81cb-4736-a81e-ee85cffdcdf6",'
      .. '"objectId":"%s","email":"%s","givenName":"New","surname":"Person","identities":[]}', oid, email)
  else
    body = string.format('{"step":"PostAttributeCollection","client_id":"3e945e86-81cb-4736-a81e-ee85cffdcdf6",'
      .. '"email":"%s","displayName":"New  Person","identities":[{"signInType":"emailAddress",'
      .. '"issuer":"contoso.onmicrosoft.com","issuerAssignedId":"%s"}]}', email, email)
  end
  return wrk.format("POST", "/api/v1/b2c/" .. os.getenv("STEP"),
    { ["x-functions-key"] = os.getenv("KEY"), ["content-type"] = "application/json" }, body)
end
