//! The one public client of the original identity API, carlislefsp/CFSBPermissionsApp (a Next.js admin app),
//! replayed against the real service. Every call of its `src/services/*.ts` is sent the way its
//! `ApiService.fetch` (src/services/api.ts) sends it: `PERMISSION_API_BASE_URL` + the endpoint, the function key
//! appended as the `code` query parameter, `Content-Type: application/json`, `Accept: application/json` and
//! `X-API-Version: 1.0` on every request (GET and DELETE included), a `JSON.stringify`-ed body where the method
//! gives one. What comes back is checked the way its code reads it: `response.ok`, then `response.json()` on
//! every 2xx, typed by its `src/types` (Group, GroupType, Permission, User, GroupUserPermission, AADUserDetails,
//! B2C*Response). Each call names the client function it replays.
//!
//! One thing the client would not survive is kept as the contract says: `fetch` calls `response.json()` on a
//! 2xx whatever its status, and a 204's empty body makes that throw, so its `delete*` / `remove*` functions
//! reject after a successful delete. The contract's 204s are kept (asserted below); the app itself calls none
//! of them (its pages use only getGroups, getUsers and getUserGroups).

use reqwest::{Method, Url};
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::graph::{self, USER};
use crate::helpers::{KEY, TestApp};

/// The client's `ApiService`, configured with the spawned service as `PERMISSION_API_BASE_URL` and the test
/// function key as `PERMISSION_API_CODE`.
struct CfsbClient<'a> {
    app: &'a TestApp,
}

/// What a call gives the client back.
struct Reply {
    status: u16,
    content_type: Option<String>,
    body: String,
}

impl Reply {
    /// `response.ok`.
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `response.json()` after `response.ok`, as `ApiService.fetch` returns it: the body parsed as JSON (an
    /// empty body is the SyntaxError `response.json()` throws).
    fn json(&self) -> Value {
        assert!(
            self.ok(),
            "the client throws on {}: {}",
            self.status,
            self.body
        );
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "response.json() throws on {:?} ({:?}): {e}",
                self.body, self.content_type
            )
        })
    }
}

impl CfsbClient<'_> {
    /// `ApiService.fetch(endpoint, { method, body })` (src/services/api.ts).
    async fn fetch(&self, method: Method, endpoint: &str, body: Option<&Value>) -> Reply {
        // `new URL(`${baseUrl}${endpoint}`)`, then `url.searchParams.append('code', apiCode)`.
        let mut url = Url::parse(&format!("{}{endpoint}", self.app.api(""))).unwrap();
        url.query_pairs_mut().append_pair("code", KEY);
        let mut request = self
            .app
            .client
            .request(method, url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .header("X-API-Version", "1.0");
        if let Some(body) = body {
            request = request.body(serde_json::to_string(body).unwrap());
        }
        let response = request.send().await.unwrap();
        Reply {
            status: response.status().as_u16(),
            content_type: response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned()),
            body: response.text().await.unwrap(),
        }
    }

    async fn get(&self, endpoint: &str) -> Reply {
        self.fetch(Method::GET, endpoint, None).await
    }
}

/// JavaScript's `encodeURIComponent`, which the client applies to a group name and an email.
fn encode_uri_component(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A `string` of the client's types.
fn string(value: &Value, field: &str) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} must be a string in {value}"))
        .to_owned()
}

/// A `string | null` (or optional `string`) of the client's types.
fn string_or_null(value: &Value, field: &str) -> Option<String> {
    match &value[field] {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => panic!("{field} must be a string or null, got {other}"),
    }
}

/// A `number` of the client's types (`typeid` and a group type's `id` are compared with `===` to its numeric
/// constants, `GROUP_TYPES` in src/config/groups.ts).
fn number(value: &Value, field: &str) -> i64 {
    value[field]
        .as_i64()
        .unwrap_or_else(|| panic!("{field} must be a number in {value}"))
}

