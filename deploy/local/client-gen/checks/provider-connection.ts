// Uses the client generated from specs/provider-connection.yaml the way a caller would; `tsc --strict` must
// accept the calls and refuse the ones marked @ts-expect-error (so the types say what the contract says).
import createClient from "openapi-fetch";
import type { paths } from "../generated/provider-connection";

const client = createClient<paths>({ baseUrl: "http://127.0.0.1:8083/admin" });

export async function sample(): Promise<number | undefined> {
  const created = await client.POST("/tenants/{tenant}/provider-connections", {
    params: { path: { tenant: "demo-tenant" } },
    body: { provider: "microsoft", entra_tenant_id: "contoso.onmicrosoft.com", display_name: "Contoso" },
  });
  const id = created.data?.id ?? 1;
  await client.PUT("/provider-connections/{connection}/connection-type", {
    params: { path: { connection: id }, header: { "X-Confirm-Connection": String(id) } },
    body: { connection_type: "dedicated" },
  });
  await client.PUT("/provider-connections/{connection}/connection-type", {
    // @ts-expect-error the confirmation header is required.
    params: { path: { connection: id } },
    body: { connection_type: "platform" },
  });
  const started = await client.POST("/provider-connections/{connection}/verification", {
    params: { path: { connection: id } },
  });
  return started.data?.operation_run_id;
}
