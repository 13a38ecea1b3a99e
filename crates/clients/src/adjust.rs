//! The build-time adjustments of a contract before progenitor reads it (used by `build.rs`, unit-tested in the
//! crate). `specs/` stay the contract; only the copy fed to the generator changes, and each step exists because
//! progenitor 0.15 (openapiv3 2, OpenAPI 3.0 only) cannot read or express what the contract says:
//!
//! 1. [`openapi31_to_30`]: OpenAPI 3.1 → 3.0, only the constructs the specs use; anything else fails the build.
//! 2. [`for_progenitor`]: server path folded into the paths (one base URL for the operational root paths too),
//!    an operationId for operations without one, JSON as the one request media type, a schema for a JSON
//!    response without one, and one response kind per outcome (success / error).
//!
//! Each step returns notes of what it changed; the build writes them beside the generated code
//! (`clients::<service>::ADJUSTMENTS`).

use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub type Notes = Vec<String>;

/// What [`for_each_schema`] calls on each schema object, with where it is.
type SchemaVisitor<'a> = dyn FnMut(&mut Map<String, Value>, &str) -> Result<(), String> + 'a;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "options", "head", "trace",
];

/// JSON Schema 2020-12 keywords (valid in a 3.1 schema) this conversion does not translate: meeting one fails
/// the build, so a new construct in the spec is a decision, not a silently different client.
const UNHANDLED_SCHEMA_KEYWORDS: [&str; 20] = [
    "$schema",
    "$id",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$defs",
    "prefixItems",
    "contains",
    "minContains",
    "maxContains",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "unevaluatedItems",
    "unevaluatedProperties",
    "propertyNames",
    "patternProperties",
    "contentSchema",
];

/// Converts an OpenAPI 3.1 document to 3.0.3 in place (a 3.0 document is left alone). Handled: `type: [X,
/// "null"]` → `type: X, nullable: true` (a `null` in its `enum` kept: 3.0 allows it with `nullable`); `type:
/// "null"` alone is refused; `const` → a one-value `enum`; `examples` (a list in a schema) → `example` (the
/// first); numeric `exclusiveMinimum`/`exclusiveMaximum` → `minimum`/`maximum` + the boolean; a `$ref` with
/// sibling keywords (which 3.1 applies, 3.0 ignores) → `allOf: [{$ref}]` beside them; `info.summary` and
/// `license.identifier` (3.1-only fields) dropped. Refused: `webhooks`, `jsonSchemaDialect`,
/// `components.pathItems`, and the keywords in [`UNHANDLED_SCHEMA_KEYWORDS`].
pub fn openapi31_to_30(doc: &mut Value) -> Result<Notes, String> {
    let version = doc.get("openapi").and_then(Value::as_str).unwrap_or("");
    if !version.starts_with("3.1") {
        return Ok(Vec::new());
    }
    let mut notes = vec![format!("OpenAPI {version} converted to 3.0.3")];
    let root = doc.as_object_mut().ok_or("the document is not an object")?;
    for key in ["webhooks", "jsonSchemaDialect"] {
        if root.contains_key(key) {
            return Err(format!(
                "OpenAPI 3.1 `{key}` has no 3.0 form; not converted"
            ));
        }
    }
    if root
        .get("components")
        .and_then(|c| c.get("pathItems"))
        .is_some()
    {
        return Err("OpenAPI 3.1 `components.pathItems` has no 3.0 form; not converted".into());
    }
    root.insert("openapi".into(), Value::String("3.0.3".into()));
    if let Some(info) = root.get_mut("info").and_then(Value::as_object_mut) {
        if info.remove("summary").is_some() {
            notes.push("info.summary dropped (3.1 only)".into());
        }
        if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut)
            && license.remove("identifier").is_some()
        {
            notes.push("info.license.identifier dropped (3.1 only)".into());
        }
    }
    let mut count = BTreeMap::<&'static str, usize>::new();
    for_each_schema(doc, &mut |schema, at| {
        schema31_to_30(schema, at, &mut count)
    })?;
    notes.extend(count.into_iter().map(|(what, n)| format!("{what}: {n}")));
    Ok(notes)
}

