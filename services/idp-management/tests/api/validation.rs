//! The table of invalid inputs: each gives 400 INPUT_MALFORMED naming its field; edges just inside pass.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

const LIST: &str = "/applications/app-v/identity-providers";

fn set(mut v: Value, path: &[&str], value: Value) -> Value {
    let mut at = &mut v;
    for p in &path[..path.len() - 1] {
        at = &mut at[*p];
    }
    at[path[path.len() - 1]] = value;
    v
}

fn remove(mut v: Value, path: &[&str]) -> Value {
    let mut at = &mut v;
    for p in &path[..path.len() - 1] {
        at = &mut at[*p];
    }
    at.as_object_mut().unwrap().remove(path[path.len() - 1]);
    v
}

fn entries(n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| json!({"type": format!("t{i}"), "value": "v"}))
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_violation_names_its_field() {
    let app = TestApp::spawn().await;
    app.register("app-v").await;
    let t = token("app-v");
    let o = || oidc("k1", "PUBLIC");
    let a = || oauth2("k1", "PUBLIC", "x");
    let cases: Vec<(Value, &str)> = vec![
        (set(o(), &["key"], json!("")), "[0].key"),
        (set(o(), &["key"], json!("a".repeat(65))), "[0].key"),
        (set(o(), &["key"], json!("a b")), "[0].key"),
        (set(o(), &["key"], json!("ä")), "[0].key"),
        (set(o(), &["key"], json!(5)), "[0].key"),
        (remove(o(), &["key"]), "[0].key"),
        (set(o(), &["key"], Value::Null), "[0].key"),
        (remove(o(), &["subjectPoolKey"]), "[0].subjectPoolKey"),
        (
            set(o(), &["subjectPoolKey"], json!("pool/1")),
            "[0].subjectPoolKey",
        ),
        (set(o(), &["name"], json!("n".repeat(65))), "[0].name"),
        (set(o(), &["name"], json!(["n"])), "[0].name"),
        (
            set(o(), &["description"], json!("d".repeat(4097))),
            "[0].description",
        ),
        (set(o(), &["type"], json!("SAML")), "[0].type"),
        (set(o(), &["type"], json!("oidc")), "[0].type"),
        (remove(o(), &["type"]), "[0].type"),
        (set(o(), &["status"], json!("ON")), "[0].status"),
        (set(o(), &["status"], json!(true)), "[0].status"),
        (set(o(), &["visibility"], json!("SECRET")), "[0].visibility"),
        (remove(o(), &["visibility"]), "[0].visibility"),
        (
            set(o(), &["oidcConfig", "issuer"], json!("")),
            "[0].oidcConfig.issuer",
        ),
        (
            set(
                o(),
                &["oidcConfig", "issuer"],
                json!(format!("https://{}", "i".repeat(250))),
            ),
            "[0].oidcConfig.issuer",
        ),
        (
            remove(o(), &["oidcConfig", "audience"]),
            "[0].oidcConfig.audience",
        ),
        (
            set(
                o(),
                &["oidcConfig", "nameMapping", "syncOption"],
                json!("SOMETIMES"),
            ),
            "[0].oidcConfig.nameMapping.syncOption",
        ),
        (
            set(
                o(),
                &["oidcConfig", "usernameMapping", "attribute"],
                json!("u".repeat(257)),
            ),
            "[0].oidcConfig.usernameMapping.attribute",
        ),
        (
            set(o(), &["oidcConfig", "usernameMapping"], json!("email")),
            "[0].oidcConfig.usernameMapping",
        ),
        (
            set(o(), &["oidcConfig", "extra"], json!(1)),
            "[0].oidcConfig.extra",
        ),
        (set(o(), &["unknown"], json!(1)), "[0].unknown"),
        // An explicit null is a wrong type, for optional fields too: no field of the contract is nullable
        // (found by schemathesis).
        (set(o(), &["name"], Value::Null), "[0].name"),
        (set(o(), &["oauth2Config"], Value::Null), "[0].oauth2Config"),
        (
            set(o(), &["oidcConfig", "usernameMapping"], Value::Null),
            "[0].oidcConfig.usernameMapping",
        ),
        // U+0000 is refused, not a 500 from PostgreSQL (found by schemathesis).
        (
            set(o(), &["description"], json!("a\u{0}b")),
            "[0].description",
        ),
        (
            set(
                o(),
                &["additionalConfigEntries"],
                json!([{"type": "t", "value": "\u{0}"}]),
            ),
            "[0].additionalConfigEntries[0].value",
        ),
        (
            set(o(), &["additionalConfigEntries"], entries(21)),
            "[0].additionalConfigEntries",
        ),
        (
            set(
                o(),
                &["additionalConfigEntries"],
                json!([{"type": "", "value": "v"}]),
            ),
            "[0].additionalConfigEntries[0].type",
        ),
        (
            set(
                o(),
                &["additionalConfigEntries"],
                json!([{"type": "t", "value": "v".repeat(257)}]),
            ),
            "[0].additionalConfigEntries[0].value",
        ),
        (
            set(o(), &["additionalConfigEntries"], json!([{"type": "t"}])),
            "[0].additionalConfigEntries[0].value",
        ),
        (
            set(o(), &["additionalConfigEntries"], json!({"type": "t"})),
            "[0].additionalConfigEntries",
        ),
        (
            remove(a(), &["oauth2Config", "userInfoUrl"]),
            "[0].oauth2Config.userInfoUrl",
        ),
        (
            remove(a(), &["oauth2Config", "subjectMapping"]),
            "[0].oauth2Config.subjectMapping",
        ),
        (
            set(
                a(),
                &["oauth2Config", "subjectMapping", "attribute"],
                json!(""),
            ),
            "[0].oauth2Config.subjectMapping.attribute",
        ),
        (
            set(a(), &["oauth2Config", "clientId"], json!("c".repeat(257))),
            "[0].oauth2Config.clientId",
        ),
        (
            set(
                a(),
                &["oauth2Config", "tokenUrl"],
                json!(format!("https://{}", "t".repeat(250))),
            ),
            "[0].oauth2Config.tokenUrl",
        ),
        (json!("a string"), "[0]"),
    ];
    for (item, field) in cases {
        let r = app.put_json(LIST, &t, &json!([item])).await;
        let body = assert_error(r, 400, "INPUT_MALFORMED").await;
        assert!(
            fields(&body).contains(&field.to_owned()),
            "{field} in {body}"
        );
        for d in body["details"].as_array().unwrap() {
            assert!(d["message"].as_str().is_some_and(|m| !m.is_empty()), "{d}");
        }
    }
    // Nothing of it was written.
    let list: Vec<Value> = app.get(LIST, &t).await.json().await.unwrap();
    assert!(list.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edges_just_inside_pass() {
    let app = TestApp::spawn().await;
    app.register("app-v").await;
    let t = token("app-v");
    let mut item = oidc(&"k".repeat(64), "PUBLIC");
    item["name"] = json!("é".repeat(64));
    item["description"] = json!("d".repeat(4096));
    item["additionalConfigEntries"] = entries(20);
    item["subjectPoolKey"] = json!("a-b_c.D9");
    let minimal = json!({"key": "m", "subjectPoolKey": "p", "type": "OIDC", "status": "DISABLED", "visibility": "HIDDEN",
                         "oidcConfig": {"issuer": "https://i.example", "audience": "a"}});
    let r = app
        .request(Method::PUT, &format!("{LIST}?returnUpdated=true"), Some(&t))
        .json(&json!([item, minimal]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let list: Vec<Value> = r.json().await.unwrap();
    assert_eq!(list.len(), 2);
    let min = list.iter().find(|p| p["key"] == "m").unwrap();
    assert!(min.get("name").is_none());
    assert_eq!(min["additionalConfigEntries"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_violations_are_reported_at_once() {
    let app = TestApp::spawn().await;
    app.register("app-v").await;
    let bad = json!({"key": "a b", "type": "X", "status": "Y", "visibility": "Z", "bogus": 1});
    let r = app
        .put_json(LIST, &token("app-v"), &json!([oidc("ok", "PUBLIC"), bad]))
        .await;
    let body = assert_error(r, 400, "INPUT_MALFORMED").await;
    let mut f = fields(&body);
    f.sort();
    for expected in [
        "[1].key",
        "[1].subjectPoolKey",
        "[1].type",
        "[1].status",
        "[1].visibility",
        "[1].bogus",
    ] {
        assert!(f.contains(&expected.to_owned()), "{expected} in {f:?}");
    }
    let value_of = |field: &str| {
        body["details"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["field"] == field)
            .unwrap()["value"]
            .clone()
    };
    assert_eq!(value_of("[1].key"), "a b");
    assert_eq!(value_of("[1].type"), "X");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_are_not_what_the_contract_says() {
    let app = TestApp::spawn().await;
    app.register("app-v").await;
    let t = token("app-v");
    let raw = |ct: &'static str, body: Vec<u8>, path: &'static str| {
        app.request(Method::PUT, path, Some(&t))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let one = "/applications/app-v/identity-providers/k1";

    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        ("application/json", b"{not json".to_vec(), LIST, "body"),
        ("application/json", b"".to_vec(), LIST, "body"),
        ("application/json", b"{}".to_vec(), LIST, "body"),
        ("application/json", b"[]".to_vec(), one, "body"),
        ("application/json", b"\"s\"".to_vec(), one, "body"),
        (
            "application/x-ndjson",
            format!("{}\nnot json\n", oidc("a", "PUBLIC")).into_bytes(),
            LIST,
            "[1]",
        ),
        ("application/x-ndjson", b"[1,2]\n".to_vec(), LIST, "[0]"),
    ];
    for (ct, body, path, field) in cases {
        let r = raw(ct, body, path).await.unwrap();
        let err = assert_error(r, 400, "INPUT_MALFORMED").await;
        assert_eq!(fields(&err), vec![field.to_owned()], "{err}");
    }

    // Duplicate keys in one list.
    let r = app
        .put_json(
            LIST,
            &t,
            &json!([oidc("dup", "PUBLIC"), oidc("dup", "HIDDEN")]),
        )
        .await;
    let err = assert_error(r, 400, "INPUT_MALFORMED").await;
    assert_eq!(fields(&err), vec!["[1].key"]);
    // A key in the single PUT's body is not part of its schema.
    let r = app.put_json(one, &t, &oidc("k1", "PUBLIC")).await;
    let err = assert_error(r, 400, "INPUT_MALFORMED").await;
    assert_eq!(fields(&err), vec!["key"]);

    // More providers than one list may carry (small enough to fit the body limit).
    let tiny = |i: usize| {
        json!({"key": format!("k{i}"), "subjectPoolKey": "p", "type": "OIDC", "status": "ENABLED",
                                 "visibility": "HIDDEN", "oidcConfig": {"issuer": "https://i.example", "audience": "a"}})
    };
    let many: Vec<Value> = (0..1001).map(tiny).collect();
    let err = assert_error(
        app.put_json(LIST, &t, &Value::Array(many.clone())).await,
        400,
        "INPUT_MALFORMED",
    )
    .await;
    assert_eq!(fields(&err), vec!["body"]);
    assert_eq!(err["details"][0]["value"], "1001");
    let r = app
        .put_json(LIST, &t, &Value::Array(many[..1000].to_vec()))
        .await;
    assert_eq!(r.status(), 204, "1000 providers fit one write");
    app.delete(LIST, &t).await;

    // 10 MB of NDJSON: refused as a whole, naming the body.
    let line = format!("{}\n", oidc("big", "PUBLIC"));
    let big: String = line.repeat(10 * 1024 * 1024 / line.len() + 1);
    assert!(big.len() >= 10 * 1024 * 1024);
    let r = raw("application/x-ndjson", big.into_bytes(), LIST)
        .await
        .unwrap();
    let err = assert_error(r, 400, "INPUT_MALFORMED").await;
    assert_eq!(fields(&err), vec!["body"]);
    assert!(
        err["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("1048576")
    );
    let list: Vec<Value> = app.get(LIST, &t).await.json().await.unwrap();
    assert!(list.is_empty(), "nothing half-written");
}

/// Mass assignment: the fields of `ApplicationIdentityProviderV1` the server owns (not in the `...InV1`
/// schemas) are refused by name on both PUTs, and nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_owned_fields_are_refused_on_both_puts() {
    let app = TestApp::spawn().await;
    app.register("app-v").await;
    let t = token("app-v");
    let one = "/applications/app-v/identity-providers/k1";
    let server_owned = [
        ("applicationId", json!("app-other")),
        ("createdAt", json!("2001-02-03T04:05:06.000Z")),
        ("createdBy", json!("forger")),
        ("lastModifiedAt", json!("2001-02-03T04:05:06.000Z")),
        ("lastModifiedBy", json!("forger")),
        ("changeId", json!("00000000-0000-0000-0000-000000000000")),
    ];
    for (field, value) in server_owned {
        let item = set(oidc("k1", "PUBLIC"), &[field], value.clone());
        let r = app.put_json(LIST, &t, &json!([item])).await;
        let err = assert_error(r, 400, "INPUT_MALFORMED").await;
        assert_eq!(fields(&err), vec![format!("[0].{field}")], "{err}");

        let single = set(remove(oidc("k1", "PUBLIC"), &["key"]), &[field], value);
        let r = app.put_json(one, &t, &single).await;
        let err = assert_error(r, 400, "INPUT_MALFORMED").await;
        assert_eq!(fields(&err), vec![field.to_owned()], "{err}");
    }
    let list: Vec<Value> = app.get(LIST, &t).await.json().await.unwrap();
    assert!(list.is_empty(), "{list:?}");
}
