//! `events`: look at the suite's event bus on RabbitMQ — live events (`tail`), the retained stream (`replay`),
//! and rates per type (`stats`). Exit codes: 0 done, 2 usage, 1 broker (or output) failure, in one line.

use clap::{Args, Parser, Subcommand};
use events_cli::filter::parse_pattern;
use events_cli::message::stream_offset;
use events_cli::render::{self, redact_url};
use events_cli::{DEFAULT_AMQP_URL, DEFAULT_EXCHANGE, Filter, Message, Period, Stats, StreamStart};
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicQosOptions, ExchangeDeclareOptions,
    QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{FieldTable, ShortString};
use lapin::{Channel, Connection, ConnectionProperties, Consumer, ExchangeKind};
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;
use tokio::time::Instant;

/// How long to wait for the broker's TCP + AMQP handshake.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Unacknowledged deliveries in flight (streams require a prefetch; it bounds memory for live queues too).
const PREFETCH: u16 = 500;
/// How long a polite close may take before the connection is abandoned.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Parser)]
#[command(
    name = "events",
    version,
    about = "Look at the identity suite's event bus on RabbitMQ: live events, the retained stream, rates per type.",
    after_help = "Type patterns are AMQP topic patterns over the event type (the routing key): `*` is one word, \
                  `#` zero or more, e.g. `identity.user.*.v1`, `#.revoked.v1`, `identity.#`.\n\
                  Exit codes: 0 done, 2 usage error, 1 broker error."
)]
struct Cli {
    #[command(flatten)]
    bus: BusArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct BusArgs {
    /// The broker, amqp://user:pass@host:port/vhost.
    #[arg(
        long,
        global = true,
        help_heading = "Bus",
        env = "AMQP_URL",
        hide_env_values = true,
        default_value = DEFAULT_AMQP_URL,
        value_name = "URL"
    )]
    amqp_url: String,
    /// The bus exchange; its stream is <exchange>.stream.
    #[arg(
        long,
        global = true,
        help_heading = "Bus",
        default_value = DEFAULT_EXCHANGE,
        value_name = "NAME"
    )]
    exchange: String,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print live events as they are published, until Ctrl-C or --limit.
    Tail(TailArgs),
    /// Print events kept in the stream from a point on; stop when caught up unless --follow.
    Replay(ReplayArgs),
    /// Count events per type, with first/last time and events per second: over a window of live traffic
    /// (default 10 s) or over the stream from a point.
    Stats(StatsArgs),
}

#[derive(Debug, Args)]
struct FilterArgs {
    /// Only events whose type matches this topic pattern; repeatable (any may match). Default: every type.
    #[arg(long = "type", value_name = "PATTERN", value_parser = parse_pattern)]
    types: Vec<String>,
    /// Only events about this subject (the aggregate id).
    #[arg(long, value_name = "S")]
    subject: Option<String>,
}

impl FilterArgs {
    fn filter(&self) -> Filter {
        Filter {
            types: self.types.clone(),
            subject: self.subject.clone(),
        }
    }
}

#[derive(Debug, Args)]
struct OutputArgs {
    /// Print each event's JSON exactly as received, one per line (for jq).
    #[arg(long)]
    raw: bool,
    /// Stop after printing N events.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    limit: Option<u64>,
}

#[derive(Debug, Args)]
struct TailArgs {
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, Args)]
struct ReplayArgs {
    /// Where to start: first, last, next, a stream offset, or an RFC 3339 time (2025-06-01T10:00:00Z).
    #[arg(long, value_name = "first|last|OFFSET|TIME")]
    from: StreamStart,
    /// Stop after the event at this stream offset.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(0..))]
    to_offset: Option<i64>,
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    output: OutputArgs,
    /// Keep printing new events once caught up, until Ctrl-C (or --limit / --to-offset).
    #[arg(long)]
    follow: bool,
    /// Caught up = no event for this long.
    #[arg(long, value_name = "MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    idle_ms: u64,
}

