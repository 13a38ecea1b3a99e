//! Events through the outbox for every change, and secrets absent from events and log lines.

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

/// Drives the API through a change of every kind and checks each published event against its catalogue schema
/// (the provider events' `data` against the contract's own schemas): one sample of each of `events::ALL`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sample_of_every_event_type_matches_its_catalogue_schema() {
    let app = TestApp::spawn().await;
    let mut bus = app.subscribe().await;
    app.register("app-cat").await;
    let t = token("app-cat");
    let list = "/applications/app-cat/identity-providers";
    // A public OAuth2 provider (in the public setup, with a secret) and an OIDC one with every optional part.
    let providers = json!([
        oauth2("o", "PUBLIC", "catalogue-secret"),
        oidc("i", "APPLICATION")
    ]);
    assert_eq!(app.put_json(list, &t, &providers).await.status(), 204);
    let mut hidden = without_key(oauth2("o", "HIDDEN", "catalogue-secret"));
    hidden["status"] = json!("DISABLED");
    let replaced = app.put_json(&format!("{list}/o"), &t, &hidden).await;
    assert_eq!(replaced.status(), 204);
    assert_eq!(app.delete(&format!("{list}/i"), &t).await.status(), 204);

    // registered, created x2, public-setup.changed, replaced, public-setup.changed, deleted
    let received = bus.take(7, WAIT).await;
    bus.assert_quiet(Duration::from_millis(500)).await;
    test_support::catalogue::assert_covered(
        idp_management::events::ALL,
        received.iter().map(|r| &r.event),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_is_published_and_no_secret_leaks() {
    let app = TestApp::spawn().await;
    let mut bus = app.subscribe().await;
    app.register("app-ev").await;
    let t = token("app-ev");
    let secret = "event-secret-never-published-9876";
    let list = "/applications/app-ev/identity-providers";

    // Create two (one public), replace one (becomes hidden), delete one, then clear.
    assert_eq!(
        app.put_json(
            list,
            &t,
            &json!([oauth2("o", "PUBLIC", secret), oidc("i", "APPLICATION")])
        )
        .await
        .status(),
        204
    );
    let hidden = without_key(oauth2("o", "HIDDEN", secret));
    assert_eq!(
        app.put_json(&format!("{list}/o"), &t, &hidden)
            .await
            .status(),
        204
    );
    assert_eq!(app.delete(&format!("{list}/i"), &t).await.status(), 204);
    assert_eq!(app.delete(list, &t).await.status(), 204);
    // A refused write publishes nothing.
    let stale = app
        .request(Method::DELETE, list, Some(&t))
        .header("if-match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 409);

    let received = bus.take(8, WAIT).await;
    let types: Vec<(&str, &str)> = received
        .iter()
        .map(|r| {
            (
                r.event["type"].as_str().unwrap(),
                r.event["subject"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        types,
        vec![
            ("idp-management.application.registered.v1", "app-ev"),
            ("idp-management.identity-provider.created.v1", "app-ev/i"),
            ("idp-management.identity-provider.created.v1", "app-ev/o"),
            ("idp-management.public-setup.changed.v1", "app-ev"),
            ("idp-management.identity-provider.replaced.v1", "app-ev/o"),
            ("idp-management.public-setup.changed.v1", "app-ev"),
            ("idp-management.identity-provider.deleted.v1", "app-ev/i"),
            ("idp-management.identity-provider.deleted.v1", "app-ev/o"),
        ]
    );
    bus.assert_quiet(Duration::from_millis(500)).await;
    for r in &received {
        assert_eq!(r.event["source"], "/idp-management");
        assert_eq!(r.routing_key, r.event["type"].as_str().unwrap());
        assert_eq!(r.message_id.as_deref(), r.event["id"].as_str());
        assert!(
            !r.event.to_string().contains(secret),
            "secret in {}",
            r.event
        );
    }
    let first_setup = &received[3].event["data"];
    assert_eq!(first_setup["changeId"], "2");
    assert_eq!(first_setup["identityProviders"][0]["key"], "o");
    assert_eq!(received[5].event["data"]["identityProviders"], json!([]));
    assert_eq!(
        received[4].event["data"]["oauth2Config"]["clientSecretSet"],
        true
    );

    let logs = String::from_utf8(logs().lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("request served"),
        "the service logs into the captured buffer"
    );
    assert!(!logs.contains(secret), "secret in the logs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_id_is_in_the_log_line_of_its_request() {
    let app = TestApp::spawn().await;
    let r = app
        .request(Method::GET, "/applications/app-x/identity-providers", None)
        .send()
        .await
        .unwrap();
    let body = assert_error(r, 401, "AUTHENTICATION_FAILED").await;
    let id = body["errorId"].as_str().unwrap().to_owned();
    let logs = String::from_utf8(logs().lock().unwrap().clone()).unwrap();
    let line = logs
        .lines()
        .find(|l| l.contains(&id))
        .expect("a log line carrying the errorId");
    assert!(line.contains("request_id"), "{line}");
    assert!(line.contains("AUTHENTICATION_FAILED"), "{line}");
}
