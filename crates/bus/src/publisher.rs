//! A confirmed publisher on one AMQP channel.

use crate::BusSettings;
use lapin::Confirmation;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::ShortString;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use persistence::outbox::Pending;

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("broker: {0}")]
    Broker(#[from] lapin::Error),
    #[error("broker did not answer within {0:?}")]
    Timeout(std::time::Duration),
    #[error("broker refused event {0}")]
    Nacked(uuid::Uuid),
    /// Published `mandatory` and routed nowhere: no stream and no queue is bound for it. Not delivered.
    #[error("event {0} is routed to no queue (no stream or subscriber queue bound for its type)")]
    Unroutable(uuid::Uuid),
    #[error("event could not be encoded: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Declares the bus's durable topic exchange (idempotent); kept here for existing callers.
pub use crate::topology::declare_exchange;

/// One connection and one confirm-mode channel, publishing to the bus exchange.
pub struct Publisher {
    connection: Connection,
    channel: Channel,
    exchange: ShortString,
    confirm_timeout: std::time::Duration,
}

impl Publisher {
    /// Connects, enables publisher confirms and declares the exchange, all within the connect timeout.
    pub async fn connect(settings: &BusSettings, name: &str) -> Result<Self, PublishError> {
        let timeout = settings.connect_timeout();
        let setup = async {
            let properties = ConnectionProperties::default().with_connection_name(name.into());
            let connection = Connection::connect(&settings.url, properties).await?;
            crate::topology::declare(&connection, settings).await?;
            let channel = connection.create_channel().await?;
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await?;
            Ok::<_, PublishError>((connection, channel))
        };
        let (connection, channel) = tokio::time::timeout(timeout, setup)
            .await
            .map_err(|_| PublishError::Timeout(timeout))??;
        Ok(Self {
            connection,
            channel,
            exchange: ShortString::from(settings.exchange.as_str()),
            confirm_timeout: settings.confirm_timeout(),
        })
    }

    /// Publishes a batch as persistent messages and waits for the broker's confirms.
    ///
    /// Returns the sequence numbers of the confirmed prefix of the batch, plus the error that cut it short if
    /// any: only a prefix is reported so that an event is never marked delivered ahead of an earlier one.
    pub async fn publish(&self, batch: &[Pending]) -> Confirmed {
        self.send_batch(batch).await.confirmed().await
    }

    /// Hands a batch to the broker without waiting for its confirms, so the next batch can be read and sent
    /// while they come (the relay's in-flight window). Stops at the first event that could not be sent.
    pub async fn send_batch(&self, batch: &[Pending]) -> Sent {
        let mut confirms = Vec::with_capacity(batch.len());
        let mut cut_short = None;
        for event in batch {
            // A half-open link can block the write itself, not only the confirm: bound both.
            let sent = tokio::time::timeout(self.confirm_timeout, self.send(event))
                .await
                .unwrap_or(Err(PublishError::Timeout(self.confirm_timeout)));
            match sent {
                Ok(confirm) => confirms.push((event.seq, event.event_id, confirm)),
                Err(err) => {
                    cut_short = Some(err);
                    break;
                }
            }
        }
        Sent {
            confirms,
            cut_short,
            confirm_timeout: self.confirm_timeout,
        }
    }

    async fn send(&self, event: &Pending) -> Result<lapin::PublisherConfirm, PublishError> {
        let payload = serde_json::to_vec(&event.envelope)?;
        let timestamp = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
        let properties = BasicProperties::default()
            .with_delivery_mode(2)
            .with_content_type(ShortString::from(domain::CloudEvent::CONTENT_TYPE))
            .with_message_id(ShortString::from(event.event_id.to_string()))
            .with_type(ShortString::from(event.event_type.as_str()))
            .with_timestamp(timestamp);
        Ok(self
            .channel
            .basic_publish(
                self.exchange.clone(),
                ShortString::from(event.event_type.as_str()),
                // Mandatory: an event routed nowhere comes back instead of vanishing.
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                &payload,
                properties,
            )
            .await?)
    }

    /// Closes the channel and connection politely, giving up after `bound` (a broker that stopped answering
    /// would otherwise hold the caller until the heartbeat gives up, minutes later).
    pub async fn close(self, bound: std::time::Duration) {
        let polite = async {
            let _ = self.channel.close(200, "relay stopping".into()).await;
            let _ = self.connection.close(200, "relay stopping".into()).await;
        };
        if tokio::time::timeout(bound, polite).await.is_err() {
            tracing::warn!(
                bound_ms = u64::try_from(bound.as_millis()).unwrap_or(u64::MAX),
                "broker did not answer the close; connection abandoned"
            );
        }
    }
}

/// What a batch's confirms came to: the sequence numbers of its confirmed prefix, and the error that ended it.
pub type Confirmed = (Vec<i64>, Option<PublishError>);

/// A batch handed to the broker, its confirms still to come.
pub struct Sent {
    confirms: Vec<(i64, uuid::Uuid, lapin::PublisherConfirm)>,
    cut_short: Option<PublishError>,
    confirm_timeout: std::time::Duration,
}

impl Sent {
    /// Whether sending stopped before the batch's end (the channel is broken: send nothing more on it).
    pub fn cut_short(&self) -> bool {
        self.cut_short.is_some()
    }

    /// Waits for the confirms, each within the confirm timeout: the sequence numbers of the confirmed prefix,
    /// and the error that ended it if any (an event is never reported ahead of an earlier one).
    pub async fn confirmed(self) -> Confirmed {
        let mut acked = Vec::with_capacity(self.confirms.len());
        for (seq, id, confirm) in self.confirms {
            match tokio::time::timeout(self.confirm_timeout, confirm).await {
                // Acked with the message handed back: mandatory and unroutable, so nobody has it.
                Ok(Ok(Confirmation::Ack(Some(_)))) => {
                    metrics::counter!("outbox_unroutable_total").increment(1);
                    return (acked, Some(PublishError::Unroutable(id)));
                }
                Ok(Ok(confirmation)) if confirmation.is_ack() => acked.push(seq),
                Ok(Ok(_)) => return (acked, Some(PublishError::Nacked(id))),
                Ok(Err(err)) => return (acked, Some(err.into())),
                Err(_) => return (acked, Some(PublishError::Timeout(self.confirm_timeout))),
            }
        }
        (acked, self.cut_short)
    }
}
