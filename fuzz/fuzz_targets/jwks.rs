//! The JWK Set parser (`security::jwks::parse_jwks`), which reads what an issuer publishes. Beyond "no panic":
//! the keys taken from a set are exactly those each entry would give alone, less any kid given by more than
//! one usable entry; none is symmetric; every kid is non-empty; parsing is deterministic.
#![no_main]

use jsonwebtoken::{Algorithm, AlgorithmFamily};
use libfuzzer_sys::fuzz_target;
use security::jwks::parse_jwks;
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn kids(body: &[u8]) -> Result<BTreeMap<String, Algorithm>, String> {
    parse_jwks(body).map(|keys| {
        keys.iter()
            .map(|(kid, key)| (kid.clone(), key.algorithm()))
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(keys) = kids(data) else {
        return;
    };
    assert_eq!(kids(data), Ok(keys.clone()), "not deterministic");
    for (kid, alg) in &keys {
        assert!(!kid.is_empty(), "a key without a kid");
        assert_ne!(
            alg.family(),
            AlgorithmFamily::Hmac,
            "a symmetric key was taken from a JWKS"
        );
    }
    // The document parsed, so it is JSON with a `keys` array: each entry alone, then the set rule.
    let document: Value = serde_json::from_slice(data).unwrap();
    let entries = document["keys"].as_array().unwrap();
    let mut usable: BTreeMap<String, (usize, Algorithm)> = BTreeMap::new();
    for entry in entries {
        let alone = serde_json::to_vec(&json!({ "keys": [entry] })).unwrap();
        for (kid, alg) in kids(&alone).unwrap() {
            usable
                .entry(kid)
                .and_modify(|(n, _)| *n += 1)
                .or_insert((1, alg));
        }
    }
    let expected: BTreeMap<String, Algorithm> = usable
        .into_iter()
        .filter(|(_, (n, _))| *n == 1)
        .map(|(kid, (_, alg))| (kid, alg))
        .collect();
    assert_eq!(keys, expected, "the set's keys are not its entries' keys");
});
