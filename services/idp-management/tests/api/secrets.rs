//! Secrets never leave the service: the OAuth2 client secrets put in providers (accepted, refused for
//! validation, refused for authorization, checked), the JWT keys (HS256 secret, RSA private key), the secret-box
//! key and the bearer tokens appear in no response (headers included), log line (the whole process at trace
//! level while the flows run) or event (the outbox and the bus), in any encoding (`test_support::secrets`), and
//! nothing token-shaped is in a log line or event. The service keeps no audit rows (its events are its trail). At
//! rest, the raw provider rows hold neither a secret nor an encoding of it, and each ciphertext opens only with
//! the key its key id names, bound to its row.

use crate::helpers::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use idp_management::ids::{ApplicationId, ProviderKey};
use reqwest::Method;
use security::secret_box::{Sealed, SecretBox, SecretBoxSettings, SecretError};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;
use test_support::secrets::Scan;

const APP: &str = "app-secrets";
const STORED: &str = "STORED-SECRET-sentinel-1f3a";
const SECOND: &str = "SECOND-SECRET-sentinel-8b0c";
const SINGLE: &str = "SINGLE-SECRET-sentinel-44d9";
const INVALID: &str = "INVALID-SECRET-sentinel-c7e2";
const CHECKED: &str = "CHECKED-SECRET-sentinel-2a61";
const REFUSED: &str = "REFUSED-SECRET-sentinel-90bd";

/// A row's key and its `client_secret_*` columns (key id, nonce, ciphertext).
type SealedColumns = (String, Option<String>, Option<Vec<u8>>, Option<Vec<u8>>);

/// The raw provider rows of `APP`, as JSON (bytea as `\x` hex), and each one's key and sealed secret.
async fn provider_rows(app: &TestApp) -> (String, Vec<(String, Sealed)>) {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use idp_management::db::schema::identity_providers as idp;
    let mut conn = app.pool.get().await.unwrap();
    let json: Value = diesel::select(diesel::dsl::sql::<diesel::sql_types::Jsonb>(&format!(
        "(SELECT coalesce(jsonb_agg(to_jsonb(t)), '[]') FROM identity_providers t WHERE application_id = '{APP}')"
    )))
    .get_result(&mut conn)
    .await
    .unwrap();
    let rows: Vec<SealedColumns> = idp::table
        .filter(idp::application_id.eq(APP))
        .select((
            idp::key,
            idp::client_secret_key_id,
            idp::client_secret_nonce,
            idp::client_secret_ciphertext,
        ))
        .load(&mut conn)
        .await
        .unwrap();
    let sealed = rows
        .into_iter()
        .filter_map(|(key, key_id, nonce, ciphertext)| {
            Some((
                key,
                Sealed {
                    key_id: key_id?,
                    nonce: nonce?,
                    ciphertext: ciphertext?,
                },
            ))
        })
        .collect();
    (json.to_string(), sealed)
}

fn secret_box(key_id: &str, key: &str) -> SecretBox {
    SecretBox::new(&SecretBoxSettings {
        active_key_id: key_id.to_owned(),
        keys: BTreeMap::from([(key_id.to_owned(), key.to_owned())]),
    })
    .unwrap()
}

