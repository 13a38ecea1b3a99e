//! The CloudEvents 1.0 envelope every service publishes (structured JSON mode).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One event as it travels: written to the outbox in the change's transaction, published verbatim by the relay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudEvent {
    pub specversion: String,
    /// UUID v7: unique, and sortable by creation time; consumers dedupe on it.
    pub id: Uuid,
    /// The emitting service, e.g. `/identity`.
    pub source: String,
    /// Also the AMQP routing key, e.g. `identity.user.created.v1`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The aggregate the event is about; per-subject order is preserved end to end.
    pub subject: String,
    pub time: String,
    pub datacontenttype: String,
    pub data: serde_json::Value,
    /// Extension attribute: who acted (`key:<name>`, `sub:<token subject>`, `connector:b2c`,
    /// `worker:verification`, `system:<what>`). Absent where the publisher does not set it yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Extension attribute: the subject's version after this change, +1 per change of the subject, so a
    /// subscriber can tell a gap or a reordering from normal traffic. Absent where the publisher does not set it
    /// yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subjectversion: Option<i64>,
    /// Extension attribute (CloudEvents distributed tracing): the W3C trace context of the request that made
    /// the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    /// Extension attribute on `*.updated` events: what changed, as a JSON string (extension values cannot be
    /// objects): `{"<field>":{"before":..,"after":..}}`, only the fields that changed. `data` stays the resource
    /// after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<String>,
}

impl CloudEvent {
    pub const SPEC_VERSION: &'static str = "1.0";
    pub const CONTENT_TYPE: &'static str = "application/cloudevents+json";

    pub fn new(
        source: &str,
        event_type: &str,
        subject: impl Into<String>,
        data: serde_json::Value,
    ) -> Self {
        Self::at(source, event_type, subject, data, Utc::now())
    }

    /// An event whose `data` is `data` serialized (the API representations serialize infallibly; a failure
    /// would be a bug, and leaves `data` null rather than losing the event).
    pub fn of(
        source: &str,
        event_type: &str,
        subject: impl ToString,
        data: &impl serde::Serialize,
    ) -> Self {
        let data = serde_json::to_value(data).unwrap_or(serde_json::Value::Null);
        Self::new(source, event_type, subject.to_string(), data)
    }

    pub fn at(
        source: &str,
        event_type: &str,
        subject: impl Into<String>,
        data: serde_json::Value,
        time: DateTime<Utc>,
    ) -> Self {
        Self {
            specversion: Self::SPEC_VERSION.to_owned(),
            id: Uuid::now_v7(),
            source: source.to_owned(),
            event_type: event_type.to_owned(),
            subject: subject.into(),
            time: time.to_rfc3339_opts(SecondsFormat::Micros, true),
            datacontenttype: "application/json".to_owned(),
            data,
            actor: None,
            subjectversion: None,
            traceparent: None,
            changes: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_cloudevents_attribute_names() {
        let event = CloudEvent::new(
            "/identity",
            "identity.user.created.v1",
            "abc",
            serde_json::json!({"oid": "abc"}),
        );
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["specversion"], "1.0");
        assert_eq!(json["type"], "identity.user.created.v1");
        assert_eq!(json["subject"], "abc");
        assert!(json["time"].as_str().unwrap().ends_with('Z'));
        assert_eq!(event.id.get_version_num(), 7);
    }
}