/// src/types/group.ts `Group`: `id`, `name` strings, `typeid` number, `typename`, `localid`, `created`,
/// `updated` as `string | null`. `typename` is what GroupList.tsx shows (`group.typename || 'N/A'`).
fn assert_group(group: &Value, name: &str, typeid: i64, typename: &str, localid: Option<&str>) {
    Uuid::parse_str(&string(group, "id")).unwrap();
    assert_eq!(string(group, "name"), name, "{group}");
    assert_eq!(number(group, "typeid"), typeid, "{group}");
    assert_eq!(
        string_or_null(group, "typename").as_deref(),
        Some(typename),
        "{group}"
    );
    assert_eq!(string_or_null(group, "localid").as_deref(), localid);
    string_or_null(group, "created").unwrap();
    string_or_null(group, "updated").unwrap();
}

/// src/types/group.ts `GroupType`: `id` number, `name`, `created`, `updated` strings.
fn assert_grouptype(grouptype: &Value, name: &str) {
    number(grouptype, "id");
    assert_eq!(string(grouptype, "name"), name);
    string(grouptype, "created");
    string(grouptype, "updated");
}

/// src/types/permission.ts `Permission`: `id`, `name` strings, `description?` (never sent by this API).
fn assert_permission(permission: &Value, name: &str) {
    Uuid::parse_str(&string(permission, "id")).unwrap();
    assert_eq!(string(permission, "name"), name);
    assert!(permission.get("description").is_none());
}

/// src/types/user.ts `GroupUserPermission`: the three ids as strings, `created?`, `updated?`.
fn assert_assignment(assignment: &Value, oid: &str, groupid: &str, permissionid: &str) {
    assert_eq!(string(assignment, "userid"), oid);
    assert_eq!(string(assignment, "groupid"), groupid);
    assert_eq!(string(assignment, "permissionid"), permissionid);
    string(assignment, "created");
    string(assignment, "updated");
}

