//! How events are printed: one pretty line for a person, or the JSON as received for `jq`.

use crate::message::{Message, event_time};
use chrono::SecondsFormat;
use domain::CloudEvent;
use serde_json::Value;
use std::borrow::Cow;

/// At most this many characters of `data` in a pretty line.
pub const SUMMARY_WIDTH: usize = 80;
/// A string field shorter than this and without spaces is shown bare (`email=a@example.com`), else quoted.
const BARE_STRING: usize = 40;

/// The body for `--raw`: exactly as received, unless it spans several lines (then it is compacted, keeping
/// the members in their order, so there is one event per line).
pub fn raw(body: &[u8]) -> Cow<'_, [u8]> {
    if !body.iter().any(|b| matches!(b, b'\n' | b'\r')) {
        return Cow::Borrowed(body);
    }
    if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() {
        // Not JSON: keep the bytes, one line.
        return Cow::Owned(
            body.iter()
                .map(|&b| if matches!(b, b'\n' | b'\r') { b' ' } else { b })
                .collect(),
        );
    }
    // Valid JSON: whitespace outside strings carries nothing, and strings hold no raw line breaks.
    let mut compact = Vec::with_capacity(body.len());
    let (mut in_string, mut escaped) = (false, false);
    for &byte in body {
        if in_string {
            compact.push(byte);
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
        } else if !matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
            if byte == b'"' {
                in_string = true;
            }
            compact.push(byte);
        }
    }
    Cow::Owned(compact)
}

