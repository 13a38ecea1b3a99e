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

/// One event type of the catalogue (`specs/events.asyncapi.yaml`) and the type of its `data`. The publishing
/// service builds its events through it ([`Emitter::event`]) and a subscriber decodes them through it, so both
/// sides share one definition of every payload (the `event-types` crate) instead of each keeping a copy.
pub trait EventType {
    /// The CloudEvents `type`, also the AMQP routing key, e.g. `identity.user.created.v1`.
    const TYPE: &'static str;
    /// What `data` holds.
    type Data: Serialize + serde::de::DeserializeOwned + Send + 'static;
}

/// Who caused a change and in which trace: what every event of the change carries as `actor` and
/// `traceparent`. Each service builds it from its own kind of caller (function key, bearer token, connector,
/// worker, start-up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventContext {
    actor: String,
    traceparent: Option<String>,
}

impl EventContext {
    /// `actor` as the events name it (`key:1`, `sub:alice`, `connector:b2c`, `worker:verification`), with the
    /// request's already validated W3C trace context, if any.
    pub fn new(actor: impl Into<String>, traceparent: Option<String>) -> Self {
        Self {
            actor: actor.into(),
            traceparent,
        }
    }

    /// A change nobody's request caused (start-up, tools, seeding): `system:<what>`, no trace.
    pub fn system(what: &str) -> Self {
        Self::new(format!("system:{what}"), None)
    }

    pub fn actor(&self) -> &str {
        &self.actor
    }

    pub fn traceparent(&self) -> Option<&str> {
        self.traceparent.as_deref()
    }
}

/// How one service builds its events: its `source`, and the bookkeeping fields (timestamps, change counters)
/// its `changes` leave out. Each service has one as `events::EMIT`.
#[derive(Debug, Clone, Copy)]
pub struct Emitter {
    source: &'static str,
    bookkeeping: &'static [&'static str],
}

impl Emitter {
    pub const fn new(source: &'static str, bookkeeping: &'static [&'static str]) -> Self {
        Self {
            source,
            bookkeeping,
        }
    }

    /// An event of type `E` about `subject` carrying `data`, stamped with the change's actor and trace and the
    /// subject's version after the change.
    pub fn event<E: EventType>(
        &self,
        context: &impl AsRef<EventContext>,
        subject: impl ToString,
        data: &E::Data,
        version: i64,
    ) -> CloudEvent {
        CloudEvent::of(self.source, E::TYPE, subject, data).stamped(context.as_ref(), version)
    }

    /// An update's event: `after` as its data, and what changed since `before` as its `changes`.
    pub fn updated<E: EventType>(
        &self,
        context: &impl AsRef<EventContext>,
        subject: impl ToString,
        before: &E::Data,
        after: &E::Data,
        version: i64,
    ) -> CloudEvent {
        self.event::<E>(context, subject, after, version)
            .with_changes(before, self.bookkeeping)
    }

    /// What differs between two representations, bookkeeping left out.
    pub fn changes(
        &self,
        before: &serde_json::Value,
        after: &serde_json::Value,
    ) -> serde_json::Value {
        changes(before, after, self.bookkeeping)
    }
}

impl AsRef<EventContext> for EventContext {
    fn as_ref(&self) -> &EventContext {
        self
    }
}

/// The fields whose value differs between two representations, each as `{"before":..,"after":..}` (a field
/// absent on one side counts as `null`), leaving out `excluded` (bookkeeping such as timestamps, which change on
/// every write).
pub fn changes(
    before: &serde_json::Value,
    after: &serde_json::Value,
    excluded: &[&str],
) -> serde_json::Value {
    use serde_json::{Map, Value, json};
    let empty = Map::new();
    let old = before.as_object().unwrap_or(&empty);
    let new = after.as_object().unwrap_or(&empty);
    let names: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let diff: Map<String, Value> = names
        .into_iter()
        .filter(|name| !excluded.contains(&name.as_str()))
        .filter_map(|name| {
            let was = old.get(name).unwrap_or(&Value::Null);
            let is = new.get(name).unwrap_or(&Value::Null);
            (was != is).then(|| (name.clone(), json!({ "before": was, "after": is })))
        })
        .collect();
    Value::Object(diff)
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

    /// Stamps the change's actor and trace, and the subject's version after the change.
    pub fn stamped(mut self, context: &EventContext, version: i64) -> Self {
        self.actor = Some(context.actor().to_owned());
        self.subjectversion = Some(version);
        self.traceparent = context.traceparent().map(str::to_owned);
        self
    }

    /// Sets `changes`: what differs between `before` and this event's `data` (the resource after the change),
    /// `excluded` fields left out.
    pub fn with_changes(mut self, before: &impl Serialize, excluded: &[&str]) -> Self {
        let before = serde_json::to_value(before).unwrap_or(serde_json::Value::Null);
        self.changes = Some(changes(&before, &self.data, excluded).to_string());
        self
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
    fn stamping_and_changes() {
        let context = EventContext::new("key:1", Some("00-trace".to_owned()));
        let before = serde_json::json!({"name": "a", "updated": "t1", "kept": 1});
        let after = serde_json::json!({"name": "b", "updated": "t2", "kept": 1, "new": true});
        let event = CloudEvent::of("/s", "s.x.updated.v1", "id", &after)
            .stamped(&context, 7)
            .with_changes(&before, &["updated"]);
        assert_eq!(event.actor.as_deref(), Some("key:1"));
        assert_eq!(event.subjectversion, Some(7));
        assert_eq!(event.traceparent.as_deref(), Some("00-trace"));
        let changes: serde_json::Value =
            serde_json::from_str(event.changes.as_deref().unwrap()).unwrap();
        assert_eq!(
            changes,
            serde_json::json!({"name": {"before": "a", "after": "b"}, "new": {"before": null, "after": true}})
        );
        assert_eq!(EventContext::system("seed").actor(), "system:seed");
        assert_eq!(EventContext::system("seed").traceparent(), None);
    }

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
