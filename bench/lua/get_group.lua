-- GET /api/v1/groups/{id} over a list of existing ids (one per line in $IDS_FILE), round-robin per thread.
local ids = {}
local counter = 0
function init(args)
  for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
end
function request()
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  return wrk.format("GET", "/api/v1/groups/" .. id, { ["x-functions-key"] = os.getenv("KEY") })
end
