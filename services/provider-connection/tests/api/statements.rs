//! How many statements each operation sends to PostgreSQL, pinned: a read is a fixed number of statements
//! whatever the tenant holds (no N+1), a write is its transaction's fixed statements (the change, its audit
//! row, its events). The count comes from the request's access-log line (`db_statements`, every statement of
//! the request's task including `BEGIN`/`COMMIT`), so it is what production logs. An operation whose count
//! changes fails here until the new figure is a decision, pinned with its reason.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    DEDICATED_APP, ENTRA, PLATFORM_SECRET, REQUIRED_ROLE, ROTATED_SECRET, TENANT, TestApp, admin,
    platform_body,
};

/// Every operation of `specs/provider-connection.yaml` with its status and statement count; `{..}` are the
/// ids the test seeds (`{a}`..`{c}` consented platform connections, `{u}` one never linked, `{d}` a dedicated
/// one, `{v}` a consented one with a finished run `{run}`), all in one tenant, with some twenty audit rows.
const PINNED: &str = "
    # Writes: one transaction: BEGIN, the connection read and locked (the scope check), the credential's metadata
    # where the effective app matters, the change, its events in the outbox, its audit row, COMMIT.
    # The create takes the tenant's advisory lock and demotes the previous default (one UPDATE whatever the
    # number of connections, their credentials in one read for their events).
    POST   /tenants/{tenant}/provider-connections                    201  8
    # A first link also moves consent from unknown to required (an UPDATE and its event); a later one only
    # stores its state.
    POST   /provider-connections/{u}/admin-consent-link              200  8
    POST   /provider-connections/{a}/admin-consent-link              200  6
    # The callback also consumes the state (one conditional UPDATE).
    GET    /consent/callback?admin_consent=True&tenant={entra}&state={state}  200  8
    # A start also takes the tenant's run lock, looks for an active run and inserts the queued one.
    POST   /provider-connections/{v}/verification                    202  10
    # Platform to dedicated without a credential changes the effective app: the type and the reset of consent
    # and verification are one UPDATE.
    PUT    /provider-connections/{c}/connection-type                 200  7
    # The credential's upsert, then the connection's UPDATE (its version by two: two events).
    PUT    /provider-connections/{d}/dedicated-credential            200  8
    # The DELETE returns what was stored: no credential read first.
    DELETE /provider-connections/{d}/dedicated-credential            204  7
    # A refusal is an audited decision: its audit row commits alone (here the missing confirmation, 428).
    PUT    /provider-connections/{b}/connection-type?unconfirmed     428  4
    # Reads (not audited): the connection and its credential's metadata; a run; a page of the audit trail, one
    # statement whatever its length (the tenant holds some twenty rows by then).
    GET    /provider-connections/{a}                                 200  2
    GET    /verification-runs/{run}                                  200  1
    GET    /tenants/{tenant}/audit-records                           200  1
    # A keyset page of the trail (extension `after`): one statement, like the offset page.
    GET    /tenants/{tenant}/audit-records?limit=5&after={after}     200  1
    # Operational paths: readiness reads the applied migrations; the rest never touch the database.
    GET    /healthz                                                  200  0
    GET    /readyz                                                   200  2
    GET    /metrics                                                  200  0
    GET    /openapi.yaml                                             200  0
    GET    /openapi.json                                             200  0
    GET    /docs/                                                    200  0
";

/// The body and confirmation header each write of [`PINNED`] sends, by method and path template.
fn parts(method: &str, template: &str) -> (Option<Value>, bool) {
    match (method, template) {
        ("POST", "/tenants/{tenant}/provider-connections") => {
            (Some(platform_body("Measured")), false)
        }
        ("PUT", "/provider-connections/{c}/connection-type") => {
            (Some(json!({"connection_type": "dedicated"})), true)
        }
        ("PUT", "/provider-connections/{b}/connection-type?unconfirmed") => {
            (Some(json!({"connection_type": "dedicated"})), false)
        }
        ("PUT", "/provider-connections/{d}/dedicated-credential") => (
            Some(
                json!({"credential_kind": "client_secret", "client_id": DEDICATED_APP,
                        "client_secret": ROTATED_SECRET, "source": "dedicated_manual"}),
            ),
            false,
        ),
        ("DELETE", "/provider-connections/{d}/dedicated-credential") => (None, true),
        _ => (None, false),
    }
}

fn operational(path: &str) -> bool {
    [
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.yaml",
        "/openapi.json",
        "/docs/",
    ]
    .contains(&path)
}

/// Sends `method path` as request `id`, with `body` and, when `confirm`, the confirmation naming the
/// connection of the path; its status and statement count.
async fn measure(
    app: &TestApp,
    id: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
    confirm: bool,
) -> (u16, u32) {
    let method: Method = method.parse().unwrap();
    // `?unconfirmed` only tells the refused change from the confirmed one in the table.
    let path = path.trim_end_matches("?unconfirmed");
    let mut request = if operational(path) {
        app.client.request(method, format!("{}{path}", app.address))
    } else {
        app.client
            .request(method, app.url(path))
            .bearer_auth(admin())
    };
    request = request.header("x-request-id", id);
    if confirm {
        let connection = path.split('/').nth(2).unwrap();
        request = request.header("X-Confirm-Connection", connection);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let _ = response.bytes().await.unwrap();
    (status, test_support::statements::of(id).await)
}

fn id(connection: &Value) -> String {
    connection["id"].as_i64().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_sends_a_fixed_number_of_statements() {
    test_support::logs::capture();
    let app = TestApp::spawn().await;
    app.fake_token(PLATFORM_SECRET, &[REQUIRED_ROLE]).await;
    app.fake_graph_ok().await;
    // Several connections in the tenant, each with its audit rows (creates, consent links, callbacks, a
    // verification), so that a statement per connection or per audit row would show.
    let a = id(&app.create_platform("A").await);
    let b = id(&app.create_platform("B").await);
    let c = id(&app.create_platform("C").await);
    let v = app.create_platform("V").await["id"].as_i64().unwrap();
    let u = id(&app.create_platform("U").await);
    for connection in [&a, &b, &c] {
        app.grant_consent(connection.parse().unwrap()).await;
    }
    app.grant_consent(v).await;
    let run = app.verify(v).await;
    assert_eq!(run["outcome"], "healthy", "{run}");
    let d = id(&app.create_dedicated(TENANT, "dedicated_manual").await);
    let state = app.consent_state(b.parse().unwrap()).await;

    // The cursor of the trail's first row, from the `Link` of a one-row page.
    let first = app
        .get(
            &format!("/tenants/{TENANT}/audit-records?limit=1"),
            &admin(),
        )
        .await;
    let link = first.headers()["link"].to_str().unwrap();
    let after = link
        .split_once("after=")
        .unwrap()
        .1
        .split_once('>')
        .unwrap()
        .0;
    let vars = [
        ("{after}", after.to_owned()),
        ("{tenant}", TENANT.to_owned()),
        ("{entra}", ENTRA.to_owned()),
        ("{state}", state),
        ("{a}", a),
        ("{b}", b),
        ("{c}", c),
        ("{d}", d),
        ("{u}", u),
        ("{v}", v.to_string()),
        ("{run}", run["id"].as_i64().unwrap().to_string()),
    ];
    let mut tally = test_support::statements::Tally::default();
    for (n, row) in test_support::statements::table(PINNED).iter().enumerate() {
        let (body, confirm) = parts(row.method, row.template);
        let id = format!("statements-{n}");
        let measured = measure(&app, &id, row.method, &row.path(&vars), body, confirm).await;
        tally.record(row, measured);
    }
    tally.assert_pinned();
}
