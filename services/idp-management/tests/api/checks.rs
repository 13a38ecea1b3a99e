//! The configuration check (extension) against a real OpenID Connect provider (`oidc-provider` from npm)
//! running on loopback, installed from `tests/oidc/package-lock.json` on first use.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

const CHECKS: &str = "/applications/app-k/identity-provider-checks";

fn oidc_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

/// Installs the provider's npm package once per test process (`npm ci`, from the lock file).
fn install() {
    static INSTALLED: Mutex<bool> = Mutex::new(false);
    let mut done = INSTALLED.lock().unwrap();
    if *done || oidc_dir().join("node_modules/oidc-provider").exists() {
        *done = true;
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(oidc_dir())
        .status()
        .expect("npm (Node.js 20.19+) is needed for the OIDC provider");
    assert!(status.success(), "npm ci in {}", oidc_dir().display());
    *done = true;
}

/// A running `oidc-provider`, killed on drop.
struct OidcProvider {
    child: Child,
    issuer: String,
}

impl OidcProvider {
    fn start() -> Self {
        install();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("node")
            .arg("server.js")
            .arg(port.to_string())
            .current_dir(oidc_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(issuer) = line.strip_prefix("listening ") {
                    let _ = tx.send(issuer.to_owned());
                }
            }
        });
        let issuer = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("oidc-provider listening");
        Self { child, issuer }
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn oidc_config(issuer: &str) -> Value {
    let mut v = without_key(oidc("k", "PUBLIC"));
    v["oidcConfig"]["issuer"] = json!(issuer);
    v
}

async fn check(app: &TestApp, body: &Value) -> (u16, Value) {
    let r = app
        .request(Method::POST, CHECKS, Some(&token("app-k")))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

fn outcome(report: &Value, name: &str) -> bool {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {report}"))["ok"]
        .as_bool()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_checks_against_a_real_provider() {
    let provider = tokio::task::spawn_blocking(OidcProvider::start)
        .await
        .unwrap();
    let app = TestApp::spawn_with(|s| s.validation.allow_http_loopback = true).await;
    app.register("app-k").await;

    let (status, report) = check(&app, &oidc_config(&provider.issuer)).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["ok"], true, "{report}");
    for name in ["issuerUrl", "discovery", "issuerMatch", "jwks"] {
        assert!(outcome(&report, name), "{name} in {report}");
    }
    assert!(report.to_string().contains("signing key"), "{report}");

    // The issuer must match exactly: a trailing slash is another issuer.
    let (_, report) = check(&app, &oidc_config(&format!("{}/", provider.issuer))).await;
    assert_eq!(report["ok"], false);
    assert!(outcome(&report, "discovery"));
    assert!(!outcome(&report, "issuerMatch"), "{report}");

    // A path where no discovery document lives.
    let (_, report) = check(&app, &oidc_config(&format!("{}/tenant-x", provider.issuer))).await;
    assert!(!outcome(&report, "discovery"), "{report}");
    assert!(report.to_string().contains("HTTP 404"), "{report}");

    // Nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_, report) = check(&app, &oidc_config(&format!("http://127.0.0.1:{closed}"))).await;
    assert!(!outcome(&report, "discovery"), "{report}");
    assert!(report.to_string().contains("could not connect"), "{report}");

    // Nothing was stored by any check.
    let list: Vec<Value> = app
        .get("/applications/app-k/identity-providers", &token("app-k"))
        .await
        .json()
        .await
        .unwrap();
    assert!(list.is_empty());
    drop(provider);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_and_policy_checks() {
    let app = TestApp::spawn().await;
    let (status, report) = check(&app, &without_key(oauth2("k", "PUBLIC", "s"))).await;
    assert_eq!(status, 200);
    assert_eq!(report["ok"], true, "{report}");
    for name in ["authorizeUrl", "tokenUrl", "userInfoUrl"] {
        assert!(outcome(&report, name), "{name}");
    }
    assert!(
        !report.to_string().contains("\"s\""),
        "no secret echoed: {report}"
    );

    // Plain http (not allowed for loopback by default either) breaks a rule of the schema (IdpTypeRulesV1's
    // https URLs): the PUT's 400, not a report (found by schemathesis: a 200 for schema-invalid input).
    let mut insecure = without_key(oauth2("k", "PUBLIC", "s"));
    insecure["oauth2Config"]["tokenUrl"] = json!("http://oauth.example.com/token");
    let (status, body) = check(&app, &insecure).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "AUTHENTICATION_IDP_CONFIG_MALFORMED");
    assert_eq!(
        body["details"][0]["field"], "oauth2Config.tokenUrl",
        "{body}"
    );
    let (status, body) = check(&app, &oidc_config("http://127.0.0.1:9")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "AUTHENTICATION_IDP_CONFIG_MALFORMED");

    // Schema violations stay 400; the usual authorization applies.
    let (status, body) = check(&app, &json!({"type": "OIDC"})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "INPUT_MALFORMED");
    let r = app
        .request(
            Method::POST,
            CHECKS,
            Some(&sign(&claims("app-k", &["idp:read"]))),
        )
        .json(&oidc_config("https://x.example"))
        .send()
        .await
        .unwrap();
    assert_error(r, 403, "AUTHORIZATION_MISSING_PERMISSION").await;
}
