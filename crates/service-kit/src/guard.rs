//! What a request is refused for before any handler (or credential check) runs: a request target or header
//! block larger than the settings allow (414 / 431), a source that failed authentication too often (429
//! with `Retry-After`), and a body that does not arrive within `http.client_body_timeout_ms` (408). All in the
//! service's contract format, through its [`FrameworkErrors`] renderer.
//!
//! Failed authentications are counted here, once for every service and every credential kind (function keys,
//! HTTP Basic, bearer tokens): a 401 answered inside the guard is one failure of the request's source. Once a
//! source reaches `http.auth_failure_limit` failures within `http.auth_failure_window_secs`, every request
//! from it is refused for one window, a valid credential included (the block is checked before the credential
//! is, so a brute force costs the service nothing, and a lucky guess during the block tells nothing). A
//! success resets nothing: a credential that works cannot be used to wipe the count of the guesses around it.
//! The operational paths (`/healthz`, `/readyz`, `/metrics`, the spec and `/docs`) are never refused, so a
//! block never fails an orchestrator's probe.
//!
//! A well-kept crate was considered: `governor` (and `actix-governor` over it) limits the rate of every
//! request with GCRA; it has no notion of counting only failures, and its keyed store grows until pruned.
//! Counting 401s and blocking needs a table of a few fields per source, bounded here by [`CAPACITY`].

use crate::problem::FrameworkErrors;
use crate::settings::HttpSettings;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use actix_web::{dev::Payload, error::PayloadError, web::Bytes};
use futures_util::{Stream, StreamExt};
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Sources tracked at most (a few dozen bytes each, so a few MiB at worst): a flood of distinct addresses
/// cannot grow the table past it.
pub const CAPACITY: usize = 65_536;

/// The checks of one service, shared by its workers.
#[derive(Clone)]
pub struct Guard {
    max_uri: usize,
    max_headers: usize,
    body_timeout: Duration,
    failures: Option<Arc<AuthFailures>>,
    trusted_proxies: Arc<[IpAddr]>,
    render: FrameworkErrors,
}

impl Guard {
    pub fn new(http: &HttpSettings, render: FrameworkErrors) -> Self {
        let failures = (http.auth_failure_limit > 0).then(|| {
            Arc::new(AuthFailures::new(
                http.auth_failure_limit,
                Duration::from_secs(http.auth_failure_window_secs),
                CAPACITY,
            ))
        });
        Self {
            max_uri: http.max_uri_bytes,
            max_headers: http.max_header_bytes,
            body_timeout: Duration::from_millis(http.client_body_timeout_ms),
            failures,
            trusted_proxies: http.trusted_proxies.clone().into(),
            render,
        }
    }

    /// The middleware (`from_fn(move |req, next| guard.clone().check(req, next))`).
    pub async fn check<B: MessageBody + 'static>(
        self,
        mut req: ServiceRequest,
        next: Next<B>,
    ) -> Result<ServiceResponse<EitherBody<B>>, Error> {
        let target = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
        if target > self.max_uri {
            return Ok(self.refuse(req, StatusCode::URI_TOO_LONG, None));
        }
        if header_bytes(req.headers()) > self.max_headers {
            return Ok(self.refuse(req, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, None));
        }
        let source = self
            .failures
            .as_ref()
            .filter(|_| !crate::probes::is_operational(req.path()))
            .and_then(|failures| {
                let peer = req.peer_addr().map(|peer| peer.ip());
                let source = client_address(peer, req.headers(), &self.trusted_proxies)?;
                Some((Arc::clone(failures), source))
            });
        if let Some((failures, source)) = &source
            && let Some(wait) = failures.blocked(*source, Instant::now())
        {
            metrics::counter!("http_auth_blocked_total").increment(1);
            return Ok(self.refuse(req, StatusCode::TOO_MANY_REQUESTS, Some(wait)));
        }
        let late = self.bound_body(&mut req);
        let res = next.call(req).await?;
        if late.is_some_and(|late| late.load(Ordering::Relaxed)) {
            let response = (self.render)(StatusCode::REQUEST_TIMEOUT);
            return Ok(res.into_response(response).map_into_right_body());
        }
        if let Some((failures, source)) = source
            && res.status() == StatusCode::UNAUTHORIZED
            && failures.failed(source, Instant::now())
        {
            tracing::warn!(%source, "source blocked after repeated authentication failures");
        }
        Ok(res.map_into_left_body())
    }

    /// Puts the body (when the request has one) behind the deadline; the flag says it passed.
    fn bound_body(&self, req: &mut ServiceRequest) -> Option<Arc<AtomicBool>> {
        let headers = req.headers();
        let has_body = headers.contains_key(actix_web::http::header::TRANSFER_ENCODING)
            || headers
                .get(actix_web::http::header::CONTENT_LENGTH)
                .is_some_and(|v| v.as_bytes() != b"0");
        if !has_body {
            return None;
        }
        let late = Arc::new(AtomicBool::new(false));
        let bounded = Deadline {
            inner: req.take_payload(),
            timer: Box::pin(tokio::time::sleep(self.body_timeout)),
            late: Arc::clone(&late),
        };
        req.set_payload(Payload::Stream {
            payload: Box::pin(bounded),
        });
        Some(late)
    }

    fn refuse<B>(
        &self,
        req: ServiceRequest,
        status: StatusCode,
        retry_after: Option<Duration>,
    ) -> ServiceResponse<EitherBody<B>> {
        let mut response = (self.render)(status);
        if let Some(wait) = retry_after {
            // Whole seconds, rounded up (RFC 9110 §10.2.3), so a client that waits exactly that long is let in.
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        req.into_response(response).map_into_right_body()
    }
}

