//! Isolation (OWASP API1/API5) for identity, one row per route of the contract. Identity has no per-caller
//! isolation by contract: its function keys are all-or-nothing (every configured key opens every function-key
//! route; there are no tenants, applications or owners to keep apart), so what is checked is the key itself:
//! every route but the operational ones refuses no key, a wrong key, an empty key, a near miss (a prefix, the
//! key in another case) with 401 in either position (`x-functions-key` or `?code=`), a right `?code=` does
//! not rescue a wrong header (the header is the key presented), refused writes change nothing, and a right key
//! works in both positions. The connector paths (`/b2c/*`, `/entra/*`) also take HTTP Basic when configured:
//! wrong Basic credentials are 401 with a `Basic` challenge, and Basic opens no other path. The table is
//! checked against the spec's operations, so a new route needs its row here.

use crate::helpers::{KEY, TestApp};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use diesel::sql_types::Jsonb;
use persistence::Pool;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use wiremock::MockServer;

const BASIC_USER: &str = "b2c";
const BASIC_PASSWORD: &str = "correct horse";

/// Who may call a route.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Guard {
    /// A function key (the directory and `/aad/*`).
    Key,
    /// A function key or, configured, HTTP Basic (`/b2c/*`, `/entra/*`).
    Connector,
    /// Nobody needs anything (`security: []`).
    Open,
}

struct Route {
    method: Method,
    /// The spec's path template.
    template: &'static str,
    /// The template with sample ids.
    path: String,
    guard: Guard,
    body: Option<Value>,
}

/// The fixtures' ids: a user, group type, group (of that type, with a local id) and permission.
struct Ids {
    user: String,
    grouptype: i64,
    group: String,
    localid: &'static str,
    permission: String,
}

const OPERATIONAL: [&str; 6] = [
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.yaml",
    "/openapi.json",
    "/docs",
];

