// Uses the client generated from specs/identity.yaml the way a caller would; `tsc --strict` must accept the
// calls and refuse the ones marked @ts-expect-error (so the types say what the contract says).
import createClient from "openapi-fetch";
import type { paths } from "../generated/identity";

const client = createClient<paths>({ baseUrl: "http://127.0.0.1:8081/api/v1" });

export async function sample(): Promise<string | undefined> {
  const created = await client.POST("/groups", {
    body: { name: "Customer Account 12", typeid: 2, localid: "123456789AB" },
  });
  // @ts-expect-error `typeid` is required by Group.
  await client.POST("/groups", { body: { name: "No type" } });
  // @ts-expect-error the path parameter is required.
  await client.GET("/groups/{groupid}", {});
  const read = await client.GET("/users/{useroid}/groups", {
    params: { path: { useroid: "398d87be-0741-48ec-a8ab-dcffa48acc21" } },
  });
  return created.data?.id ?? read.data?.[0]?.typename;
}