/// One line for a person: `[#offset]  time  type  subject  data summary  [actor=… v=…]`.
pub fn pretty(message: &Message, event: Option<&CloudEvent>) -> String {
    let mut line = String::new();
    if let Some(offset) = message.offset {
        line.push_str(&format!("#{offset}  "));
    }
    let Some(event) = event else {
        line.push_str(&format!(
            "(not a CloudEvent: {} bytes with routing key {})",
            message.body.len(),
            clean(&message.routing_key)
        ));
        return line;
    };
    let time = event_time(&event.time)
        .map(|time| time.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_else(|| clean(&event.time));
    line.push_str(&format!(
        "{time}  {}  {}  {}",
        clean(&event.event_type),
        clean(&event.subject),
        summarize(&event.data, SUMMARY_WIDTH)
    ));
    let mut extras = Vec::new();
    if let Some(actor) = &event.actor {
        extras.push(format!("actor={}", clean(actor)));
    }
    if let Some(version) = event.subjectversion {
        extras.push(format!("v={version}"));
    }
    if !extras.is_empty() {
        line.push_str("  ");
        line.push_str(&extras.join(" "));
    }
    line
}

/// A short, one-line account of `data`: `key=value` for an object's members (objects as `{…}`, arrays as
/// `[n]`), compact JSON otherwise, at most `width` characters.
pub fn summarize(data: &Value, width: usize) -> String {
    let full = match data {
        Value::Null => "-".to_owned(),
        Value::Object(members) if members.is_empty() => "-".to_owned(),
        Value::Object(members) => members
            .iter()
            .map(|(key, value)| format!("{}={}", clean(key), short(value)))
            .collect::<Vec<_>>()
            .join(" "),
        other => clean(&other.to_string()),
    };
    truncate(&full, width)
}

fn short(value: &Value) -> String {
    match value {
        Value::String(text)
            if !text.is_empty()
                && text.chars().count() <= BARE_STRING
                && !text.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            text.clone()
        }
        Value::String(text) => truncate(&Value::String(text.clone()).to_string(), BARE_STRING),
        Value::Object(members) if members.is_empty() => "{}".to_owned(),
        Value::Object(_) => "{…}".to_owned(),
        Value::Array(items) => format!("[{}]", items.len()),
        scalar => scalar.to_string(),
    }
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A field as it may reach a terminal: control characters (an escape sequence in a subject, a line break)
/// shown escaped, never acted on.
pub fn clean(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The broker URL for a message: its password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(data: Value) -> CloudEvent {
        CloudEvent::at(
            "/identity",
            "identity.user.created.v1",
            "7f0c2a4e-0000-7000-8000-000000000001",
            data,
            "2025-06-01T10:00:00.123456Z".parse().unwrap(),
        )
    }

    fn message(body: Vec<u8>, offset: Option<i64>) -> Message {
        Message {
            body,
            routing_key: "identity.user.created.v1".to_owned(),
            offset,
            published: None,
        }
    }

    #[test]
    fn raw_is_the_body_untouched_when_on_one_line() {
        let body = br#"{"b": 1,  "a":"x y"}"#;
        assert!(matches!(raw(body), Cow::Borrowed(_)));
        assert_eq!(raw(body).as_ref(), body);
    }

    #[test]
    fn raw_compacts_a_multi_line_body_keeping_member_order_and_string_contents() {
        let body = b"{\n  \"z\": \"a \\\" b\\n\",\r\n  \"a\": [1, 2]\n}\n";
        assert_eq!(
            raw(body).as_ref(),
            br#"{"z":"a \" b\n","a":[1,2]}"#.as_slice()
        );
        assert_eq!(raw(b"not\njson").as_ref(), b"not json");
    }

    #[test]
    fn a_pretty_line_shows_time_type_subject_data_and_the_extensions() {
        let mut event = event(
            json!({"active": true, "displayname": "Ann Lee", "email": "ann@example.com", "groups": [1, 2], "x": {"y": 1}}),
        );
        let line = pretty(&message(Vec::new(), None), Some(&event));
        assert_eq!(
            line,
            "2025-06-01T10:00:00.123Z  identity.user.created.v1  7f0c2a4e-0000-7000-8000-000000000001  \
             active=true displayname=\"Ann Lee\" email=ann@example.com groups=[2] x={…}"
        );
        event.actor = Some("key:admin".to_owned());
        event.subjectversion = Some(3);
        let line = pretty(&message(Vec::new(), Some(12)), Some(&event));
        assert!(
            line.starts_with("#12  2025-06-01T10:00:00.123Z  "),
            "{line}"
        );
        assert!(line.ends_with("  actor=key:admin v=3"), "{line}");
    }

    #[test]
    fn a_body_that_is_no_cloudevent_still_gets_a_line() {
        let line = pretty(&message(b"oops".to_vec(), Some(3)), None);
        assert_eq!(
            line,
            "#3  (not a CloudEvent: 4 bytes with routing key identity.user.created.v1)"
        );
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let mut event = event(json!({"name": "a\u{1b}[2Jb"}));
        event.subject = "s\u{1b}]0;owned\u{7}".to_owned();
        let line = pretty(&message(Vec::new(), None), Some(&event));
        assert!(!line.chars().any(char::is_control), "{line:?}");
        assert!(line.contains("s\\u{1b}]0;owned\\u{7}"), "{line}");
    }

    #[test]
    fn the_summary_is_short() {
        assert_eq!(summarize(&Value::Null, 80), "-");
        assert_eq!(summarize(&json!({}), 80), "-");
        assert_eq!(summarize(&json!("abc"), 80), "\"abc\"");
        assert_eq!(summarize(&json!([1, 2]), 80), "[1,2]");
        assert_eq!(summarize(&json!({"e": ""}), 80), "e=\"\"");
        let long = summarize(&json!({"a": "x".repeat(100), "b": 1}), 30);
        assert_eq!(long.chars().count(), 30);
        assert!(long.ends_with('…'));
        assert!(long.starts_with("a=\"xxx"), "{long}");
    }

    #[test]
    fn the_password_is_left_out_of_a_url() {
        assert_eq!(
            redact_url("amqp://guest:guest@127.0.0.1:5672/%2f"),
            "amqp://guest:***@127.0.0.1:5672/%2f"
        );
        assert_eq!(
            redact_url("amqps://u:p@ss:w@rd@host/vh?heartbeat=10"),
            "amqps://u:***@host/vh?heartbeat=10"
        );
        assert_eq!(redact_url("amqp://host:5672"), "amqp://host:5672");
        assert_eq!(redact_url("amqp://user@host"), "amqp://user@host");
        assert_eq!(redact_url("nonsense"), "nonsense");
    }
}