fn table(ids: &Ids) -> Vec<Route> {
    let Ids {
        user,
        grouptype,
        group,
        localid,
        permission,
    } = ids;
    let key = |method, template: &'static str, path: String, body: Option<Value>| Route {
        method,
        template,
        path,
        guard: Guard::Key,
        body,
    };
    let connector = |template: &'static str, path: String, body: Value| Route {
        method: Method::POST,
        template,
        path,
        guard: Guard::Connector,
        body: Some(body),
    };
    let named = |name: &str| Some(json!({ "name": name }));
    let mut rows = vec![
        key(Method::GET, "/users", "/users".into(), None),
        key(
            Method::GET,
            "/users/{useroid}",
            format!("/users/{user}"),
            None,
        ),
        key(
            Method::PUT,
            "/users/{useroid}",
            format!("/users/{user}"),
            Some(
                json!({"email": "changed@example.com", "firstname": "C", "lastname": "D", "country": "DE"}),
            ),
        ),
        key(
            Method::DELETE,
            "/users/{useroid}",
            format!("/users/{user}"),
            None,
        ),
        key(
            Method::GET,
            "/users/{useroid}/groups",
            format!("/users/{user}/groups"),
            None,
        ),
        key(
            Method::GET,
            "/users/{useroid}/groups/{groupid}/permissions",
            format!("/users/{user}/groups/{group}/permissions"),
            None,
        ),
        key(
            Method::GET,
            "/users/{useroid}/groups/{groupid}/permissions/{permissionid}",
            format!("/users/{user}/groups/{group}/permissions/{permission}"),
            None,
        ),
        key(
            Method::POST,
            "/users/{useroid}/groups/{groupid}/permissions/{permissionid}",
            format!("/users/{user}/groups/{group}/permissions/{permission}"),
            None,
        ),
        key(
            Method::DELETE,
            "/users/{useroid}/groups/{groupid}/permissions/{permissionid}",
            format!("/users/{user}/groups/{group}/permissions/{permission}"),
            None,
        ),
        key(Method::GET, "/groups", "/groups".into(), None),
        key(
            Method::POST,
            "/groups",
            "/groups".into(),
            Some(json!({"name": "Refused", "typeid": grouptype})),
        ),
        key(
            Method::GET,
            "/groups/{groupid}",
            format!("/groups/{group}"),
            None,
        ),
        key(
            Method::PUT,
            "/groups/{groupid}",
            format!("/groups/{group}"),
            Some(json!({"name": "Renamed", "typeid": grouptype})),
        ),
        key(
            Method::DELETE,
            "/groups/{groupid}",
            format!("/groups/{group}"),
            None,
        ),
        key(
            Method::GET,
            "/groups/{groupid}/users",
            format!("/groups/{group}/users"),
            None,
        ),
        key(
            Method::GET,
            "/groupsbylocal/{localid}",
            format!("/groupsbylocal/{localid}"),
            None,
        ),
        key(
            Method::GET,
            "/groups/name/{name}",
            "/groups/name/Owned".into(),
            None,
        ),
        key(Method::GET, "/permissions", "/permissions".into(), None),
        key(
            Method::POST,
            "/permissions",
            "/permissions".into(),
            named("Refused"),
        ),
        key(
            Method::GET,
            "/permissions/{permissionid}",
            format!("/permissions/{permission}"),
            None,
        ),
        key(
            Method::PUT,
            "/permissions/{permissionid}",
            format!("/permissions/{permission}"),
            named("Renamed"),
        ),
        key(
            Method::DELETE,
            "/permissions/{permissionid}",
            format!("/permissions/{permission}"),
            None,
        ),
        key(Method::GET, "/grouptypes", "/grouptypes".into(), None),
        key(
            Method::POST,
            "/grouptypes",
            "/grouptypes".into(),
            named("Refused"),
        ),
        key(
            Method::GET,
            "/grouptypes/{grouptypeid}",
            format!("/grouptypes/{grouptype}"),
            None,
        ),
        key(
            Method::PUT,
            "/grouptypes/{grouptypeid}",
            format!("/grouptypes/{grouptype}"),
            named("Renamed"),
        ),
        key(
            Method::DELETE,
            "/grouptypes/{grouptypeid}",
            format!("/grouptypes/{grouptype}"),
            None,
        ),
        key(
            Method::GET,
            "/grouptypes/{grouptypeid}/groups",
            format!("/grouptypes/{grouptype}/groups"),
            None,
        ),
        key(
            Method::GET,
            "/grouptypes/{grouptypeid}/groups/{localid}",
            format!("/grouptypes/{grouptype}/groups/{localid}"),
            None,
        ),
        key(
            Method::POST,
            "/aad/getoidbyemail",
            "/aad/getoidbyemail".into(),
            Some(json!({"email": "someone@example.com"})),
        ),
        key(
            Method::GET,
            "/aad/userdetails/{useroid}",
            format!("/aad/userdetails/{user}"),
            None,
        ),
        Route {
            guard: Guard::Connector,
            ..key(
                Method::GET,
                "/b2c/userdetails/{useroid}",
                format!("/b2c/userdetails/{user}"),
                None,
            )
        },
        connector(
            "/b2c/register",
            "/b2c/register".into(),
            json!({"email": "new@example.com"}),
        ),
        connector("/b2c/token", "/b2c/token".into(), json!({"objectId": user})),
        connector(
            "/entra/attributecollectionsubmit",
            "/entra/attributecollectionsubmit".into(),
            json!({"type": "microsoft.graph.authenticationEvent.attributeCollectionSubmit", "data": {}}),
        ),
        connector(
            "/entra/tokenissuancestart",
            "/entra/tokenissuancestart".into(),
            json!({"type": "microsoft.graph.authenticationEvent.tokenIssuanceStart", "data": {}}),
        ),
    ];
    for path in OPERATIONAL {
        rows.push(Route {
            method: Method::GET,
            template: path,
            path: path.to_owned(),
            guard: Guard::Open,
            body: None,
        });
    }
    rows
}

