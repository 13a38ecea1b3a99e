//! Bearer JWT verification (`security::jwt`): the header parsing, key choice by `kid`, the algorithm taken from
//! the key, and the claim checks. Both verifiers are run over configured keys (an HS256 secret and an RS256
//! public key) and must agree on every token. Beyond "no panic": whatever is accepted has the configured
//! issuer and audience, has not expired and is valid already; a token minted with good claims is accepted with
//! exactly those claims; a tampered token is never accepted with other claims; a token naming the RSA key but
//! signed with HS256 (the confusion attack) is refused.
#![no_main]

use arbitrary::Arbitrary;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::FutureExt as _;
use identity_suite_fuzz::{now, tamper};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use libfuzzer_sys::fuzz_target;
use security::jwt::{
    JwtError, JwtKeySettings, JwtSettings, JwtVerifier, TokenVerifier, mint_hs256,
};
use serde_json::{Map, Value, json};
use std::sync::LazyLock;

const ISSUER: &str = "https://issuer.fuzz.example";
const AUDIENCE: &str = "fuzz-api";
const LEEWAY: i64 = 30;
const SECRET: &str = "fuzz-hs256-secret-0123456789abcdef";
const RSA_PUBLIC: &str = include_str!("../../crates/security/tests/fixtures/rsa_public.pem");
const RSA_PRIVATE: &str = include_str!("../../crates/security/tests/fixtures/rsa_private.pem");

fn settings() -> JwtSettings {
    JwtSettings {
        issuer: ISSUER.to_owned(),
        audience: AUDIENCE.to_owned(),
        leeway_secs: LEEWAY as u64,
        keys: vec![
            JwtKeySettings {
                kid: "hs".to_owned(),
                alg: "HS256".to_owned(),
                secret: Some(SECRET.to_owned()),
                public_key_pem: None,
            },
            JwtKeySettings {
                kid: "rs".to_owned(),
                alg: "RS256".to_owned(),
                secret: None,
                public_key_pem: Some(RSA_PUBLIC.to_owned()),
            },
        ],
        ..JwtSettings::default()
    }
}

static VERIFIER: LazyLock<JwtVerifier> = LazyLock::new(|| JwtVerifier::new(&settings()).unwrap());
static TOKENS: LazyLock<TokenVerifier> = LazyLock::new(|| TokenVerifier::new(&settings()).unwrap());
static RSA: LazyLock<EncodingKey> =
    LazyLock::new(|| EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap());

#[derive(Arbitrary, Debug)]
enum Pick<T> {
    Good,
    Absent,
    Other(T),
}

