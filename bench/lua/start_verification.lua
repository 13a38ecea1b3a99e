-- POST /admin/provider-connections/{id}/verification over seeded connections, one per tenant, one
-- "token-index|connection-id" per line in $TARGETS_FILE (tokens, one per line in $TOKENS_FILE, each reaching a
-- group of tenants). Thread k of n takes lines k, k+n, ... in order, so no two requests of one pass hit the same
-- connection (each one a `started` run) until the list wraps (then `deduped`: the script counts the outcomes).
local tokens = {}
local targets = {}
local counter = 0
local thread_id = 1
local threads = 1
local next_thread = 0
function setup(thread)
  next_thread = next_thread + 1
  thread:set("tid", next_thread)
end
function init(args)
  thread_id = tid or 1
  threads = tonumber(os.getenv("THREADS") or "2")
  for line in io.lines(os.getenv("TOKENS_FILE")) do tokens[#tokens + 1] = line end
  local i = 0
  for line in io.lines(os.getenv("TARGETS_FILE")) do
    if i % threads == thread_id - 1 then
      local t, id = line:match("(%d+)|(%d+)")
      targets[#targets + 1] = { token = tokens[tonumber(t)], id = id }
    end
    i = i + 1
  end
end
function request()
  counter = counter + 1
  local target = targets[((counter - 1) % #targets) + 1]
  return wrk.format("POST", "/admin/provider-connections/" .. target.id .. "/verification",
    { ["authorization"] = "Bearer " .. target.token })
end