/// How a request presents its credentials.
#[derive(Clone, Copy, Debug)]
enum Credential<'a> {
    None,
    Header(&'a str),
    Query(&'a str),
    /// A header and a `?code=`.
    Both {
        header: &'a str,
        query: &'a str,
    },
    Basic(&'a str, &'a str),
}

async fn call(app: &TestApp, route: &Route, credential: Credential<'_>) -> reqwest::Response {
    let base = if route.guard == Guard::Open {
        app.address.clone()
    } else {
        app.api("")
    };
    let mut url = reqwest::Url::parse(&format!("{base}{}", route.path)).unwrap();
    match credential {
        Credential::Query(key) | Credential::Both { query: key, .. } => {
            url.query_pairs_mut().append_pair("code", key);
        }
        _ => {}
    }
    let mut request = app.client.request(route.method.clone(), url);
    match credential {
        Credential::Header(key) | Credential::Both { header: key, .. } => {
            request = request.header("x-functions-key", key);
        }
        Credential::Basic(user, password) => {
            request = request.header(
                "authorization",
                format!("Basic {}", STANDARD.encode(format!("{user}:{password}"))),
            );
        }
        _ => {}
    }
    if let Some(body) = &route.body {
        request = request.json(body);
    }
    request.send().await.unwrap()
}

/// The directory's rows, as JSON.
async fn directory(pool: &Pool) -> Value {
    use diesel_async::RunQueryDsl;
    let mut conn = pool.get().await.unwrap();
    let tables = [
        "users",
        "groups",
        "grouptypes",
        "permissions",
        "group_user_permissions",
    ];
    let parts: Vec<String> = tables
        .iter()
        .map(|t| format!("'{t}', (SELECT jsonb_agg(to_jsonb(x)) FROM {t} x)"))
        .collect();
    let query = format!(
        "(SELECT jsonb_build_object({}, 'outbox', (SELECT max(seq) FROM outbox)))",
        parts.join(", ")
    );
    diesel::select(diesel::dsl::sql::<Jsonb>(&query))
        .get_result::<Value>(&mut conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_a_missing_or_wrong_key_in_either_position_and_basic_opens_only_the_connectors()
 {
    let microsoft = MockServer::start().await;
    let uri = microsoft.uri();
    let app = TestApp::spawn_with(move |s| {
        s.microsoft.authority = uri.clone();
        s.microsoft.graph_base_url = format!("{uri}/v1.0");
        s.microsoft.timeout_ms = 500;
        s.microsoft.max_retries = 0;
        s.connectors.basic_username = BASIC_USER.to_owned();
        s.connectors.basic_password = BASIC_PASSWORD.to_owned();
    })
    .await;
    let user = app.seed_user("owned@example.com").await;
    let grouptype = app.create_grouptype("Owned").await["id"].as_i64().unwrap();
    let group = app.create_group("Owned", grouptype, Some("local-1")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let permission = app.create_permission("Owned").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ids = Ids {
        user: user.oid.to_string(),
        grouptype,
        group,
        localid: "local-1",
        permission,
    };
    let table = table(&ids);
    let before = directory(&app.pool).await;
    let prefix = &KEY[..KEY.len() - 1];
    let upper = KEY.to_uppercase();
    let refused = [
        Credential::None,
        Credential::Header("nope"),
        Credential::Query("nope"),
        Credential::Header(""),
        Credential::Query(""),
        Credential::Header(prefix),
        Credential::Query(&upper),
        Credential::Both {
            header: "nope",
            query: KEY,
        },
    ];
    let mut failures = Vec::new();
    for route in table.iter().filter(|r| r.guard != Guard::Open) {
        let at = format!("{} {}", route.method, route.template);
        for credential in refused {
            let response = call(&app, route, credential).await;
            let status = response.status().as_u16();
            let problem = response.headers()["content-type"] == "application/problem+json";
            if status != 401 || !problem {
                failures.push(format!("{at} with {credential:?}: {status}"));
            }
        }
        let wrong_basic = call(&app, route, Credential::Basic(BASIC_USER, "wrong")).await;
        let challenge = wrong_basic
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        if wrong_basic.status() != 401 {
            failures.push(format!("{at} with wrong Basic: {}", wrong_basic.status()));
        }
        if route.guard == Guard::Connector && !challenge.is_some_and(|c| c.starts_with("Basic")) {
            failures.push(format!("{at}: no Basic challenge"));
        }
        if route.guard == Guard::Key {
            let basic = call(&app, route, Credential::Basic(BASIC_USER, BASIC_PASSWORD)).await;
            if basic.status() != 401 {
                failures.push(format!("{at} opened by Basic: {}", basic.status()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        directory(&app.pool).await,
        before,
        "no refused call changed the directory or published"
    );

    // A right key (and, on the connector paths, Basic) is never refused; reads answer alike in both positions.
    for route in &table {
        let at = format!("{} {}", route.method, route.template);
        let by_header = call(&app, route, Credential::Header(KEY)).await.status();
        let by_query = call(&app, route, Credential::Query("second-key"))
            .await
            .status();
        if route.guard == Guard::Open {
            let none = call(&app, route, Credential::None).await.status();
            assert!(none.is_success() || none.is_redirection(), "{at}: {none}");
            continue;
        }
        assert_ne!(by_header, 401, "{at} by header");
        assert_ne!(by_query, 401, "{at} by query");
        if route.method == Method::GET {
            assert_eq!(by_header, by_query, "{at}: both positions alike");
        }
        if route.guard == Guard::Connector {
            let basic = call(&app, route, Credential::Basic(BASIC_USER, BASIC_PASSWORD))
                .await
                .status();
            assert_ne!(basic, 401, "{at} by Basic");
        }
    }

    let operations = test_support::methods::operations(contracts::IDENTITY);
    let covered: BTreeSet<(String, String)> = table
        .iter()
        .map(|r| (r.method.to_string(), r.template.to_owned()))
        .collect();
    assert_eq!(covered, operations, "every operation of the spec has a row");
}
