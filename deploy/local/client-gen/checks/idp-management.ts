// Uses the client generated from specs/idp-management.yaml the way a caller would; `tsc --strict` must accept
// the calls and refuse the ones marked @ts-expect-error (so the types say what the contract says).
import createClient from "openapi-fetch";
import type { paths } from "../generated/idp-management";

const client = createClient<paths>({ baseUrl: "http://127.0.0.1:8082" });
const path = { "application-expression": "demo-app", "identity-provider-key": "idp-1" };

export async function sample(): Promise<string | undefined> {
  const stored = await client.PUT("/idp/v1/applications/{application-expression}/identity-providers/{identity-provider-key}", {
    params: { path, query: { returnUpdated: true }, header: { "If-Match": '"1"' } },
    body: {
      subjectPoolKey: "cognito-pool-1",
      type: "OIDC",
      status: "ENABLED",
      visibility: "PUBLIC",
      oidcConfig: { issuer: "https://issuer.example.com", audience: "demo-app" },
    },
  });
  await client.PUT("/idp/v1/applications/{application-expression}/identity-providers/{identity-provider-key}", {
    params: { path },
    // @ts-expect-error `type` is one of the contract's enum values.
    body: { subjectPoolKey: "p", type: "SAML", status: "ENABLED", visibility: "PUBLIC" },
  });
  const setup = await client.GET("/idp/v1/identity-provider-setup", {});
  return stored.data?.changeId ?? setup.data?.applicationId;
}
