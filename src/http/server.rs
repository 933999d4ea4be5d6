//! The HTTP server: an accept loop that keeps the process answering whatever
//! its clients do.
//!
//! Terms:
//! - a connection is **waiting** when no request is being handled or answered
//!   on it (freshly accepted, or between two keep-alive requests); it may stay
//!   silent for `idle_timeout`, and once the first byte of a request arrived,
//!   the request's headers must be complete within `header_read_timeout`;
//! - it is **handling** while a handler runs: no connection timeout applies
//!   (the handler's own limits do), but the request body must arrive within
//!   `body_read_timeout` in total, so that a trickled body is cut too;
//! - it is **sending** once the handler answered: a client that stops reading
//!   the response for `idle_timeout` is dropped.
//!
//! At most `max_connections` connections are served at once, and, when
//! `max_connections_per_address` is set, at most that many from one client
//! address: a further one from that address is closed as soon as accepted. At the cap the
//! loop stops accepting: new connections wait in the kernel's accept queue
//! (they cost the process no file descriptor there) and are served as soon
//! as a slot frees, which the timeouts above guarantee; when the queue itself
//! is full the kernel refuses them. While at the cap, connections that have
//! been waiting for a second or more without a request begun (silent ones,
//! idle keep-alives) are closed, every second, to make room: otherwise a
//! client holding `max_connections` idle keep-alive connections, each pinged
//! once per `idle_timeout`, would keep every other client out for good. Closing them at once instead would turn
//! a burst of legitimate clients into errors. Accept errors are survived:
//! per-connection ones (a peer that reset before being accepted) are skipped,
//! resource exhaustion (EMFILE, ENFILE, ENOBUFS, ENOMEM) backs off
//! exponentially up to a second instead of spinning, and the pending
//! connections are accepted once descriptors are freed.
//!
//! Request bodies are taken in under two more rules (see [`intake`]): all
//! of them together stay within one memory budget (`body_budget_bytes`,
//! `503 server_busy` beyond it), and each keeps a minimum rate once read
//! (`body_min_rate_bytes_per_sec` over `body_rate_window_secs`, 408 below it).
//!
//! On shutdown the loop stops accepting, idle connections are closed,
//! in-flight requests are finished, and `serve` returns when every
//! connection is gone.

mod intake;
mod watchdog;

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;
use tower_http::timeout::DeadlineBody;

pub use self::intake::BodyRefused;
use self::intake::{Budget, IntakeBody, MinRate, RefusedBody};
use self::watchdog::{Answered, GuardedBody, Phase, Watch, Watched};

use crate::config::HttpSettings;

/// First pause after a resource-exhaustion accept error; doubled on each
/// consecutive failure up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(5);
/// Longest pause between two accept attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// At the connection cap, how often waiting connections are asked to make
/// room, and how long a connection may wait before it is closed for that.
const CROWDED_GRACE: Duration = Duration::from_secs(1);

/// Largest accepted `max_connections` (far above any open-file limit).
pub const MAX_CONNECTIONS: usize = 1 << 20;
/// Longest accepted timeout, in seconds (a day): a timeout exists to end.
pub const MAX_TIMEOUT_SECS: u64 = 86_400;

/// The connection limits, as durations.
#[derive(Debug, Clone, Copy)]
struct Limits {
    header_read: Duration,
    body_read: Duration,
    idle: Duration,
}

/// How request bodies are taken in (see [`intake`]): the shared budget and
/// the minimum rate.
#[derive(Debug, Clone)]
struct BodyRules {
    budget: Budget,
    min_rate: Option<MinRate>,
}

impl BodyRules {
    fn new(s: &HttpSettings) -> io::Result<Self> {
        let invalid = |why: String| io::Error::new(io::ErrorKind::InvalidInput, why);
        let budget = s.body_budget_bytes;
        if !(Budget::MIN_BYTES..=Budget::MAX_BYTES).contains(&budget) {
            return Err(invalid(format!(
                "http.body_budget_bytes must be between {} and {}, not {budget}",
                Budget::MIN_BYTES,
                Budget::MAX_BYTES
            )));
        }
        let window = s.body_rate_window_secs;
        if !(1..=MAX_TIMEOUT_SECS).contains(&window) {
            return Err(invalid(format!(
                "http.body_rate_window_secs must be between 1 and {MAX_TIMEOUT_SECS} seconds, not {window}"
            )));
        }
        let min_rate = (s.body_min_rate_bytes_per_sec > 0).then_some(MinRate {
            bytes_per_sec: s.body_min_rate_bytes_per_sec,
            window: Duration::from_secs(window),
        });
        Ok(Self { budget: Budget::new(budget), min_rate })
    }

