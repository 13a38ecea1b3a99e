//! With traces on, one request is one trace from the caller to the bus: the request span continues the caller's
//! `traceparent`, the database statements and the outbox write are its descendants, and the published event
//! carries the request span's context, so a subscriber's work joins the same trace. Its own test binary: it
//! installs the process's tracing subscriber, with the same layer the service builds for OTLP but an in-memory
//! exporter.

use std::time::Duration;

use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};
use serde_json::json;
use test_support::Spawned;
use tracing_subscriber::layer::SubscriberExt;

const KEY: &str = "tracing-test-key";
const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_runs_from_the_callers_request_to_the_published_event() {
    let exporter = InMemorySpanExporter::default();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new("info"))
        .with(service_kit::telemetry::layer(exporter.clone(), 1.0));
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let app = Spawned::start::<identity::Identity>(|settings| {
        settings.auth.function_keys = vec![KEY.to_owned()];
    })
    .await;
    let mut bus = app.subscribe().await;

    let response = app
        .client
        .post(format!("{}/api/v1/grouptypes", app.address))
        .header("x-functions-key", KEY)
        .header("traceparent", format!("00-{TRACE}-{CALLER_SPAN}-01"))
        .json(&json!({"name": "Traced"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let event = bus.take(1, Duration::from_secs(15)).await.remove(0).event;

    let trace = TraceId::from_hex(TRACE).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let spans = loop {
        service_kit::telemetry::flush();
        let spans: Vec<SpanData> = exporter
            .get_finished_spans()
            .unwrap()
            .into_iter()
            .filter(|span| span.span_context.trace_id() == trace)
            .collect();
        if spans.iter().any(|span| span.name.starts_with("POST "))
            || std::time::Instant::now() > deadline
        {
            break spans;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let names: Vec<&str> = spans.iter().map(|span| span.name.as_ref()).collect();
    let request = spans
        .iter()
        .find(|span| span.name == "POST /api/v1/grouptypes")
        .unwrap_or_else(|| panic!("no request span in the caller's trace: {names:?}"));
    assert_eq!(
        request.parent_span_id,
        SpanId::from_hex(CALLER_SPAN).unwrap()
    );
    assert_eq!(
        attribute(request, "http.response.status_code").as_deref(),
        Some("201")
    );
    let request_id = request.span_context.span_id();

    // The transaction's statements and the outbox write, all under the request span.
    let under_request = |name: &str| {
        spans
            .iter()
            .filter(|span| span.name == name && span.parent_span_id == request_id)
            .count()
    };
    assert_eq!(
        under_request("db.statement"),
        3,
        "BEGIN, the insert and COMMIT (the outbox insert is under outbox.append): {names:?}"
    );
    let outbox = spans
        .iter()
        .find(|span| span.name == "outbox.append")
        .unwrap_or_else(|| panic!("no outbox.append span: {names:?}"));
    assert_eq!(outbox.parent_span_id, request_id);
    assert!(spans.iter().any(|span| {
        span.name == "db.statement"
            && span.parent_span_id == outbox.span_context.span_id()
            && attribute(span, "db.statement")
                .is_some_and(|sql| sql.contains("INSERT INTO \"outbox\""))
    }));
    // No bind value reaches a trace: the statement text stops before diesel's binds.
    assert!(
        spans
            .iter()
            .all(|span| attribute(span, "db.statement").is_none_or(|sql| !sql.contains("Traced"))),
        "a bind value in a span"
    );

    // The event continues the trace from the request span.
    assert_eq!(
        event["traceparent"],
        json!(format!("00-{TRACE}-{request_id}-01")),
        "{event}"
    );
}
