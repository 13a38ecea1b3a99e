-- PUT /idp/v1/applications/$APP/identity-providers/{key} (single-provider upsert, no If-Match: accepted as an
-- unconditional write) round-robin over the seeded providers, one "key|type|status|visibility" per line in
-- $PROVIDERS_FILE, each thread from its own offset. The description carries run, thread and counter, so every
-- request is a real change (a replace of an existing provider: new changeId, event; for an ENABLED+PUBLIC one
-- also the public-setup-changed event). OAuth2 bodies omit clientSecret, which keeps the stored (sealed) one.
local providers = {}
local counter = 0
local thread_id = 0
local next_thread = 0
function setup(thread)
  next_thread = next_thread + 1
  thread:set("tid", next_thread)
end
function init(args)
  thread_id = tid or math.random(1, 1000000)
  for line in io.lines(os.getenv("PROVIDERS_FILE")) do
    local key, kind, status, visibility = line:match("([^|]+)|([^|]+)|([^|]+)|(.+)")
    providers[#providers + 1] = { key = key, kind = kind, status = status, visibility = visibility }
  end
  counter = thread_id * 7
end
function request()
  counter = counter + 1
  local p = providers[(counter % #providers) + 1]
  local description = string.format("bench %s thread %d change %d", os.getenv("RUN"), thread_id, counter)
  local config
  if p.kind == "OIDC" then
    config = string.format('"oidcConfig":{"issuer":"https://login.%s.example.com","audience":"console",'
      .. '"usernameMapping":{"attribute":"email"},"nameMapping":{"attribute":"name","syncOption":"ONCE"}}', p.key)
  else
    config = string.format('"oauth2Config":{"clientId":"client-%s","authorizeUrl":"https://accounts.example.com/auth",'
      .. '"tokenUrl":"https://oauth.example.com/token","userInfoUrl":"https://oauth.example.com/userinfo",'
      .. '"subjectMapping":{"attribute":"sub"},"clientIdMapping":{"attribute":"aud"}}', p.key)
  end
  local body = string.format('{"subjectPoolKey":"pool-1","name":"IdP %s","description":"%s","type":"%s",'
    .. '"status":"%s","visibility":"%s",%s,"additionalConfigEntries":[{"type":"button-color","value":"blue"}]}',
    p.key, description, p.kind, p.status, p.visibility, config)
  return wrk.format("PUT", "/idp/v1/applications/" .. os.getenv("APP") .. "/identity-providers/" .. p.key,
    { ["authorization"] = "Bearer " .. os.getenv("TOKEN"), ["content-type"] = "application/json" }, body)
end
