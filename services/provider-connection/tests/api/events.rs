//! The published events against the catalogue (`specs/events.asyncapi.yaml`).

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

/// Drives the API, the consent callback (as Microsoft redirects to it) and the verification worker (against the
/// fake Microsoft) through a change of every kind, and checks each published event against its catalogue
/// schema: one sample of each of `events::ALL`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sample_of_every_event_type_matches_its_catalogue_schema() {
    let app = TestApp::spawn().await;
    let mut bus = app.subscribe().await;
    app.fake_token(DEDICATED_SECRET, &[REQUIRED_ROLE]).await;
    app.fake_graph_ok().await;

    // connection.created + credential.stored; consent link (connection.updated) + consent.granted; a run
    // queued (connection.updated) and its verification.completed.
    let id = app.create_dedicated(TENANT, "dedicated_manual").await["id"]
        .as_i64()
        .unwrap();
    app.grant_consent(id).await;
    assert_eq!(app.verify(id).await["outcome"], "healthy");
    let confirm = id.to_string();
    let confirmed = [("X-Confirm-Connection", confirm.as_str())];
    let to_platform = json!({"connection_type": "platform"});
    let type_path = format!("/provider-connections/{id}/connection-type");
    let switched = app
        .send(
            Method::PUT,
            &type_path,
            &admin(),
            Some(&to_platform),
            &confirmed,
        )
        .await;
    assert_eq!(switched.status(), 200);
    let credential_path = format!("/provider-connections/{id}/dedicated-credential");
    let deleted = app
        .send(Method::DELETE, &credential_path, &admin(), None, &confirmed)
        .await;
    assert_eq!(deleted.status(), 204);
    // A second connection whose consent fails at the callback.
    let other = app.create_platform("Other").await["id"].as_i64().unwrap();
    let state = app.consent_state(other).await;
    let failed = app
        .callback(&format!(
            "error=access_denied&error_description=declined&state={state}"
        ))
        .await;
    assert_eq!(failed.status(), 200);
    assert_eq!(app.connection(other).await["consent_status"], "failed");

    // Everything committed is in the outbox; the relay publishes each of them.
    let expected = outbox_events(&app.pool).await.len();
    let received = bus.take(expected, Duration::from_secs(15)).await;
    bus.assert_quiet(Duration::from_millis(500)).await;
    test_support::catalogue::assert_covered(
        provider_connection::events::ALL,
        received.iter().map(|r| &r.event),
    );
}
