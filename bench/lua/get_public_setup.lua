-- GET /idp/v1/applications/$APP/public-identity-provider-setup (no token: the public discovery read), as JSON.
function request()
  return wrk.format("GET", "/idp/v1/applications/" .. os.getenv("APP") .. "/public-identity-provider-setup",
    { ["accept"] = "application/json" })
end