    /// The request with its body taken in under these rules, and the
    /// reservation to hold until it is answered; `Busy` when the budget
    /// cannot hold the length it announces.
    fn take_in(
        &self,
        req: Request<Incoming>,
        body_read: Duration,
    ) -> Result<(Request<Body>, Arc<intake::Reservation>), BodyRefused> {
        let declared = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let reservation = match self.budget.reserve(declared) {
            Ok(reservation) => reservation,
            Err(refused) => {
                tracing::warn!(declared, "request body refused: the body budget is full");
                if crate::http::is_api_path(req.uri().path()) {
                    return Err(refused);
                }
                // A person's form: the pages say it in French, with their menu.
                let req = req.map(|_| Body::new(RefusedBody(Some(refused))));
                return Ok((req, self.budget.reserve(None)?));
            }
        };
        let held = Arc::clone(&reservation);
        let min_rate = self.min_rate;
        let req = req.map(move |body| {
            let timed = Body::new(DeadlineBody::new(body_read, body));
            Body::new(IntakeBody::new(timed, held, min_rate))
        });
        Ok((req, reservation))
    }
}

impl Limits {
    /// The limits of `s`, and its connection cap; out-of-range settings
    /// are refused (the server does not start), never adjusted.
    fn new(s: &HttpSettings) -> io::Result<(Self, usize)> {
        let invalid = |why: String| io::Error::new(io::ErrorKind::InvalidInput, why);
        let timeout = |name: &str, secs: u64| {
            if (1..=MAX_TIMEOUT_SECS).contains(&secs) {
                Ok(Duration::from_secs(secs))
            } else {
                Err(invalid(format!(
                    "http.{name} must be between 1 and {MAX_TIMEOUT_SECS} seconds, not {secs}"
                )))
            }
        };
        let limits = Self {
            header_read: timeout("header_read_timeout_secs", s.header_read_timeout_secs)?,
            body_read: timeout("body_read_timeout_secs", s.body_read_timeout_secs)?,
            idle: timeout("idle_timeout_secs", s.idle_timeout_secs)?,
        };
        let cap = s.max_connections;
        if !(1..=MAX_CONNECTIONS).contains(&cap) {
            return Err(invalid(format!(
                "http.max_connections must be between 1 and {MAX_CONNECTIONS}, not {cap}"
            )));
        }
        if s.max_connections_per_address > MAX_CONNECTIONS {
            return Err(invalid(format!(
                "http.max_connections_per_address must be at most {MAX_CONNECTIONS} (0: no cap), not {}",
                s.max_connections_per_address
            )));
        }
        Ok((limits, cap))
    }
}

