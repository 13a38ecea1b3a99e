//! How many statements each operation sends to PostgreSQL, pinned: a read is one statement whatever the number
//! of providers (no N+1), a write is its transaction's fixed statements. The count comes from the request's
//! access-log line (`db_statements`, every statement of the request's task including `BEGIN`/`COMMIT`), so it
//! is what production logs. An operation whose count changes fails here until the new figure is a decision,
//! pinned with its reason.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, admin, claims, logs, oauth2, oidc, sign, token, without_key};

/// The application the test seeds with [`PROVIDERS`] providers.
const APP: &str = "app-stmts";
/// Enough providers that a statement per provider would show in every count below.
const PROVIDERS: usize = 6;

/// Every operation of `specs/idp-management.yaml` with its status and statement count. A row is
/// `METHOD PATH [VARIANT] STATUS STATEMENTS`; the variant is `ndjson` (Accept: application/x-ndjson),
/// `jti` (a token carrying a `jti`, so the revocation list is looked up) or `anonymous` (no token); without it
/// the request carries a read/write token of [`APP`] (`idp:admin` for the admin paths) and speaks JSON.
const PINNED: &str = "
    # Reads: one statement whatever the number of providers (the application's existence, its change id and its
    # providers come from one join). The list streams its rows from a task of its own, which counts its one
    # statement into the request all the same.
    GET    /applications/app-stmts/identity-providers                         200  1
    GET    /applications/app-stmts/identity-providers         ndjson          200  1
    GET    /applications/app-stmts/identity-providers/idp-0                   200  1
    GET    /applications/app-stmts/public-identity-provider-setup  anonymous  200  1
    GET    /identity-provider-setup                                           200  1
    GET    /identity-provider-setup                           ndjson          200  1
    # A token with a `jti` costs one indexed look-up of the revocation list, on any operation.
    GET    /applications/app-stmts/identity-providers         jti             200  2
    # Writes: BEGIN, the application's change-id bump (its row lock), the provider write (a single upsert reads
    # the row it replaces first, for its event's `changes`), the outbox, COMMIT; when what public discovery
    # shows changes (not for the HIDDEN replace or the APPLICATION delete), also the public rows (one read) and
    # the application's version bump. The set's replace and delete are set-based: their count does not depend on the number of
    # providers they replace or remove.
    PUT    /applications/app-stmts/identity-providers/idp-hidden              204  6
    PUT    /applications/app-stmts/identity-providers/idp-new                 204  8
    DELETE /applications/app-stmts/identity-providers/idp-1                   204  5
    PUT    /applications/app-stmts/identity-providers                         204  8
    DELETE /applications/app-stmts/identity-providers                         204  6
    # Admin: a new registration is its insert and event; a known one reads it back instead. Revoking drops the
    # long-expired entries, then inserts (no transaction: each statement is atomic and the call idempotent).
    PUT    /admin/applications/app-new                                        201  4
    PUT    /admin/applications/app-stmts                                      200  4
    POST   /admin/revoked-tokens                                              204  2
    # The configuration check is a dry run: it stores nothing and reads nothing (an OAuth2 body, checked offline).
    POST   /applications/app-stmts/identity-provider-checks                   200  0
    # Operational paths: readiness reads the applied migrations; the rest never touch the database.
    GET    /healthz                                                           200  0
    GET    /readyz                                                            200  2
    GET    /metrics                                                           200  0
    GET    /openapi.yaml                                                      200  0
    GET    /openapi.json                                                      200  0
    GET    /docs/                                                             200  0
";

/// The seeded set: `idp-0`..; even ones PUBLIC OIDC, odd ones APPLICATION OAuth2 with a secret.
fn providers() -> Vec<Value> {
    (0..PROVIDERS)
        .map(|n| {
            let key = format!("idp-{n}");
            if n % 2 == 0 {
                oidc(&key, "PUBLIC")
            } else {
                oauth2(&key, "APPLICATION", "s3cr3t-value")
            }
        })
        .collect()
}

/// The body each write of [`PINNED`] sends, by method and path.
fn body(method: &str, path: &str) -> Option<Value> {
    let set_path = "/applications/app-stmts/identity-providers";
    Some(match (method, path.strip_prefix(set_path)) {
        // A replace that public discovery does not see (HIDDEN before and after).
        ("PUT", Some("/idp-hidden")) => without_key(oidc("idp-hidden", "HIDDEN")),
        // A new PUBLIC provider: the public setup changes.
        ("PUT", Some("/idp-new")) => without_key(oidc("idp-new", "PUBLIC")),
        // The whole set again, one provider renamed: two replaced, one deleted, one created, public setup
        // changed.
        ("PUT", Some("")) => {
            let mut set = providers();
            set[0]["name"] = json!("renamed");
            set[PROVIDERS - 1] = oidc("idp-other", "PUBLIC");
            Value::Array(set)
        }
        _ if path.ends_with("/identity-provider-checks") => {
            without_key(oauth2("x", "PUBLIC", "s3cr3t-value"))
        }
        _ if path == "/admin/revoked-tokens" => {
            json!({"jti": "revoked-1", "expiresAt": "2099-01-01T00:00:00Z"})
        }
        _ => return None,
    })
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

/// Sends `method path` (as `variant`) as request `id`; its status and statement count.
async fn measure(app: &TestApp, id: &str, method: &str, path: &str, variant: &str) -> (u16, u32) {
    let method: Method = method.parse().unwrap();
    let mut request = if operational(path) {
        app.client
            .request(method.clone(), format!("{}{path}", app.address))
    } else {
        let bearer = match variant {
            "anonymous" => None,
            "jti" => {
                let mut claims = claims(APP, &["idp:read", "idp:write"]);
                claims["jti"] = json!("not-revoked");
                Some(sign(&claims))
            }
            _ if path.starts_with("/admin/") => Some(admin()),
            _ => Some(token(APP)),
        };
        app.request(method.clone(), path, bearer.as_deref())
    };
    request = request.header("x-request-id", id);
    if variant == "ndjson" {
        request = request.header("accept", "application/x-ndjson");
    }
    if let Some(body) = body(method.as_str(), path) {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    // The whole body, so a streamed list has been read to its end.
    let _ = response.bytes().await.unwrap();
    (status, test_support::statements::of(id).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_sends_a_fixed_number_of_statements() {
    let _ = logs();
    let app = TestApp::spawn().await;
    app.register(APP).await;
    let mut set = providers();
    set.push(oidc("idp-hidden", "HIDDEN"));
    let seeded = app
        .put_json(
            &format!("/applications/{APP}/identity-providers"),
            &token(APP),
            &Value::Array(set),
        )
        .await;
    assert_eq!(seeded.status(), 204);

    let mut tally = test_support::statements::Tally::default();
    for (n, row) in test_support::statements::table(PINNED).iter().enumerate() {
        let id = format!("statements-{n}");
        let measured = measure(&app, &id, row.method, row.template, row.variant).await;
        tally.record(row, measured);
    }
    tally.assert_pinned();
}
