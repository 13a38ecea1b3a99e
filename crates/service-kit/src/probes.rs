//! Liveness, readiness, metrics and the service's own contract, all open (no credentials).

use actix_web::{HttpResponse, web};
use bus::RelayStatus;
use diesel_migrations::EmbeddedMigrations;
use persistence::Pool;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What readiness needs to know about the process.
#[derive(Clone)]
pub struct Probes {
    pub pool: Pool,
    pub migrations: &'static EmbeddedMigrations,
    pub relay: Arc<RelayStatus>,
    pub spec: Arc<Spec>,
    /// The service's own conditions (`Foundation::with_readiness`).
    pub checks: Arc<[ReadinessCheck]>,
}

/// What a probe of a service's own condition answers.
pub type ReadinessProbe = Arc<dyn Fn() -> (bool, &'static str) + Send + Sync>;

/// A condition of the service's own that readiness reports under `name` and fails on when the probe says not
/// ready (e.g. `token_keys`: a service whose only token keys come from a JWKS never fetched can verify nothing).
#[derive(Clone)]
pub struct ReadinessCheck {
    pub name: &'static str,
    pub probe: ReadinessProbe,
}

/// The contract as served: the YAML file verbatim, and the same as JSON.
pub struct Spec {
    yaml: &'static str,
    json: String,
}

impl Spec {
    /// Converts once at start-up; a spec that is not valid YAML is a build defect, reported as an error.
    pub fn new(yaml: &'static str) -> Result<Self, serde_norway::Error> {
        let value: serde_json::Value = serde_norway::from_str(yaml)?;
        Ok(Self {
            yaml,
            json: value.to_string(),
        })
    }
}

#[derive(Serialize)]
struct Readiness {
    status: &'static str,
    database: String,
    migrations: String,
    broker: &'static str,
    /// `leading`, `standby`, or `stuck` (leading, with events waiting and none confirmed for a while; the
    /// `outbox_relay_stuck` gauge says the same to alerting). Reported, not failed on: the API still serves.
    relay: &'static str,
    /// The service's own conditions, by name.
    #[serde(flatten)]
    checks: BTreeMap<&'static str, &'static str>,
}

/// The operational paths this module mounts (and `/docs`'s), which need no credential and are never refused
/// for a source's authentication failures.
pub fn is_operational(path: &str) -> bool {
    [
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.yaml",
        "/openapi.json",
    ]
    .contains(&path)
        || path == crate::docs::PATH
        || path.starts_with("/docs/")
}

/// Mounts `/healthz`, `/readyz`, `/metrics`, `/openapi.yaml`, `/openapi.json` and the `/docs` page at the root.
///
/// Each path is a resource with its method on the route (never `cfg.route(path, ..)`, which puts the method
/// guard on the resource itself, so a wrong method finds no resource and answers 404): a wrong method then
/// reaches the resource's default service, a 405 whose `Allow` actix derives from the routes' own method
/// guards.
pub fn configure(cfg: &mut web::ServiceConfig, probes: Probes) {
    cfg.app_data(web::Data::new(probes))
        .service(web::resource("/healthz").route(web::get().to(healthz)))
        .service(web::resource("/readyz").route(web::get().to(readyz)))
        .service(web::resource("/metrics").route(web::get().to(metrics)))
        .service(web::resource("/openapi.yaml").route(web::get().to(openapi_yaml)))
        .service(web::resource("/openapi.json").route(web::get().to(openapi_json)))
        .configure(crate::docs::configure);
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

async fn readyz(probes: web::Data<Probes>) -> HttpResponse {
    let (database, migrations) = match probes.pool.get().await {
        Err(_) => ("unreachable".to_owned(), "unknown".to_owned()),
        Ok(mut conn) => {
            match persistence::db::pending_migrations(&mut conn, probes.migrations).await {
                Ok(pending) if pending.is_empty() => ("ok".to_owned(), "ok".to_owned()),
                Ok(pending) => ("ok".to_owned(), format!("pending: {}", pending.join(", "))),
                Err(_) => ("unreachable".to_owned(), "unknown".to_owned()),
            }
        }
    };
    let mut own_ready = true;
    let checks = probes
        .checks
        .iter()
        .map(|check| {
            let (ready, word) = (check.probe)();
            own_ready &= ready;
            (check.name, word)
        })
        .collect();
    let ready = database == "ok" && migrations == "ok" && own_ready;
    let body = Readiness {
        status: if ready { "ready" } else { "not_ready" },
        database,
        migrations,
        broker: if probes.relay.broker_connected() {
            "connected"
        } else if probes.relay.leader() {
            "disconnected"
        } else {
            "standby"
        },
        relay: if probes.relay.stuck() {
            "stuck"
        } else if probes.relay.leader() {
            "leading"
        } else {
            "standby"
        },
        checks,
    };
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

async fn metrics() -> HttpResponse {
    match crate::metrics::handle() {
        Some(handle) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4")
            .body(handle.render()),
        None => HttpResponse::ServiceUnavailable().body("metrics recorder unavailable"),
    }
}

async fn openapi_yaml(probes: web::Data<Probes>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/yaml")
        .body(probes.spec.yaml)
}

async fn openapi_json(probes: web::Data<Probes>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(probes.spec.json.clone())
}
