//! The B2C API connectors and the Entra External ID custom authentication extensions, replaying the request
//! bodies of the contract's and Microsoft's examples and asserting the exact answers.

use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{KEY, TestApp, assert_problem};

const WAIT: Duration = Duration::from_secs(15);

/// The contract's `B2CCreateRequest` example.
pub(crate) fn register_example() -> Value {
    json!({
        "email": "test.user@gmail.com",
        "identities": [{"signInType": "federated", "issuer": "google.com", "issuerAssignedId": "123456789"}],
        "displayName": "Test User (My Gmail Name)",
        "givenName": "Test",
        "surname": "User",
        "country": "US",
        "step": "PostAttributeCollection",
        "client_id": "3e945e86-81cb-4736-a81e-ee85cffdcdf6",
        "ui_locales": "en-US"
    })
}

/// The contract's `B2CTokenRequest` example.
pub(crate) fn token_example() -> Value {
    json!({
        "email": "test.user@gmail.com",
        "identities": [{"signInType": "federated", "issuer": "google.com", "issuerAssignedId": "123456789"}],
        "givenName": "Test",
        "surname": "User",
        "country": "US",
        "step": "PreTokenIssuance",
        "client_id": "3e945e86-81cb-4736-a81e-ee85cffdcdf6",
        "objectId": "398d87be-0741-48ec-a8ab-dcffa48acc21",
        "ui_locales": "en-US"
    })
}

