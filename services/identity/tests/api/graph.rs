//! The Graph-backed routes against a local fake of the Microsoft token endpoint and of Graph, reached through the
//! same configurable base URLs production uses.

use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{body_string_contains, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{KEY, TestApp, assert_bad_field, assert_problem};

const B2C_TENANT: &str = "cfsbrandsb2c.onmicrosoft.com";
const AAD_TENANT: &str = "cfsbrands.onmicrosoft.com";
pub(crate) const USER: &str = "8ecb4bd7-47b4-424c-af07-c85aa0e42d8a";

pub(crate) async fn spawn(server: &MockServer) -> TestApp {
    let uri = server.uri();
    TestApp::spawn_with(move |s| {
        s.microsoft.authority = uri.clone();
        s.microsoft.graph_base_url = format!("{uri}/v1.0");
        s.microsoft.timeout_ms = 500;
        s.microsoft.max_retries = 2;
        s.microsoft.max_retry_wait_ms = 1000;
        s.graph.b2c.tenant = B2C_TENANT.to_owned();
        s.graph.b2c.client_id = "b2c-app".to_owned();
        s.graph.b2c.client_secret = "b2c-secret".to_owned();
        s.graph.aad.tenant = AAD_TENANT.to_owned();
        s.graph.aad.client_id = "aad-app".to_owned();
        s.graph.aad.client_secret = "aad-secret".to_owned();
    })
    .await
}

pub(crate) async fn mount_tokens(server: &MockServer) {
    for (tenant, client, token) in [
        (B2C_TENANT, "b2c-app", "b2c-token"),
        (AAD_TENANT, "aad-app", "aad-token"),
    ] {
        Mock::given(method("POST"))
            .and(path(format!("/{tenant}/oauth2/v2.0/token")))
            .and(body_string_contains(format!("client_id={client}")))
            .and(body_string_contains("grant_type=client_credentials"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token
            })))
            .mount(server)
            .await;
    }
}

/// A Graph `GET /users/{id}?$select=...` answer for a B2C user, as Graph v1.0 serialises it.
pub(crate) fn graph_user() -> Value {
    json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(id,accountEnabled)/$entity",
        "id": USER,
        "accountEnabled": true,
        "businessPhones": ["+1 (555) 555-5555"],
        "city": "Oklahoma City",
        "companyName": "CFS Brands",
        "country": "US",
        "createdDateTime": "2023-07-17T14:20:26Z",
        "department": "",
        "displayName": "Test User",
        "givenName": "Test",
        "identities": [
            {"signInType": "userPrincipalName", "issuer": "cfsbrandsb2c.onmicrosoft.com", "issuerAssignedId": "test.user@cfsbrandsb2c.onmicrosoft.com"},
            {"signInType": "federated", "issuer": "ExternalAzureAD", "issuerAssignedId": ""}
        ],
        "jobTitle": "",
        "lastPasswordChangeDateTime": "2023-07-17T14:20:24Z",
        "mail": "test.user@cfsbrands.dev",
        "mobilePhone": "555-555-1234",
        "officeLocation": "Henfer",
        "postalCode": "73131",
        "signInSessionsValidFromDateTime": "2023-07-17T14:20:24Z",
        "state": "OK",
        "streetAddress": "1234 Example St",
        "surname": "User",
        "usageLocation": "US",
        "userPrincipalName": "test.user@cfsbrandsb2c.onmicrosoft.com",
        "userType": "Member"
    })
}

