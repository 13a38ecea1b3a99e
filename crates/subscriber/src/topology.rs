//! The subscriber's own topology, declared with RabbitMQ's machinery on every (re)connect (declarations are
//! idempotent): its durable quorum queue bound to the chosen patterns, and the dead-letter exchange and queue the
//! broker moves a message to once it has been delivered more than the delivery limit.

use crate::Settings;
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{Channel, ExchangeKind};

/// The dead-letter exchange of `exchange`: `<exchange>.dlx` (durable, direct; routing key = the queue name).
pub fn dead_letter_exchange(exchange: &str) -> String {
    format!("{exchange}.dlx")
}

/// The dead-letter queue of `queue`: `<queue>.dlq` (durable, quorum).
pub fn dead_letter_queue(queue: &str) -> String {
    format!("{queue}.dlq")
}

fn text(value: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(value))
}

/// The live queue's arguments. At-least-once dead-lettering (the broker keeps the message until the
/// dead-letter queue has confirmed it) needs `x-overflow = reject-publish` on RabbitMQ 3.10; without a length
/// limit that overflow setting never refuses anything.
pub(crate) fn queue_arguments(settings: &Settings) -> FieldTable {
    let mut arguments = FieldTable::default();
    arguments.insert("x-queue-type".into(), text("quorum"));
    arguments.insert(
        "x-delivery-limit".into(),
        AMQPValue::LongLongInt(i64::from(settings.delivery_limit)),
    );
    arguments.insert(
        "x-dead-letter-exchange".into(),
        text(&dead_letter_exchange(&settings.exchange)),
    );
    arguments.insert("x-dead-letter-routing-key".into(), text(&settings.queue));
    arguments.insert("x-dead-letter-strategy".into(), text("at-least-once"));
    arguments.insert("x-overflow".into(), text("reject-publish"));
    if settings.single_active_consumer {
        arguments.insert("x-single-active-consumer".into(), AMQPValue::Boolean(true));
    }
    arguments
}

fn durable() -> QueueDeclareOptions {
    QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    }
}

/// Declares the bus exchange, the dead-letter exchange and queue, and the live queue with its bindings. The
/// dead-letter side comes first, so the live queue never exists without somewhere to dead-letter to.
pub(crate) async fn declare(channel: &Channel, settings: &Settings) -> Result<(), lapin::Error> {
    bus::topology::declare_exchange(channel, &settings.exchange).await?;
    let dlx = dead_letter_exchange(&settings.exchange);
    channel
        .exchange_declare(
            ShortString::from(dlx.as_str()),
            ExchangeKind::Direct,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    let dlq = dead_letter_queue(&settings.queue);
    let mut quorum = FieldTable::default();
    quorum.insert("x-queue-type".into(), text("quorum"));
    channel
        .queue_declare(ShortString::from(dlq.as_str()), durable(), quorum)
        .await?;
    channel
        .queue_bind(
            ShortString::from(dlq.as_str()),
            ShortString::from(dlx.as_str()),
            ShortString::from(settings.queue.as_str()),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    channel
        .queue_declare(
            ShortString::from(settings.queue.as_str()),
            durable(),
            queue_arguments(settings),
        )
        .await?;
    for pattern in &settings.bindings {
        channel
            .queue_bind(
                ShortString::from(settings.queue.as_str()),
                ShortString::from(settings.exchange.as_str()),
                ShortString::from(pattern.as_str()),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    Ok(())
}

/// Whether `routing_key` matches the topic `pattern` as RabbitMQ matches it (`*` one word, `#` zero or more).
/// The stream holds every event, so a replay applies the queue's bindings itself.
pub(crate) fn topic_matches(pattern: &str, routing_key: &str) -> bool {
    fn matches(pattern: &[&str], key: &[&str]) -> bool {
        match (pattern.split_first(), key.split_first()) {
            (None, None) => true,
            (Some((&"#", rest)), _) => {
                matches(rest, key)
                    || key
                        .split_first()
                        .is_some_and(|(_, tail)| matches(pattern, tail))
            }
            (Some((&"*", rest)), Some((_, tail))) => matches(rest, tail),
            (Some((word, rest)), Some((first, tail))) => word == first && matches(rest, tail),
            _ => false,
        }
    }
    let pattern: Vec<&str> = pattern.split('.').collect();
    let key: Vec<&str> = routing_key.split('.').collect();
    matches(&pattern, &key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_patterns_match_as_rabbitmq_does() {
        let key = "identity.assignment.granted.v1";
        for pattern in [
            "#",
            "identity.#",
            "identity.assignment.*.v1",
            "*.*.*.*",
            "#.v1",
            "identity.#.v1",
            key,
        ] {
            assert!(topic_matches(pattern, key), "{pattern}");
        }
        for pattern in [
            "identity.*",
            "identity.user.#",
            "*.*.*",
            "identity.assignment.granted",
            "identity.assignment.granted.v1.x",
        ] {
            assert!(!topic_matches(pattern, key), "{pattern}");
        }
        assert!(topic_matches("identity.#", "identity"));
    }
}