async fn call(app: &TestApp, path: &str, body: &Value) -> (u16, Value) {
    let response = app.post(path, body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn validation_error(message: &str) -> Value {
    json!({"version": "1.0.0", "status": 400, "action": "ValidationError", "userMessage": message})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_continues_for_a_new_address() {
    let app = TestApp::spawn().await;
    let (status, body) = call(&app, "/b2c/register", &register_example()).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"version": "1.0.0", "action": "Continue"}));

    let mut messy = register_example();
    messy["displayName"] = json!("  Test    User ");
    let (status, body) = call(&app, "/b2c/register", &messy).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"version": "1.0.0", "action": "Continue", "displayName": "Test User"})
    );

    // Optional claims absent: B2C leaves them out; the name is built from given name and surname.
    let minimal = json!({
        "email": "new.person@example.com",
        "identities": [],
        "givenName": "Ada",
        "surname": "Lovelace",
        "step": "PostAttributeCollection",
        "client_id": "3e945e86-81cb-4736-a81e-ee85cffdcdf6"
    });
    let (status, body) = call(&app, "/b2c/register", &minimal).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"version": "1.0.0", "action": "Continue", "displayName": "Ada Lovelace"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_blocks_an_address_already_registered_whatever_its_case() {
    let app = TestApp::spawn().await;
    app.seed_user("Test.User@Gmail.com").await;
    let (status, body) = call(&app, "/b2c/register", &register_example()).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({
            "version": "1.0.0",
            "action": "ShowBlockPage",
            "userMessage": "This email address is already registered with an account, please login instead."
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_answers_validation_errors_for_bad_requests() {
    let app = TestApp::spawn().await;
    let without = |field: &str| {
        let mut body = register_example();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let with = |field: &str, value: Value| {
        let mut body = register_example();
        body[field] = value;
        body
    };
    let cases = [
        (without("email"), "Please enter your email address."),
        (
            with("email", json!("not-an-email")),
            "Please enter a valid email address, such as name@example.com.",
        ),
        (
            with("email", json!(42)),
            "The value of email could not be read. Please try again.",
        ),
        (
            without("step"),
            "The sign-in request was incomplete (step is missing). Please try again.",
        ),
        (
            with("step", json!("PreTokenIssuance")),
            "The sign-in request came from an unexpected step (PreTokenIssuance). Please try again.",
        ),
        (
            without("client_id"),
            "The sign-in request was incomplete (client_id is missing). Please try again.",
        ),
        (
            without("identities"),
            "The sign-in request was incomplete (identities is missing). Please try again.",
        ),
        (
            with("identities", json!([{"signInType": "federated"}])),
            "The sign-in request carried unreadable identities. Please try again.",
        ),
        (
            with("identities", json!("google.com")),
            "The sign-in request carried unreadable identities. Please try again.",
        ),
        (
            with("client_id", json!("not-a-guid")),
            "The sign-in request carried an unreadable client_id. Please try again.",
        ),
        (
            with("country", json!(1)),
            "The value of country could not be read. Please try again.",
        ),
        (
            with("ui_locales", json!(["en-US"])),
            "The value of ui_locales could not be read. Please try again.",
        ),
        (
            with("country", json!("U\u{0}S")),
            "Your country contains characters that cannot be used. Please correct it.",
        ),
        (
            with("givenName", json!("x".repeat(257))),
            "Your first name is too long: please use at most 256 characters.",
        ),
        (
            json!(["not", "an", "object"]),
            "Your request could not be read. Please try again.",
        ),
    ];
    for (body, message) in cases {
        let (status, answer) = call(&app, "/b2c/register", &body).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(answer, validation_error(message), "{body}");
    }
    let response = app.post_raw("/b2c/register", "{\"email\": ").await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        validation_error("Your request could not be read. Please try again.")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_blocks_applications_not_allowed() {
    let app = TestApp::spawn_with(|s| {
        s.connectors.allowed_client_ids = vec!["11111111-1111-1111-1111-111111111111".to_owned()];
    })
    .await;
    let (status, body) = call(&app, "/b2c/register", &register_example()).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({
            "version": "1.0.0",
            "action": "ShowBlockPage",
            "userMessage": "Sign-up is not available for this application. Please contact support."
        })
    );
    let mut allowed = register_example();
    allowed["client_id"] = json!("11111111-1111-1111-1111-111111111111");
    assert_eq!(
        call(&app, "/b2c/register", &allowed).await.1["action"],
        "Continue"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_provisions_a_new_user_with_one_event() {
    let app = TestApp::spawn().await;
    let mut bus = app.subscribe().await;
    let (status, body) = call(&app, "/b2c/token", &token_example()).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({
            "version": "1.0.0",
            "action": "Continue",
            "extension_groups": "",
            "extension_permissions": "{}"
        })
    );
    let user: Value = app
        .get("/users/398d87be-0741-48ec-a8ab-dcffa48acc21")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(user["email"], "test.user@gmail.com");
    assert_eq!(user["firstname"], "Test");
    assert_eq!(user["lastname"], "User");
    assert_eq!(user["country"], "US");
    let events = bus.take(1, WAIT).await;
    assert_eq!(events[0].routing_key, "identity.user.created.v1");
    assert_eq!(
        events[0].event["subject"],
        "398d87be-0741-48ec-a8ab-dcffa48acc21"
    );
    assert_eq!(events[0].event["data"]["email"], "test.user@gmail.com");

    // Same claims again: nothing changes, nothing is published.
    assert_eq!(call(&app, "/b2c/token", &token_example()).await.0, 200);
    bus.assert_quiet(Duration::from_millis(1500)).await;

    // A changed surname is an update with its event; an absent claim keeps the stored value.
    let mut changed = token_example();
    changed["surname"] = json!("Married-Name");
    changed.as_object_mut().unwrap().remove("country");
    assert_eq!(call(&app, "/b2c/token", &changed).await.0, 200);
    let events = bus.take(1, WAIT).await;
    assert_eq!(events[0].routing_key, "identity.user.updated.v1");
    assert_eq!(events[0].event["data"]["lastname"], "Married-Name");
    assert_eq!(events[0].event["data"]["country"], "US");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_carries_groups_and_permissions_in_the_configured_claims() {
    let app = TestApp::spawn_with(|s| {
        s.connectors.groups_claim = "extension_b2cappid_groups".to_owned();
        s.connectors.permissions_claim = "extension_b2cappid_permissions".to_owned();
    })
    .await;
    let user = app.seed_user("member@example.com").await;
    let typeid = app.create_grouptype("CUSTOMER").await["id"]
        .as_i64()
        .unwrap();
    let g1 = app.create_group("G1", typeid, None).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let g2 = app.create_group("G2", typeid, None).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let read = app.create_permission("Read").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let write = app.create_permission("Write").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (group, permission) in [(&g1, &read), (&g1, &write), (&g2, &read)] {
        let response = app
            .post_empty(&format!(
                "/users/{}/groups/{group}/permissions/{permission}",
                user.oid
            ))
            .await;
        assert!(
            response.status().is_success(),
            "grant {}",
            response.status()
        );
    }
    let mut request = token_example();
    request["objectId"] = json!(user.oid);
    request["email"] = json!("member@example.com");
    let (status, body) = call(&app, "/b2c/token", &request).await;
    assert_eq!(status, 200);
    let (first, second) = if g1 < g2 { (&g1, &g2) } else { (&g2, &g1) };
    let mut permissions = serde_json::Map::new();
    permissions.insert(g1.clone(), json!(["Read", "Write"]));
    permissions.insert(g2.clone(), json!(["Read"]));
    assert_eq!(
        body["extension_b2cappid_groups"],
        format!("{first},{second}")
    );
    let claimed: Value =
        serde_json::from_str(body["extension_b2cappid_permissions"].as_str().unwrap()).unwrap();
    assert_eq!(claimed, Value::Object(permissions));
    assert_eq!(body.as_object().unwrap().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_accepts_both_step_shapes_and_refuses_bad_requests() {
    let app = TestApp::spawn().await;
    let application_claims = json!({
        "step": "PreTokenApplicationClaims",
        "clientId": "3e945e86-81cb-4736-a81e-ee85cffdcdf6",
        "objectId": "6e7b768e-07e2-4810-8459-485f84f8f204",
        "email": "claims.step@example.com",
        "ui_locales": "en-US"
    });
    let (status, body) = call(&app, "/b2c/token", &application_claims).await;
    assert_eq!(status, 200);
    assert_eq!(body["action"], "Continue");
    assert_eq!(
        app.get("/users/6e7b768e-07e2-4810-8459-485f84f8f204")
            .await
            .status(),
        200
    );

    let mut no_oid = token_example();
    no_oid.as_object_mut().unwrap().remove("objectId");
    assert_eq!(
        call(&app, "/b2c/token", &no_oid).await,
        (
            400,
            validation_error(
                "The sign-in request was incomplete (objectId is missing). Please try again."
            )
        )
    );
    let mut bad_oid = token_example();
    bad_oid["objectId"] = json!("not-a-uuid");
    assert_eq!(call(&app, "/b2c/token", &bad_oid).await.0, 400);
    let mut no_client = token_example();
    no_client.as_object_mut().unwrap().remove("client_id");
    assert_eq!(call(&app, "/b2c/token", &no_client).await.0, 400);

    // The contract's shape (`client_id`) requires `email` and `identities`, as B2CTokenRequest says.
    for field in ["email", "identities"] {
        let mut missing = token_example();
        missing.as_object_mut().unwrap().remove(field);
        let (status, body) = call(&app, "/b2c/token", &missing).await;
        assert_eq!(status, 400, "{field}");
        assert_eq!(body["action"], "ValidationError", "{field}");
    }
    let mut bad_locales = token_example();
    bad_locales["ui_locales"] = json!(7);
    assert_eq!(call(&app, "/b2c/token", &bad_locales).await.0, 400);

    // An unknown person without an email (the application-claims shape may leave it out) cannot be provisioned:
    // a block page, not a 5xx.
    let mut no_email = application_claims.clone();
    no_email.as_object_mut().unwrap().remove("email");
    no_email["objectId"] = json!(Uuid::new_v4());
    let (status, body) = call(&app, "/b2c/token", &no_email).await;
    assert_eq!(status, 200);
    assert_eq!(body["action"], "ShowBlockPage");
    assert!(body["userMessage"].as_str().unwrap().contains("error id"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_for_an_email_owned_by_another_user_is_a_block_page() {
    let app = TestApp::spawn().await;
    app.seed_user("test.user@gmail.com").await;
    let (status, body) = call(&app, "/b2c/token", &token_example()).await;
    assert_eq!(status, 200);
    assert_eq!(body["action"], "ShowBlockPage");
    assert_eq!(
        app.get("/users/398d87be-0741-48ec-a8ab-dcffa48acc21")
            .await
            .status(),
        404,
        "nothing half-written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_sign_ins_create_one_user() {
    let app = TestApp::spawn().await;
    let mut bus = app.subscribe().await;
    let request = token_example();
    let calls = (0..6).map(|_| call(&app, "/b2c/token", &request));
    for (status, body) in futures_util::future::join_all(calls).await {
        assert_eq!(status, 200);
        assert_eq!(body["action"], "Continue");
    }
    let events = bus.take(1, WAIT).await;
    assert_eq!(events[0].routing_key, "identity.user.created.v1");
    bus.assert_quiet(Duration::from_millis(1500)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_failure_shows_a_block_page_with_an_error_id() {
    let app = TestApp::spawn_with(|s| s.common.database.acquire_timeout_ms = 1000).await;
    let (admin, name) = app.db_url.rsplit_once('/').unwrap();
    let admin = format!("{admin}/postgres");
    let sql = |statement: String| {
        let admin = admin.clone();
        async move {
            use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
            let mut conn = AsyncPgConnection::establish(&admin).await.unwrap();
            diesel::sql_query(statement)
                .execute(&mut conn)
                .await
                .unwrap();
        }
    };
    sql(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false")).await;
    sql(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .await;
    for path in ["/b2c/register", "/b2c/token"] {
        let body = if path == "/b2c/register" {
            register_example()
        } else {
            token_example()
        };
        let (status, answer) = call(&app, path, &body).await;
        assert_eq!(status, 200, "{path}: {answer}");
        assert_eq!(answer["version"], "1.0.0");
        assert_eq!(answer["action"], "ShowBlockPage");
        let message = answer["userMessage"].as_str().unwrap();
        assert!(message.contains("contact support"), "{message}");
        let id = message
            .split_whitespace()
            .filter_map(|w| Uuid::try_parse(w.trim_end_matches('.')).ok())
            .next();
        assert!(id.is_some(), "error id in {message}");
    }
    sql(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connectors_need_the_function_key_or_configured_basic_credentials() {
    let app = TestApp::spawn().await;
    let url = app.api("/b2c/register");
    let basic = |user: &str, password: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    };
    let response = app
        .client
        .post(&url)
        .json(&register_example())
        .send()
        .await
        .unwrap();
    assert_problem(response, 401).await;
    // Basic is off by default: even a well-formed header does not open the door.
    let response = app
        .client
        .post(&url)
        .header("authorization", basic("b2c", "pw"))
        .json(&register_example())
        .send()
        .await
        .unwrap();
    assert_problem(response, 401).await;
    let response = app
        .client
        .post(format!("{url}?code={KEY}"))
        .json(&register_example())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let app = TestApp::spawn_with(|s| {
        s.connectors.basic_username = "b2c".to_owned();
        s.connectors.basic_password = "correct horse".to_owned();
    })
    .await;
    let url = app.api("/b2c/register");
    let response = app
        .client
        .post(&url)
        .header("authorization", basic("b2c", "correct horse"))
        .json(&register_example())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = app
        .client
        .post(&url)
        .header("authorization", basic("b2c", "wrong"))
        .json(&register_example())
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        "Basic realm=\"identity connectors\""
    );
    assert_problem(response, 401).await;
    // The function key still works alongside Basic.
    assert_eq!(
        app.post("/b2c/register", &register_example())
            .await
            .status(),
        200
    );
}

/// Microsoft's documented `OnAttributeCollectionSubmit` request.
pub(crate) fn attribute_submit(email: &str, display_name: &str) -> Value {
    json!({
        "type": "microsoft.graph.authenticationEvent.attributeCollectionSubmit",
        "source": "/tenants/30000000-0000-0000-0000-000000000003/applications/00001111-aaaa-2222-bbbb-3333cccc4444",
        "data": {
            "@odata.type": "microsoft.graph.onAttributeCollectionSubmitCalloutData",
            "tenantId": "30000000-0000-0000-0000-000000000003",
            "authenticationEventListenerId": "10000000-0000-0000-0000-000000000001",
            "customAuthenticationExtensionId": "10000000-0000-0000-0000-000000000002",
            "authenticationContext": {
                "correlationId": "c0000000-0000-0000-0000-000000000000",
                "client": {"ip": "30.51.176.110", "locale": "en-us", "market": "en-us"},
                "protocol": "OAUTH2.0",
                "clientServicePrincipal": {
                    "id": "00001111-aaaa-2222-bbbb-3333cccc4444",
                    "appId": "00001111-aaaa-2222-bbbb-3333cccc4444",
                    "appDisplayName": "My Test application",
                    "displayName": "My Test application"
                },
                "resourceServicePrincipal": {
                    "id": "00001111-aaaa-2222-bbbb-3333cccc4444",
                    "appId": "00001111-aaaa-2222-bbbb-3333cccc4444",
                    "appDisplayName": "My Test application",
                    "displayName": "My Test application"
                }
            },
            "userSignUpInfo": {
                "attributes": {
                    "givenName": {"@odata.type": "microsoft.graph.stringDirectoryAttributeValue", "value": "Larissa", "attributeType": "builtIn"},
                    "surname": {"@odata.type": "microsoft.graph.stringDirectoryAttributeValue", "value": "Price", "attributeType": "builtIn"},
                    "displayName": {"@odata.type": "microsoft.graph.stringDirectoryAttributeValue", "value": display_name, "attributeType": "builtIn"}
                },
                "identities": [{"signInType": "email", "issuer": "contoso.onmicrosoft.com", "issuerAssignedId": email}]
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entra_attribute_collection_submit_uses_the_same_rules() {
    let app = TestApp::spawn().await;
    let answer = |action: Value| json!({"data": {"@odata.type": "microsoft.graph.onAttributeCollectionSubmitResponseData", "actions": [action]}});
    let (status, body) = call(
        &app,
        "/entra/attributecollectionsubmit",
        &attribute_submit("larissa@contoso.com", "Larissa Price"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        answer(
            json!({"@odata.type": "microsoft.graph.attributeCollectionSubmit.continueWithDefaultBehavior"})
        )
    );
    let (_, body) = call(
        &app,
        "/entra/attributecollectionsubmit",
        &attribute_submit("larissa@contoso.com", " Larissa   Price"),
    )
    .await;
    assert_eq!(
        body,
        answer(json!({
            "@odata.type": "microsoft.graph.attributeCollectionSubmit.modifyAttributeValues",
            "attributes": {"displayName": "Larissa Price"}
        }))
    );
    let (_, body) = call(
        &app,
        "/entra/attributecollectionsubmit",
        &attribute_submit("not an email", "Larissa Price"),
    )
    .await;
    assert_eq!(
        body,
        answer(json!({
            "@odata.type": "microsoft.graph.attributeCollectionSubmit.showValidationError",
            "message": "Please fix the highlighted field to continue.",
            "attributeErrors": {"email": "Please enter a valid email address, such as name@example.com."}
        }))
    );
    app.seed_user("LARISSA@contoso.com").await;
    let (_, body) = call(
        &app,
        "/entra/attributecollectionsubmit",
        &attribute_submit("larissa@contoso.com", "Larissa Price"),
    )
    .await;
    assert_eq!(
        body,
        answer(json!({
            "@odata.type": "microsoft.graph.attributeCollectionSubmit.showBlockPage",
            "message": "This email address is already registered with an account, please login instead."
        }))
    );
    let response = app
        .post(
            "/entra/attributecollectionsubmit",
            &json!({"type": "something.else", "data": {}}),
        )
        .await;
    crate::helpers::assert_bad_field(response, "body").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entra_token_issuance_start_provisions_and_provides_claims() {
    let app = TestApp::spawn().await;
    let request = json!({
        "type": "microsoft.graph.authenticationEvent.tokenIssuanceStart",
        "source": "/tenants/30000000-0000-0000-0000-000000000003/applications/00001111-aaaa-2222-bbbb-3333cccc4444",
        "data": {
            "@odata.type": "microsoft.graph.onTokenIssuanceStartCalloutData",
            "tenantId": "30000000-0000-0000-0000-000000000003",
            "authenticationEventListenerId": "10000000-0000-0000-0000-000000000001",
            "customAuthenticationExtensionId": "10000000-0000-0000-0000-000000000002",
            "authenticationContext": {
                "correlationId": "c0000000-0000-0000-0000-000000000000",
                "client": {"ip": "127.0.0.1", "locale": "en-us", "market": "en-us"},
                "protocol": "OAUTH2.0",
                "clientServicePrincipal": {"id": "00001111-aaaa-2222-bbbb-3333cccc4444", "appId": "00001111-aaaa-2222-bbbb-3333cccc4444", "appDisplayName": "My Test application", "displayName": "My Test application"},
                "resourceServicePrincipal": {"id": "00001111-aaaa-2222-bbbb-3333cccc4444", "appId": "00001111-aaaa-2222-bbbb-3333cccc4444", "appDisplayName": "My Test application", "displayName": "My Test application"},
                "user": {
                    "companyName": "Casey Jensen",
                    "createdDateTime": "2023-08-16T00:00:00Z",
                    "displayName": "Casey Jensen",
                    "givenName": "Casey",
                    "id": "90000000-0000-0000-0000-000000000001",
                    "mail": "casey@contoso.com",
                    "onPremisesSamAccountName": "Casey Jensen",
                    "onPremisesSecurityIdentifier": "<Enter Security Identifier>",
                    "onPremisesUserPrincipalName": "Casey Jensen",
                    "preferredLanguage": "en-us",
                    "surname": "Jensen",
                    "userPrincipalName": "casey@contoso.com",
                    "userType": "Member"
                }
            }
        }
    });
    let (status, body) = call(&app, "/entra/tokenissuancestart", &request).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"data": {
            "@odata.type": "microsoft.graph.onTokenIssuanceStartResponseData",
            "actions": [{
                "@odata.type": "microsoft.graph.tokenIssuanceStart.provideClaimsForToken",
                "claims": {"extension_groups": "", "extension_permissions": "{}"}
            }]
        }})
    );
    let user: Value = app
        .get("/users/90000000-0000-0000-0000-000000000001")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(user["email"], "casey@contoso.com");
    assert_eq!(user["firstname"], "Casey");

    // Token issuance has no block page: a person who cannot be provisioned (their mail belongs to another
    // user) still signs in, without authorization claims, and nothing is written.
    let mut other = request.clone();
    other["data"]["authenticationContext"]["user"]["id"] =
        json!("90000000-0000-0000-0000-000000000002");
    let (status, body) = call(&app, "/entra/tokenissuancestart", &other).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["actions"][0],
        json!({"@odata.type": "microsoft.graph.tokenIssuanceStart.provideClaimsForToken", "claims": {}})
    );
    assert_eq!(
        app.get("/users/90000000-0000-0000-0000-000000000002")
            .await
            .status(),
        404
    );
    let mut bad = request.clone();
    bad["data"]["authenticationContext"]["user"]["id"] = json!("not-a-uuid");
    crate::helpers::assert_bad_field(app.post("/entra/tokenissuancestart", &bad).await, "body")
        .await;
}
