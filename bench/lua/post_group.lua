-- POST /api/v1/groups with a unique name per request (thread id + counter), typeid from $TYPEID.
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
  local body = string.format('{"name":"bench-%s-%d-%d","typeid":%s,"localid":"L%d"}',
    os.getenv("RUN"), thread_id, counter, os.getenv("TYPEID"), counter % 100)
  return wrk.format("POST", "/api/v1/groups",
    { ["x-functions-key"] = os.getenv("KEY"), ["content-type"] = "application/json" }, body)
end
function response(status, headers, body)
  if status ~= 201 then errors_seen = (errors_seen or 0) + 1 end
end
