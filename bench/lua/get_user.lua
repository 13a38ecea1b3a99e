-- GET /api/v1/users/{oid} over a list of existing oids (one per line in $IDS_FILE), round-robin per thread from a
-- random offset.
local ids = {}
local counter = 0
function init(args)
  for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
  counter = math.random(1, #ids)
end
function request()
  counter = counter + 1
  return wrk.format("GET", "/api/v1/users/" .. ids[(counter % #ids) + 1], { ["x-functions-key"] = os.getenv("KEY") })
end
