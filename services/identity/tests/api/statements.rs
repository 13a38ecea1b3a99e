//! How many statements each endpoint sends to PostgreSQL, pinned: a list is one statement whatever its length
//! (no N+1), a write is its transaction's fixed statements. The count comes from the request's access-log line
//! (`db_statements`, every statement of the request's task including `BEGIN`/`COMMIT`), so it is what production
//! logs. An endpoint whose count changes fails here until the new figure is a decision, pinned with its reason.

use serde_json::{Value, json};

use crate::connectors::{attribute_submit, register_example, token_example};
use crate::helpers::{KEY, TestApp};

/// Every endpoint that touches the database (the Graph-only user details are left out) with its status and
/// statement count; `{..}` are the ids the test seeds.
const PINNED: &str = "
    # Reads: one statement, plus an existence check where the contract answers 404 for a missing parent.
    GET    /users                                          200  1
    GET    /users/{user}                                   200  1
    GET    /users/{user}/groups                            200  2
    GET    /users/{user}/groups/{g}/permissions            200  2
    GET    /users/{user}/groups/{g}/permissions/{p0}       200  1
    GET    /groups                                         200  1
    GET    /groups/{g}                                     200  1
    GET    /groups/{g}/users                               200  2
    GET    /groupsbylocal/L                                200  1
    GET    /groups/name/G1                                 200  1
    GET    /permissions                                    200  1
    GET    /permissions/{p}                                200  1
    GET    /grouptypes                                     200  1
    GET    /grouptypes/{type}                              200  1
    GET    /grouptypes/{type}/groups                       200  2
    GET    /grouptypes/{type}/groups/L                     200  2
    # Keyset pages (extension `after`): one statement like the offset page, plus the same existence check.
    GET    /users?limit=2&after={after_user}               200  1
    GET    /groups?limit=2&after={after_group}             200  1
    GET    /groupsbylocal/L?limit=2&after={after_group}    200  1
    GET    /permissions?limit=2&after={after_permission}   200  1
    GET    /grouptypes?limit=1&after={after_type}          200  1
    GET    /grouptypes/{type}/groups?after={after_group}   200  2
    GET    /grouptypes/{type}/groups/L?after={after_group} 200  2
    # Writes: BEGIN, the row (an update locks it first, for its event's `changes`), the outbox, COMMIT; a grant
    # or a revoke also bumps its user's version. A cascading delete is set-based: the doomed group holds three
    # assignments of each of two users, the doomed user six more after it, and the count is what one would cost. (A permission
    # or type still in use is refused, 409.)
    PUT    /users/{user}                                   200  5
    POST   /groups                                         201  4
    PUT    /groups/{g}                                     200  5
    POST   /permissions                                    201  4
    PUT    /permissions/{p}                                200  5
    POST   /grouptypes                                     201  4
    PUT    /grouptypes/{type}                              200  5
    POST   /users/{user}/groups/{g}/permissions/{p}        201  5
    DELETE /users/{user}/groups/{g}/permissions/{p}        204  5
    DELETE /grouptypes/{spare_type}                        204  4
    DELETE /permissions/{doomed_permission}                204  4
    DELETE /groups/{doomed_group}                          204  8
    DELETE /users/{doomed_user}                            204  6
    # Connectors (B2C calls the token connector inside every sign-in): register only looks the address up;
    # the token provisions the user in one transaction.
    POST   /b2c/register                                   200  1
    POST   /b2c/token                                      200  6
    POST   /entra/attributecollectionsubmit                200  1
    POST   /aad/getoidbyemail?email=someone@example.com    200  1
    # Operational paths: readiness reads the applied migrations; the rest never touch the database.
    GET    /healthz                                        200  0
    GET    /readyz                                         200  2
    GET    /metrics                                        200  0
    GET    /openapi.yaml                                   200  0
";

