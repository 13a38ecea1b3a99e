//! The generated clients (`crates/clients`) against each service binary: at least one call per operation of the
//! served spec, each through the typed client, with the status and the decoded shape checked. The operations
//! are read from the spec at run time and every one must have been called (the clients' observer records each
//! request), so an operation added to a spec without a client call here fails.

use crate::helpers::{IDENTITY_KEY, KINDS, Kind, Launch, ServiceProcess, database, mint};
use clients::Observer;
use progenitor_client::Error;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// One request a client sent: the generated method's operationId, its method and path.
#[derive(Clone)]
struct Call {
    id: &'static str,
    method: String,
    path: String,
}

/// The requests the clients sent, in order.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<Vec<Call>>>);

impl Calls {
    fn observer(&self) -> Observer {
        let calls = self.0.clone();
        Observer::new(move |id, request| {
            calls.lock().unwrap().push(Call {
                id,
                method: request.method().to_string(),
                path: request.url().path().to_owned(),
            })
        })
    }

    /// Every operation of `spec` (method + server path + path template) matched by a recorded request.
    fn assert_every_operation_called(&self, kind: &Kind) {
        let spec: Value = serde_norway::from_str(kind.spec).unwrap();
        let calls = self.0.lock().unwrap().clone();
        let mut missing = Vec::new();
        let operations = operations(&spec);
        for (verb, template) in &operations {
            let called = calls.iter().any(|call| {
                &call.method == verb
                    && best_match(&operations, verb, &call.path).as_deref()
                        == Some(template.as_str())
            });
            if !called {
                missing.push(format!("{verb} {template}"));
            }
        }
        assert!(
            missing.is_empty(),
            "{}: operations without a client call: {missing:?} (called: {:?})",
            kind.name,
            calls.iter().map(|call| call.id).collect::<BTreeSet<_>>()
        );
    }
}

/// (METHOD, path as served: the servers' path prefix + the template) of every operation in the spec.
fn operations(spec: &Value) -> Vec<(String, String)> {
    let prefix = |servers: Option<&Value>| -> Option<String> {
        let url = servers?.get(0)?.get("url")?.as_str()?;
        let rest = url
            .split_once("://")
            .map_or(url, |(_, r)| r.find('/').map_or("", |i| &r[i..]));
        Some(rest.trim_end_matches('/').to_owned())
    };
    let base = prefix(spec.get("servers")).unwrap_or_default();
    let mut out = Vec::new();
    for (template, item) in spec["paths"].as_object().unwrap() {
        let here = prefix(item.get("servers")).unwrap_or_else(|| base.clone());
        for verb in [
            "get", "put", "post", "delete", "patch", "options", "head", "trace",
        ] {
            if item.get(verb).is_some() {
                out.push((verb.to_uppercase(), format!("{here}{template}")));
            }
        }
    }
    out
}

