//! Structured logs (one JSON object per line, carrying the request span's fields: request id, route) and, when
//! `log.otlp_endpoint` is set, OpenTelemetry traces of the same spans exported over OTLP/HTTP: the request
//! (continuing the caller's W3C `traceparent`), each database statement, each Microsoft call and the outbox
//! write, whose events then carry the request span's trace context as their `traceparent`.

use crate::LogSettings;
use crate::settings::LogFormat;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider, SpanExporter};
use std::sync::OnceLock;
use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Installs the global subscriber once; later calls (tests building several apps) are no-ops. A trace exporter
/// that cannot be built is reported on stderr and the service runs without traces rather than not at all.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let traces = (!settings.otlp_endpoint.is_empty())
        .then(|| otlp_exporter(&settings.otlp_endpoint))
        .and_then(|built| {
            built
                .map_err(|err| eprintln!("OpenTelemetry exporter not built, tracing off: {err}"))
                .ok()
        })
        .map(|exporter| layer(exporter, settings.trace_sample_ratio));
    let registry = tracing_subscriber::registry().with(filter).with(traces);
    let _ = if settings.format == LogFormat::Pretty {
        registry
            .with(tracing_subscriber::fmt::layer().with_target(true))
            .try_init()
    } else {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_target(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .flatten_event(true),
            )
            .try_init()
    };
}

fn otlp_exporter(endpoint: &str) -> Result<opentelemetry_otlp::SpanExporter, String> {
    use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
    let traces = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(traces)
        .with_timeout(std::time::Duration::from_secs(5))
        .with_headers(Default::default())
        .build()
        .map_err(|err| err.to_string())
}

/// The tracing layer that turns spans into OpenTelemetry spans sent to `exporter` in batches (a background
/// thread, so a slow collector never holds a request), sampling `ratio` of new traces and following the
/// caller's decision for continued ones. Also installs the W3C trace-context propagator. Tests pass an
/// in-memory exporter.
pub fn layer<S>(
    exporter: impl SpanExporter + 'static,
    ratio: f64,
) -> impl tracing_subscriber::Layer<S>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            ratio,
        ))))
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name(service_name())
                .build(),
        )
        .build();
    let tracer = provider.tracer("identity-suite");
    let _ = PROVIDER.set(provider);
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    tracing_opentelemetry::layer().with_tracer(tracer)
}

fn service_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "identity-suite".to_owned())
}

/// Sends the spans still buffered (at shutdown, and in tests before reading what was exported).
pub fn flush() {
    if let Some(provider) = PROVIDER.get() {
        let _ = provider.force_flush();
    }
}

/// The current span's W3C `traceparent` when traces are on and the span is recorded; `None` otherwise.
pub fn current_traceparent() -> Option<String> {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let context = tracing::Span::current().context();
    let span = context.span();
    let ids = span.span_context();
    ids.is_valid().then(|| {
        format!(
            "00-{}-{}-{:02x}",
            ids.trace_id(),
            ids.span_id(),
            ids.trace_flags().to_u8()
        )
    })
}

/// Makes `span` continue the trace of the request's `traceparent` (a no-op without traces or header).
pub fn continue_trace(span: &tracing::Span, headers: &actix_web::http::header::HeaderMap) {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    struct Headers<'a>(&'a actix_web::http::header::HeaderMap);
    impl opentelemetry::propagation::Extractor for Headers<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.get(key).and_then(|value| value.to_str().ok())
        }
        fn keys(&self) -> Vec<&str> {
            self.0.keys().map(|name| name.as_str()).collect()
        }
    }
    if PROVIDER.get().is_none() || headers.get(crate::request::TRACEPARENT).is_none() {
        return;
    }
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&Headers(headers))
    });
    let _ = span.set_parent(parent);
}
