//! The bus's AMQP topology, declared with RabbitMQ's own machinery: the durable topic exchange, and the stream
//! that keeps every event for replay (x-queue-type `stream`, bound to `#`, retention by age and size).
//!
//! Services sharing an exchange share its stream. The first declares it with its retention; later ones find it
//! by a passive declare and use it as it is, so two services with different retention settings do not fight
//! (a re-declare with other arguments is refused by the broker); the retention in force is the stream's own,
//! shown by `rabbitmqctl list_queues name arguments`.

use crate::BusSettings;
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{Channel, Connection, ExchangeKind};

/// Declares the bus's durable topic exchange (idempotent).
pub async fn declare_exchange(channel: &Channel, exchange: &str) -> Result<(), lapin::Error> {
    channel
        .exchange_declare(
            ShortString::from(exchange),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
}

/// The arguments of the event stream: a stream queue with the configured retention.
pub fn stream_arguments(settings: &BusSettings) -> FieldTable {
    let mut arguments = FieldTable::default();
    arguments.insert(
        ShortString::from("x-queue-type"),
        AMQPValue::LongString(LongString::from("stream")),
    );
    arguments.insert(
        ShortString::from("x-max-age"),
        AMQPValue::LongString(LongString::from(settings.stream_max_age.as_str())),
    );
    arguments.insert(
        ShortString::from("x-max-length-bytes"),
        AMQPValue::LongLongInt(settings.stream_max_length_bytes),
    );
    arguments
}

/// Declares the exchange and, when enabled, the event stream bound to every routing key. Uses channels of its
/// own: a passive declare of a missing queue closes the channel it ran on.
pub async fn declare(connection: &Connection, settings: &BusSettings) -> Result<(), lapin::Error> {
    let channel = connection.create_channel().await?;
    declare_exchange(&channel, &settings.exchange).await?;
    if settings.stream_enabled {
        let stream = ShortString::from(settings.stream_name());
        let found = channel
            .queue_declare(
                stream.clone(),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await;
        let channel = match found {
            Ok(_) => channel,
            Err(_) => {
                let fresh = connection.create_channel().await?;
                fresh
                    .queue_declare(
                        stream.clone(),
                        QueueDeclareOptions {
                            durable: true,
                            ..QueueDeclareOptions::default()
                        },
                        stream_arguments(settings),
                    )
                    .await?;
                tracing::info!(stream = %stream, max_age = %settings.stream_max_age, max_length_bytes = settings.stream_max_length_bytes, "declared the event stream");
                fresh
            }
        };
        channel
            .queue_bind(
                stream,
                ShortString::from(settings.exchange.as_str()),
                ShortString::from("#"),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let _ = channel.close(200, "topology declared".into()).await;
    } else {
        let _ = channel.close(200, "topology declared".into()).await;
    }
    Ok(())
}
