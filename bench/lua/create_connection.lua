-- POST /admin/tenants/{tenant}/provider-connections: a platform connection (is_default left to its default, true,
-- so each create after a tenant's first also demotes the previous default), round-robin over the tenants listed
-- comma-separated in $TENANTS (all within $TOKEN's scope), a unique display name and Entra tenant GUID each.
local tenants = {}
local counter = 0
local thread_id = 0
local next_thread = 0
function setup(thread)
  next_thread = next_thread + 1
  thread:set("tid", next_thread)
end
function init(args)
  thread_id = tid or math.random(1, 1000000)
  for t in string.gmatch(os.getenv("TENANTS"), "[^,]+") do tenants[#tenants + 1] = t end
  counter = thread_id * 17
end
function request()
  counter = counter + 1
  local tenant = tenants[(counter % #tenants) + 1]
  local guid = string.format("%08x-%04x-4000-8000-%012x", tonumber(os.getenv("RUN")), thread_id, counter)
  local body = string.format('{"provider":"microsoft","entra_tenant_id":"%s","display_name":"Bench %s %d %d"}',
    guid, os.getenv("RUN"), thread_id, counter)
  return wrk.format("POST", "/admin/tenants/" .. tenant .. "/provider-connections",
    { ["authorization"] = "Bearer " .. os.getenv("TOKEN"), ["content-type"] = "application/json" }, body)
end
