//! One delivery as the tool sees it, whether from a live queue or the stream.

use chrono::{DateTime, Utc};
use domain::CloudEvent;
use lapin::types::{AMQPValue, FieldTable};

/// A delivery: the body exactly as received, and what the broker says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub body: Vec<u8>,
    pub routing_key: String,
    /// The `x-stream-offset` header of a stream delivery; none from a live queue.
    pub offset: Option<i64>,
    /// The AMQP `timestamp` property (whole seconds) the publisher set, if it did.
    pub published: Option<u64>,
}

impl Message {
    /// The body as a CloudEvent, if it is one.
    pub fn event(&self) -> Option<CloudEvent> {
        serde_json::from_slice(&self.body).ok()
    }

    /// When it happened: the CloudEvent `time`, else the publish time.
    pub fn time(&self, event: Option<&CloudEvent>) -> Option<DateTime<Utc>> {
        event.and_then(|event| event_time(&event.time)).or_else(|| {
            self.published
                .and_then(|secs| i64::try_from(secs).ok())
                .and_then(|secs| DateTime::from_timestamp(secs, 0))
        })
    }
}

/// A CloudEvent `time` (RFC 3339), if it parses.
pub fn event_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

/// The `x-stream-offset` header RabbitMQ puts on each stream delivery, whatever integer type it came as.
pub fn stream_offset(headers: Option<&FieldTable>) -> Option<i64> {
    let value = headers?.inner().get("x-stream-offset")?;
    match value {
        AMQPValue::LongLongInt(n) => Some(*n),
        AMQPValue::LongInt(n) => Some(i64::from(*n)),
        AMQPValue::LongUInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortUInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortShortInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortShortUInt(n) => Some(i64::from(*n)),
        AMQPValue::Timestamp(n) => i64::try_from(*n).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: AMQPValue) -> FieldTable {
        let mut table = FieldTable::default();
        table.insert("x-stream-offset".into(), value);
        table
    }

    #[test]
    fn the_stream_offset_header_is_read_whatever_its_integer_type() {
        assert_eq!(
            stream_offset(Some(&headers(AMQPValue::LongLongInt(42)))),
            Some(42)
        );
        assert_eq!(
            stream_offset(Some(&headers(AMQPValue::LongInt(7)))),
            Some(7)
        );
        assert_eq!(
            stream_offset(Some(&headers(AMQPValue::LongString("x".into())))),
            None
        );
        assert_eq!(stream_offset(Some(&FieldTable::default())), None);
        assert_eq!(stream_offset(None), None);
    }

    #[test]
    fn time_is_the_event_time_else_the_publish_time() {
        let event = CloudEvent::at(
            "/identity",
            "identity.user.created.v1",
            "u1",
            serde_json::json!({}),
            "2025-06-01T10:00:00.5Z".parse().unwrap(),
        );
        let message = Message {
            body: serde_json::to_vec(&event).unwrap(),
            routing_key: "identity.user.created.v1".to_owned(),
            offset: None,
            published: Some(1_700_000_000),
        };
        let parsed = message.event().unwrap();
        assert_eq!(parsed, event);
        assert_eq!(
            message.time(Some(&parsed)),
            Some("2025-06-01T10:00:00.5Z".parse().unwrap())
        );
        assert_eq!(
            message.time(None),
            DateTime::from_timestamp(1_700_000_000, 0)
        );
        let junk = Message {
            body: b"not json".to_vec(),
            published: None,
            ..message
        };
        assert_eq!(junk.event(), None);
        assert_eq!(junk.time(None), None);
    }
}