fn token_requests(requests: &[wiremock::Request]) -> usize {
    requests
        .iter()
        .filter(|r| r.url.path().ends_with("/oauth2/v2.0/token"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b2c_user_details_answer_the_contract_shape() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/users/{USER}")))
        .and(wiremock::matchers::header("authorization", "Bearer b2c-token"))
        .and(query_param(
            "$select",
            "id,accountEnabled,businessPhones,city,companyName,country,createdDateTime,department,displayName,givenName,identities,jobTitle,lastPasswordChangeDateTime,mail,mobilePhone,officeLocation,postalCode,signInSessionsValidFromDateTime,state,streetAddress,surname,usageLocation,userPrincipalName,userType",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(graph_user()))
        .expect(3)
        .mount(&server)
        .await;
    let app = spawn(&server).await;
    let response = app.get(&format!("/b2c/userdetails/{USER}")).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let backing = json!({"InitializationCompleted": false, "ReturnOnlyChangedValues": false});
    assert_eq!(
        body,
        json!({
            "AccountEnabled": true,
            "BusinessPhones": ["+1 (555) 555-5555"],
            "City": "Oklahoma City",
            "CompanyName": "CFS Brands",
            "Country": "US",
            "CreatedDateTime": "2023-07-17T14:20:26+00:00",
            "Department": "",
            "DisplayName": "Test User",
            "GivenName": "Test",
            "Identitites": [
                {"AdditionalData": {}, "BackingStore": backing, "Issuer": "cfsbrandsb2c.onmicrosoft.com",
                 "IssuerAssignedId": "test.user@cfsbrandsb2c.onmicrosoft.com", "OdataType": null, "SignIntype": "userPrincipalName"},
                {"AdditionalData": {}, "BackingStore": backing, "Issuer": "ExternalAzureAD",
                 "IssuerAssignedId": "", "OdataType": null, "SignIntype": "federated"}
            ],
            "JobTitle": "",
            "LastPasswordChangeDateTime": "2023-07-17T14:20:24+00:00",
            "Mail": "test.user@cfsbrands.dev",
            "MobilePhone": "555-555-1234",
            "OfficeLocation": "Henfer",
            "PostalCode": "73131",
            "SignInActivity": null,
            "SignInSessionsValidFromDateTime": "2023-07-17T14:20:24+00:00",
            "State": "OK",
            "StreetAddress": "1234 Example St",
            "Surname": "User",
            "UsageLocation": "US",
            "UserPrincipalName": "test.user@cfsbrandsb2c.onmicrosoft.com",
            "UserType": "Member",
            "Id": USER,
            "OdataType": "#microsoft.graph.user"
        })
    );
    // The token is cached: two more calls, still one token request.
    for _ in 0..2 {
        assert_eq!(
            app.get(&format!("/b2c/userdetails/{USER}")).await.status(),
            200
        );
    }
    assert_eq!(
        token_requests(&server.received_requests().await.unwrap()),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aad_user_details_use_the_entra_registration_and_404_an_unknown_user() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/users/{USER}")))
        .and(wiremock::matchers::header("authorization", "Bearer aad-token"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": {
            "code": "Request_ResourceNotFound",
            "message": format!("Resource '{USER}' does not exist or one of its queried reference-property objects are not present."),
            "innerError": {"date": "2026-11-23T19:00:00", "request-id": "r", "client-request-id": "c"}
        }})))
        .expect(1)
        .mount(&server)
        .await;
    let app = spawn(&server).await;
    assert_problem(app.get(&format!("/aad/userdetails/{USER}")).await, 404).await;
    assert_bad_field(app.get("/aad/userdetails/not-a-uuid").await, "useroid").await;
    assert_bad_field(app.get("/b2c/userdetails/not-a-uuid").await, "useroid").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_failures_are_502_504_and_503_never_a_hang() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    let failing = Uuid::new_v4();
    let slow = Uuid::new_v4();
    let throttled = Uuid::new_v4();
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/users/{failing}")))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"error": {"code": "generalException", "message": "General exception while processing."}})))
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/users/{slow}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(graph_user())
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/users/{throttled}")))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "30")
                .set_body_json(
                    json!({"error": {"code": "TooManyRequests", "message": "Too many requests"}}),
                ),
        )
        .mount(&server)
        .await;
    let app = spawn(&server).await;
    assert_problem(app.get(&format!("/aad/userdetails/{failing}")).await, 502).await;
    let started = std::time::Instant::now();
    assert_problem(app.get(&format!("/aad/userdetails/{slow}")).await, 504).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    let response = app.get(&format!("/aad/userdetails/{throttled}")).await;
    assert_eq!(response.headers()["retry-after"], "30");
    assert_problem(response, 503).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_and_missing_configuration_are_clear_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{AAD_TENANT}/oauth2/v2.0/token")))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t\r\nCorrelation ID: c",
            "error_codes": [7000215]
        })))
        .mount(&server)
        .await;
    let app = spawn(&server).await;
    let body = assert_problem(app.get(&format!("/aad/userdetails/{USER}")).await, 502).await;
    assert!(!body.to_string().contains("aad-secret"));
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("credentials were refused")
    );

    let unconfigured = TestApp::spawn().await;
    assert_problem(
        unconfigured.get(&format!("/b2c/userdetails/{USER}")).await,
        503,
    )
    .await;
}