/// One schema object (not its subschemas: [`for_each_schema`] walks those).
fn schema31_to_30(
    schema: &mut Map<String, Value>,
    at: &str,
    count: &mut BTreeMap<&'static str, usize>,
) -> Result<(), String> {
    for key in UNHANDLED_SCHEMA_KEYWORDS {
        if schema.contains_key(key) {
            return Err(format!(
                "{at}: JSON Schema keyword `{key}` (OpenAPI 3.1) is not converted to 3.0"
            ));
        }
    }
    if let Some(Value::Array(types)) = schema.get("type") {
        let (nulls, others): (Vec<&Value>, Vec<&Value>) =
            types.iter().partition(|t| t.as_str() == Some("null"));
        let [only] = others.as_slice() else {
            return Err(format!(
                "{at}: `type: {types:?}` names more than one non-null type; 3.0 has no form for it"
            ));
        };
        let only = (*only).clone();
        let nullable = !nulls.is_empty();
        schema.insert("type".into(), only);
        if nullable {
            schema.insert("nullable".into(), Value::Bool(true));
            *count.entry("type [X, null] → nullable").or_default() += 1;
        }
    }
    if schema.get("type").and_then(Value::as_str) == Some("null") {
        return Err(format!("{at}: `type: null` alone has no 3.0 form"));
    }
    if let Some(value) = schema.remove("const") {
        schema.insert("enum".into(), Value::Array(vec![value]));
        *count.entry("const → one-value enum").or_default() += 1;
    }
    if let Some(examples) = schema.remove("examples") {
        let Value::Array(list) = examples else {
            return Err(format!("{at}: schema `examples` is not a list"));
        };
        if let Some(first) = list.into_iter().next() {
            schema.entry("example").or_insert(first);
        }
        *count.entry("examples → example").or_default() += 1;
    }
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(value) = schema.get(exclusive).filter(|v| v.is_number()).cloned() {
            schema.insert(bound.into(), value);
            schema.insert(exclusive.into(), Value::Bool(true));
            *count
                .entry("numeric exclusive bound → 3.0 form")
                .or_default() += 1;
        }
    }
    if schema.contains_key("$ref") && schema.len() > 1 {
        let reference = schema.remove("$ref").unwrap_or_default();
        let mut wrapped = Map::new();
        wrapped.insert("$ref".into(), reference);
        schema.insert("allOf".into(), Value::Array(vec![Value::Object(wrapped)]));
        *count.entry("$ref with siblings → allOf").or_default() += 1;
    }
    Ok(())
}

/// Calls `f` on every schema object of the document: component schemas, parameter / header / media-type
/// schemas (components and paths), and recursively their subschemas.
fn for_each_schema(doc: &mut Value, f: &mut SchemaVisitor) -> Result<(), String> {
    fn schema(value: &mut Value, at: &str, f: &mut SchemaVisitor) -> Result<(), String> {
        let Value::Object(map) = value else {
            return Ok(()); // `true`/`false` schemas, or a malformed one progenitor reports
        };
        f(map, at)?;
        for key in ["items", "not", "additionalProperties"] {
            if let Some(sub) = map.get_mut(key) {
                schema(sub, &format!("{at}/{key}"), f)?;
            }
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            if let Some(Value::Array(list)) = map.get_mut(key) {
                for (i, sub) in list.iter_mut().enumerate() {
                    schema(sub, &format!("{at}/{key}/{i}"), f)?;
                }
            }
        }
        if let Some(Value::Object(props)) = map.get_mut("properties") {
            for (name, sub) in props.iter_mut() {
                schema(sub, &format!("{at}/properties/{name}"), f)?;
            }
        }
        Ok(())
    }
    // The places that hold a schema: `schema` of a parameter, header or media type.
    fn holders(value: &mut Value, at: &str, f: &mut SchemaVisitor) -> Result<(), String> {
        match value {
            Value::Object(map) => {
                for (key, sub) in map.iter_mut() {
                    let here = format!("{at}/{key}");
                    if key == "schema" {
                        schema(sub, &here, f)?;
                    } else if key != "example" && key != "examples" && !key.starts_with("x-") {
                        holders(sub, &here, f)?;
                    }
                }
                Ok(())
            }
            Value::Array(list) => {
                for (i, sub) in list.iter_mut().enumerate() {
                    holders(sub, &format!("{at}/{i}"), f)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    if let Some(Value::Object(schemas)) =
        doc.get_mut("components").and_then(|c| c.get_mut("schemas"))
    {
        for (name, sub) in schemas.iter_mut() {
            schema(sub, &format!("#/components/schemas/{name}"), f)?;
        }
    }
    if let Some(components) = doc.get_mut("components").and_then(Value::as_object_mut) {
        for (key, sub) in components.iter_mut() {
            if key != "schemas" {
                holders(sub, &format!("#/components/{key}"), f)?;
            }
        }
    }
    if let Some(paths) = doc.get_mut("paths") {
        holders(paths, "#/paths", f)?;
    }
    Ok(())
}

/// The operationId given to an operation the contract leaves without one: method and path, snake case
/// (`POST /tenants/{tenant}/provider-connections` → `post_tenants_tenant_provider_connections`).
pub fn synthesized_operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_ascii_lowercase();
    for word in path.split(|c: char| !c.is_ascii_alphanumeric()) {
        if !word.is_empty() {
            id.push('_');
            id.push_str(&word.to_ascii_lowercase());
        }
    }
    id
}

/// The path part of a server URL (`https://host/api/v1` → `/api/v1`, `/admin` → `/admin`, `http://host` → ``).
fn server_path(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| {
        rest.find('/').map_or("", |i| rest.get(i..).unwrap_or(""))
    });
    rest.trim_end_matches('/').to_owned()
}

/// The one path prefix a `servers` list gives (all its URLs must agree on it).
fn servers_prefix(servers: Option<&Value>, at: &str) -> Result<Option<String>, String> {
    let Some(Value::Array(list)) = servers else {
        return Ok(None);
    };
    let mut prefixes = list
        .iter()
        .filter_map(|s| s.get("url").and_then(Value::as_str))
        .map(server_path)
        .collect::<Vec<_>>();
    prefixes.dedup();
    match prefixes.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        _ => Err(format!(
            "{at}: servers disagree on the path ({prefixes:?}); one client base URL cannot serve them"
        )),
    }
}

/// What progenitor makes of a response: typed (the JSON schema), raw (another media type) or empty.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Empty,
    Raw,
    Typed(String),
}

