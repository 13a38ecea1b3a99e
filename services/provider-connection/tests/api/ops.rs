use crate::helpers::*;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_spec_and_docs_are_served_without_credentials() {
    let app = TestApp::spawn().await;
    let get = |path: &str| app.client.get(format!("{}{path}", app.address)).send();
    assert_eq!(get("/healthz").await.unwrap().text().await.unwrap(), "ok");
    let ready: Value = get("/readyz").await.unwrap().json().await.unwrap();
    assert_eq!(ready["status"], "ready", "{ready}");
    let spec: Value = get("/openapi.json").await.unwrap().json().await.unwrap();
    assert_eq!(
        spec["info"]["title"],
        "TenantPilot Provider Identity Standardization Contract"
    );
    assert!(spec["paths"]["/consent/callback"]["get"].is_object());
    assert_eq!(
        get("/openapi.yaml").await.unwrap().text().await.unwrap(),
        provider_connection::SPEC
    );
    assert_eq!(get("/docs/").await.unwrap().status(), 200);
    let unknown = get("/admin/nope").await.unwrap();
    assert_problem(unknown, 404).await;
}

/// Every path of the contract and every root operational path answers a method it does not serve with 405, an
/// `Allow` naming exactly the methods it serves, and a problem document (routing comes before authentication,
/// so no token is needed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unserved_methods_are_405_with_allow_on_every_path() {
    let app = TestApp::spawn().await;
    test_support::methods::assert_unserved_methods_answer_405_with_allow(
        &app.client,
        &app.address,
        provider_connection::SPEC,
        &[],
        test_support::methods::problem_405,
    )
    .await;
}
