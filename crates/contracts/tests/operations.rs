#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

//! Each reconstructed contract declares exactly the operations (method + path) its seed declares.
//!
//! The seeds cannot be parsed as YAML (two are flattened onto one line, one lost indentation), but both kinds of
//! damage keep every token and lose only whitespace, so the seed's operations are read from its tokens.

use serde_json::Value;
use std::collections::BTreeSet;

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "patch", "options", "head", "trace",
];
const OPERATION_FIELDS: &[&str] = &[
    "tags:",
    "summary:",
    "description:",
    "externalDocs:",
    "operationId:",
    "parameters:",
    "requestBody:",
    "responses:",
    "callbacks:",
    "deprecated:",
    "security:",
    "servers:",
];

fn seed(name: &str) -> String {
    let path = format!("{}/../../specs/seeds/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// Operations in a seed's `paths:` section: a token `/...:` opens a path; a method token followed by an
/// operation field is an operation of the current path.
fn seed_operations(text: &str) -> BTreeSet<(String, String)> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let start = tokens
        .iter()
        .position(|t| *t == "paths:")
        .expect("paths section")
        + 1;
    let end = tokens[start..]
        .iter()
        .position(|t| *t == "components:")
        .map_or(tokens.len(), |i| start + i);
    let mut current: Option<String> = None;
    let mut operations = BTreeSet::new();
    for (i, token) in tokens[start..end].iter().enumerate() {
        let token = token.trim_matches(|c| c == '"' || c == '\'');
        if token.starts_with('/') && token.ends_with(':') {
            current = Some(
                token
                    .trim_end_matches(':')
                    .trim_matches(|c| c == '"' || c == '\'')
                    .to_owned(),
            );
            continue;
        }
        let Some(method) = token.strip_suffix(':') else {
            continue;
        };
        if !METHODS.contains(&method) {
            continue;
        }
        let next = tokens.get(start + i + 1).copied().unwrap_or_default();
        if OPERATION_FIELDS.contains(&next) || next.starts_with("x-") {
            let path = current.clone().expect("method before any path");
            assert!(
                operations.insert((method.to_owned(), path)),
                "duplicate operation {method}"
            );
        }
    }
    operations
}

fn spec_operations(yaml: &str) -> BTreeSet<(String, String)> {
    let spec: Value = serde_norway::from_str(yaml).expect("spec is valid YAML");
    let paths = spec["paths"].as_object().expect("paths object");
    let mut operations = BTreeSet::new();
    for (path, item) in paths {
        if item.get("x-extension") == Some(&Value::Bool(true)) {
            continue;
        }
        for method in METHODS {
            if item.get(*method).is_some() {
                operations.insert(((*method).to_owned(), path.clone()));
            }
        }
    }
    operations
}

fn check(seed_file: &str, yaml: &str, expected_count: usize) {
    let from_seed = seed_operations(&seed(seed_file));
    let from_spec = spec_operations(yaml);
    assert_eq!(from_seed.len(), expected_count, "seed {seed_file} scan");
    let missing: Vec<_> = from_seed.difference(&from_spec).collect();
    let extra: Vec<_> = from_spec.difference(&from_seed).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{seed_file}: missing {missing:?}, extra {extra:?}"
    );
}

#[test]
fn identity_declares_the_seeds_operations() {
    check("002_d92ee6f4f037624e.txt", contracts::IDENTITY, 34);
}

#[test]
fn idp_management_declares_the_seeds_operations() {
    check("004_533254a8bd189fa6.txt", contracts::IDP_MANAGEMENT, 8);
}

#[test]
fn provider_connection_declares_the_seeds_operations() {
    check(
        "000_daec1bba487fa173.txt",
        contracts::PROVIDER_CONNECTION,
        7,
    );
}

#[test]
fn every_spec_is_openapi_with_its_seed_version() {
    for (yaml, version) in [
        (contracts::IDENTITY, "3.0.3"),
        (contracts::IDP_MANAGEMENT, "3.0.1"),
        (contracts::PROVIDER_CONNECTION, "3.1"),
    ] {
        let spec: Value = serde_norway::from_str(yaml).unwrap();
        assert!(spec["openapi"].as_str().unwrap().starts_with(version));
        assert!(spec["info"]["title"].is_string());
    }
}

#[test]
fn extension_paths_are_marked_and_open() {
    let spec: Value = serde_norway::from_str(contracts::IDENTITY).unwrap();
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.yaml",
        "/openapi.json",
    ] {
        let item = &spec["paths"][path];
        assert_eq!(item["x-extension"], true, "{path}");
        assert_eq!(item["get"]["security"], serde_json::json!([]), "{path}");
    }
}
