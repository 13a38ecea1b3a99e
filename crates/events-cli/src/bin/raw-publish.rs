//! The broker's ceiling for what the outbox relay does, without the relay: one connection, one confirm-mode
//! channel, persistent mandatory messages of about 0.7 KB (a CloudEvent of this suite's shape) published in
//! batches, each batch's confirms awaited before the next (as the relay does). Declares a durable topic exchange
//! and a stream bound to every key (the production topology's shape), deletes both at the end. Prints one line:
//! `raw_publish messages=N batch=B seconds=S msgs_per_s=R`. Used by bench/suite.sh (issue 10, P5).
//!
//!   cargo run --release -p events-cli --bin raw-publish -- [MESSAGES=20000] [BATCH=200] [AMQP_URL]

use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions, ExchangeDeleteOptions,
    QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Connection, ConnectionProperties, ExchangeKind};

const ENVELOPE: &str = r#"{"specversion":"1.0","id":"00000000-0000-0000-0000-000000000000","source":"/identity","type":"identity.group.created.v1","subject":"groups/00000000-0000-0000-0000-000000000000","time":"2026-12-01T00:00:00Z","datacontenttype":"application/json","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","data":{"id":"00000000-0000-0000-0000-000000000000","name":"a group with a plausible name","typeid":1,"localid":"L-000123","description":"a description of a typical length for a directory group, enough to make the event realistic","created":"2026-12-01T00:00:00Z","changed_by":"00000000-0000-0000-0000-000000000000"}}"#;

fn arg<T: std::str::FromStr>(args: &[String], i: usize, default: T) -> T {
    args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let messages: usize = arg(&args, 1, 20_000);
    let batch: usize = arg(&args, 2, 200).max(1);
    let url = args
        .get(3)
        .cloned()
        .or_else(|| std::env::var("AMQP_URL").ok())
        .unwrap_or_else(|| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned());
    let exchange = format!("bench-raw-publish-{}.events", std::process::id());
    let stream = format!("{exchange}.stream");

    let connection = Connection::connect(&url, ConnectionProperties::default()).await?;
    let channel = connection.create_channel().await?;
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    channel
        .exchange_declare(
            exchange.as_str().into(),
            ExchangeKind::Topic,
            durable,
            FieldTable::default(),
        )
        .await?;
    let mut queue_args = FieldTable::default();
    queue_args.insert(
        ShortString::from("x-queue-type"),
        AMQPValue::LongString(LongString::from("stream")),
    );
    channel
        .queue_declare(
            stream.as_str().into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            queue_args,
        )
        .await?;
    channel
        .queue_bind(
            stream.as_str().into(),
            exchange.as_str().into(),
            "#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;

    let payload = ENVELOPE.as_bytes();
    let started = std::time::Instant::now();
    let mut sent = 0;
    while sent < messages {
        let n = batch.min(messages - sent);
        let mut confirms = Vec::with_capacity(n);
        for i in 0..n {
            let properties = BasicProperties::default()
                .with_delivery_mode(2)
                .with_content_type("application/cloudevents+json".into())
                .with_message_id(format!("raw-{}", sent + i).into())
                .with_type("identity.group.created.v1".into());
            confirms.push(
                channel
                    .basic_publish(
                        exchange.as_str().into(),
                        "identity.group.created.v1".into(),
                        BasicPublishOptions {
                            mandatory: true,
                            ..BasicPublishOptions::default()
                        },
                        payload,
                        properties,
                    )
                    .await?,
            );
        }
        for confirm in confirms {
            let confirmation = confirm.await?;
            if !confirmation.is_ack() {
                return Err("broker nacked a message".into());
            }
        }
        sent += n;
    }
    let seconds = started.elapsed().as_secs_f64();

    channel
        .queue_delete(stream.as_str().into(), QueueDeleteOptions::default())
        .await?;
    channel
        .exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default())
        .await?;
    connection.close(200, "done".into()).await?;
    println!(
        "raw_publish messages={messages} batch={batch} seconds={seconds:.3} msgs_per_s={:.0} bytes_per_message={}",
        messages as f64 / seconds,
        payload.len()
    );
    Ok(())
}
