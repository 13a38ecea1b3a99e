//! Seeing what a service publishes, and taking the broker away from it.

use futures_util::StreamExt;
use lapin::options::{BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// An exclusive queue bound to every event (`#`) of one exchange, declared before the events are published.
pub struct Subscriber {
    _connection: lapin::Connection,
    consumer: lapin::Consumer,
    /// Whether each event taken is checked against the catalogue (a service's events are; the bus crate's
    /// made-up test events are not).
    catalogued: bool,
}

/// One delivery: the CloudEvent and the AMQP properties that matter.
pub struct Received {
    pub event: Value,
    pub message_id: Option<String>,
    pub routing_key: String,
    pub persistent: bool,
    pub content_type: Option<String>,
}

impl Subscriber {
    /// A subscriber whose [`Subscriber::take`] also checks each event against the schema of the catalogue
    /// channel it was routed on ([`crate::catalogue::validate_on`]), so every event test checks the catalogue.
    pub async fn bind_catalogued(exchange: &str) -> Self {
        Self {
            catalogued: true,
            ..Self::bind(exchange).await
        }
    }

    /// A subscriber taking any event, catalogued or not.
    pub async fn bind(exchange: &str) -> Self {
        let connection =
            lapin::Connection::connect(&crate::amqp_url(), lapin::ConnectionProperties::default())
                .await
                .expect("broker");
        let channel = connection.create_channel().await.expect("channel");
        bus::publisher::declare_exchange(&channel, exchange)
            .await
            .expect("exchange");
        let queue = channel
            .queue_declare(
                "".into(),
                QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("queue");
        channel
            .queue_bind(
                queue.name().clone(),
                exchange.into(),
                "#".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("bind");
        let consumer = channel
            .basic_consume(
                queue.name().clone(),
                "test".into(),
                BasicConsumeOptions {
                    no_ack: true,
                    ..BasicConsumeOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("consume");
        Self {
            _connection: connection,
            consumer,
            catalogued: false,
        }
    }

    /// The next `n` events, failing the test if they do not arrive within `within`.
    pub async fn take(&mut self, n: usize, within: Duration) -> Vec<Received> {
        let mut received = Vec::with_capacity(n);
        let deadline = tokio::time::Instant::now() + within;
        while received.len() < n {
            let delivery = match tokio::time::timeout_at(deadline, self.consumer.next()).await {
                Ok(Some(Ok(delivery))) => delivery,
                Ok(other) => panic!("consumer ended: {:?}", other.map(|r| r.err())),
                Err(_) => panic!(
                    "only {} of {n} events arrived within {within:?}",
                    received.len()
                ),
            };
            let event: Value = serde_json::from_slice(&delivery.data).expect("event json");
            if self.catalogued
                && let Err(error) =
                    crate::catalogue::validate_on(delivery.routing_key.as_str(), &event)
            {
                panic!("{error}\nevent: {event:#}");
            }
            received.push(Received {
                event,
                message_id: delivery
                    .properties
                    .message_id()
                    .as_ref()
                    .map(|s| s.to_string()),
                routing_key: delivery.routing_key.to_string(),
                persistent: *delivery.properties.delivery_mode() == Some(2),
                content_type: delivery
                    .properties
                    .content_type()
                    .as_ref()
                    .map(|s| s.to_string()),
            });
        }
        received
    }

    /// Asserts nothing more arrives within `quiet`.
    pub async fn assert_quiet(&mut self, quiet: Duration) {
        if let Ok(Some(Ok(delivery))) = tokio::time::timeout(quiet, self.consumer.next()).await {
            panic!(
                "unexpected event: {}",
                String::from_utf8_lossy(&delivery.data)
            );
        }
    }
}

/// A TCP stand-in for the broker: while down it accepts connections and never answers (a black hole, the worst
/// case, not a quick refusal); once up it forwards to the real RabbitMQ.
pub struct BrokerProxy {
    pub port: u16,
    up: Arc<AtomicBool>,
}

impl BrokerProxy {
    /// Starts down.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let up = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&up);
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                if flag.load(Ordering::SeqCst) {
                    held.clear();
                    tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(upstream()).await {
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                } else {
                    held.push(inbound);
                }
            }
        });
        Self { port, up }
    }

    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    pub fn bring_up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// A TCP proxy to the broker that can go half-open: after [`HalfOpenProxy::stall`], connections opened before it
/// still carry what the client sends but never pass back what the broker answers (the TCP link stays up), the
/// case a heartbeat-less client waits out the longest; connections opened after it work normally.
pub struct HalfOpenProxy {
    pub port: u16,
    epoch: Arc<std::sync::atomic::AtomicU64>,
}

impl HalfOpenProxy {
    pub async fn start() -> Self {
        use std::sync::atomic::AtomicU64;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let epoch = Arc::new(AtomicU64::new(0));
        let current = Arc::clone(&epoch);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let born = current.load(Ordering::SeqCst);
                let current = Arc::clone(&current);
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream()).await else {
                        return;
                    };
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
                    });
                    let mut buffer = vec![0u8; 16 * 1024];
                    while let Ok(n) = server_read.read(&mut buffer).await {
                        if n == 0 {
                            break;
                        }
                        if current.load(Ordering::SeqCst) != born {
                            continue; // half-open: swallowed, the client hears nothing more
                        }
                        if client_write.write_all(&buffer[..n]).await.is_err() {
                            break;
                        }
                    }
                    // Keep the client's side open for as long as a test runs.
                    tokio::time::sleep(Duration::from_secs(120)).await;
                    drop(client_write);
                });
            }
        });
        Self { port, epoch }
    }

    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    /// From now on, the connections already open hear nothing back from the broker.
    pub fn stall(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }
}

/// Every event in the exchange's stream (`bus::settings::stream_name`) from `offset` (`x-stream-offset`:
/// `first`, a number, ...), read with manual acks and a bounded prefetch, up to `max` events or until the
/// stream is quiet for `idle`.
pub async fn read_stream(
    exchange: &str,
    offset: lapin::types::AMQPValue,
    max: usize,
    idle: Duration,
) -> Vec<Value> {
    use lapin::options::{BasicAckOptions, BasicQosOptions};
    let connection =
        lapin::Connection::connect(&crate::amqp_url(), lapin::ConnectionProperties::default())
            .await
            .expect("broker");
    let channel = connection.create_channel().await.expect("channel");
    channel
        .basic_qos(500, BasicQosOptions::default())
        .await
        .expect("qos");
    let mut arguments = FieldTable::default();
    arguments.insert("x-stream-offset".into(), offset);
    let mut consumer = channel
        .basic_consume(
            bus::settings::stream_name(exchange).as_str().into(),
            "stream-reader".into(),
            BasicConsumeOptions::default(),
            arguments,
        )
        .await
        .expect("consume the stream");
    let mut events = Vec::new();
    while events.len() < max {
        let Ok(Some(Ok(delivery))) = tokio::time::timeout(idle, consumer.next()).await else {
            break;
        };
        events.push(serde_json::from_slice(&delivery.data).expect("event json"));
        delivery.ack(BasicAckOptions::default()).await.expect("ack");
    }
    let _ = connection.close(200, "done".into()).await;
    events
}

fn upstream() -> String {
    std::env::var("TEST_AMQP_ADDR").unwrap_or_else(|_| "127.0.0.1:5672".to_owned())
}