/// A 204 as the contract answers it: no body at all (which the client's `response.json()` cannot parse).
fn assert_no_content(reply: &Reply) {
    assert_eq!(reply.status, 204, "{}", reply.body);
    assert!(reply.body.is_empty(), "{}", reply.body);
    assert_eq!(reply.content_type, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn its_directory_calls_work_unchanged() {
    let app = TestApp::spawn().await;
    let client = CfsbClient { app: &app };

    // groupTypes.ts createGroupType: the body is `Omit<GroupType, 'id' | 'created' | 'updated'>`.
    let reply = client
        .fetch(
            Method::POST,
            "/grouptypes",
            Some(&json!({"name": "Customer"})),
        )
        .await;
    assert_eq!(reply.status, 201);
    let customer = reply.json();
    assert_grouptype(&customer, "Customer");
    let typeid = number(&customer, "id");
    let role = client
        .fetch(Method::POST, "/grouptypes", Some(&json!({"name": "Role"})))
        .await
        .json();
    let roleid = number(&role, "id");

    // groupTypes.ts getGroupTypes, getGroupTypeById.
    let types = client.get("/grouptypes").await.json();
    assert_eq!(types, json!([customer, role]));
    assert_grouptype(
        &client.get(&format!("/grouptypes/{typeid}")).await.json(),
        "Customer",
    );

    // groupTypes.ts updateGroupType: `Partial<GroupType>`, here the type as read with a new name.
    let mut renamed = role.clone();
    renamed["name"] = json!("Roles");
    let reply = client
        .fetch(
            Method::PUT,
            &format!("/grouptypes/{roleid}"),
            Some(&renamed),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_grouptype(&reply.json(), "Roles");

    // groups.ts createGroup: `Omit<Group, 'id' | 'created' | 'updated'>`, so `typename` is sent too (ignored).
    let reply = client
        .fetch(
            Method::POST,
            "/groups",
            Some(&json!({"name": "Customer Account 12", "typeid": typeid, "typename": null, "localid": "123456789AB"})),
        )
        .await;
    assert_eq!(reply.status, 201);
    let group = reply.json();
    assert_group(
        &group,
        "Customer Account 12",
        typeid,
        "Customer",
        Some("123456789AB"),
    );
    let groupid = string(&group, "id");
    let other = client
        .fetch(
            Method::POST,
            "/groups",
            Some(&json!({"name": "Sales Rep", "typeid": roleid, "typename": "Roles", "localid": null})),
        )
        .await
        .json();
    assert_group(&other, "Sales Rep", roleid, "Roles", None);
    let otherid = string(&other, "id");

    // groups.ts getGroups (api/groups/route.ts, shown by GroupList.tsx), getGroupById.
    let groups = client.get("/groups").await.json();
    let groups = groups.as_array().unwrap();
    assert_eq!(groups.len(), 2);
    for shown in groups {
        let expected = if shown["id"] == group["id"] {
            &group
        } else {
            &other
        };
        assert_eq!(shown, expected);
    }
    assert_eq!(
        client.get(&format!("/groups/{groupid}")).await.json(),
        group
    );

    // groups.ts updateGroup: `Partial<Group>`, here the group as read, moved to the other type and renamed.
    let mut moved = group.clone();
    moved["name"] = json!("Customer Account 12b");
    moved["typeid"] = json!(roleid);
    let reply = client
        .fetch(Method::PUT, &format!("/groups/{groupid}"), Some(&moved))
        .await;
    assert_eq!(reply.status, 200);
    let moved = reply.json();
    assert_group(
        &moved,
        "Customer Account 12b",
        roleid,
        "Roles",
        Some("123456789AB"),
    );
    assert_eq!(string(&moved, "id"), groupid);

    // groups.ts getGroupsByLocalId; groupTypes.ts getGroupsByGroupType, getGroupsByGroupTypeAndLocalId.
    assert_eq!(
        client.get("/groupsbylocal/123456789AB").await.json(),
        json!([moved])
    );
    let of_role = client
        .get(&format!("/grouptypes/{roleid}/groups"))
        .await
        .json();
    assert_eq!(of_role.as_array().unwrap().len(), 2);
    assert!(of_role.as_array().unwrap().contains(&moved));
    assert_eq!(
        client
            .get(&format!("/grouptypes/{roleid}/groups/123456789AB"))
            .await
            .json(),
        json!([moved])
    );
    assert_eq!(
        client
            .get(&format!("/grouptypes/{typeid}/groups"))
            .await
            .json(),
        json!([])
    );

    // permissions.ts createPermission (`Omit<Permission, ...>`: name and the optional description),
    // getPermissions, getPermissionById, updatePermission.
    let reply = client
        .fetch(
            Method::POST,
            "/permissions",
            Some(&json!({"name": "Read", "description": "may read"})),
        )
        .await;
    assert_eq!(reply.status, 201);
    let permission = reply.json();
    assert_permission(&permission, "Read");
    let permissionid = string(&permission, "id");
    let listed = client.get("/permissions").await.json();
    assert_eq!(listed, json!([permission]));
    assert_eq!(
        client
            .get(&format!("/permissions/{permissionid}"))
            .await
            .json(),
        permission
    );
    let reply = client
        .fetch(
            Method::PUT,
            &format!("/permissions/{permissionid}"),
            Some(&json!({"id": permissionid, "name": "Read all"})),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_permission(&reply.json(), "Read all");

    // users.ts: the users come from the B2C connectors; getUsers (api/users/route.ts), getUserById.
    let user = app.seed_user("test.user@cfsbrands.dev").await;
    let oid = user.oid.to_string();
    let users = client.get("/users").await.json();
    assert_eq!(users.as_array().unwrap().len(), 1);
    let shown = &users[0];
    // src/types/user.ts `User`: oid, email strings (UserList.tsx lower-cases the email), firstname?, lastname?,
    // country?, created?, updated? (optional strings). `username: string` is declared but never read, and
    // this API has no such field.
    assert_eq!(string(shown, "oid"), oid);
    assert_eq!(string(shown, "email"), "test.user@cfsbrands.dev");
    assert_eq!(string_or_null(shown, "firstname").as_deref(), Some("Test"));
    assert_eq!(string_or_null(shown, "lastname").as_deref(), Some("User"));
    assert_eq!(string_or_null(shown, "country").as_deref(), Some("US"));
    string(shown, "created");
    string(shown, "updated");
    assert_eq!(&client.get(&format!("/users/{oid}")).await.json(), shown);

    // users.ts assignPermissionToUserGroup: a POST without a body (still with its JSON Content-Type).
    let assignment = format!("/users/{oid}/groups/{groupid}/permissions/{permissionid}");
    let reply = client.fetch(Method::POST, &assignment, None).await;
    assert_eq!(reply.status, 201);
    let granted = reply.json();
    assert_assignment(&granted, &oid, &groupid, &permissionid);
    let again = client.fetch(Method::POST, &assignment, None).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json(), granted);

    // users.ts getUserGroups (api/users/[userId]/groups/route.ts, read by group-utils.ts: id and typeid),
    // getUserGroupPermissions, getUserGroupPermission; groups.ts getGroupUsers.
    assert_eq!(
        client.get(&format!("/users/{oid}/groups")).await.json(),
        json!([moved])
    );
    let held = client
        .get(&format!("/users/{oid}/groups/{groupid}/permissions"))
        .await
        .json();
    assert_eq!(held.as_array().unwrap().len(), 1);
    assert_permission(&held[0], "Read all");
    assert_eq!(client.get(&assignment).await.json(), granted);
    let members = client.get(&format!("/groups/{groupid}/users")).await.json();
    assert_eq!(members, json!([shown]));

    // The deletes: users.ts removePermissionFromUserGroup, groups.ts deleteGroup, permissions.ts
    // deletePermission, groupTypes.ts deleteGroupType; the contract's 204 each (see the module's note).
    assert_no_content(&client.fetch(Method::DELETE, &assignment, None).await);
    assert_no_content(
        &client
            .fetch(Method::DELETE, &format!("/groups/{groupid}"), None)
            .await,
    );
    assert_no_content(
        &client
            .fetch(Method::DELETE, &format!("/groups/{otherid}"), None)
            .await,
    );
    assert_no_content(
        &client
            .fetch(
                Method::DELETE,
                &format!("/permissions/{permissionid}"),
                None,
            )
            .await,
    );
    assert_no_content(
        &client
            .fetch(Method::DELETE, &format!("/grouptypes/{roleid}"), None)
            .await,
    );
    // A failure is what `fetch` turns into its own errors by status (here 404, 'Resource not found').
    assert_eq!(client.get(&format!("/groups/{groupid}")).await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn its_bare_id_calls_get_the_json_string_its_fetch_parses() {
    let server = MockServer::start().await;
    graph::mount_tokens(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(graph::graph_users(json!([{
            "id": USER, "mail": "new.person@cfsbrands.com", "userPrincipalName": "new.person@cfsbrands.com",
            "givenName": "New", "surname": "Person", "country": "US"
        }])))
        .expect(1)
        .mount(&server)
        .await;
    let app = graph::spawn(&server).await;
    let client = CfsbClient { app: &app };
    let typeid = app.create_grouptype("ECommerce").await["id"]
        .as_i64()
        .unwrap();
    let group = app
        .create_group("Sales Rep / CFP & DNX", typeid, None)
        .await;

    // groups.ts getGroupByName: `fetch<string>(`/groups/name/${encodeURIComponent(name)}`)`.
    let reply = client
        .get(&format!(
            "/groups/name/{}",
            encode_uri_component("Sales Rep / CFP & DNX")
        ))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    assert_eq!(reply.json(), group["id"]);
    assert_eq!(
        client.get("/groups/name/nobody").await.status,
        404,
        "'Resource not found'"
    );

    // aad.ts getOrCreateUserByEmail: POST `/aad/getoidbyemail?email=${encodeURIComponent(email)}`, no body:
    // created from Graph (201), then found locally (200); the oid either way.
    let endpoint = format!(
        "/aad/getoidbyemail?email={}",
        encode_uri_component("new.person@cfsbrands.com")
    );
    for status in [201, 200] {
        let reply = client.fetch(Method::POST, &endpoint, None).await;
        assert_eq!(reply.status, status);
        assert_eq!(reply.content_type.as_deref(), Some("application/json"));
        assert_eq!(reply.json(), json!(USER));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn its_b2c_and_aad_calls_work_unchanged() {
    let server = MockServer::start().await;
    graph::mount_tokens(&server).await;
    for token in ["b2c-token", "aad-token"] {
        Mock::given(method("GET"))
            .and(path(format!("/v1.0/users/{USER}")))
            .and(header("authorization", format!("Bearer {token}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(graph::graph_user()))
            .mount(&server)
            .await;
    }
    let app = graph::spawn(&server).await;
    let client = CfsbClient { app: &app };

    // b2c.ts register: a `B2CCreateRequest`, answered with a `B2CContinuationResponse`.
    let reply = client
        .fetch(
            Method::POST,
            "/b2c/register",
            Some(&json!({
                "email": "new.customer@example.com",
                "identities": [{"signInType": "emailAddress", "issuer": "cfsbrandsb2c.onmicrosoft.com", "issuerAssignedId": "new.customer@example.com"}],
                "displayName": "New Customer",
                "step": "PostAttributeCollection",
                "client_id": "3e945e86-81cb-4736-a81e-ee85cffdcdf6"
            })),
        )
        .await;
    assert_eq!(reply.status, 200);
    let continued = reply.json();
    assert_eq!(continued["version"], "1.0.0");
    assert_eq!(continued["action"], "Continue");

    // b2c.ts token: a `B2CTokenRequest` without the optional givenName, surname and country.
    let oid = Uuid::new_v4().to_string();
    let reply = client
        .fetch(
            Method::POST,
            "/b2c/token",
            Some(&json!({
                "objectId": oid,
                "email": "new.customer@example.com",
                "identities": [],
                "step": "PreTokenIssuance",
                "client_id": "3e945e86-81cb-4736-a81e-ee85cffdcdf6"
            })),
        )
        .await;
    assert_eq!(reply.status, 200);
    let continued = reply.json();
    assert_eq!(continued["version"], "1.0.0");
    assert_eq!(continued["action"], "Continue");
    // `B2CContinuationResponse` is `[key: string]: string | undefined`: every claim a string.
    assert!(
        continued
            .as_object()
            .unwrap()
            .values()
            .all(Value::is_string)
    );

    // That user as users.ts getUserById shows it: the names and country it has none of are left out, as its
    // `firstname?: string` types declare (and the contract, which types them `string`, never null).
    let user = client.get(&format!("/users/{oid}")).await.json();
    assert_eq!(string(&user, "email"), "new.customer@example.com");
    for field in ["firstname", "lastname", "country"] {
        assert!(user.get(field).is_none(), "{field}: {user}");
    }

    // b2c.ts getUserDetails and aad.ts getUserDetails: `B2CUserDetails` / `AADUserDetails`.
    for endpoint in [
        format!("/b2c/userdetails/{USER}"),
        format!("/aad/userdetails/{USER}"),
    ] {
        let reply = client.get(&endpoint).await;
        assert_eq!(reply.status, 200, "{endpoint}: {}", reply.body);
        let details = reply.json();
        assert_eq!(details["AccountEnabled"], true);
        assert!(details["BusinessPhones"].is_array());
        for field in [
            "CreatedDateTime",
            "DisplayName",
            "GivenName",
            "Mail",
            "Surname",
            "UserPrincipalName",
            "UserType",
            "Id",
        ] {
            string(&details, field);
        }
        assert_eq!(string(&details, "Id"), USER);
        string(&details, "LastPasswordChangeDateTime");
        // Declared as an object, but null here as the contract says (Graph's sign-in activity needs a
        // licence this API does not assume); the client reads none of it.
        assert_eq!(details["SignInActivity"], Value::Null);
    }
}
