//! The events' own attributes (issue 9, self-contained events): `subjectversion` (+1 per change of each
//! subject: a provider `<applicationId>/<key>`, an application through its registration and public setup),
//! `actor` (the token's subject, or the start-up configuration), `traceparent` (copied from a valid request
//! header) and `changes` on the changed events.

use crate::helpers::*;
use reqwest::{Method, Response};
use serde_json::{Value, json};
use std::time::Duration;
use test_support::broker::Received;

const WAIT: Duration = Duration::from_secs(15);
const TRACE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const REGISTERED: &str = "idp-management.application.registered.v1";
const CREATED: &str = "idp-management.identity-provider.created.v1";
const REPLACED: &str = "idp-management.identity-provider.replaced.v1";
const DELETED: &str = "idp-management.identity-provider.deleted.v1";
const SETUP: &str = "idp-management.public-setup.changed.v1";

fn kinds(received: &[Received]) -> Vec<(String, String)> {
    received
        .iter()
        .map(|r| {
            (
                r.event["type"].as_str().unwrap().to_owned(),
                r.event["subject"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The `(type, version)` of the events about `subject`, in arrival order.
fn versions_of(received: &[Received], subject: &str) -> Vec<(String, i64)> {
    received
        .iter()
        .filter(|r| r.event["subject"] == subject)
        .map(|r| {
            (
                r.event["type"].as_str().unwrap().to_owned(),
                r.event["subjectversion"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn changes(event: &Value) -> Value {
    serde_json::from_str(event["changes"].as_str().expect("changes is a string")).unwrap()
}

fn names(changes: &Value) -> Vec<&str> {
    changes
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

async fn put_with(app: &TestApp, path: &str, token: &str, body: &Value, trace: &str) -> Response {
    app.request(Method::PUT, path, Some(token))
        .header("traceparent", trace)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Waits until the relay has published every outbox row.
async fn delivered(app: &TestApp) {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use persistence::outbox::outbox;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let mut conn = app.pool.get().await.unwrap();
        let pending: i64 = outbox::table
            .filter(outbox::delivered_at.is_null())
            .count()
            .get_result(&mut conn)
            .await
            .unwrap();
        if pending == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{pending} events not published"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_rise_by_exactly_one_per_change_of_each_subject_in_order() {
    let app = TestApp::spawn().await;
    let mut bus = app.subscribe().await;
    app.register("app-ver").await;
    let t = token("app-ver");
    let list = "/applications/app-ver/identity-providers";
    let ok = |r: Response| assert!(r.status().is_success(), "{}", r.status());

    // o (public) and i (application) created; o hidden; i renamed (nothing public changes, yet the
    // application's changeId moves); i deleted; o public again by a list PUT; everything deleted.
    ok(app
        .put_json(
            list,
            &t,
            &json!([
                oauth2("o", "PUBLIC", "s3cr3t-value"),
                oidc("i", "APPLICATION")
            ]),
        )
        .await);
    ok(app
        .put_json(
            &format!("{list}/o"),
            &t,
            &without_key(oauth2("o", "HIDDEN", "s3cr3t-value")),
        )
        .await);
    let mut renamed = without_key(oidc("i", "APPLICATION"));
    renamed["name"] = json!("renamed");
    ok(app.put_json(&format!("{list}/i"), &t, &renamed).await);
    ok(app.delete(&format!("{list}/i"), &t).await);
    ok(app
        .put_json(list, &t, &json!([oauth2("o", "PUBLIC", "s3cr3t-value")]))
        .await);
    ok(app.delete(list, &t).await);
    // Refused writes (stale If-Match, unknown key) change no version and publish nothing.
    let stale = app
        .request(Method::PUT, &format!("{list}/o"), Some(&t))
        .header("if-match", "\"1\"")
        .json(&without_key(oidc("o", "PUBLIC")))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 409);
    assert_eq!(app.delete(&format!("{list}/i"), &t).await.status(), 404);
    // Created again: a new provider starts again at 1.
    ok(app
        .put_json(&format!("{list}/i"), &t, &without_key(oidc("i", "HIDDEN")))
        .await);

    let received = bus.take(13, WAIT).await;
    bus.assert_quiet(Duration::from_millis(500)).await;
    let v = |kind: &str, n: i64| (kind.to_owned(), n);
    assert_eq!(
        versions_of(&received, "app-ver"),
        vec![
            v(REGISTERED, 1),
            v(SETUP, 2),
            v(SETUP, 3),
            v(SETUP, 4),
            v(SETUP, 5)
        ],
        "{:?}",
        kinds(&received)
    );
    assert_eq!(
        versions_of(&received, "app-ver/o"),
        vec![v(CREATED, 1), v(REPLACED, 2), v(REPLACED, 3), v(DELETED, 4)]
    );
    assert_eq!(
        versions_of(&received, "app-ver/i"),
        vec![v(CREATED, 1), v(REPLACED, 2), v(DELETED, 3), v(CREATED, 1)]
    );
    // No representation shows the version.
    let got: Value = app
        .get(&format!("{list}/i"), &t)
        .await
        .json()
        .await
        .unwrap();
    assert!(got.get("version").is_none(), "{got}");
    for r in &received {
        assert!(r.event["data"].get("version").is_none(), "{}", r.event);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_actor_is_the_tokens_subject_or_the_start_up_configuration() {
    let app =
        TestApp::spawn_with(|s| s.registry.applications = vec!["from-config".to_owned()]).await;
    // The start-up registration was written before any subscriber could bind: read it from the outbox, and
    // subscribe once it is published, so the subscriber sees only what follows.
    delivered(&app).await;
    let mut bus = app.subscribe().await;
    let startup = test_support::outbox::catalogued(&app.pool).await;
    let configured: Vec<&Value> = startup
        .iter()
        .filter(|e| e["type"] == REGISTERED && e["subject"] == "from-config")
        .collect();
    assert_eq!(configured.len(), 1, "{startup:?}");
    assert_eq!(configured[0]["actor"], "system:configuration");
    assert_eq!(configured[0]["subjectversion"], 1);

    app.register("app-act").await;
    let t = token("app-act");
    let path = "/applications/app-act/identity-providers/k";
    assert_eq!(
        app.put_json(path, &t, &without_key(oidc("k", "PUBLIC")))
            .await
            .status(),
        204
    );
    assert_eq!(app.delete(path, &t).await.status(), 204);
    // An admin acting on another application.
    assert_eq!(
        app.put_json(path, &admin(), &without_key(oidc("k", "HIDDEN")))
            .await
            .status(),
        204
    );

    let received = bus.take(6, WAIT).await;
    bus.assert_quiet(Duration::from_millis(500)).await;
    let actors: Vec<(&str, &str)> = received
        .iter()
        .map(|r| {
            (
                r.event["type"].as_str().unwrap(),
                r.event["actor"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actors,
        vec![
            (REGISTERED, "sub:actor-of-iam-console"),
            (CREATED, "sub:actor-of-app-act"),
            (SETUP, "sub:actor-of-app-act"),
            (DELETED, "sub:actor-of-app-act"),
            (SETUP, "sub:actor-of-app-act"),
            (CREATED, "sub:actor-of-iam-console"),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_traceparent_is_copied_to_every_event_of_the_request_and_nothing_else_is() {
    let app = TestApp::spawn().await;
    // Bound before the registration, whose event (no trace: the request sent none) is taken out of the way; bound
    // after it, the relay could still deliver that event among the traced ones below.
    let mut bus = app.subscribe().await;
    app.register("app-tr").await;
    bus.take(1, WAIT).await;
    let t = token("app-tr");
    let list = "/applications/app-tr/identity-providers";

    let r = put_with(
        &app,
        list,
        &t,
        &json!([oidc("a", "PUBLIC"), oidc("b", "HIDDEN")]),
        TRACE,
    )
    .await;
    assert_eq!(r.status(), 204);
    let traced = bus.take(3, WAIT).await;
    for r in &traced {
        assert_eq!(r.event["traceparent"], TRACE, "{}", r.event);
    }

    let invalid = [
        TRACE.to_uppercase(),
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01".to_owned(),
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01".to_owned(),
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7".to_owned(),
        "garbage".to_owned(),
    ];
    for (n, header) in invalid.iter().enumerate() {
        let mut body = without_key(oidc("b", "HIDDEN"));
        body["name"] = json!(format!("name {n}"));
        let r = put_with(&app, &format!("{list}/b"), &t, &body, header).await;
        assert_eq!(r.status(), 204, "{header}");
    }
    assert_eq!(app.delete(&format!("{list}/b"), &t).await.status(), 204);
    let untraced = bus.take(invalid.len() + 1, WAIT).await;
    bus.assert_quiet(Duration::from_millis(500)).await;
    for r in &untraced {
        assert!(r.event.get("traceparent").is_none(), "{}", r.event);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_name_exactly_the_changed_fields_and_data_stays_the_resource() {
    let app = TestApp::spawn().await;
    // Bound before the registration, whose event is taken out of the way (see the traceparent test).
    let mut bus = app.subscribe().await;
    app.register("app-ch").await;
    bus.take(1, WAIT).await;
    let t = token("app-ch");
    let list = "/applications/app-ch/identity-providers";
    let one = format!("{list}/p");

    // Created (no changes), then description and entries changed (one request), then the same again (nothing
    // changed), then a list PUT that disables it (status, and the public setup loses it), then deleted.
    assert_eq!(
        app.put_json(&one, &t, &without_key(oidc("p", "PUBLIC")))
            .await
            .status(),
        204
    );
    let mut edited = without_key(oidc("p", "PUBLIC"));
    edited["description"] = json!("edited");
    edited["additionalConfigEntries"] = json!([{"type": "button-color", "value": "red"}]);
    assert_eq!(app.put_json(&one, &t, &edited).await.status(), 204);
    assert_eq!(app.put_json(&one, &t, &edited).await.status(), 204);
    let mut disabled = edited.clone();
    disabled["key"] = json!("p");
    disabled["status"] = json!("DISABLED");
    assert_eq!(
        app.put_json(list, &t, &json!([disabled])).await.status(),
        204
    );
    assert_eq!(app.delete(&one, &t).await.status(), 204);

    let received = bus.take(8, WAIT).await;
    bus.assert_quiet(Duration::from_millis(500)).await;
    let events: Vec<&Value> = received.iter().map(|r| &r.event).collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        vec![
            CREATED, SETUP, REPLACED, SETUP, REPLACED, REPLACED, SETUP, DELETED
        ]
    );
    // Only the changed events carry `changes`.
    for e in [events[0], events[7]] {
        assert!(e.get("changes").is_none(), "{e}");
    }

    let edit = changes(events[2]);
    assert_eq!(names(&edit), vec!["additionalConfigEntries", "description"]);
    assert_eq!(
        edit["description"],
        json!({"before": "an OIDC provider", "after": "edited"})
    );
    assert_eq!(
        edit["additionalConfigEntries"]["after"],
        json!([{"type": "button-color", "value": "red"}])
    );
    // `data` is still the whole provider after the change.
    assert_eq!(events[2]["data"]["description"], "edited");
    assert_eq!(events[2]["data"]["name"], "IdP p");
    assert!(events[2]["data"]["lastModifiedAt"].is_string());

    let setup = changes(events[3]);
    assert_eq!(names(&setup), vec!["identityProviders"]);
    assert_eq!(
        setup["identityProviders"]["before"][0]["description"],
        "an OIDC provider"
    );
    assert_eq!(
        setup["identityProviders"]["after"][0]["description"],
        "edited"
    );
    assert_eq!(
        events[3]["data"]["identityProviders"][0]["description"],
        "edited"
    );

    // The same body again changes nothing but the bookkeeping (lastModifiedAt, changeId), which is left out.
    assert_eq!(changes(events[4]), json!({}));

    let disable = changes(events[5]);
    assert_eq!(
        disable,
        json!({"status": {"before": "ENABLED", "after": "DISABLED"}})
    );
    let gone = changes(events[6]);
    assert_eq!(names(&gone), vec!["identityProviders"]);
    assert_eq!(gone["identityProviders"]["after"], json!([]));
    assert_eq!(gone["identityProviders"]["before"][0]["key"], "p");
}
