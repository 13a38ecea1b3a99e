-- GET /idp/v1/applications/{app}/public-identity-provider-setup (no token: the public discovery read), as JSON:
-- of $APP, or round-robin from a random offset over the applications listed one per line in $APPS_FILE.
local apps = {}
local counter = 0
function init(args)
  local file = os.getenv("APPS_FILE")
  if file then
    for line in io.lines(file) do apps[#apps + 1] = line end
  else
    apps[1] = os.getenv("APP")
  end
  counter = math.random(1, #apps)
end
function request()
  counter = counter + 1
  return wrk.format("GET", "/idp/v1/applications/" .. apps[(counter % #apps) + 1] .. "/public-identity-provider-setup",
    { ["accept"] = "application/json" })
end
