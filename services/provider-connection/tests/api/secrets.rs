//! Secrets never leave the service: the dedicated and platform client secrets, the JWT key, the consent-state key
//! and the secret-box key appear in no response (headers included), log line (the whole process at trace level
//! while the flows run), audit row or event (the outbox and the bus), in any encoding (`test_support::secrets`);
//! bearer tokens and Microsoft's access tokens are in none either, and nothing token-shaped is in a log line,
//! audit row or event. At rest, the raw credential row holds neither the secret nor an encoding of it, and its
//! ciphertext opens only with the key its key id names.

use crate::helpers::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use provider_connection::auth::Capability;
use reqwest::Method;
use security::secret_box::{SecretBox, SecretBoxSettings, SecretError};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;
use test_support::secrets::Scan;

const STATE_SECRET: &str = "consent-state-test-secret-0123456789abcdef";

/// The raw dedicated credential rows, as JSON (bytea as `\x` hex) and as loaded.
async fn credential_rows(
    pool: &persistence::Pool,
) -> (String, Vec<provider_connection::db::models::Credential>) {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use provider_connection::db::models::Credential;
    use provider_connection::db::schema::dedicated_credentials as creds;
    let mut conn = pool.get().await.unwrap();
    let json: Value = diesel::select(diesel::dsl::sql::<diesel::sql_types::Jsonb>(
        "(SELECT coalesce(jsonb_agg(to_jsonb(t)), '[]') FROM dedicated_credentials t)",
    ))
    .get_result(&mut conn)
    .await
    .unwrap();
    let rows = creds::table
        .select(Credential::as_select())
        .load(&mut conn)
        .await
        .unwrap();
    (json.to_string(), rows)
}