/// A request body that fails once its deadline passes, so a handler or extractor waiting on a trickle gives up.
struct Deadline {
    inner: Payload,
    timer: Pin<Box<tokio::time::Sleep>>,
    late: Arc<AtomicBool>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Poll::Ready(item) = this.inner.poll_next_unpin(cx) {
            return Poll::Ready(item);
        }
        if this.timer.as_mut().poll(cx).is_ready() {
            this.late.store(true, Ordering::Relaxed);
            let late = std::io::Error::new(std::io::ErrorKind::TimedOut, "request body too slow");
            return Poll::Ready(Some(Err(PayloadError::Io(late))));
        }
        Poll::Pending
    }
}

/// The size of a header block as sent (`name: value\r\n` per line).
fn header_bytes(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum()
}

/// The request's source: the peer address, unless the peer is a trusted proxy; then the nearest address in
/// its forwarding chain (`Forwarded`, else `X-Forwarded-For`, read right to left) that is not itself a trusted
/// proxy. Entries left of it are the client's to write, so they are never believed.
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted_proxies: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let chain = forwarded_chain(headers);
    let mut nearest = peer;
    for hop in chain.iter().rev() {
        let Some(address) = hop else {
            // An entry that is no address (`unknown`, an obfuscated name): nothing beyond it can be placed.
            return Some(nearest);
        };
        nearest = *address;
        if !trusted_proxies.contains(address) {
            break;
        }
    }
    Some(nearest)
}

/// The hops a request went through, client first: `Forwarded`'s `for=` (RFC 7239) where present, else
/// `X-Forwarded-For`. `None` marks an entry that is not an address.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name| {
        headers
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let forwarded = values("forwarded");
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.trim().split_once('='))
                    .find(|(key, _)| key.eq_ignore_ascii_case("for"))
                    .and_then(|(_, node)| parse_node(node.trim_matches('"')))
            })
            .collect();
    }
    values("x-forwarded-for")
        .iter()
        .map(|v| parse_node(v))
        .collect()
}

/// An address as a forwarding header writes it: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711`,
/// `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(address) = node.parse() {
        return Some(address);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    node.rsplit_once(':')?.0.parse().ok()
}

/// Failed authentications per source, and the sources refused until a time.
pub struct AuthFailures {
    limit: u32,
    window: Duration,
    capacity: usize,
    table: Mutex<HashMap<IpAddr, Entry>>,
}

#[derive(Clone, Copy)]
struct Entry {
    /// When the source's current window opened (its first failure in it).
    since: Instant,
    failures: u32,
    blocked_until: Option<Instant>,
}

impl Entry {
    fn blocked(&self, now: Instant) -> bool {
        self.blocked_until.is_some_and(|until| until > now)
    }

    fn live(&self, now: Instant, window: Duration) -> bool {
        self.blocked(now) || now.duration_since(self.since) < window
    }
}

impl AuthFailures {
    pub fn new(limit: u32, window: Duration, capacity: usize) -> Self {
        Self {
            limit,
            window,
            capacity,
            table: Mutex::new(HashMap::new()),
        }
    }