/// The template a request path belongs to: of the templates it matches, the one with most literal segments
/// (`/groups/name/x` is `/groups/name/{name}`, not `/groups/{groupid}/...`).
fn best_match(operations: &[(String, String)], verb: &str, path: &str) -> Option<String> {
    let actual: Vec<&str> = path.split('/').collect();
    operations
        .iter()
        .filter(|(m, _)| m == verb)
        .filter_map(|(_, template)| {
            let segments: Vec<&str> = template.split('/').collect();
            if segments.len() != actual.len() {
                return None;
            }
            let mut literal = 0;
            for (t, a) in segments.iter().zip(&actual) {
                if t.starts_with('{') && t.ends_with('}') {
                    if a.is_empty() {
                        return None;
                    }
                } else if t == a {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, template.clone()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, template)| template)
}

fn kind(name: &str) -> &'static Kind {
    KINDS.iter().find(|k| k.name == name).unwrap()
}

/// A reqwest client sending `headers` with every request (the credential, as a consumer would configure it).
fn http(headers: &[(&'static str, String)]) -> reqwest::Client {
    let headers = headers
        .iter()
        .map(|(k, v)| {
            (
                reqwest::header::HeaderName::from_static(k),
                reqwest::header::HeaderValue::from_str(v).unwrap(),
            )
        })
        .collect();
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// The status of a call that failed, whichever way progenitor reports it.
fn status_of<E>(error: &Error<E>) -> u16 {
    match error {
        Error::ErrorResponse(value) => value.status().as_u16(),
        Error::UnexpectedResponse(response) => response.status().as_u16(),
        Error::CommunicationError(e) => panic!("no response: {e}"),
        _ => panic!("no response, or one the client could not decode"),
    }
}

async fn started(launch: Launch) -> ServiceProcess {
    let mut process = launch.spawn();
    process.wait_ready(Duration::from_secs(60)).await;
    process
}

/// The operational paths every spec has (`/healthz`, `/readyz`, `/metrics`, `/openapi.*`, `/docs`), through
/// whatever names the generator gave them.
macro_rules! operational {
    ($client:expr, $healthz:ident, $readyz:ident, $metrics:ident, $yaml:ident, $json:ident, $docs:ident) => {{
        let client = &$client;
        assert_eq!(client.$healthz().send().await.unwrap().status(), 200);
        assert_eq!(client.$readyz().send().await.unwrap().status(), 200);
        assert_eq!(client.$metrics().send().await.unwrap().status(), 200);
        assert_eq!(client.$yaml().send().await.unwrap().status(), 200);
        assert_eq!(client.$json().send().await.unwrap().status(), 200);
        // /docs answers 308 to /docs/, which reqwest follows to the page.
        assert_eq!(
            client
                .$docs()
                .send()
                .await
                .map(|r| r.status())
                .unwrap_or_else(|e| status_of(&e).try_into().unwrap()),
            200
        );
    }};
}

const AAD_TENANT: &str = "cfsbrands.onmicrosoft.com";
const B2C_TENANT: &str = "cfsbrandsb2c.onmicrosoft.com";
const USER: &str = "8ecb4bd7-47b4-424c-af07-c85aa0e42d8a";

/// The Microsoft token endpoint and the Graph calls identity's connector and look-up operations make.
async fn fake_microsoft() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/[^/]+/oauth2/v2.0/token$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "graph-token"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [{
            "id": USER, "mail": "client.user@cfsbrands.com", "userPrincipalName": "client.user@cfsbrands.com",
            "givenName": "Client", "surname": "User", "country": null
        }]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/users/{USER}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": USER, "accountEnabled": true, "displayName": "Client User", "givenName": "Client",
            "surname": "User", "mail": "client.user@cfsbrands.com", "country": "US",
            "identities": [{"signInType": "emailAddress", "issuer": B2C_TENANT, "issuerAssignedId": "client.user@cfsbrands.com"}],
        })))
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_identity_client_calls_every_operation() {
    use clients::identity::{Client, types};
    let kind = kind("identity");
    let microsoft = fake_microsoft().await;
    let database = database(kind);
    let mut launch = Launch::new(kind, &database);
    for (key, value) in [
        ("MICROSOFT__AUTHORITY", microsoft.uri()),
        (
            "MICROSOFT__GRAPH_BASE_URL",
            format!("{}/v1.0", microsoft.uri()),
        ),
        ("GRAPH__B2C__TENANT", B2C_TENANT.to_owned()),
        ("GRAPH__B2C__CLIENT_ID", "b2c-app".to_owned()),
        ("GRAPH__B2C__CLIENT_SECRET", "b2c-secret".to_owned()),
        ("GRAPH__AAD__TENANT", AAD_TENANT.to_owned()),
        ("GRAPH__AAD__CLIENT_ID", "aad-app".to_owned()),
        ("GRAPH__AAD__CLIENT_SECRET", "aad-secret".to_owned()),
    ] {
        launch = launch.set(&format!("IDENTITY__{key}"), &value);
    }
    let process = started(launch).await;
    let calls = Calls::default();
    let c = Client::new_with_client(
        &process.address,
        http(&[("x-functions-key", IDENTITY_KEY.to_owned())]),
        calls.observer(),
    );

    // Users: created from Graph by e-mail (201, then 200 with the same oid), read, listed, updated.
    let oid = c
        .get_or_create_user_by_email()
        .email("client.user@cfsbrands.com")
        .send()
        .await
        .unwrap();
    assert_eq!(oid.status(), 201);
    assert_eq!(oid.into_inner().to_string(), USER);
    let again = c
        .get_or_create_user_by_email()
        .email("client.user@cfsbrands.com")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    let useroid: uuid::Uuid = USER.parse().unwrap();
    let user = c.get_user_by_id().useroid(useroid).send().await.unwrap();
    assert_eq!(user.email.as_str(), "client.user@cfsbrands.com");
    let users = c.get_users().limit(10).send().await.unwrap();
    assert!(users.iter().any(|u| u.oid == useroid));
    let updated = c
        .update_user()
        .useroid(useroid)
        .body(
            types::User::builder()
                .oid(useroid)
                .email("client.user@cfsbrands.com")
                .firstname(Some("Renamed".try_into().unwrap())),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        updated.firstname.as_ref().map(|f| f.as_str()),
        Some("Renamed")
    );

    // Group types, groups, permissions.
    let grouptype = c
        .create_group_type()
        .body(types::GroupType::builder().name("CLIENT-TYPE"))
        .send()
        .await
        .unwrap();
    assert_eq!(grouptype.status(), 201);
    let typeid = grouptype.id.unwrap();
    assert_eq!(
        c.get_group_type_by_id()
            .grouptypeid(typeid)
            .send()
            .await
            .unwrap()
            .name
            .as_str(),
        "CLIENT-TYPE"
    );
    assert!(
        c.get_group_types()
            .send()
            .await
            .unwrap()
            .iter()
            .any(|t| t.id == Some(typeid))
    );
    let renamed = c
        .update_group_type()
        .grouptypeid(typeid)
        .body(types::GroupType::builder().name("CLIENT-TYPE-2"))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.name.as_str(), "CLIENT-TYPE-2");

    let group = c
        .create_group()
        .body(
            types::Group::builder()
                .name("Client Group")
                .typeid(typeid)
                .localid(Some("LOCAL-1".try_into().unwrap())),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(group.status(), 201);
    let groupid = group.id.unwrap();
    assert_eq!(
        c.get_group_by_id()
            .groupid(groupid)
            .send()
            .await
            .unwrap()
            .name
            .as_str(),
        "Client Group"
    );
    let by_name = c
        .get_group_by_name()
        .name("Client Group")
        .send()
        .await
        .unwrap();
    assert_eq!(*by_name, groupid);
    assert_eq!(c.get_groups().send().await.unwrap().len(), 1);
    assert_eq!(
        c.get_groups_by_local_id()
            .localid("LOCAL-1")
            .send()
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        c.get_groups_by_group_type()
            .grouptypeid(typeid)
            .send()
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        c.get_groups_by_group_type_local_id()
            .grouptypeid(typeid)
            .localid("LOCAL-1")
            .send()
            .await
            .unwrap()
            .len(),
        1
    );
    let group = c
        .update_group()
        .groupid(groupid)
        .body(
            types::Group::builder()
                .name("Client Group 2")
                .typeid(typeid)
                .localid(Some("LOCAL-1".try_into().unwrap())),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(group.name.as_str(), "Client Group 2");

    let permission = c
        .create_permission()
        .body(types::Permission::builder().name("Act"))
        .send()
        .await
        .unwrap();
    assert_eq!(permission.status(), 201);
    let permissionid = permission.id.unwrap();
    assert_eq!(
        c.get_permission_by_id()
            .permissionid(permissionid)
            .send()
            .await
            .unwrap()
            .name
            .as_str(),
        "Act"
    );
    assert_eq!(c.get_permissions().send().await.unwrap().len(), 1);
    let permission = c
        .update_permission()
        .permissionid(permissionid)
        .body(types::Permission::builder().name("Act on behalf of"))
        .send()
        .await
        .unwrap();
    assert_eq!(permission.name.as_str(), "Act on behalf of");

    // Assignments: 201 with the assignment, then the bodiless "already assigned" 200 (see clients::Outcome).
    let assign = || {
        c.create_permission_by_user_group()
            .useroid(useroid)
            .groupid(groupid)
            .permissionid(permissionid)
    };
    match clients::Outcome::from(assign().send().await).unwrap() {
        clients::Outcome::Body(value) => {
            assert_eq!(value.status(), 201);
            assert_eq!(value.permissionid, permissionid);
        }
        clients::Outcome::Empty(status) => panic!("first assignment answered {status}"),
    }
    assert!(matches!(
        clients::Outcome::from(assign().send().await).unwrap(),
        clients::Outcome::Empty(status) if status == 200
    ));
    assert_eq!(
        c.get_groups_by_user()
            .useroid(useroid)
            .send()
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        c.get_group_users()
            .groupid(groupid)
            .send()
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        c.get_permissions_by_user_group()
            .useroid(useroid)
            .groupid(groupid)
            .send()
            .await
            .unwrap()
            .len(),
        1
    );
    let one = c
        .get_permission_by_user_group()
        .useroid(useroid)
        .groupid(groupid)
        .permissionid(permissionid)
        .send()
        .await
        .unwrap();
    assert_eq!(one.permissionid, permissionid);

    // The Graph look-ups and the connectors (B2C API connectors, Entra custom authentication extensions).
    let details = c
        .aad_get_user_details()
        .useroid(useroid)
        .send()
        .await
        .unwrap();
    assert!(details.is_object(), "{:?}", details.into_inner());
    let details = c
        .b2c_get_user_details()
        .useroid(useroid)
        .send()
        .await
        .unwrap();
    assert!(details.is_object(), "{:?}", details.into_inner());
    let identities = vec![types::B2cIdentitiy {
        issuer: B2C_TENANT.to_owned(),
        issuer_assigned_id: "client.user@cfsbrands.com".to_owned(),
        sign_in_type: "emailAddress".to_owned(),
    }];
    // The e-mail is taken (the user above): B2C's block page, typed.
    let taken = c
        .b2c_register()
        .body(
            types::B2cCreateRequest::builder()
                .email("client.user@cfsbrands.com")
                .step("PostAttributeCollection")
                .client_id("1a2b3c4d-0000-4000-8000-0000000000b2")
                .identities(identities.clone()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(taken.action, "ShowBlockPage");
    let token = c
        .b2c_token()
        .body(
            types::B2cTokenRequest::builder()
                .object_id(USER)
                .email("client.user@cfsbrands.com")
                .step("PreTokenIssuance")
                .client_id("1a2b3c4d-0000-4000-8000-0000000000b2")
                .identities(identities),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200);
    let submit: types::EntraAttributeCollectionSubmitBody = serde_json::from_value(json!({
        "type": "microsoft.graph.authenticationEvent.attributeCollectionSubmit",
        "data": {"userSignUpInfo": {"attributes": {"email": {"value": "client.user@cfsbrands.com"}}},
                 "authenticationContext": {"clientServicePrincipal": {"appId": "entra-client"}}},
    }))
    .unwrap();
    let submitted = c
        .entra_attribute_collection_submit()
        .body(submit)
        .send()
        .await
        .unwrap();
    assert!(
        submitted["data"]["actions"].is_array(),
        "{:?}",
        submitted.into_inner()
    );
    let start: types::EntraTokenIssuanceStartBody = serde_json::from_value(json!({
        "type": "microsoft.graph.authenticationEvent.tokenIssuanceStart",
        "data": {"authenticationContext": {"user": {"id": USER},
                                           "clientServicePrincipal": {"appId": "entra-client"}}},
    }))
    .unwrap();
    let started_token = c.entra_token_issuance_start().body(start).send().await;
    match started_token {
        Ok(value) => assert!(
            value["data"]["actions"].is_array(),
            "{:?}",
            value.into_inner()
        ),
        Err(e) => assert_eq!(status_of(&e), 400),
    }

    // Deletes, children first; then each is gone (404 through the client's error).
    for status in [
        c.delete_permission_by_user_group()
            .useroid(useroid)
            .groupid(groupid)
            .permissionid(permissionid)
            .send()
            .await
            .unwrap()
            .status(),
        c.delete_group_by_id()
            .groupid(groupid)
            .send()
            .await
            .unwrap()
            .status(),
        c.delete_group_type_by_id()
            .grouptypeid(typeid)
            .send()
            .await
            .unwrap()
            .status(),
        c.delete_permission_by_id()
            .permissionid(permissionid)
            .send()
            .await
            .unwrap()
            .status(),
        c.delete_user_by_id()
            .useroid(useroid)
            .send()
            .await
            .unwrap()
            .status(),
    ] {
        assert_eq!(status, 204);
    }
    let gone = c
        .get_group_by_id()
        .groupid(groupid)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_of(&gone), 404);

    let served = c.open_api_json().send().await.unwrap().into_inner();
    assert_eq!(
        Value::Object(served),
        serde_norway::from_str::<Value>(kind.spec).unwrap()
    );
    let ready = c.readyz().send().await.unwrap();
    assert_eq!(ready.status.to_string(), "ready");
    operational!(
        c,
        healthz,
        readyz,
        metrics,
        open_api_yaml,
        open_api_json,
        api_docs
    );
    calls.assert_every_operation_called(kind);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_idp_management_client_calls_every_operation() {
    use clients::idp_management::{Client, types};
    let kind = kind("idp-management");
    let database = database(kind);
    let process = started(Launch::new(kind, &database)).await;
    let calls = Calls::default();
    let token = |application: &str, permissions: &[&str]| {
        mint(
            "iam",
            "idp-management",
            &json!({"application": application, "actor": "client-test", "permissions": permissions}),
        )
    };
    let client = |token: String| {
        Client::new_with_client(
            &process.address,
            http(&[("authorization", format!("Bearer {token}"))]),
            calls.observer(),
        )
    };
    let admin = client(token("iam-console", &["idp:admin"]));
    let app = client(token("client-app", &["idp:read", "idp:write"]));

    let registered = admin
        .register_application()
        .application("client-app")
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    assert_eq!(registered.application_id.as_str(), "client-app");

    let provider = |key: &str| {
        json!({
            "key": key, "subjectPoolKey": "pool-1", "name": format!("IdP {key}"), "type": "OIDC",
            "status": "ENABLED", "visibility": "PUBLIC",
            "oidcConfig": {"issuer": "https://login.example.com", "audience": "console",
                           "usernameMapping": {"attribute": "email"}},
        })
    };
    let list: Vec<types::ApplicationIdentityProviderInV1> =
        serde_json::from_value(json!([provider("idp-1"), provider("idp-2")])).unwrap();
    let put = app
        .upsert_application_identity_providers()
        .application_expression("client-app")
        .return_updated(true)
        .body(list)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    assert_eq!(put.len(), 2);
    let listed = app
        .get_application_identity_providers()
        .application_expression("client-app")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    let one = app
        .get_application_identity_provider()
        .application_expression("client-app")
        .identity_provider_key("idp-1")
        .send()
        .await
        .unwrap();
    assert_eq!(one.key.as_str(), "idp-1");

    let mut without_key = provider("idp-1");
    without_key.as_object_mut().unwrap().remove("key");
    let body: types::ApplicationIdentityProviderInWithoutKeyV1 =
        serde_json::from_value(without_key.clone()).unwrap();
    // Without returnUpdated the contract answers 204 (a bodiless success beside the typed 200).
    let quiet = app
        .upsert_application_identity_provider()
        .application_expression("client-app")
        .identity_provider_key("idp-1")
        .body(body.clone())
        .send()
        .await;
    assert!(matches!(
        clients::Outcome::from(quiet).unwrap(),
        clients::Outcome::Empty(status) if status == 204
    ));
    let check = app
        .check_application_identity_provider()
        .application_expression("client-app")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(check.status(), 200);
    assert!(!check.checks.is_empty());

    let public = app
        .get_public_identity_provider_setup()
        .application_expression("client-app")
        .send()
        .await
        .unwrap();
    assert_eq!(public.application_id.as_str(), "client-app");
    let setup = app.get_identity_provider_setup().send().await.unwrap();
    assert_eq!(setup.application_id.as_str(), "client-app");

    let deleted = app
        .delete_application_identity_provider()
        .application_expression("client-app")
        .identity_provider_key("idp-2")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let missing = app
        .get_application_identity_provider()
        .application_expression("client-app")
        .identity_provider_key("idp-2")
        .send()
        .await
        .unwrap_err();
    match missing {
        Error::ErrorResponse(value) => assert_eq!(value.status(), 404),
        other => panic!("{other}"),
    }
    let all = app
        .delete_application_identity_providers()
        .application_expression("client-app")
        .send()
        .await
        .unwrap();
    assert_eq!(all.status(), 204);

    let revocation: types::TokenRevocationInV1 =
        serde_json::from_value(json!({"jti": "client-test-jti"})).unwrap();
    let revoked = admin.revoke_token().body(revocation).send().await.unwrap();
    assert_eq!(revoked.status(), 204);

    operational!(
        admin,
        get_healthz,
        get_readyz,
        get_metrics,
        get_openapi_yaml,
        get_openapi_json,
        get_docs
    );
    calls.assert_every_operation_called(kind);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_connection_client_calls_every_operation() {
    use clients::provider_connection::{Client, types};
    let kind = kind("provider-connection");
    let database = database(kind);
    let process = started(Launch::new(kind, &database)).await;
    let calls = Calls::default();
    let token = mint(
        "https://tenantpilot.local",
        "provider-connection",
        &json!({
            "sub": "client-member", "workspace_id": "client-workspace", "tenants": ["t1"],
            "capabilities": ["provider_connections.view", "provider_connections.manage",
                             "provider_connections.run_verification", "provider_connections.manage_dedicated",
                             "provider_connections.view_audit"],
        }),
    );
    let bearer = ("authorization", format!("Bearer {token}"));
    let c = Client::new_with_client(
        &process.address,
        http(std::slice::from_ref(&bearer)),
        calls.observer(),
    );

    let body: types::ProviderConnectionCreateRequest = serde_json::from_value(json!({
        "provider": "microsoft", "entra_tenant_id": "11111111-1111-1111-1111-111111111111",
        "display_name": "Client connection",
    }))
    .unwrap();
    let created = c
        .post_tenants_tenant_provider_connections()
        .tenant("t1")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.id;
    assert_eq!(
        c.get_provider_connections_connection()
            .connection(positive(id))
            .send()
            .await
            .unwrap()
            .id,
        id
    );

    let link = c
        .post_provider_connections_connection_admin_consent_link()
        .connection(positive(id))
        .send()
        .await
        .unwrap();
    assert!(link.url.contains("adminconsent"), "{}", link.url);

    // The consent callback without a valid state: the refusal page (403), not a client decoding error.
    let callback = c.get_consent_callback().state("forged").send().await;
    let status = callback
        .map(|r| r.status().as_u16())
        .unwrap_or_else(|e| status_of(&e));
    assert_eq!(status, 403);

    let run = c
        .post_provider_connections_connection_verification()
        .connection(positive(id))
        .send()
        .await
        .unwrap();
    assert_eq!(run.status(), 202);
    let run_id = run.operation_run_id;
    assert_eq!(
        c.get_verification_runs_run()
            .run(positive(run_id))
            .send()
            .await
            .unwrap()
            .id,
        Some(run_id)
    );

    // The confirmation the contract asks for, as its declared header parameter.
    let confirm = id.to_string();
    let credential: types::DedicatedCredentialRequest = serde_json::from_value(json!({
        "credential_kind": "client_secret", "source": "dedicated_manual",
        "client_id": "22222222-2222-2222-2222-222222222222", "client_secret": "client-test-secret",
    }))
    .unwrap();
    let switched = c
        .put_provider_connections_connection_connection_type()
        .connection(positive(id))
        .x_confirm_connection(confirm.clone())
        .body(
            serde_json::from_value::<types::PutProviderConnectionsConnectionConnectionTypeBody>(
                json!({"connection_type": "dedicated"}),
            )
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        switched.connection_type,
        types::ProviderConnectionResponseConnectionType::Dedicated
    );
    let stored = c
        .put_provider_connections_connection_dedicated_credential()
        .connection(positive(id))
        .body(credential)
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), 200);
    let deleted = c
        .delete_provider_connections_connection_dedicated_credential()
        .connection(positive(id))
        .x_confirm_connection(confirm)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);

    // Every decision on a mutating call is audited in the change's transaction: already there.
    let audit = c
        .get_tenants_tenant_audit_records()
        .tenant("t1")
        .send()
        .await
        .unwrap();
    assert!(audit.len() >= 5, "{}", audit.len());

    operational!(
        c,
        get_healthz,
        get_readyz,
        get_metrics,
        get_openapi_yaml,
        get_openapi_json,
        get_docs
    );
    calls.assert_every_operation_called(kind);
}

/// A server-assigned id as the spec's path parameters type it (a positive int64, generated as `NonZeroU64`).
fn positive(id: i64) -> std::num::NonZeroU64 {
    u64::try_from(id)
        .ok()
        .and_then(std::num::NonZeroU64::new)
        .unwrap_or_else(|| panic!("the server answered a non-positive id {id}"))
}