fn secret_box(key_id: &str, key: [u8; 32]) -> SecretBox {
    SecretBox::new(&SecretBoxSettings {
        active_key_id: key_id.to_owned(),
        keys: BTreeMap::from([(key_id.to_owned(), STANDARD.encode(key))]),
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_appear_in_responses_logs_audit_rows_or_events() {
    let app = TestApp::spawn().await;
    let _trace = test_support::logs::verbose();
    let mut subscriber = app.subscribe().await;
    app.fake_token(DEDICATED_SECRET, &[REQUIRED_ROLE]).await;
    app.fake_token(ROTATED_SECRET, &[]).await;
    app.fake_graph_ok().await;
    let admin = admin();
    let limited = without(Capability::ManageDedicated);
    let mut seen = Scan::default();
    let create = format!("/tenants/{TENANT}/provider-connections");

    let response = app
        .post(
            &create,
            &admin,
            &dedicated_body("D", DEDICATED_SECRET, "dedicated_manual"),
        )
        .await;
    let created: Value = serde_json::from_str(&seen.response("create", response).await).unwrap();
    let id = created["id"].as_i64().unwrap();
    // A refused attempt and a malformed one still carry a secret in the request.
    let refused = app
        .post(
            &create,
            &limited,
            &dedicated_body("D", DEDICATED_SECRET, "dedicated_manual"),
        )
        .await;
    seen.response("refused create", refused).await;
    let mut platform_with_secret = dedicated_body("D", DEDICATED_SECRET, "dedicated_manual");
    platform_with_secret["connection_type"] = json!("platform");
    let malformed = app.post(&create, &admin, &platform_with_secret).await;
    seen.response("malformed create", malformed).await;

    let state = app.consent_state(id).await;
    let callback = app
        .callback(&format!("admin_consent=True&tenant={ENTRA}&state={state}"))
        .await;
    seen.response("callback", callback).await;
    let run = app.verify(id).await;
    assert_eq!(run["outcome"], "healthy");
    seen.add("run", run.to_string());
    seen.add("connection", app.connection(id).await.to_string());

    let rotate = json!({"credential_kind": "client_secret", "client_id": DEDICATED_APP, "client_secret": ROTATED_SECRET});
    let path = format!("/provider-connections/{id}/dedicated-credential");
    let rotated = app
        .send(Method::PUT, &path, &admin, Some(&rotate), &[])
        .await;
    seen.response("rotate", rotated).await;
    let refused = app
        .send(Method::PUT, &path, &limited, Some(&rotate), &[])
        .await;
    seen.response("refused rotate", refused).await;
    let run = app.verify(id).await;
    assert_eq!(run["outcome"], "degraded");
    seen.add("run", run.to_string());

    // At rest: the raw row holds no form of the secret; its ciphertext opens with its key id's key alone.
    let (raw, rows) = credential_rows(&app.pool).await;
    let mut at_rest = Scan::default();
    at_rest.add("dedicated_credentials", raw);
    for row in &rows {
        at_rest.add(
            "ciphertext",
            String::from_utf8_lossy(&row.ciphertext).into_owned(),
        );
    }
    at_rest.assert_clean(&[
        ("rotated secret", ROTATED_SECRET.as_bytes()),
        ("dedicated secret", DEDICATED_SECRET.as_bytes()),
    ]);
    let [row] = rows.as_slice() else {
        panic!("one credential row: {}", rows.len())
    };
    assert_eq!(row.key_id, "k1");
    let open = |secrets: &SecretBox| provider_connection::credentials::open(secrets, row);
    assert_eq!(open(&secret_box("k1", [7u8; 32])).unwrap(), ROTATED_SECRET);
    assert_eq!(
        open(&secret_box("k1", [8u8; 32])),
        Err(SecretError::Unauthentic)
    );
    assert_eq!(
        open(&secret_box("k2", [7u8; 32])),
        Err(SecretError::UnknownKey("k1".to_owned()))
    );

    let confirm = id.to_string();
    let deleted = app
        .send(
            Method::DELETE,
            &path,
            &admin,
            None,
            &[("X-Confirm-Connection", &confirm)],
        )
        .await;
    seen.response("delete", deleted).await;
    let trail = app
        .get(&format!("/tenants/{TENANT}/audit-records"), &admin)
        .await;
    seen.response("audit trail", trail).await;

    let mut kept = Scan::default();
    kept.add(
        "audit rows",
        serde_json::to_string(&audit_rows(&app.pool).await).unwrap(),
    );
    let outbox = outbox_events(&app.pool).await;
    kept.add("outbox", serde_json::to_string(&outbox).unwrap());
    for received in subscriber.take(outbox.len(), Duration::from_secs(15)).await {
        kept.add("published event", received.event.to_string());
    }
    drop(_trace);
    let logs = test_support::logs::text();
    assert!(
        logs.contains("verification run finished"),
        "the worker's logs are captured"
    );
    assert!(
        logs.contains(r#""level":"TRACE""#),
        "the logs were captured at trace level"
    );
    kept.add("logs", logs);

    let microsoft_token = fake_access_token(&[REQUIRED_ROLE]);
    let key = [7u8; 32];
    let key_b64 = STANDARD.encode(key);
    let secrets: [(&str, &[u8]); 10] = [
        ("dedicated secret", DEDICATED_SECRET.as_bytes()),
        ("rotated secret", ROTATED_SECRET.as_bytes()),
        ("platform secret", PLATFORM_SECRET.as_bytes()),
        ("JWT key", JWT_SECRET.as_bytes()),
        ("consent-state key", STATE_SECRET.as_bytes()),
        ("secret-box key", &key),
        ("secret-box key (configured)", key_b64.as_bytes()),
        ("bearer token", admin.as_bytes()),
        ("limited bearer token", limited.as_bytes()),
        ("Microsoft's access token", microsoft_token.as_bytes()),
    ];
    seen.assert_clean(&secrets);
    kept.assert_clean(&secrets);
    kept.assert_no_tokens();
    // The fake Microsoft did receive the secrets: the scan above looked where they could have leaked.
    let requests = app.microsoft.received_requests().await.unwrap();
    for secret in [DEDICATED_SECRET, ROTATED_SECRET] {
        assert!(
            requests
                .iter()
                .any(|r| String::from_utf8_lossy(&r.body).contains(secret))
        );
    }
}
