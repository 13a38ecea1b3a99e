//! One middleware for what every request needs observed: a request id (taken from `x-request-id` when sane,
//! else minted, and echoed back), a tracing span carrying it, one access-log line (with the number of database
//! statements the request issued), and Prometheus metrics.

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use std::time::Instant;
use tracing::Instrument;

/// The id of the request being served, for error bodies and audit rows.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub const REQUEST_ID_HEADER: &str = "x-request-id";

fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(REQUEST_ID_HEADER)?.to_str().ok()?;
    let sane = !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    sane.then(|| value.to_owned())
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = incoming_id(&req).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().to_string();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        route = %route,
        otel.name = format!("{method} {route}"),
        otel.kind = "server",
        http.response.status_code = tracing::field::Empty,
    );
    crate::telemetry::continue_trace(&span, req.headers());
    let (result, statements) =
        persistence::statements::counted(next.call(req).instrument(span.clone())).await;
    let elapsed = started.elapsed();
    let status = match &result {
        Ok(response) => response.status().as_u16(),
        Err(err) => err.as_response_error().status_code().as_u16(),
    };
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status.to_string()).increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method.clone(), "route" => route.clone())
        .record(elapsed.as_secs_f64());
    metrics::histogram!("http_request_db_statements", "method" => method, "route" => route)
        .record(f64::from(statements));
    span.record("http.response.status_code", status);
    span.in_scope(|| {
        tracing::info!(
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            db_statements = statements,
            "request served"
        );
    });
    let mut response = result?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    Ok(response)
}
