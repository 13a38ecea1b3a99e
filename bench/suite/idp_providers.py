"""The template application's identity providers for bench/suite.sh, as the body of one list PUT: N providers
(default 5) alternating OIDC and OAuth2 (authorization code, with a client secret the service seals), three of
five ENABLED+PUBLIC (what public discovery lists), the others ENABLED+APPLICATION and DISABLED+PUBLIC."""
import json
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
states = [("ENABLED", "PUBLIC"), ("ENABLED", "PUBLIC"), ("ENABLED", "APPLICATION"), ("ENABLED", "PUBLIC"),
          ("DISABLED", "PUBLIC")]
body = []
for i in range(n):
    key = f"idp-{i:02d}"
    status, visibility = states[i % len(states)]
    p = {"key": key, "subjectPoolKey": "pool-1", "name": f"IdP {key}", "description": f"seeded provider {key}",
         "type": "OIDC" if i % 2 == 0 else "OAUTH2_AUTH_CODE", "status": status, "visibility": visibility,
         "additionalConfigEntries": [{"type": "button-color", "value": "blue"}]}
    if p["type"] == "OIDC":
        p["oidcConfig"] = {"issuer": f"https://login.{key}.example.com", "audience": "console",
                           "usernameMapping": {"attribute": "email"},
                           "nameMapping": {"attribute": "name", "syncOption": "ONCE"}}
    else:
        p["oauth2Config"] = {"clientId": f"client-{key}", "clientSecret": f"secret-of-{key}-0123456789",
                             "authorizeUrl": "https://accounts.example.com/auth",
                             "tokenUrl": "https://oauth.example.com/token",
                             "userInfoUrl": "https://oauth.example.com/userinfo",
                             "subjectMapping": {"attribute": "sub"}, "clientIdMapping": {"attribute": "aud"}}
    body.append(p)
print(json.dumps(body))