pub(crate) fn graph_users(users: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(id,mail)",
        "value": users
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn getoidbyemail_finds_locally_then_in_graph_then_404() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param(
            "$filter",
            "mail eq 'new.person@cfsbrands.com' or userPrincipalName eq 'new.person@cfsbrands.com'",
        ))
        .respond_with(graph_users(json!([{
            "id": USER, "mail": "New.Person@cfsbrands.com", "userPrincipalName": "new.person@cfsbrands.com",
            "givenName": "New", "surname": "Person", "country": null
        }])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param(
            "$filter",
            "mail eq 'o''brien''or''1''eq''1@cfsbrands.com' or userPrincipalName eq 'o''brien''or''1''eq''1@cfsbrands.com'",
        ))
        .respond_with(graph_users(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let app = spawn(&server).await;
    let mut bus = app.subscribe().await;
    let existing = app.seed_user("known@cfsbrands.com").await;

    let response = app
        .post_empty("/aad/getoidbyemail?email=KNOWN@cfsbrands.com")
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(response.text().await.unwrap(), existing.oid.to_string());

    let response = app
        .post_empty("/aad/getoidbyemail?email=new.person@cfsbrands.com")
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        response.headers()["location"],
        format!("/api/v1/users/{USER}")
    );
    assert_eq!(response.text().await.unwrap(), USER);
    let user: Value = app
        .get(&format!("/users/{USER}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(user["email"], "new.person@cfsbrands.com");
    assert_eq!(user["firstname"], "New");
    assert_eq!(user["lastname"], "Person");
    // The seeded user's event, then the one created from Graph.
    let events = bus.take(2, Duration::from_secs(15)).await;
    let created = events
        .iter()
        .find(|e| e.event["subject"] == USER)
        .expect("created event");
    assert_eq!(created.routing_key, "identity.user.created.v1");
    assert_eq!(created.event["data"]["email"], "new.person@cfsbrands.com");

    // Now local: 200 without asking Graph again (the mock above expects exactly one call).
    let response = app
        .post_empty("/aad/getoidbyemail?email=new.person@cfsbrands.com")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), USER);
    // A caller preferring JSON gets the oid as a JSON string; the default stays text/plain.
    for (accept, content_type, body) in [
        (
            "application/json",
            "application/json",
            format!("\"{USER}\""),
        ),
        (
            "application/json, text/plain;q=0.5",
            "application/json",
            format!("\"{USER}\""),
        ),
        ("*/*", "text/plain; charset=utf-8", USER.to_owned()),
        ("text/plain", "text/plain; charset=utf-8", USER.to_owned()),
    ] {
        let response = app
            .client
            .post(app.api("/aad/getoidbyemail?email=new.person@cfsbrands.com"))
            .header("x-functions-key", KEY)
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], content_type, "{accept}");
        assert_eq!(response.headers()["vary"], "Accept");
        assert_eq!(response.text().await.unwrap(), body, "{accept}");
    }

    // Quotes are valid in an address's local part; doubled, they cannot close the OData literal.
    let quoted = "o'brien'or'1'eq'1@cfsbrands.com";
    let response = app
        .post_empty(&format!("/aad/getoidbyemail?email={quoted}"))
        .await;
    assert_problem(response, 404).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn getoidbyemail_refuses_bad_input() {
    let server = MockServer::start().await;
    let app = spawn(&server).await;
    assert_bad_field(app.post_empty("/aad/getoidbyemail").await, "email").await;
    assert_bad_field(app.post_empty("/aad/getoidbyemail?email=").await, "email").await;
    assert_bad_field(
        app.post_empty("/aad/getoidbyemail?email=not-an-email")
            .await,
        "email",
    )
    .await;
    assert_bad_field(
        app.post_empty("/aad/getoidbyemail?email=Name%20%3Ca@b.com%3E")
            .await,
        "email",
    )
    .await;
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
    // The contract's method is POST.
    assert_problem(app.get("/aad/getoidbyemail?email=a@b.com").await, 405).await;
    assert_problem(app.get("/b2c/register").await, 405).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_getoidbyemail_calls_create_one_user() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(
            graph_users(json!([{"id": USER, "mail": "race@cfsbrands.com", "userPrincipalName": "race@cfsbrands.com"}]))
                .set_delay(Duration::from_millis(100)),
        )
        .mount(&server)
        .await;
    let app = spawn(&server).await;
    let mut bus = app.subscribe().await;
    let calls = (0..5).map(|_| app.post_empty("/aad/getoidbyemail?email=race@cfsbrands.com"));
    let mut statuses = Vec::new();
    for response in futures_util::future::join_all(calls).await {
        statuses.push(response.status().as_u16());
        assert_eq!(response.text().await.unwrap(), USER);
    }
    statuses.sort_unstable();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 201),
        "{statuses:?}"
    );
    assert_eq!(
        bus.take(1, Duration::from_secs(15)).await[0].routing_key,
        "identity.user.created.v1"
    );
    bus.assert_quiet(Duration::from_millis(1500)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graph_user_without_a_uuid_id_is_502_and_nothing_is_written() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(graph_users(
            json!([{"id": "not-a-uuid", "mail": "odd@cfsbrands.com"}]),
        ))
        .mount(&server)
        .await;
    let app = spawn(&server).await;
    let mut bus = app.subscribe().await;
    assert_problem(
        app.post_empty("/aad/getoidbyemail?email=odd@cfsbrands.com")
            .await,
        502,
    )
    .await;
    let users: Value = app.get("/users").await.json().await.unwrap();
    assert_eq!(users, json!([]));
    bus.assert_quiet(Duration::from_millis(1500)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_created_by_the_aad_look_up_names_its_callers_key_and_trace() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(graph_users(json!([{
            "id": USER, "mail": "new.person@cfsbrands.com", "userPrincipalName": "new.person@cfsbrands.com",
            "givenName": "New", "surname": "Person"
        }])))
        .mount(&server)
        .await;
    let app = spawn(&server).await;
    let mut bus = app.subscribe().await;
    let trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let response = app
        .client
        .post(app.api("/aad/getoidbyemail?email=new.person@cfsbrands.com"))
        .header("x-functions-key", "second-key")
        .header("traceparent", trace)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let events = bus.take(1, Duration::from_secs(15)).await;
    assert_eq!(events[0].routing_key, "identity.user.created.v1");
    assert_eq!(events[0].event["actor"], "key:2");
    assert_eq!(events[0].event["subjectversion"], 1);
    assert_eq!(events[0].event["traceparent"], trace);
}
