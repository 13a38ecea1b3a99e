//! Where a read of the event stream begins: the `x-stream-offset` consumer argument.

use chrono::{DateTime, SecondsFormat, Utc};
use lapin::types::{AMQPValue, LongString};
use std::fmt;
use std::str::FromStr;

/// `--from`: `first` (the oldest retained event), `last` (the last chunk written), `next` (only what comes
/// after attaching), a stream offset, or an RFC 3339 point in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamStart {
    First,
    Last,
    Next,
    Offset(i64),
    /// RabbitMQ takes a time in whole seconds and attaches at the chunk holding it, so a read from a time may
    /// begin with a few earlier events; [`StreamStart::is_before`] tells them apart.
    Time(DateTime<Utc>),
}

impl StreamStart {
    /// The value of the `x-stream-offset` consumer argument.
    pub fn to_amqp(&self) -> AMQPValue {
        match self {
            Self::First => AMQPValue::LongString(LongString::from("first")),
            Self::Last => AMQPValue::LongString(LongString::from("last")),
            Self::Next => AMQPValue::LongString(LongString::from("next")),
            Self::Offset(offset) => AMQPValue::LongLongInt(*offset),
            Self::Time(time) => AMQPValue::Timestamp(time_seconds(time)),
        }
    }

    /// Whether an event published at `published` (the AMQP `timestamp` property, whole seconds) or, where the
    /// publisher set none, with CloudEvent time `event_time`, lies before a time start: the broker hands out the
    /// whole chunk holding the requested second. Never true for the other starts, nor when neither time is
    /// known. Compared in whole seconds, as the broker does.
    pub fn is_before(&self, published: Option<u64>, event_time: Option<DateTime<Utc>>) -> bool {
        let Self::Time(start) = self else {
            return false;
        };
        let start = time_seconds(start);
        match (published, event_time) {
            (Some(published), _) => published < start,
            (None, Some(time)) => time_seconds(&time) < start,
            (None, None) => false,
        }
    }
}

/// Seconds since the epoch; times before it were refused when parsed.
fn time_seconds(time: &DateTime<Utc>) -> u64 {
    u64::try_from(time.timestamp()).unwrap_or(0)
}

impl FromStr for StreamStart {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "first" => return Ok(Self::First),
            "last" => return Ok(Self::Last),
            "next" => return Ok(Self::Next),
            _ => {}
        }
        if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() {
            return text
                .parse::<i64>()
                .map(Self::Offset)
                .map_err(|_| format!("offset {text} is too large"));
        }
        match DateTime::parse_from_rfc3339(text) {
            Ok(time) if time.timestamp() >= 0 => Ok(Self::Time(time.with_timezone(&Utc))),
            Ok(_) => Err(format!("{text} is before 1970")),
            Err(_) => Err(format!(
                "expected first, last, next, a stream offset (0, 1, ...) or an RFC 3339 time \
                 (2025-06-01T10:00:00Z), got {text:?}"
            )),
        }
    }
}

impl fmt::Display for StreamStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::First => f.write_str("first"),
            Self::Last => f.write_str("last"),
            Self::Next => f.write_str("next"),
            Self::Offset(offset) => write!(f, "offset {offset}"),
            Self::Time(time) => f.write_str(&time.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_offsets_and_times_parse() {
        assert_eq!("first".parse(), Ok(StreamStart::First));
        assert_eq!("last".parse(), Ok(StreamStart::Last));
        assert_eq!("next".parse(), Ok(StreamStart::Next));
        assert_eq!("0".parse(), Ok(StreamStart::Offset(0)));
        assert_eq!("1234".parse(), Ok(StreamStart::Offset(1234)));
        let time: StreamStart = "2025-06-01T12:00:00+02:00".parse().unwrap();
        assert_eq!(
            time,
            StreamStart::Time("2025-06-01T10:00:00Z".parse().unwrap())
        );
        assert!(matches!(
            "2025-06-01T10:00:00.250Z".parse(),
            Ok(StreamStart::Time(_))
        ));
    }

    #[test]
    fn anything_else_is_refused_with_what_was_expected() {
        for bad in [
            "",
            "First",
            "-1",
            "1.5",
            "yesterday",
            "2025-06-01",
            "99999999999999999999",
        ] {
            let refused = bad.parse::<StreamStart>();
            assert!(refused.is_err(), "{bad:?} accepted as {refused:?}");
        }
        assert!(
            "1969-12-31T23:59:59Z"
                .parse::<StreamStart>()
                .unwrap_err()
                .contains("1970")
        );
        assert!(
            "soon"
                .parse::<StreamStart>()
                .unwrap_err()
                .contains("RFC 3339")
        );
    }

    #[test]
    fn the_consumer_argument_is_a_name_a_long_long_or_a_timestamp_in_seconds() {
        assert_eq!(
            StreamStart::First.to_amqp(),
            AMQPValue::LongString("first".into())
        );
        assert_eq!(StreamStart::Offset(7).to_amqp(), AMQPValue::LongLongInt(7));
        let time: StreamStart = "2025-06-01T10:00:00.900Z".parse().unwrap();
        assert_eq!(time.to_amqp(), AMQPValue::Timestamp(1_748_772_000));
    }

    #[test]
    fn only_a_time_start_skips_what_came_before_it_in_whole_seconds() {
        let start: StreamStart = "2025-06-01T10:00:00.900Z".parse().unwrap();
        let second = 1_748_772_000;
        assert!(start.is_before(Some(second - 1), None));
        assert!(!start.is_before(Some(second), None), "same second");
        assert!(!start.is_before(Some(second + 1), None));
        let earlier = "2025-06-01T09:59:59.999Z".parse().ok();
        assert!(
            start.is_before(None, earlier),
            "no publish time: event time"
        );
        assert!(
            !start.is_before(Some(second), earlier),
            "the publish time decides"
        );
        assert!(!start.is_before(None, None));
        assert!(!StreamStart::First.is_before(Some(0), earlier));
        assert!(!StreamStart::Offset(3).is_before(Some(0), None));
    }
}