    /// How long `source` is still refused, if it is.
    pub fn blocked(&self, source: IpAddr, now: Instant) -> Option<Duration> {
        let table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let until = table.get(&source)?.blocked_until?;
        (until > now).then(|| until - now)
    }

    /// Counts one failure of `source`; true when this one reached the limit (the source is now refused).
    pub fn failed(&self, source: IpAddr, now: Instant) -> bool {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if !table.contains_key(&source) && table.len() >= self.capacity {
            self.make_room(&mut table, now);
            if table.len() >= self.capacity {
                // Every slot holds a blocked source: those blocks are kept, and this source goes uncounted.
                metrics::counter!("http_auth_failures_untracked_total").increment(1);
                return false;
            }
        }
        let fresh = Entry {
            since: now,
            failures: 0,
            blocked_until: None,
        };
        let entry = table.entry(source).or_insert(fresh);
        if !entry.live(now, self.window) {
            *entry = fresh;
        }
        entry.failures = entry.failures.saturating_add(1);
        if entry.failures >= self.limit && !entry.blocked(now) {
            entry.blocked_until = Some(now + self.window);
            return true;
        }
        false
    }

    /// Drops what no longer matters (windows passed, blocks over); if the table is still mostly full, also the
    /// counts of sources not blocked. One pass per `capacity / 4` new sources at worst, so a flood of distinct
    /// addresses costs amortised constant time per request.
    fn make_room(&self, table: &mut HashMap<IpAddr, Entry>, now: Instant) {
        table.retain(|_, entry| entry.live(now, self.window));
        if table.len() > self.capacity / 4 * 3 {
            table.retain(|_, entry| entry.blocked(now));
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderName;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_source_is_blocked_at_the_limit_for_one_window_and_others_are_not() {
        let window = Duration::from_secs(10);
        let failures = AuthFailures::new(3, window, 100);
        let (start, a, b) = (Instant::now(), ip("192.0.2.1"), ip("192.0.2.2"));
        assert!(!failures.failed(a, start));
        assert!(!failures.failed(a, start));
        assert_eq!(failures.blocked(a, start), None);
        assert!(failures.failed(a, start + Duration::from_secs(1)));
        assert_eq!(
            failures.blocked(a, start + Duration::from_secs(1)),
            Some(window)
        );
        assert_eq!(failures.blocked(b, start), None, "another source");
        let over = start + Duration::from_secs(11);
        assert_eq!(failures.blocked(a, over), None, "the block expires");
        // After the block a fresh window starts: one failure does not block again.
        assert!(!failures.failed(a, over));
    }

    #[test]
    fn failures_spread_over_more_than_a_window_do_not_add_up() {
        let failures = AuthFailures::new(2, Duration::from_secs(5), 100);
        let (start, a) = (Instant::now(), ip("192.0.2.1"));
        assert!(!failures.failed(a, start));
        assert!(!failures.failed(a, start + Duration::from_secs(6)));
        assert!(failures.failed(a, start + Duration::from_secs(7)));
    }

    #[test]
    fn a_flood_of_distinct_sources_stays_within_capacity_and_keeps_the_blocks() {
        let failures = AuthFailures::new(2, Duration::from_secs(60), 64);
        let now = Instant::now();
        let blocked = ip("198.51.100.7");
        failures.failed(blocked, now);
        failures.failed(blocked, now);
        for n in 0..10_000u32 {
            failures.failed(IpAddr::from(n.to_be_bytes()), now);
            assert!(failures.len() <= 64);
        }
        assert!(failures.blocked(blocked, now).is_some());
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn forwarding_headers_count_only_from_a_trusted_proxy() {
        let proxy = ip("10.0.0.1");
        let peer = Some(proxy);
        let xff = headers(&[("x-forwarded-for", "203.0.113.9, 198.51.100.4")]);
        // Not trusted: the header is the client's to write, and ignored.
        assert_eq!(client_address(peer, &xff, &[]), Some(proxy));
        // Trusted: the nearest hop, not the leftmost (which the client can forge).
        assert_eq!(
            client_address(peer, &xff, &[proxy]),
            Some(ip("198.51.100.4"))
        );
        let two_proxies = [proxy, ip("198.51.100.4")];
        assert_eq!(
            client_address(peer, &xff, &two_proxies),
            Some(ip("203.0.113.9"))
        );
        let forwarded = headers(&[
            (
                "forwarded",
                r#"for="[2001:db8::7]:4711";proto=https, for=192.0.2.60"#,
            ),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(
            client_address(peer, &forwarded, &[proxy, ip("192.0.2.60")]),
            Some(ip("2001:db8::7")),
            "Forwarded wins over X-Forwarded-For"
        );
        let unknown = headers(&[("forwarded", "for=unknown, for=192.0.2.60")]);
        assert_eq!(
            client_address(peer, &unknown, &[proxy, ip("192.0.2.60")]),
            Some(ip("192.0.2.60"))
        );
        assert_eq!(
            client_address(peer, &HeaderMap::new(), &[proxy]),
            Some(proxy),
            "a trusted proxy that forwards nothing is the source"
        );
    }

    /// Calls the guarded test app from `from` with `x-key: key`: the status and any `Retry-After`.
    macro_rules! call {
        ($app:expr, $from:expr, $key:expr) => {{
            let req = actix_web::test::TestRequest::get()
                .uri("/thing")
                .peer_addr(format!("{}:4000", $from).parse().unwrap())
                .insert_header(("x-key", $key))
                .to_request();
            let res = actix_web::test::call_service($app, req).await;
            let retry = res
                .headers()
                .get(RETRY_AFTER)
                .map(|v| v.to_str().unwrap().to_owned());
            (res.status(), retry)
        }};
    }

    #[actix_web::test]
    async fn a_blocked_source_is_refused_before_its_credential_is_checked() {
        use actix_web::{App, HttpRequest, HttpResponse, web};
        use std::sync::atomic::{AtomicUsize, Ordering};
        let settings = crate::settings::HttpSettings {
            bind: String::new(),
            workers: 1,
            shutdown_timeout_secs: 1,
            max_body_bytes: 1,
            max_uri_bytes: 64,
            max_header_bytes: 4096,
            client_request_timeout_ms: 1,
            client_body_timeout_ms: 1000,
            max_connections: 1,
            auth_failure_limit: 2,
            auth_failure_window_secs: 1,
            trusted_proxies: Vec::new(),
        };
        let guard = Guard::new(&settings, crate::problem::framework_problem);
        let checks = web::Data::new(AtomicUsize::new(0));
        let handler = |req: HttpRequest, checks: web::Data<AtomicUsize>| async move {
            checks.fetch_add(1, Ordering::SeqCst);
            if req.headers().get("x-key").is_some_and(|k| k == "good") {
                HttpResponse::Ok().finish()
            } else {
                HttpResponse::Unauthorized().finish()
            }
        };
        let app = actix_web::test::init_service(
            App::new()
                .wrap(actix_web::middleware::from_fn(move |req, next| {
                    guard.clone().check(req, next)
                }))
                .app_data(checks.clone())
                .service(web::resource("/thing").route(web::get().to(handler))),
        )
        .await;
        let (attacker, other) = ("192.0.2.1", "192.0.2.2");
        assert_eq!(call!(&app, attacker, "bad").0, 401);
        assert_eq!(
            call!(&app, attacker, "good").0,
            200,
            "a success resets nothing"
        );
        assert_eq!(call!(&app, attacker, "bad").0, 401);
        let checked = checks.load(Ordering::SeqCst);
        let (status, retry) = call!(&app, attacker, "bad");
        assert_eq!(
            (status, retry.as_deref()),
            (StatusCode::TOO_MANY_REQUESTS, Some("1"))
        );
        let (status, _) = call!(&app, attacker, "good");
        assert_eq!(
            status, 429,
            "a valid credential from a blocked source is refused too"
        );
        assert_eq!(
            checks.load(Ordering::SeqCst),
            checked,
            "no credential checked while blocked"
        );
        assert_eq!(
            call!(&app, other, "good").0,
            200,
            "another source is unaffected"
        );
        assert_eq!(call!(&app, other, "bad").0, 401);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(call!(&app, attacker, "good").0, 200, "the block expires");

        let long = format!("/thing?q={}", "x".repeat(64));
        let req = actix_web::test::TestRequest::get().uri(&long).to_request();
        assert_eq!(actix_web::test::call_service(&app, req).await.status(), 414);
        let req = actix_web::test::TestRequest::get()
            .uri("/thing")
            .insert_header(("x-filler", "y".repeat(4096)))
            .to_request();
        assert_eq!(actix_web::test::call_service(&app, req).await.status(), 431);
    }
}