/// Serve `router` on `listener` until `shutdown` completes, then finish the
/// requests in flight. Settings out of range (a timeout of 0 or over a day,
/// a cap of 0 or over [`MAX_CONNECTIONS`]) are an `InvalidInput` error.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: &HttpSettings,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let (limits, cap) = Limits::new(settings)?;
    let bodies = BodyRules::new(settings)?;
    let per_address = PerAddress::new(settings.max_connections_per_address);
    let slots = Arc::new(Semaphore::new(cap));
    let (stop, stopping) = watch::channel(false);
    let (crowded, _) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    let mut backoff = MIN_BACKOFF;
    'accept: loop {
        let slot = loop {
            tokio::select! {
                slot = Arc::clone(&slots).acquire_owned() => break slot.expect("the semaphore is never closed"),
                // At the cap: idle connections make room.
                () = tokio::time::sleep(CROWDED_GRACE) => crowded.send_replace(()),
                () = &mut shutdown => break 'accept,
            }
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                backoff = MIN_BACKOFF;
                accepted
            }
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "accept failed; backing off");
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    () = &mut shutdown => break,
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        let Some(counted) = per_address.admit(peer.ip()) else {
            tracing::debug!(peer = %peer.ip(), "connection refused: too many from this address");
            continue; // dropping the stream closes it; the slot goes back
        };
        let _ = stream.set_nodelay(true);
        let (router, stopping, crowded) = (router.clone(), stopping.clone(), crowded.subscribe());
        let bodies = bodies.clone();
        tokio::spawn(async move {
            serve_connection(stream, peer, router, limits, bodies, stopping, crowded).await;
            drop((counted, slot));
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a slot until it is closed.
    let _ = slots.acquire_many(u32::try_from(cap).expect("at most MAX_CONNECTIONS")).await;
    Ok(())
}

/// Connections open per client address, when capped
/// (`max_connections_per_address`, 0: no cap).
#[derive(Debug, Clone)]
struct PerAddress {
    cap: usize,
    open: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>,
}

/// One counted connection of an address; uncounted when dropped.
struct Counted {
    of: PerAddress,
    ip: std::net::IpAddr,
}

impl PerAddress {
    fn new(cap: usize) -> Self {
        Self { cap, open: Arc::default() }
    }

    /// Count a connection from `ip`, unless that address is at the cap.
    fn admit(&self, ip: std::net::IpAddr) -> Option<Option<Counted>> {
        if self.cap == 0 {
            return Some(None);
        }
        let mut open = self.open.lock().expect("never poisoned");
        let n = open.entry(ip).or_insert(0);
        if *n >= self.cap {
            return None;
        }
        *n += 1;
        Some(Some(Counted { of: self.clone(), ip }))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut open = self.of.open.lock().expect("never poisoned");
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// `503 server_busy`, answered without the router (whose layers add these
/// headers to every other answer).
fn busy() -> axum::response::Response {
    let mut busy = crate::http::error::server_busy();
    for (name, value) in crate::http::SECURITY_HEADERS {
        busy.headers_mut().insert(name, axum::http::HeaderValue::from_static(value));
    }
    busy
}

/// Errors that concern one connection, not the listener.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    bodies: BodyRules,
    mut stopping: watch::Receiver<bool>,
    mut crowded: watch::Receiver<()>,
) {
    let watch = Arc::new(Watch::new());
    let io = TokioIo::new(Watched { inner: stream, watch: Arc::clone(&watch) });
    let service = {
        let watch = Arc::clone(&watch);
        hyper::service::service_fn(move |req: Request<Incoming>| {
            let (router, watch) = (router.clone(), Arc::clone(&watch));
            watch.set(Phase::Handling);
            let admitted = bodies.take_in(req, limits.body_read);
            async move {
                let response = match admitted {
                    Ok((mut req, reservation)) => {
                        // The peer's address, as axum's `ConnectInfo` (the web
                        // login throttle counts failures per address).
                        req.extensions_mut().insert(ConnectInfo(peer));
                        let response =
                            router.oneshot(req).await.unwrap_or_else(|never: Infallible| match never {});
                        // Answered: the body's bytes are gone, its share of
                        // the budget is given back.
                        drop(reservation);
                        response
                    }
                    Err(_) => busy(),
                };
                watch.set(Phase::Sending);
                let guard = Answered(Arc::clone(&watch));
                Ok::<_, Infallible>(
                    response.map(|body| Body::new(GuardedBody { inner: body, _guard: guard })),
                )
            }
        })
    };
    let conn = hyper::server::conn::http1::Builder::new()
        // Our own watch enforces the header timeout, from the request's
        // first byte rather than from the end of the previous response.
        .header_read_timeout(None::<Duration>)
        .serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let mut shutting_down = *stopping.borrow();
    let mut crowd_gone = false;
    if shutting_down {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        let deadline = watch.deadline(limits);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            // A request started: its headers are due sooner than the idle
            // deadline this timer was armed for.
            () = watch.rearm.notified() => {}
            () = tokio::time::sleep_until(deadline) => {
                if watch.expired(limits, Instant::now()) {
                    tracing::debug!(phase = ?watch.phase(), "connection timed out; closing it");
                    return;
                }
            }
            changed = crowded.changed(), if !crowd_gone => match changed {
                Ok(()) if watch.idle_for(CROWDED_GRACE) => {
                    tracing::debug!("at the connection cap: closing an idle connection to make room");
                    return;
                }
                Ok(()) => {}
                Err(_) => crowd_gone = true,
            },
            changed = stopping.changed(), if !shutting_down => {
                shutting_down = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_out_of_range_are_refused_not_adjusted() {
        let ok = HttpSettings::default();
        assert!(Limits::new(&ok).is_ok());
        let refused = [
            HttpSettings { idle_timeout_secs: 0, ..ok.clone() },
            HttpSettings { header_read_timeout_secs: u64::MAX, ..ok.clone() },
            HttpSettings { body_read_timeout_secs: MAX_TIMEOUT_SECS + 1, ..ok.clone() },
            HttpSettings { max_connections: 0, ..ok.clone() },
            HttpSettings { max_connections: usize::MAX, ..ok.clone() },
            HttpSettings { max_connections_per_address: usize::MAX, ..ok.clone() },
        ];
        for s in refused {
            let e = Limits::new(&s).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{s:?}");
        }
        assert!(BodyRules::new(&ok).is_ok());
        let off = BodyRules::new(&HttpSettings { body_min_rate_bytes_per_sec: 0, ..ok.clone() }).unwrap();
        assert_eq!(off.min_rate, None, "0 turns the minimum rate off");
        let refused = [
            HttpSettings { body_budget_bytes: 0, ..ok.clone() },
            HttpSettings { body_budget_bytes: u64::MAX, ..ok.clone() },
            HttpSettings { body_rate_window_secs: 0, ..ok.clone() },
        ];
        for s in refused {
            let e = BodyRules::new(&s).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{s:?}");
        }
    }
}