fn aad(key: &str) -> Vec<u8> {
    let application = ApplicationId::parse(APP).unwrap();
    let key = ProviderKey::parse(key).unwrap();
    format!("{application}/{key}").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_appear_in_responses_logs_or_events_and_are_sealed_at_rest() {
    let app = TestApp::spawn().await;
    let _trace = test_support::logs::verbose();
    let mut subscriber = app.subscribe().await;
    let admin = admin();
    let owner = token(APP);
    let mut rs_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    rs_header.kid = Some(RS_KID.to_owned());
    let rs_owner = jsonwebtoken::encode(
        &rs_header,
        &claims(APP, &["idp:read", "idp:write"]),
        &jsonwebtoken::EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap(),
    )
    .unwrap();
    let mut revocable = claims(APP, &["idp:read"]);
    revocable["jti"] = json!("jti-of-a-leaked-token");
    let revocable = sign(&revocable);
    let intruder = token("app-intruder");
    let mut seen = Scan::default();
    let list = format!("/applications/{APP}/identity-providers");

    let r = app
        .request(
            Method::PUT,
            &format!("/admin/applications/{APP}"),
            Some(&admin),
        )
        .send()
        .await
        .unwrap();
    seen.response("register", r).await;
    let providers = json!([
        oauth2("stored", "APPLICATION", STORED),
        oauth2("second", "PUBLIC", SECOND),
        oidc("oidc", "PUBLIC"),
    ]);
    let r = app
        .put_json(&format!("{list}?returnUpdated=true"), &owner, &providers)
        .await;
    assert_eq!(r.status(), 200);
    seen.response("put list", r).await;
    let single = without_key(oauth2("single", "APPLICATION", SINGLE));
    let r = app
        .put_json(
            &format!("{list}/single?returnUpdated=true"),
            &rs_owner,
            &single,
        )
        .await;
    assert_eq!(r.status(), 200);
    seen.response("put one (RS256)", r).await;
    // Refused for its content, and for its caller, each carrying a secret.
    let mut invalid = without_key(oauth2("invalid", "APPLICATION", INVALID));
    invalid["oauth2Config"]["tokenUrl"] = json!("http://oauth.example.com/token");
    invalid["unknownField"] = json!(INVALID);
    let r = app
        .put_json(&format!("{list}/invalid"), &owner, &invalid)
        .await;
    assert_eq!(r.status(), 400);
    seen.response("invalid put", r).await;
    let r = app
        .put_json(
            &format!("{list}/refused"),
            &intruder,
            &without_key(oauth2("refused", "APPLICATION", REFUSED)),
        )
        .await;
    assert_eq!(r.status(), 401);
    seen.response("refused put", r).await;
    let check = without_key(oauth2("checked", "APPLICATION", CHECKED));
    let r = app
        .request(
            Method::POST,
            &format!("/applications/{APP}/identity-provider-checks"),
            Some(&owner),
        )
        .json(&check)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    seen.response("check", r).await;

    for (name, path, accept) in [
        ("list", list.clone(), "application/json"),
        ("list (NDJSON)", list.clone(), "application/x-ndjson"),
        ("get one", format!("{list}/stored"), "application/json"),
        (
            "public setup",
            format!("/applications/{APP}/public-identity-provider-setup"),
            "application/json",
        ),
        (
            "own setup",
            "/identity-provider-setup".to_owned(),
            "application/x-ndjson",
        ),
    ] {
        let r = app
            .request(Method::GET, &path, Some(&owner))
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{name}");
        seen.response(name, r).await;
    }
    let r = app
        .request(Method::POST, "/admin/revoked-tokens", Some(&admin))
        .json(&json!({"jti": "jti-of-a-leaked-token", "expiresAt": "2099-01-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    seen.response("revoke", r).await;
    let r = app.get(&list, &revocable).await;
    assert_eq!(r.status(), 401);
    seen.response("revoked token", r).await;

    // At rest: no form of a secret in the raw rows; each ciphertext opens with its key id's key, for its row.
    let (raw, sealed) = provider_rows(&app).await;
    let mut at_rest = Scan::default();
    at_rest.add("identity_providers", raw);
    for (key, s) in &sealed {
        at_rest.add(
            format!("ciphertext of {key}"),
            String::from_utf8_lossy(&s.ciphertext).into_owned(),
        );
    }
    at_rest.assert_clean(&[
        ("stored", STORED.as_bytes()),
        ("second", SECOND.as_bytes()),
        ("single", SINGLE.as_bytes()),
    ]);
    let right = secret_box("k1", SEAL_KEY);
    let other_key = secret_box("k1", &STANDARD.encode([9u8; 32]));
    let other_id = secret_box("k2", SEAL_KEY);
    let expected = BTreeMap::from([("stored", STORED), ("second", SECOND), ("single", SINGLE)]);
    assert_eq!(
        sealed.len(),
        expected.len(),
        "one sealed secret per OAuth2 provider"
    );
    for (key, s) in &sealed {
        assert_eq!(s.key_id, "k1");
        assert_eq!(right.open(s, &aad(key)).unwrap(), expected[key.as_str()]);
        assert_eq!(other_key.open(s, &aad(key)), Err(SecretError::Unauthentic));
        assert_eq!(
            other_id.open(s, &aad(key)),
            Err(SecretError::UnknownKey("k1".to_owned()))
        );
        let moved = if key == "stored" { "second" } else { "stored" };
        assert_eq!(
            right.open(s, &aad(moved)),
            Err(SecretError::Unauthentic),
            "bound to its row"
        );
    }

    let r = app.delete(&format!("{list}/stored"), &owner).await;
    assert_eq!(r.status(), 204);
    seen.response("delete one", r).await;

    let mut kept = Scan::default();
    let events = test_support::outbox::envelopes(&app.pool).await;
    kept.add("outbox", serde_json::to_string(&events).unwrap());
    for received in subscriber.take(events.len(), Duration::from_secs(15)).await {
        kept.add("published event", received.event.to_string());
    }
    drop(_trace);
    let logs = test_support::logs::text();
    assert!(
        logs.contains(r#""level":"TRACE""#),
        "the logs were captured at trace level"
    );
    assert!(
        logs.contains("request served"),
        "the service's logs are captured"
    );
    kept.add("logs", logs);

    let seal_key = STANDARD.decode(SEAL_KEY).unwrap();
    // The longest line of the PEM's base64 body: a whole line of key material.
    let rsa_line = RSA_PRIVATE
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .max_by_key(|l| l.len())
        .unwrap();
    let secrets: Vec<(&str, &[u8])> = vec![
        ("stored", STORED.as_bytes()),
        ("second", SECOND.as_bytes()),
        ("single", SINGLE.as_bytes()),
        ("invalid", INVALID.as_bytes()),
        ("checked", CHECKED.as_bytes()),
        ("refused", REFUSED.as_bytes()),
        ("HS256 key", HS_SECRET.as_bytes()),
        ("RSA private key", rsa_line.as_bytes()),
        ("secret-box key (configured)", SEAL_KEY.as_bytes()),
        ("secret-box key", &seal_key),
        ("owner token", owner.as_bytes()),
        ("RS256 owner token", rs_owner.as_bytes()),
        ("admin token", admin.as_bytes()),
        ("intruder token", intruder.as_bytes()),
        ("revoked token", revocable.as_bytes()),
    ];
    seen.assert_clean(&secrets);
    kept.assert_clean(&secrets);
    kept.assert_no_tokens();
}
