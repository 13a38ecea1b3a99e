//! What every subscriber test needs: its own database, exchange and queue (all removed at the end), a publisher
//! that publishes the way the relay does, a running subscriber, a record of what handlers saw, and a broker
//! link that can be cut.

use domain::CloudEvent;
use futures_util::future::BoxFuture;
use lapin::options::{
    BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions, ExchangeDeleteOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subscriber::{Builder, Error, Event, HandlerResult, PgStore, Status, Store, Subscriber, boxed};
use test_support::TestDatabase;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// One test's resources: a database (created), an exchange and a queue name of its own.
pub struct Bed {
    pub database: TestDatabase,
    pub exchange: String,
    pub queue: String,
}

impl Bed {
    pub async fn new() -> Self {
        let database = TestDatabase::new("subscriber");
        persistence::db::ensure_database(&database.url)
            .await
            .unwrap();
        let suffix = test_support::unique_suffix();
        let exchange = format!("test.subscriber.{suffix}");
        // The exchange and its stream are deleted with the database.
        database.owns_exchange(&exchange);
        Self {
            database,
            queue: format!("{exchange}.queue"),
            exchange,
        }
    }

    /// A builder for this bed's queue and exchange, with pauses short enough for tests.
    pub fn builder<S: Store>(&self, store: S) -> Builder<S> {
        self.builder_at(&test_support::amqp_url(), store)
    }

    pub fn builder_at<S: Store>(&self, url: &str, store: S) -> Builder<S> {
        Subscriber::builder(url, self.queue.as_str(), store)
            .exchange(self.exchange.as_str())
            .retry_backoff(Duration::from_millis(50), Duration::from_millis(200))
            .reconnect_backoff(Duration::from_millis(300))
            .connect_timeout(Duration::from_secs(3))
            .catch_up_idle(Duration::from_millis(500))
    }

    pub async fn pg_store(&self) -> PgStore {
        PgStore::connect(&self.database.url).await.unwrap()
    }

    pub async fn db(&self) -> diesel_async::AsyncPgConnection {
        persistence::db::connect(&self.database.url, Duration::from_secs(5))
            .await
            .unwrap()
    }

    pub async fn publisher(&self) -> Publisher {
        Publisher::connect(&self.exchange).await
    }

    /// Declares the exchange and its event stream as a publishing service does (`bus::topology::declare`).
    pub async fn declare_stream(&self) {
        let connection = broker().await;
        let settings = bus::BusSettings {
            url: test_support::amqp_url(),
            exchange: self.exchange.clone(),
            relay_enabled: true,
            batch_size: 100,
            in_flight_batches: 4,
            poll_interval_ms: 200,
            connect_timeout_ms: 1000,
            confirm_timeout_ms: 2000,
            max_backoff_ms: 500,
            retention_hours: 1,
            stream_enabled: true,
            stream_max_age: "1h".to_owned(),
            stream_max_length_bytes: 10_000_000,
        };
        bus::topology::declare(&connection, &settings)
            .await
            .unwrap();
        let _ = connection.close(200, "declared".into()).await;
    }

    /// Ready messages in `queue`.
    pub async fn depth(&self, queue: &str) -> u32 {
        let connection = broker().await;
        let channel = connection.create_channel().await.unwrap();
        let declared = channel
            .queue_declare(
                queue.into(),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        let _ = connection.close(200, "done".into()).await;
        declared.message_count()
    }

    /// Ready messages in `queue` once anything a closed consumer left unacknowledged is back in it.
    pub async fn settled_depth(&self, queue: &str) -> u32 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.depth(queue).await
    }

    /// The next message of the dead-letter queue, waiting up to `within` for it.
    pub async fn dead_lettered(&self, within: Duration) -> lapin::message::BasicGetMessage {
        let connection = broker().await;
        let channel = connection.create_channel().await.unwrap();
        let dlq = subscriber::topology::dead_letter_queue(&self.queue);
        let deadline = Instant::now() + within;
        loop {
            let got = channel
                .basic_get(dlq.as_str().into(), BasicGetOptions { no_ack: true })
                .await
                .unwrap();
            if let Some(message) = got {
                let _ = connection.close(200, "done".into()).await;
                return message;
            }
            assert!(
                Instant::now() < deadline,
                "nothing dead-lettered within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Bed {
    /// Deletes the queue, its dead-letter queue and the dead-letter exchange (the database, exchange and stream
    /// go with `TestDatabase`). Never panics: a drop during a failing test must not abort the binary.
    fn drop(&mut self) {
        let queue = self.queue.clone();
        let exchange = self.exchange.clone();
        test_support::cleanup(async move {
            let Ok(connection) =
                Connection::connect(&test_support::amqp_url(), ConnectionProperties::default())
                    .await
            else {
                return;
            };
            if let Ok(channel) = connection.create_channel().await {
                for name in [
                    queue.clone(),
                    subscriber::topology::dead_letter_queue(&queue),
                ] {
                    let _ = channel
                        .queue_delete(name.as_str().into(), QueueDeleteOptions::default())
                        .await;
                }
                let dlx = subscriber::topology::dead_letter_exchange(&exchange);
                let _ = channel
                    .exchange_delete(dlx.as_str().into(), ExchangeDeleteOptions::default())
                    .await;
            }
            let _ = connection.close(200, "test done".into()).await;
        });
    }
}

pub async fn broker() -> Connection {
    Connection::connect(&test_support::amqp_url(), ConnectionProperties::default())
        .await
        .unwrap()
}

/// An event as the suite's services make them, with a version when given.
pub fn event(event_type: &str, subject: &str, version: Option<i64>) -> CloudEvent {
    let mut event = CloudEvent::new(
        "/test",
        event_type,
        subject,
        serde_json::json!({ "subject": subject }),
    );
    event.subjectversion = version;
    event
}

/// Publishes to the bus exchange the way the relay does: persistent JSON CloudEvents, routing key = type,
/// message id = event id, with publisher confirms.
pub struct Publisher {
    _connection: Connection,
    channel: Channel,
    exchange: String,
}

impl Publisher {
    pub async fn connect(exchange: &str) -> Self {
        let connection = broker().await;
        let channel = connection.create_channel().await.unwrap();
        bus::topology::declare_exchange(&channel, exchange)
            .await
            .unwrap();
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .unwrap();
        Self {
            _connection: connection,
            channel,
            exchange: exchange.to_owned(),
        }
    }

    pub async fn publish(&self, event: &CloudEvent) {
        let body = serde_json::to_vec(event).unwrap();
        let properties = BasicProperties::default()
            .with_delivery_mode(2)
            .with_content_type(CloudEvent::CONTENT_TYPE.into())
            .with_message_id(event.id.to_string().as_str().into())
            .with_type(event.event_type.as_str().into());
        self.raw(&event.event_type, &body, properties).await;
    }

    pub async fn raw(&self, routing_key: &str, body: &[u8], properties: BasicProperties) {
        let confirmation = self
            .channel
            .basic_publish(
                self.exchange.as_str().into(),
                routing_key.into(),
                BasicPublishOptions::default(),
                body,
                properties,
            )
            .await
            .unwrap()
            .await
            .unwrap();
        assert!(confirmation.is_ack(), "broker refused the test event");
    }
}

/// A subscriber running on its own task.
pub struct Running {
    pub stop: CancellationToken,
    pub status: Arc<Status>,
    task: JoinHandle<Result<(), Error>>,
}

impl Running {
    pub fn start<S: Store>(subscriber: Subscriber<S>) -> Self {
        let stop = CancellationToken::new();
        let status = subscriber.status();
        let task = tokio::spawn(subscriber.run(stop.clone()));
        Self { stop, status, task }
    }

    /// Starts and waits until it consumes the live queue.
    pub async fn live<S: Store>(subscriber: Subscriber<S>) -> Self {
        let running = Self::start(subscriber);
        running.wait_live(Duration::from_secs(10)).await;
        running
    }

    pub async fn wait_live(&self, within: Duration) {
        let deadline = Instant::now() + within;
        while !self.status.live() {
            assert!(
                !self.task.is_finished(),
                "the subscriber stopped before going live"
            );
            assert!(Instant::now() < deadline, "not live within {within:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Asks it to stop and waits for `run` to return.
    pub async fn stop(self) -> Result<(), Error> {
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the subscriber stops within 10 s")
            .unwrap()
    }
}

/// What handlers saw, in order.
#[derive(Clone, Default)]
pub struct Seen(Arc<Mutex<Vec<CloudEvent>>>);

impl Seen {
    pub fn record<T>(&self, event: &Event<T>) {
        self.0.lock().unwrap().push(event.envelope.clone());
    }

    pub fn all(&self) -> Vec<CloudEvent> {
        self.0.lock().unwrap().clone()
    }

    pub fn subjects(&self) -> Vec<String> {
        self.all().into_iter().map(|event| event.subject).collect()
    }

    /// Waits until at least `n` events were seen.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<CloudEvent> {
        let deadline = Instant::now() + within;
        loop {
            let seen = self.all();
            if seen.len() >= n {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} events handled within {within:?}: {:?}",
                seen.len(),
                self.subjects()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A handler (for any store) recording what it sees into `seen`.
pub fn recorder<C: Send + 'static, T: Send + 'static>(
    seen: &Seen,
) -> impl for<'c> Fn(&'c mut C, Event<T>) -> BoxFuture<'c, HandlerResult> + Send + Sync + 'static {
    let seen = seen.clone();
    move |_, event| {
        let seen = seen.clone();
        boxed(async move {
            seen.record(&event);
            Ok(())
        })
    }
}

/// A TCP proxy to the broker whose connections can be cut (both sockets closed at once, as a network failure
/// or a broker restart would); it keeps accepting, so a reconnect goes through.
pub struct CutProxy {
    port: u16,
    cut: tokio::sync::broadcast::Sender<()>,
}

impl CutProxy {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, _) = tokio::sync::broadcast::channel(4);
        let sender = cut.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut cut = sender.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect("127.0.0.1:5672").await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.recv() => {}
                    }
                });
            }
        });
        Self { port, cut }
    }

    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    /// Closes every connection open through the proxy.
    pub fn cut(&self) {
        let _ = self.cut.send(());
    }
}