fn kind(response: &Value) -> Kind {
    let Some(Value::Object(content)) = response.get("content") else {
        return Kind::Empty;
    };
    let json = content
        .iter()
        .find(|(media, _)| *media == "application/json" || media.starts_with("application/json;"));
    match json {
        Some((_, media)) => Kind::Typed(
            media
                .get("schema")
                .map(Value::to_string)
                .unwrap_or_default(),
        ),
        None if content.is_empty() => Kind::Empty,
        None => Kind::Raw,
    }
}

/// Makes the (3.0) document one progenitor generates a client from, in place:
///
/// - **One base URL**: progenitor ignores `servers`; the path of the document's servers (identity `/api/v1`,
///   provider-connection `/admin`) is prefixed to each path, except paths with their own `servers` (the
///   operational root paths), which get theirs. The client's base URL is then the service's origin.
/// - **operationId**: progenitor requires one; an operation without it gets [`synthesized_operation_id`].
/// - **One request media type**: progenitor takes exactly one; where JSON has alternatives (idp-management's
///   NDJSON list upload) the client sends JSON and the others are left out.
/// - **A JSON response without a schema** (`application/json: {}`) gets the empty schema (any JSON value):
///   progenitor panics on it otherwise.
/// - **One response kind per outcome**: progenitor decodes all success responses as one type, and all error
///   responses as one. Where the contract mixes kinds (identity's "already assigned" 200 without a body beside
///   the 201 with one; provider-connection's bodiless 401/403/404 beside its Problem 400), the richest kind
///   is kept (typed, then raw, then empty; between two typed, the more frequent), and the other responses are left out of the generator's copy:
///   the client returns them as `Error::UnexpectedResponse(reqwest::Response)`, status, headers and body intact.
/// - **Security schemes** need no change: progenitor generates no authentication; the caller's `reqwest::Client`
///   carries the credential (see the crate's `with_*` constructors).
pub fn for_progenitor(doc: &mut Value) -> Result<Notes, String> {
    let mut notes = Vec::new();
    let base = servers_prefix(doc.get("servers"), "#/servers")?.unwrap_or_default();
    let responses_components = doc
        .get("components")
        .and_then(|c| c.get("responses"))
        .cloned()
        .unwrap_or(Value::Null);
    let resolve = |response: &Value| -> Value {
        response
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/responses/"))
            .and_then(|name| responses_components.get(name))
            .cloned()
            .unwrap_or_else(|| response.clone())
    };
    let Some(Value::Object(paths)) = doc.get_mut("paths") else {
        return Err("the document has no paths".into());
    };
    let mut rewritten = Map::new();
    for (path, mut item) in std::mem::take(paths) {
        let prefix = match servers_prefix(item.get("servers"), &format!("#/paths/{path}"))? {
            Some(own) => own,
            None => base.clone(),
        };
        if let Some(item) = item.as_object_mut() {
            for method in METHODS {
                let Some(Value::Object(op)) = item.get_mut(method) else {
                    continue;
                };
                let at = format!("{} {path}", method.to_ascii_uppercase());
                if !op.contains_key("operationId") {
                    let id = synthesized_operation_id(method, &path);
                    notes.push(format!("{at}: operationId `{id}` given"));
                    op.insert("operationId".into(), Value::String(id));
                }
                if let Some(Value::Object(content)) =
                    op.get_mut("requestBody").and_then(|b| b.get_mut("content"))
                    && content.len() > 1
                {
                    let json = content
                        .remove("application/json")
                        .ok_or_else(|| format!("{at}: several request media types, none JSON"))?;
                    let others = content.keys().cloned().collect::<Vec<_>>();
                    content.clear();
                    content.insert("application/json".into(), json);
                    notes.push(format!(
                        "{at}: request body JSON only (left out: {others:?})"
                    ));
                }
                if let Some(Value::Object(responses)) = op.get_mut("responses") {
                    for response in responses.values_mut() {
                        if response.get("$ref").is_some() {
                            continue;
                        }
                        if let Some(Value::Object(content)) = response.get_mut("content") {
                            for (media, object) in content.iter_mut() {
                                let json = media == "application/json"
                                    || media.starts_with("application/json;");
                                if json
                                    && let Value::Object(object) = object
                                    && !object.contains_key("schema")
                                {
                                    object.insert("schema".into(), Value::Object(Map::new()));
                                    notes.push(format!(
                                        "{at}: JSON response without schema: any value"
                                    ));
                                }
                            }
                        }
                    }
                    one_kind_per_outcome(responses, &resolve, &at, &mut notes);
                }
            }
        }
        rewritten.insert(format!("{prefix}{path}"), item);
    }
    *paths = rewritten;
    if !base.is_empty() {
        notes.push(format!("server path `{base}` folded into the paths"));
    }
    Ok(notes)
}