/// The body each write of [`PINNED`] sends, by method and path template.
fn body(method: &str, template: &str, typeid: i64) -> Option<Value> {
    Some(match (method, template) {
        ("PUT", "/users/{user}") => {
            json!({"email": "someone@example.com", "firstname": "S", "lastname": "O", "country": "US"})
        }
        ("POST", "/groups") => json!({"name": "New", "typeid": typeid}),
        ("PUT", "/groups/{g}") => json!({"name": "G0b", "typeid": typeid, "localid": "L"}),
        ("POST", "/permissions" | "/grouptypes") => json!({"name": "New"}),
        ("PUT", "/permissions/{p}" | "/grouptypes/{type}") => json!({"name": "Renamed"}),
        ("POST", "/b2c/register") => register_example(),
        ("POST", "/b2c/token") => token_example(),
        ("POST", "/entra/attributecollectionsubmit") => attribute_submit("a@contoso.com", "A B"),
        _ => return None,
    })
}

/// Sends `method path` with `body` as request `id`; its status and statement count.
async fn measure(
    app: &TestApp,
    id: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, u32) {
    let operational = ["/healthz", "/readyz", "/metrics", "/openapi.yaml"].contains(&path);
    let url = if operational {
        format!("{}{path}", app.address)
    } else {
        app.api(path)
    };
    let mut request = app
        .client
        .request(method.parse().unwrap(), url)
        .header("x-functions-key", KEY)
        .header("x-request-id", id);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let status = request.send().await.unwrap().status().as_u16();
    (status, test_support::statements::of(id).await)
}

async fn grant(app: &TestApp, user: &str, group: &str, permission: &str) {
    let path = format!("/users/{user}/groups/{group}/permissions/{permission}");
    assert_eq!(app.post_empty(&path).await.status(), 201);
}

/// The `after` cursor of the `Link` that `path?limit=1` answers with.
async fn cursor(app: &TestApp, path: &str) -> String {
    let response = app.get(&format!("{path}?limit=1")).await;
    let link = response.headers()["link"].to_str().unwrap();
    let (_, after) = link.split_once("after=").unwrap();
    after.split_once('>').unwrap().0.to_owned()
}

fn id(resource: &Value) -> String {
    resource["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_sends_a_fixed_number_of_statements() {
    test_support::logs::capture();
    let app = TestApp::spawn().await;
    let typeid = app.create_grouptype("T").await["id"].as_i64().unwrap();
    let spare_type = app.create_grouptype("Spare").await["id"].as_i64().unwrap();
    // Enough rows that an N+1 would show: every list below returns several.
    let mut groups = Vec::new();
    let mut permissions = Vec::new();
    for n in 0..5 {
        groups.push(id(&app
            .create_group(&format!("G{n}"), typeid, Some("L"))
            .await));
        permissions.push(id(&app.create_permission(&format!("P{n}")).await));
    }
    let user = app.seed_user("someone@example.com").await.oid.to_string();
    for group in &groups {
        for permission in &permissions[..3] {
            grant(&app, &user, group, permission).await;
        }
    }
    let doomed_user = app.seed_user("doomed@example.com").await.oid.to_string();
    let doomed_group = id(&app.create_group("Doomed", typeid, None).await);
    let doomed_permission = id(&app.create_permission("Doomed").await);
    for member in [&doomed_user, &user] {
        for permission in &permissions[..3] {
            grant(&app, member, &doomed_group, permission).await;
        }
    }
    for group in &groups[1..3] {
        for permission in &permissions[..3] {
            grant(&app, &doomed_user, group, permission).await;
        }
    }

    let after_user = cursor(&app, "/users").await;
    let after_group = cursor(&app, "/groups").await;
    let after_permission = cursor(&app, "/permissions").await;
    let after_type = cursor(&app, "/grouptypes").await;
    let vars = [
        ("{after_user}", after_user),
        ("{after_group}", after_group),
        ("{after_permission}", after_permission),
        ("{after_type}", after_type),
        ("{user}", user.clone()),
        ("{g}", groups[0].clone()),
        ("{p}", permissions[4].clone()),
        ("{p0}", permissions[0].clone()),
        ("{type}", typeid.to_string()),
        ("{spare_type}", spare_type.to_string()),
        ("{doomed_user}", doomed_user),
        ("{doomed_group}", doomed_group),
        ("{doomed_permission}", doomed_permission),
    ];
    let mut tally = test_support::statements::Tally::default();
    for (n, row) in test_support::statements::table(PINNED).iter().enumerate() {
        let body = body(row.method, row.template, typeid);
        let id = format!("statements-{n}");
        let measured = measure(&app, &id, row.method, &row.path(&vars), body).await;
        tally.record(row, measured);
    }
    tally.assert_pinned();
}