#[derive(Debug, Args)]
struct StatsArgs {
    /// Read the stream from this point (first, last, an offset or an RFC 3339 time) until caught up.
    #[arg(long, value_name = "first|TIME", conflicts_with = "window")]
    from: Option<StreamStart>,
    /// Watch live traffic for this many seconds (the default, for 10 s).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    window: Option<u64>,
    #[command(flatten)]
    filter: FilterArgs,
    /// With --from: caught up = no event for this long.
    #[arg(long, value_name = "MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    idle_ms: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    // clap exits 2 on a usage error and 0 for --help / --version.
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Tail(args) => tail(&cli.bus, args).await,
        Command::Replay(args) => replay(&cli.bus, args).await,
        Command::Stats(args) => stats(&cli.bus, args).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::OutputClosed) => ExitCode::SUCCESS,
        Err(Failure::Fatal(message)) => {
            eprintln!("events: {message}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Debug)]
enum Failure {
    /// One line for the operator.
    Fatal(String),
    /// Whoever read stdout went away (`events replay --raw | head`): stop quietly.
    OutputClosed,
}

fn broker(context: &str, err: &lapin::Error) -> Failure {
    Failure::Fatal(format!("{context}: {err}"))
}

/// An open connection and the channel the command consumes on.
struct Link {
    connection: Connection,
    channel: Channel,
}

impl Link {
    async fn open(bus: &BusArgs) -> Result<Self, Failure> {
        let url = redact_url(&bus.amqp_url);
        let properties = ConnectionProperties::default().with_connection_name("events-cli".into());
        let connection = match tokio::time::timeout(
            CONNECT_TIMEOUT,
            Connection::connect(&bus.amqp_url, properties),
        )
        .await
        {
            Ok(Ok(connection)) => connection,
            Ok(Err(err)) => return Err(broker(&format!("cannot connect to {url}"), &err)),
            Err(_) => {
                return Err(Failure::Fatal(format!(
                    "{url} did not answer within {} s",
                    CONNECT_TIMEOUT.as_secs()
                )));
            }
        };
        let channel = connection
            .create_channel()
            .await
            .map_err(|err| broker("cannot open a channel", &err))?;
        channel
            .basic_qos(PREFETCH, BasicQosOptions::default())
            .await
            .map_err(|err| broker("cannot set the prefetch", &err))?;
        Ok(Self {
            connection,
            channel,
        })
    }

    /// A live queue of our own (server-named, exclusive, gone when we are) bound with each key.
    async fn live(&self, exchange: &str, keys: &[String]) -> Result<Consumer, Failure> {
        self.channel
            .exchange_declare(
                ShortString::from(exchange),
                ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    passive: true,
                    ..ExchangeDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(|err| {
                broker(
                    &format!("exchange {exchange} not found (no service has started with it; check --exchange)"),
                    &err,
                )
            })?;
        let queue = self
            .channel
            .queue_declare(
                ShortString::from(""),
                QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(|err| broker("cannot declare a queue", &err))?;
        for key in keys {
            self.channel
                .queue_bind(
                    queue.name().clone(),
                    ShortString::from(exchange),
                    ShortString::from(key.as_str()),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map_err(|err| broker(&format!("cannot bind {key}"), &err))?;
        }
        self.channel
            .basic_consume(
                queue.name().clone(),
                ShortString::from("events-cli"),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|err| broker("cannot consume", &err))
    }

    /// A consumer on the exchange's stream from `start`.
    async fn stream(&self, exchange: &str, start: &StreamStart) -> Result<Consumer, Failure> {
        let stream = bus::settings::stream_name(exchange);
        self.channel
            .queue_declare(
                ShortString::from(stream.as_str()),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(|err| {
                broker(
                    &format!("stream {stream} not found (no service has declared it yet; check --exchange)"),
                    &err,
                )
            })?;
        let mut arguments = FieldTable::default();
        arguments.insert(ShortString::from("x-stream-offset"), start.to_amqp());
        self.channel
            .basic_consume(
                ShortString::from(stream.as_str()),
                ShortString::from("events-cli"),
                BasicConsumeOptions::default(),
                arguments,
            )
            .await
            .map_err(|err| broker(&format!("cannot read {stream}"), &err))
    }

    async fn close(self) {
        let polite = async {
            let _ = self.channel.close(200, "done".into()).await;
            let _ = self.connection.close(200, "done".into()).await;
        };
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, polite).await;
    }
}

/// What waiting for the next delivery gave.
enum Next {
    Message(Message),
    /// The deadline passed first (caught up, or the window is over).
    Quiet,
    /// Ctrl-C or SIGTERM.
    Stopped,
}

/// The next delivery, acknowledged, or whatever came first of the deadline and a stop signal.
async fn next(
    consumer: &mut Consumer,
    deadline: Option<Instant>,
    stop: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
) -> Result<Next, Failure> {
    let wait = async {
        match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, consumer.next())
                .await
                .ok(),
            None => Some(consumer.next().await),
        }
    };
    let delivery = tokio::select! {
        biased;
        () = stop.as_mut() => return Ok(Next::Stopped),
        got = wait => match got {
            None => return Ok(Next::Quiet),
            Some(Some(Ok(delivery))) => delivery,
            Some(Some(Err(err))) => return Err(broker("lost the broker", &err)),
            Some(None) => {
                return Err(Failure::Fatal(
                    "the broker ended the consumer (queue or stream deleted?)".to_owned(),
                ));
            }
        },
    };
    delivery
        .acker
        .ack(BasicAckOptions::default())
        .await
        .map_err(|err| broker("cannot acknowledge", &err))?;
    Ok(Next::Message(Message {
        offset: stream_offset(delivery.properties.headers().as_ref()),
        published: *delivery.properties.timestamp(),
        routing_key: delivery.routing_key.to_string(),
        body: delivery.data,
    }))
}

/// Resolves on Ctrl-C, or SIGTERM where there is one.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Prints one event, pretty or raw.
fn print(message: &Message, raw: bool) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    let written = if raw {
        out.write_all(&render::raw(&message.body))
            .and_then(|()| out.write_all(b"\n"))
    } else {
        writeln!(out, "{}", render::pretty(message, message.event().as_ref()))
    };
    written.and_then(|()| out.flush()).map_err(|err| {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::OutputClosed
        } else {
            Failure::Fatal(format!("cannot write to stdout: {err}"))
        }
    })
}

fn subject_of(message: &Message) -> Option<String> {
    message.event().map(|event| event.subject)
}

async fn tail(bus: &BusArgs, args: &TailArgs) -> Result<(), Failure> {
    let filter = args.filter.filter();
    let keys = filter.binding_keys();
    let link = Link::open(bus).await?;
    let mut consumer = link.live(&bus.exchange, &keys).await?;
    eprintln!(
        "events: tailing {} ({}); Ctrl-C to stop",
        bus.exchange,
        keys.join(", ")
    );
    let stop = stop_signal();
    tokio::pin!(stop);
    let mut printed = 0u64;
    let outcome = loop {
        match next(&mut consumer, None, &mut stop).await {
            Ok(Next::Message(message)) => {
                // The bindings chose the types; the subject is ours to check.
                if filter.accepts(&message.routing_key, subject_of(&message).as_deref()) {
                    if let Err(failure) = print(&message, args.output.raw) {
                        break Err(failure);
                    }
                    printed += 1;
                    if args.output.limit.is_some_and(|limit| printed >= limit) {
                        break Ok(());
                    }
                }
            }
            Ok(Next::Quiet | Next::Stopped) => break Ok(()),
            Err(failure) => break Err(failure),
        }
    };
    link.close().await;
    outcome
}

async fn replay(bus: &BusArgs, args: &ReplayArgs) -> Result<(), Failure> {
    let filter = args.filter.filter();
    let idle = Duration::from_millis(args.idle_ms);
    let link = Link::open(bus).await?;
    let mut consumer = link.stream(&bus.exchange, &args.from).await?;
    let stop = stop_signal();
    tokio::pin!(stop);
    let (mut read, mut printed, mut last_offset) = (0u64, 0u64, None);
    let mut caught_up = false;
    let outcome = loop {
        let deadline = (!args.follow).then(|| Instant::now() + idle);
        let message = match next(&mut consumer, deadline, &mut stop).await {
            Ok(Next::Message(message)) => message,
            Ok(Next::Quiet) => {
                caught_up = true;
                break Ok(());
            }
            Ok(Next::Stopped) => break Ok(()),
            Err(failure) => break Err(failure),
        };
        if let (Some(to), Some(offset)) = (args.to_offset, message.offset)
            && offset > to
        {
            break Ok(());
        }
        let event = message.event();
        if args
            .from
            .is_before(message.published, message.time(event.as_ref()))
        {
            continue;
        }
        read += 1;
        last_offset = message.offset.or(last_offset);
        let subject = event.map(|event| event.subject);
        if filter.accepts(&message.routing_key, subject.as_deref()) {
            if let Err(failure) = print(&message, args.output.raw) {
                break Err(failure);
            }
            printed += 1;
            if args.output.limit.is_some_and(|limit| printed >= limit) {
                break Ok(());
            }
        }
        if let (Some(to), Some(offset)) = (args.to_offset, message.offset)
            && offset >= to
        {
            break Ok(());
        }
    };
    link.close().await;
    if outcome.is_ok() {
        let state = if caught_up { "caught up" } else { "stopped" };
        let position = match last_offset {
            Some(offset) => format!(
                "{state} at offset {offset} (continue with --from {})",
                offset.saturating_add(1)
            ),
            None => format!("{state} with nothing read"),
        };
        eprintln!("events: printed {printed} of {read} events read; {position}");
    }
    outcome
}

async fn stats(bus: &BusArgs, args: &StatsArgs) -> Result<(), Failure> {
    let filter = args.filter.filter();
    let link = Link::open(bus).await?;
    let stop = stop_signal();
    tokio::pin!(stop);
    let mut stats = Stats::default();
    let (outcome, period) = match &args.from {
        Some(start) => {
            let mut consumer = link.stream(&bus.exchange, start).await?;
            eprintln!(
                "events: counting {} from {start} until caught up",
                bus::settings::stream_name(&bus.exchange)
            );
            let idle = Duration::from_millis(args.idle_ms);
            let outcome = loop {
                match next(&mut consumer, Some(Instant::now() + idle), &mut stop).await {
                    Ok(Next::Message(message)) => {
                        let event = message.event();
                        let time = message.time(event.as_ref());
                        if start.is_before(message.published, time) {
                            continue;
                        }
                        let subject = event.map(|event| event.subject);
                        if filter.accepts(&message.routing_key, subject.as_deref()) {
                            stats.record(
                                &message.routing_key,
                                time.unwrap_or_else(chrono::Utc::now),
                            );
                        }
                    }
                    Ok(Next::Quiet | Next::Stopped) => break Ok(()),
                    Err(failure) => break Err(failure),
                }
            };
            (outcome, Period::Observed)
        }
        None => {
            let window = Duration::from_secs(args.window.unwrap_or(10));
            let keys = filter.binding_keys();
            let mut consumer = link.live(&bus.exchange, &keys).await?;
            eprintln!(
                "events: counting live traffic on {} ({}) for {} s; Ctrl-C to stop early",
                bus.exchange,
                keys.join(", "),
                window.as_secs()
            );
            let started = Instant::now();
            let deadline = started + window;
            let outcome = loop {
                match next(&mut consumer, Some(deadline), &mut stop).await {
                    Ok(Next::Message(message)) => {
                        let event = message.event();
                        let subject = event.as_ref().map(|event| event.subject.clone());
                        if filter.accepts(&message.routing_key, subject.as_deref()) {
                            let time = message.time(event.as_ref());
                            stats.record(
                                &message.routing_key,
                                time.unwrap_or_else(chrono::Utc::now),
                            );
                        }
                    }
                    Ok(Next::Quiet | Next::Stopped) => break Ok(()),
                    Err(failure) => break Err(failure),
                }
            };
            // Stopped early: the rates are over the time actually watched.
            (outcome, Period::Window(started.elapsed().min(window)))
        }
    };
    link.close().await;
    outcome?;
    let mut out = std::io::stdout().lock();
    out.write_all(stats.table(period).as_bytes())
        .and_then(|()| out.flush())
        .map_err(|err| {
            if err.kind() == std::io::ErrorKind::BrokenPipe {
                Failure::OutputClosed
            } else {
                Failure::Fatal(format!("cannot write to stdout: {err}"))
            }
        })
}
