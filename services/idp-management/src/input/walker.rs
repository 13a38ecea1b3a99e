//! A generic walker of JSON values against a static schema: objects of known fields (required or optional, no
//! unknown ones), arrays with a bound, strings with lengths in characters, the key pattern or an enumeration.
//! Every violation becomes one [`Detail`] naming its field path (`oauth2Config.userInfoUrl`, `[2].key`), the
//! value (never a secret's) and what is wrong; the walk never stops at the first. The schemas themselves are in
//! `contract`.

use crate::error::Detail;
use serde_json::Value;

/// How much of an offending value a detail echoes.
const MAX_ECHO: usize = 256;

/// A string's rules.
pub struct Str {
    pub min: usize,
    pub max: Option<usize>,
    /// `^[a-zA-Z0-9-_.]{1,64}$`
    pub key_pattern: bool,
    pub one_of: &'static [&'static str],
    /// Never echoed in a detail.
    pub secret: bool,
}

/// A string of `min` to `max` characters.
pub const fn text(min: usize, max: usize) -> Str {
    Str {
        min,
        max: Some(max),
        key_pattern: false,
        one_of: &[],
        secret: false,
    }
}

/// One of `values`.
pub const fn one_of(values: &'static [&'static str]) -> Str {
    Str {
        min: 0,
        max: None,
        key_pattern: false,
        one_of: values,
        secret: false,
    }
}

/// What a field holds.
pub enum Kind {
    Str(Str),
    Obj(&'static [Field]),
    Arr { max: usize, item: &'static [Field] },
}

/// A named field of an object.
pub struct Field {
    pub name: &'static str,
    pub required: bool,
    pub kind: Kind,
}

/// A required field.
pub const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        required: true,
        kind,
    }
}

/// An optional field: it may be left out, but an explicit `null` is a wrong type (the contract declares no
/// field `nullable`).
pub const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        required: false,
        kind,
    }
}

/// `value` as a detail echoes it: strings bare, anything else as JSON, cut at [`MAX_ECHO`] characters.
pub fn echo(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Some(if text.chars().count() > MAX_ECHO {
        let cut: String = text.chars().take(MAX_ECHO).collect();
        format!("{cut}...")
    } else {
        text
    })
}

/// The path of `name` inside `path` (`""` is the top level).
pub fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Checks `value` is an object of `fields` at `path`, adding every violation to `out`.
pub fn check_object(value: &Value, fields: &[Field], path: &str, out: &mut Vec<Detail>) {
    let Value::Object(map) = value else {
        let field = if path.is_empty() { "body" } else { path };
        out.push(Detail::new(
            field,
            echo(value),
            format!("must be an object, not {}", type_name(value)),
        ));
        return;
    };
    for name in map.keys() {
        if !fields.iter().any(|f| f.name == name) {
            out.push(Detail::new(join(path, name), None, "is not a known field"));
        }
    }
    for field in fields {
        let at = join(path, field.name);
        match map.get(field.name) {
            None => {
                if field.required {
                    out.push(Detail::new(at, None, "is required"));
                }
            }
            Some(v) => check_kind(v, &field.kind, &at, out),
        }
    }
}

fn check_kind(value: &Value, kind: &Kind, at: &str, out: &mut Vec<Detail>) {
    match kind {
        Kind::Obj(fields) => check_object(value, fields, at, out),
        Kind::Arr { max, item } => {
            let Value::Array(items) = value else {
                out.push(Detail::new(
                    at,
                    echo(value),
                    format!("must be an array, not {}", type_name(value)),
                ));
                return;
            };
            if items.len() > *max {
                out.push(Detail::new(
                    at,
                    Some(items.len().to_string()),
                    format!("must have at most {max} items"),
                ));
            }
            for (i, v) in items.iter().enumerate() {
                check_object(v, item, &format!("{at}[{i}]"), out);
            }
        }
        Kind::Str(rule) => check_str(value, rule, at, out),
    }
}

fn check_str(value: &Value, rule: &Str, at: &str, out: &mut Vec<Detail>) {
    let shown = |v: &Value| if rule.secret { None } else { echo(v) };
    let Value::String(s) = value else {
        out.push(Detail::new(
            at,
            shown(value),
            format!("must be a string, not {}", type_name(value)),
        ));
        return;
    };
    // PostgreSQL's text and jsonb cannot hold U+0000, and no identity-provider setting needs it.
    if s.contains('\0') {
        out.push(Detail::new(
            at,
            shown(value),
            "must not contain the character U+0000",
        ));
    }
    let len = s.chars().count();
    if len < rule.min {
        out.push(Detail::new(
            at,
            shown(value),
            format!("must be at least {} characters", rule.min),
        ));
    } else if let Some(max) = rule.max.filter(|m| len > *m) {
        out.push(Detail::new(
            at,
            shown(value),
            format!("must be at most {max} characters (got {len})"),
        ));
    } else if rule.key_pattern && !crate::ids::is_key(s) {
        out.push(Detail::new(
            at,
            shown(value),
            "must match ^[a-zA-Z0-9-_.]{1,64}$",
        ));
    }
    if !rule.one_of.is_empty() && !rule.one_of.contains(&s.as_str()) {
        out.push(Detail::new(
            at,
            shown(value),
            format!("must be one of {}", rule.one_of.join(", ")),
        ));
    }
}
