//! The events' own attributes (issue 9, self-contained events): `subjectversion` (+1 per event about a
//! connection, the subject of every event), `actor` (`sub:<sub>`, `worker:verification`,
//! `system:consent-callback`), `traceparent` (copied from a valid request header) and `changes` on
//! `connection.updated` / `connection.type_changed`. Read from the outbox, which the relay publishes verbatim.

use std::collections::BTreeSet;

use crate::helpers::*;
use provider_connection::auth::Capability;
use reqwest::Method;
use serde_json::{Value, json};

const TRACE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const UPDATED: &str = "provider-connection.connection.updated.v1";
const TYPE_CHANGED: &str = "provider-connection.connection.type_changed.v1";

/// The outbox events about connection `id`, in order.
async fn events_of(app: &TestApp, id: i64) -> Vec<Value> {
    let subject = id.to_string();
    outbox_events(&app.pool)
        .await
        .into_iter()
        .filter(|e| e["subject"] == subject.as_str())
        .collect()
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

fn versions(events: &[Value]) -> Vec<i64> {
    events
        .iter()
        .map(|e| e["subjectversion"].as_i64().unwrap())
        .collect()
}

fn changes(event: &Value) -> Value {
    serde_json::from_str(event["changes"].as_str().expect("changes is a string")).unwrap()
}

/// What a `changes` must say going from `before` to `after` (two representations of the connection).
fn expected_changes(before: &Value, after: &Value) -> Value {
    let (Value::Object(b), Value::Object(a)) = (before, after) else {
        panic!("not objects");
    };
    let names: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    let mut diff = serde_json::Map::new();
    for name in names {
        let old = b.get(name).unwrap_or(&Value::Null);
        let new = a.get(name).unwrap_or(&Value::Null);
        if old != new {
            diff.insert(name.clone(), json!({"before": old, "after": new}));
        }
    }
    Value::Object(diff)
}

fn credential(secret: &str) -> Value {
    json!({"credential_kind": "client_secret", "client_id": DEDICATED_APP, "client_secret": secret, "source": "dedicated_manual"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_rise_by_exactly_one_per_event_about_each_connection_in_order() {
    let app = TestApp::spawn().await;
    app.fake_token(ROTATED_SECRET, &[REQUIRED_ROLE]).await;
    app.fake_graph_ok().await;
    let id = app.create_dedicated(TENANT, "dedicated_manual").await["id"]
        .as_i64()
        .unwrap();
    let confirm = id.to_string();
    let confirmed = [("X-Confirm-Connection", confirm.as_str())];
    let credential_path = format!("/provider-connections/{id}/dedicated-credential");
    let rotated = app
        .send(
            Method::PUT,
            &credential_path,
            &admin(),
            Some(&credential(ROTATED_SECRET)),
            &[],
        )
        .await;
    assert_eq!(rotated.status(), 200);
    app.grant_consent(id).await;
    let run = app.verify(id).await;
    assert_eq!(run["outcome"], "healthy", "{run}");
    let type_path = format!("/provider-connections/{id}/connection-type");
    let to_platform = json!({"connection_type": "platform"});
    // Refused changes (no confirmation, missing capability) and a no-op take no version.
    let refused = app
        .send(Method::PUT, &type_path, &admin(), Some(&to_platform), &[])
        .await;
    assert_eq!(refused.status(), 428);
    let refused = app
        .send(
            Method::PUT,
            &type_path,
            &without(Capability::ManageDedicated),
            Some(&to_platform),
            &confirmed,
        )
        .await;
    assert_eq!(refused.status(), 403);
    let unchanged = app
        .send(
            Method::PUT,
            &type_path,
            &admin(),
            Some(&json!({"connection_type": "dedicated"})),
            &confirmed,
        )
        .await;
    assert_eq!(unchanged.status(), 200);
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
    let deleted = app
        .send(Method::DELETE, &credential_path, &admin(), None, &confirmed)
        .await;
    assert_eq!(deleted.status(), 204);
    let other = app.create_platform("Other default").await["id"]
        .as_i64()
        .unwrap();

    let events = events_of(&app, id).await;
    assert_eq!(
        types(&events),
        vec![
            "provider-connection.connection.created.v1",
            "provider-connection.credential.stored.v1",
            "provider-connection.credential.stored.v1",
            UPDATED,
            UPDATED,
            "provider-connection.consent.granted.v1",
            UPDATED,
            "provider-connection.verification.completed.v1",
            TYPE_CHANGED,
            "provider-connection.credential.deleted.v1",
            UPDATED,
            UPDATED,
        ]
    );
    assert_eq!(versions(&events), (1..=12).collect::<Vec<_>>());
    let other_events = events_of(&app, other).await;
    assert_eq!(versions(&other_events), vec![1]);

    // Each connection counts on its own: a platform connection created without a credential starts at 1 too.
    let third = app
        .post(
            &format!("/tenants/{TENANT}/provider-connections"),
            &admin(),
            &json!({"provider": "microsoft", "entra_tenant_id": ENTRA, "display_name": "Third", "is_default": false}),
        )
        .await;
    assert_eq!(third.status(), 201);
    let third: Value = third.json().await.unwrap();
    let link = app
        .post_empty(
            &format!("/provider-connections/{}/admin-consent-link", third["id"]),
            &admin(),
        )
        .await;
    assert_eq!(link.status(), 200);
    assert_eq!(
        versions(&events_of(&app, third["id"].as_i64().unwrap()).await),
        vec![1, 2]
    );
    assert_eq!(versions(&events_of(&app, id).await).len(), 12);
    assert!(
        third.get("version").is_none(),
        "the API never shows the version: {third}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actor_names_the_members_sub_the_worker_and_the_consent_callback() {
    let app = TestApp::spawn().await;
    app.fake_token(PLATFORM_SECRET, &[REQUIRED_ROLE]).await;
    app.fake_graph_ok().await;
    let id = app.create_platform("Contoso").await["id"].as_i64().unwrap();
    app.grant_consent(id).await;
    app.verify(id).await;
    let ada = token_with(json!({
        "sub": "ada@contoso.example",
        "workspace_id": WORKSPACE,
        "tenants": [TENANT],
        "capabilities": Capability::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
    }));
    let response = app
        .post(
            &format!("/tenants/{TENANT}/provider-connections"),
            &ada,
            &platform_body("By Ada"),
        )
        .await;
    assert_eq!(response.status(), 201);

    let events = outbox_events(&app.pool).await;
    let actors: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e["type"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actors,
        vec![
            ("provider-connection.connection.created.v1", "sub:member-1"),
            (UPDATED, "sub:member-1"),
            (
                "provider-connection.consent.granted.v1",
                "system:consent-callback"
            ),
            (UPDATED, "sub:member-1"),
            (
                "provider-connection.verification.completed.v1",
                "worker:verification"
            ),
            (
                "provider-connection.connection.created.v1",
                "sub:ada@contoso.example"
            ),
            (UPDATED, "sub:ada@contoso.example"),
        ]
    );
    assert_eq!(events[6]["subject"], id.to_string(), "the demotion");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traceparent_is_copied_to_every_event_of_the_request_only_when_valid() {
    let app = TestApp::spawn().await;
    let tenants = token_for(&Capability::ALL, &[TENANT]);
    let body = dedicated_body("Traced", DEDICATED_SECRET, "dedicated_manual");
    let created = app
        .send(
            Method::POST,
            &format!("/tenants/{TENANT}/provider-connections"),
            &tenants,
            Some(&body),
            &[("traceparent", TRACE)],
        )
        .await;
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let events = outbox_events(&app.pool).await;
    assert_eq!(events.len(), 2, "created and credential stored");
    assert!(
        events.iter().all(|e| e["traceparent"] == TRACE),
        "{events:?}"
    );

    // The consent callback (the browser's request) carries its own trace too.
    let state = app.consent_state(id).await;
    let response = app
        .client
        .get(format!(
            "{}/admin/consent/callback?admin_consent=True&tenant={ENTRA}&state={state}",
            app.address
        ))
        .header("traceparent", TRACE)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let events = outbox_events(&app.pool).await;
    let last = events.last().unwrap();
    assert_eq!(last["type"], "provider-connection.consent.granted.v1");
    assert_eq!(last["traceparent"], TRACE);
    assert!(
        events[2].get("traceparent").is_none(),
        "the link was asked for without one: {}",
        events[2]
    );

    for (trace, name) in [
        (None, "none"),
        (
            Some("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            "zeros",
        ),
        (
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"),
            "short",
        ),
        (
            Some("00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01"),
            "upper case",
        ),
        (Some("not a trace context"), "garbage"),
    ] {
        let headers: Vec<(&str, &str)> = trace.map(|t| ("traceparent", t)).into_iter().collect();
        let body = json!({"provider": "microsoft", "entra_tenant_id": ENTRA, "display_name": name, "is_default": false});
        let response = app
            .send(
                Method::POST,
                &format!("/tenants/{TENANT}/provider-connections"),
                &admin(),
                Some(&body),
                &headers,
            )
            .await;
        assert_eq!(response.status(), 201);
        let events = outbox_events(&app.pool).await;
        let last = events.last().unwrap();
        assert_eq!(last["data"]["display_name"], name);
        assert!(last.get("traceparent").is_none(), "{name}: {last}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_names_exactly_the_changed_fields_with_before_and_after() {
    let app = TestApp::spawn().await;
    let id = app.create_platform("Contoso").await["id"].as_i64().unwrap();

    // The consent link: only consent_status changes.
    let before = app.connection(id).await;
    let link = app
        .post_empty(
            &format!("/provider-connections/{id}/admin-consent-link"),
            &admin(),
        )
        .await;
    assert_eq!(link.status(), 200);
    let after = app.connection(id).await;
    let event = events_of(&app, id).await.pop().unwrap();
    assert_eq!(event["type"], UPDATED);
    assert_eq!(event["data"], after, "data stays the connection");
    assert_eq!(
        changes(&event),
        json!({"consent_status": {"before": "unknown", "after": "required"}})
    );
    assert_eq!(changes(&event), expected_changes(&before, &after));

    // A switch of type changes the app, and so consent and verification.
    let before = after;
    let confirm = id.to_string();
    let switched: Value = app
        .send(
            Method::PUT,
            &format!("/provider-connections/{id}/connection-type"),
            &admin(),
            Some(&json!({"connection_type": "dedicated"})),
            &[("X-Confirm-Connection", &confirm)],
        )
        .await
        .json()
        .await
        .unwrap();
    let event = events_of(&app, id).await.pop().unwrap();
    assert_eq!(event["type"], TYPE_CHANGED);
    assert_eq!(event["data"], switched);
    let expected = expected_changes(&before, &switched);
    assert_eq!(changes(&event), expected);
    assert_eq!(
        expected.as_object().unwrap().keys().collect::<Vec<_>>(),
        vec!["connection_type", "credential_source", "effective_app_id"],
        "consent was already required and verification unknown"
    );
    assert_eq!(
        changes(&event)["effective_app_id"],
        json!({"before": PLATFORM_APP, "after": null})
    );

    // Storing the first credential: its app appears.
    let stored: Value = app
        .send(
            Method::PUT,
            &format!("/provider-connections/{id}/dedicated-credential"),
            &admin(),
            Some(&credential(DEDICATED_SECRET)),
            &[],
        )
        .await
        .json()
        .await
        .unwrap();
    let events = events_of(&app, id).await;
    let [.., credential_event, event] = events.as_slice() else {
        panic!("two events");
    };
    assert!(credential_event.get("changes").is_none());
    assert_eq!(event["data"], stored);
    assert_eq!(
        changes(event),
        json!({
            "credential_source": {"before": null, "after": "dedicated_manual"},
            "effective_app_id": {"before": null, "after": DEDICATED_APP},
        })
    );

    // Rotating it under the same app: nothing the connection shows changes.
    let response = app
        .send(
            Method::PUT,
            &format!("/provider-connections/{id}/dedicated-credential"),
            &admin(),
            Some(&credential(ROTATED_SECRET)),
            &[],
        )
        .await;
    assert_eq!(response.status(), 200);
    let event = events_of(&app, id).await.pop().unwrap();
    assert_eq!(event["type"], UPDATED);
    assert_eq!(changes(&event), json!({}), "an update changing nothing");

    // A demotion changes is_default only; created, credential and consent events carry no changes.
    let other = app.create_platform("New default").await["id"]
        .as_i64()
        .unwrap();
    let event = events_of(&app, id).await.pop().unwrap();
    assert_eq!(event["type"], UPDATED);
    assert_eq!(
        changes(&event),
        json!({"is_default": {"before": true, "after": false}})
    );
    app.grant_consent(other).await;
    for event in outbox_events(&app.pool).await {
        let kind = event["type"].as_str().unwrap();
        assert_eq!(
            event.get("changes").is_some(),
            kind == UPDATED || kind == TYPE_CHANGED,
            "{event}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_changes_of_one_connection_take_consecutive_versions_in_outbox_order() {
    let app = TestApp::spawn().await;
    let id = app.create_dedicated(TENANT, "dedicated_manual").await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/provider-connections/{id}/dedicated-credential");
    let statuses = futures_util::future::join_all((0..6).map(|i| {
        let app = &app;
        let path = &path;
        async move {
            let body = credential(&format!("{ROTATED_SECRET}-{i}"));
            let link = format!("/provider-connections/{id}/admin-consent-link");
            if i % 2 == 0 {
                app.send(Method::PUT, path, &admin(), Some(&body), &[])
                    .await
                    .status()
                    .as_u16()
            } else {
                app.post_empty(&link, &admin()).await.status().as_u16()
            }
        }
    }))
    .await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let events = events_of(&app, id).await;
    // 2 at creation, 2 per rotation, 1 for the first consent link only (unknown -> required).
    assert_eq!(events.len(), 2 + 3 * 2 + 1, "{:?}", types(&events));
    assert_eq!(
        versions(&events),
        (1..=9).collect::<Vec<_>>(),
        "{:?}",
        types(&events)
    );
}
