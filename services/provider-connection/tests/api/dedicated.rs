use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

fn credential(client_id: &str, secret: &str, source: &str) -> Value {
    json!({"credential_kind": "client_secret", "client_id": client_id, "client_secret": secret, "source": source})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_type_needs_confirmation_and_resets_consent_and_verification() {
    let app = TestApp::spawn().await;
    let id = app.create_platform("Contoso").await["id"].as_i64().unwrap();
    app.grant_consent(id).await;
    let path = format!("/provider-connections/{id}/connection-type");
    let body = json!({"connection_type": "dedicated"});
    for headers in [vec![], vec![("X-Confirm-Connection", "999")]] {
        let refused = app
            .send(Method::PUT, &path, &admin(), Some(&body), &headers)
            .await;
        let problem = assert_problem(refused, 428).await;
        assert_eq!(problem["field"], "X-Confirm-Connection");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("X-Confirm-Connection: {id}"))
        );
    }
    let unchanged = app.connection(id).await;
    assert_eq!(unchanged["connection_type"], "platform");
    assert_eq!(unchanged["consent_status"], "granted");
    let audit = audit_rows(&app.pool).await;
    assert_eq!(audit.last().unwrap()["reason"], "confirmation_missing");
    assert_eq!(audit.last().unwrap()["outcome"], "denied");

    let confirm = id.to_string();
    let switched = app
        .send(
            Method::PUT,
            &path,
            &admin(),
            Some(&body),
            &[("X-Confirm-Connection", &confirm)],
        )
        .await;
    assert_eq!(switched.status(), 200);
    let switched: Value = switched.json().await.unwrap();
    assert_eq!(switched["connection_type"], "dedicated");
    assert_eq!(switched["consent_status"], "required");
    assert_eq!(switched["verification_status"], "unknown");
    assert!(
        switched.get("effective_app_id").is_none(),
        "no credential yet: {switched}"
    );
    let events = outbox_events(&app.pool).await;
    assert_eq!(
        events.last().unwrap()["type"],
        "provider-connection.connection.type_changed.v1"
    );

    // Without a credential, consent cannot be asked for and verification is blocked.
    let link = app
        .post_empty(
            &format!("/provider-connections/{id}/admin-consent-link"),
            &admin(),
        )
        .await;
    assert_problem(link, 409).await;
    let run: Value = app
        .post_empty(
            &format!("/provider-connections/{id}/verification"),
            &admin(),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(run["status"], "blocked");
    assert!(
        app.connection(id).await["health_status"]
            .as_str()
            .unwrap()
            .contains("no credential")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_stored_sealed_rotated_and_only_on_dedicated_connections() {
    let app = TestApp::spawn().await;
    let platform = app.create_platform("Platform").await["id"]
        .as_i64()
        .unwrap();
    let refused = app
        .send(
            Method::PUT,
            &format!("/provider-connections/{platform}/dedicated-credential"),
            &admin(),
            Some(&credential(
                DEDICATED_APP,
                DEDICATED_SECRET,
                "dedicated_manual",
            )),
            &[],
        )
        .await;
    assert_problem(refused, 409).await;

    let id = app.create_dedicated(TENANT, "dedicated_manual").await["id"]
        .as_i64()
        .unwrap();
    app.grant_consent(id).await;
    let same_app = app
        .send(
            Method::PUT,
            &format!("/provider-connections/{id}/dedicated-credential"),
            &admin(),
            Some(&credential(
                DEDICATED_APP,
                ROTATED_SECRET,
                "dedicated_imported",
            )),
            &[],
        )
        .await;
    assert_eq!(same_app.status(), 200);
    let same_app: Value = same_app.json().await.unwrap();
    assert_eq!(same_app["credential_source"], "dedicated_imported");
    assert_eq!(
        same_app["consent_status"], "granted",
        "rotating the same app keeps its consent"
    );

    let new_app = "99999999-8888-4777-8666-555555555555";
    let other_app: Value = app
        .send(
            Method::PUT,
            &format!("/provider-connections/{id}/dedicated-credential"),
            &admin(),
            Some(&credential(new_app, ROTATED_SECRET, "dedicated_manual")),
            &[],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other_app["effective_app_id"], new_app);
    assert_eq!(
        other_app["consent_status"], "required",
        "a new app needs consent again"
    );
    assert_eq!(other_app["verification_status"], "unknown");

    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use provider_connection::db::schema::dedicated_credentials as creds;
    let mut conn = app.pool.get().await.unwrap();
    let (key_id, nonce, ciphertext): (String, Vec<u8>, Vec<u8>) = creds::table
        .find(id)
        .select((creds::key_id, creds::nonce, creds::ciphertext))
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(key_id, "k1");
    assert_eq!(nonce.len(), 12);
    let needle = ROTATED_SECRET.as_bytes();
    assert!(
        !ciphertext.windows(needle.len()).any(|w| w == needle),
        "the secret is encrypted at rest"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_credential_needs_confirmation_and_removes_the_app() {
    let app = TestApp::spawn().await;
    let id = app.create_dedicated(TENANT, "dedicated_manual").await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/provider-connections/{id}/dedicated-credential");
    let refused = app.send(Method::DELETE, &path, &admin(), None, &[]).await;
    assert_problem(refused, 428).await;
    assert_eq!(app.connection(id).await["effective_app_id"], DEDICATED_APP);
    let confirm = id.to_string();
    let deleted = app
        .send(
            Method::DELETE,
            &path,
            &admin(),
            None,
            &[("X-Confirm-Connection", &confirm)],
        )
        .await;
    assert_eq!(deleted.status(), 204);
    let connection = app.connection(id).await;
    assert!(connection.get("effective_app_id").is_none());
    assert!(connection.get("credential_source").is_none());
    assert_eq!(connection["consent_status"], "required");
    let again = app
        .send(
            Method::DELETE,
            &path,
            &admin(),
            None,
            &[("X-Confirm-Connection", &confirm)],
        )
        .await;
    assert_problem(again, 404).await;
    let types: Vec<String> = outbox_events(&app.pool)
        .await
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        types.contains(&"provider-connection.credential.deleted.v1".to_owned()),
        "{types:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_legacy_credential_needs_review_until_a_verification_succeeds() {
    let app = TestApp::spawn().await;
    app.fake_token(DEDICATED_SECRET, &[REQUIRED_ROLE]).await;
    app.fake_graph_ok().await;
    let created = app.create_dedicated(TENANT, "legacy_migrated").await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["migration_review_required"], true);
    app.grant_consent(id).await;
    assert_eq!(app.connection(id).await["migration_review_required"], true);
    let run = app.verify(id).await;
    assert_eq!(
        run["outcome"], "healthy",
        "the sealed secret was opened and accepted: {run}"
    );
    assert_eq!(app.connection(id).await["migration_review_required"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_sealed_under_an_old_key_still_open_after_key_rotation() {
    use base64::Engine as _;
    use std::sync::Arc;
    let app = TestApp::spawn_with(|s| s.verification.worker_enabled = false).await;
    app.fake_token(DEDICATED_SECRET, &[REQUIRED_ROLE]).await;
    app.fake_graph_ok().await;
    let id = app.create_dedicated(TENANT, "dedicated_manual").await["id"]
        .as_i64()
        .unwrap();
    app.grant_consent(id).await;
    let started: Value = app
        .post_empty(
            &format!("/provider-connections/{id}/verification"),
            &admin(),
        )
        .await
        .json()
        .await
        .unwrap();
    // A replica configured after the rotation: k2 seals, k1 is kept only to open older rows.
    let mut rotated = app.settings.clone();
    rotated.secrets.active_key_id = "k2".to_owned();
    rotated.secrets.keys.insert(
        "k2".to_owned(),
        base64::engine::general_purpose::STANDARD.encode([9u8; 32]),
    );
    let worker = provider_connection::worker::Worker::from_settings(
        &rotated,
        app.pool.clone(),
        Arc::new(tokio::sync::Notify::new()),
    )
    .unwrap();
    assert!(worker.run_once().await.unwrap());
    let run = app
        .wait_run(started["operation_run_id"].as_i64().unwrap())
        .await;
    assert_eq!(run["outcome"], "healthy", "{run}");
    // The token was requested with the dedicated app, not the platform one.
    let requests = app.microsoft.received_requests().await.unwrap();
    let token = requests
        .iter()
        .find(|r| r.url.path().ends_with("/oauth2/v2.0/token"))
        .unwrap();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&token.body)
        .into_owned()
        .collect();
    assert!(
        form.contains(&("client_id".into(), DEDICATED_APP.into())),
        "{form:?}"
    );
    // Without the old key the row cannot be opened: the run is an error, not a crash.
    let mut lost = rotated.clone();
    lost.secrets.keys.remove("k1");
    let started: Value = app
        .post_empty(
            &format!("/provider-connections/{id}/verification"),
            &admin(),
        )
        .await
        .json()
        .await
        .unwrap();
    let worker = provider_connection::worker::Worker::from_settings(
        &lost,
        app.pool.clone(),
        Arc::new(tokio::sync::Notify::new()),
    )
    .unwrap();
    assert!(worker.run_once().await.unwrap());
    let run = app
        .wait_run(started["operation_run_id"].as_i64().unwrap())
        .await;
    assert_eq!(run["outcome"], "error");
    assert!(
        run["detail"]
            .as_str()
            .unwrap()
            .contains("could not be decrypted")
    );
}