#[derive(Arbitrary, Debug)]
enum Kid {
    Hs,
    Rs,
    None,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Signing {
    Hs256,
    Rs256,
}

#[derive(Arbitrary, Debug)]
enum Input {
    Raw(String),
    Parts {
        header: String,
        payload: String,
        signature: String,
    },
    Minted {
        kid: Kid,
        signing: Signing,
        iss: Pick<String>,
        aud: Pick<Vec<String>>,
        exp: Pick<i32>,
        nbf: Option<i32>,
        extra: Vec<(String, i64)>,
        tamper: Option<(u16, u8)>,
    },
}

/// Both verifiers' verdict, which must be the same; TokenVerifier never waits with configured keys only.
fn verify(token: &str) -> Result<Value, JwtError> {
    let sync = VERIFIER.verify::<Value>(token);
    let async_ = TOKENS
        .verify::<Value>(token)
        .now_or_never()
        .expect("TokenVerifier waited without a JWKS");
    assert_eq!(sync, async_, "the two verifiers disagree");
    if let Ok(claims) = &sync {
        assert_eq!(claims["iss"], ISSUER, "accepted with another issuer");
        let aud = &claims["aud"];
        assert!(
            aud == AUDIENCE
                || aud
                    .as_array()
                    .is_some_and(|a| a.iter().any(|v| v == AUDIENCE)),
            "accepted for another audience: {aud}"
        );
        let exp = claims["exp"]
            .as_f64()
            .expect("accepted without a numeric exp");
        assert!(
            exp >= (now() - LEEWAY - 1) as f64,
            "an expired token is accepted"
        );
        if let Some(nbf) = claims.get("nbf").and_then(Value::as_f64) {
            assert!(
                nbf <= (now() + LEEWAY + 1) as f64,
                "a token not yet valid is accepted"
            );
        }
    }
    sync
}

fuzz_target!(|input: Input| match input {
    Input::Raw(token) => {
        let _ = verify(&token);
    }
    Input::Parts {
        header,
        payload,
        signature,
    } => {
        let token = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload),
            signature
        );
        let _ = verify(&token);
    }
    Input::Minted {
        kid,
        signing,
        iss,
        aud,
        exp,
        nbf,
        extra,
        tamper: change,
    } => {
        let mut claims = Map::new();
        for (name, value) in extra {
            claims.insert(format!("x-{name}"), json!(value));
        }
        let now = now();
        let mut good = true;
        match iss {
            Pick::Good => {
                claims.insert("iss".into(), json!(ISSUER));
            }
            Pick::Absent => good = false,
            Pick::Other(iss) => {
                good &= iss == ISSUER;
                claims.insert("iss".into(), json!(iss));
            }
        }
        match aud {
            Pick::Good => {
                claims.insert("aud".into(), json!(AUDIENCE));
            }
            Pick::Absent => good = false,
            Pick::Other(aud) => {
                good &= aud.iter().any(|a| a == AUDIENCE);
                claims.insert("aud".into(), json!(aud));
            }
        }
        match exp {
            Pick::Good => {
                claims.insert("exp".into(), json!(now + 300));
            }
            Pick::Absent => good = false,
            Pick::Other(offset) => {
                good &= i64::from(offset) > 2 - LEEWAY;
                claims.insert("exp".into(), json!(now + i64::from(offset)));
            }
        }
        if let Some(offset) = nbf {
            // A NumericDate before 1970 is refused as malformed (jsonwebtoken reads them unsigned): not "good".
            good &= i64::from(offset) < LEEWAY - 2 && now + i64::from(offset) >= 0;
            claims.insert("nbf".into(), json!(now + i64::from(offset)));
        }
        let claims = Value::Object(claims);
        let kid_text = match &kid {
            Kid::Hs => Some("hs".to_owned()),
            Kid::Rs => Some("rs".to_owned()),
            Kid::None => None,
            Kid::Other(k) => Some(k.clone()),
        };
        let token = match signing {
            Signing::Hs256 => match &kid_text {
                Some(k) => mint_hs256(SECRET, k, &claims).unwrap(),
                None => jsonwebtoken::encode(
                    &Header::new(Algorithm::HS256),
                    &claims,
                    &EncodingKey::from_secret(SECRET.as_bytes()),
                )
                .unwrap(),
            },
            Signing::Rs256 => {
                let mut header = Header::new(Algorithm::RS256);
                header.kid = kid_text.clone();
                jsonwebtoken::encode(&header, &claims, &RSA).unwrap()
            }
        };
        let verdict = verify(&token);
        let right_key = matches!(
            (&kid, &signing),
            (Kid::Hs, Signing::Hs256) | (Kid::Rs, Signing::Rs256)
        );
        if matches!((&kid, &signing), (Kid::Rs, Signing::Hs256)) {
            assert_eq!(
                verdict,
                Err(JwtError::AlgorithmNotAllowed),
                "HS256 under the RSA key"
            );
        }
        if good && right_key {
            assert_eq!(
                verdict.as_ref(),
                Ok(&claims),
                "good claims under the right key are refused"
            );
        }
        if let Ok(got) = &verdict {
            assert_eq!(got, &claims, "accepted with other claims than minted");
        }
        if let Some(tampered) = change.and_then(|(at, xor)| tamper(&token, at, xor)) {
            if let Ok(got) = verify(&tampered) {
                assert_eq!(
                    got, claims,
                    "a tampered token is accepted with other claims"
                );
            }
        }
    }
});