/// Keeps one response kind among the success (2xx, `default` counted as error) and one among the error
/// responses; see [`for_progenitor`].
fn one_kind_per_outcome(
    responses: &mut Map<String, Value>,
    resolve: &dyn Fn(&Value) -> Value,
    at: &str,
    notes: &mut Notes,
) {
    for success in [true, false] {
        let group = responses
            .iter()
            .filter(|(code, _)| code.starts_with('2') == success)
            .map(|(code, response)| (code.clone(), kind(&resolve(response))))
            .collect::<Vec<_>>();
        let mut tally = BTreeMap::<&Kind, usize>::new();
        for (_, k) in &group {
            *tally.entry(k).or_default() += 1;
        }
        if tally.len() < 2 {
            continue;
        }
        // Typed before raw before empty (Kind's order), then the most frequent.
        let Some(keep) = tally
            .iter()
            .max_by_key(|(k, n)| (!matches!(k, Kind::Empty), matches!(k, Kind::Typed(_)), **n))
            .map(|(k, _)| (*k).clone())
        else {
            continue;
        };
        let dropped = group
            .iter()
            .filter(|(_, k)| *k != keep)
            .map(|(code, _)| code.clone())
            .collect::<Vec<_>>();
        for code in &dropped {
            responses.remove(code);
        }
        notes.push(format!(
            "{at}: {} responses {dropped:?} left out (another kind than the rest): Error::UnexpectedResponse",
            if success { "success" } else { "error" }
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn converted(schema: Value) -> Result<Value, String> {
        let mut doc = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1", "summary": "s"},
                             "paths": {}, "components": {"schemas": {"S": schema}}});
        openapi31_to_30(&mut doc)?;
        assert_eq!(doc["openapi"], "3.0.3");
        assert!(doc["info"].get("summary").is_none());
        Ok(doc["components"]["schemas"]["S"].clone())
    }

    #[test]
    fn the_31_constructs_the_specs_use_become_30() {
        let schema = converted(json!({"type": "object", "properties": {
            "outcome": {"type": ["string", "null"], "enum": ["healthy", null]},
            "n": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10},
            "kind": {"const": "x", "examples": ["x", "y"]},
            "cred": {"$ref": "#/components/schemas/C", "nullable": true},
            "list": {"type": "array", "items": {"type": ["integer", "null"]}},
        }}))
        .unwrap();
        let p = &schema["properties"];
        assert_eq!(
            p["outcome"],
            json!({"type": "string", "nullable": true, "enum": ["healthy", null]})
        );
        assert_eq!(
            p["n"],
            json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 10, "exclusiveMaximum": true})
        );
        assert_eq!(p["kind"], json!({"enum": ["x"], "example": "x"}));
        assert_eq!(
            p["cred"],
            json!({"allOf": [{"$ref": "#/components/schemas/C"}], "nullable": true})
        );
        assert_eq!(
            p["list"]["items"],
            json!({"type": "integer", "nullable": true})
        );
    }

    #[test]
    fn an_unhandled_31_construct_fails_loudly() {
        for schema in [
            json!({"type": ["string", "integer"]}),
            json!({"type": "null"}),
            json!({"type": "array", "prefixItems": [{"type": "string"}]}),
            json!({"type": "object", "properties": {"a": {"if": {"type": "string"}}}}),
            json!({"type": "object", "patternProperties": {"^x": {"type": "string"}}}),
        ] {
            let error = converted(schema.clone()).unwrap_err();
            assert!(
                error.contains("#/components/schemas/S"),
                "{schema}: {error}"
            );
        }
        let mut doc = json!({"openapi": "3.1.0", "webhooks": {}, "paths": {}});
        assert!(openapi31_to_30(&mut doc).unwrap_err().contains("webhooks"));
    }

    #[test]
    fn a_30_document_is_left_alone_by_the_conversion() {
        let mut doc = json!({"openapi": "3.0.3", "paths": {}, "components": {"schemas": {"S": {"const": 1}}}});
        let before = doc.clone();
        assert!(openapi31_to_30(&mut doc).unwrap().is_empty());
        assert_eq!(doc, before);
    }

    #[test]
    fn the_generator_copy_gets_one_base_url_ids_json_bodies_and_one_kind_per_outcome() {
        let problem =
            json!({"content": {"application/problem+json": {"schema": {"type": "object"}}}});
        let typed = json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/X"}},
                                       "text/plain": {}}});
        let mut doc = json!({
            "openapi": "3.0.3", "servers": [{"url": "https://a.example/api/v1"}, {"url": "http://localhost:1/api/v1"}],
            "paths": {
                "/things/{id}": {"post": {
                    "requestBody": {"content": {"application/json": {"schema": {}}, "application/x-ndjson": {"schema": {}}}},
                    "responses": {"200": {"description": "again"}, "201": typed, "400": problem, "404": {"description": "none"},
                                  "409": problem}}},
                "/healthz": {"servers": [{"url": "http://localhost:1"}],
                             "get": {"operationId": "Healthz", "responses": {"200": {"content": {"application/json": {}}}}}},
            }
        });
        let notes = for_progenitor(&mut doc).unwrap();
        let op = &doc["paths"]["/api/v1/things/{id}"]["post"];
        assert_eq!(op["operationId"], "post_things_id");
        assert_eq!(op["requestBody"]["content"].as_object().unwrap().len(), 1);
        let codes: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
        assert_eq!(codes, ["201", "400", "409"], "{notes:?}");
        let health = &doc["paths"]["/healthz"]["get"];
        assert_eq!(health["operationId"], "Healthz");
        assert_eq!(
            health["responses"]["200"]["content"]["application/json"]["schema"],
            json!({})
        );
    }

    #[test]
    fn servers_that_disagree_on_the_path_are_refused() {
        let mut doc =
            json!({"openapi": "3.0.3", "servers": [{"url": "/a"}, {"url": "/b"}], "paths": {}});
        assert!(for_progenitor(&mut doc).unwrap_err().contains("disagree"));
    }

    /// The real contracts, through both steps, are documents openapiv3 (progenitor's reader) accepts; the
    /// build proves the rest.
    #[test]
    fn every_spec_converts() {
        for file in ["identity", "idp-management", "provider-connection"] {
            let path = format!("{}/../../specs/{file}.yaml", env!("CARGO_MANIFEST_DIR"));
            let mut doc: Value =
                serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            openapi31_to_30(&mut doc).unwrap();
            for_progenitor(&mut doc).unwrap();
            let text = doc.to_string();
            assert!(
                !text.contains("\"type\":["),
                "{file}: a 3.1 type list is left"
            );
            serde_json::from_value::<openapiv3::OpenAPI>(doc).unwrap();
        }
    }
}
