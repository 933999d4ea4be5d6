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
//! At most `max_connections` connections are served at once. At the cap the
//! loop stops accepting: new connections wait in the kernel's accept queue
//! (they cost the process no file descriptor there) and are served as soon
//! as a slot frees, which the timeouts above guarantee; when the queue itself
//! is full the kernel refuses them. Closing them at once instead would turn
//! a burst of legitimate clients into errors. Accept errors are survived:
//! per-connection ones (a peer that reset before being accepted) are skipped,
//! resource exhaustion (EMFILE, ENFILE, ENOBUFS, ENOMEM) backs off
//! exponentially up to a second instead of spinning, and the pending
//! connections are accepted once descriptors are freed.
//!
//! On shutdown the loop stops accepting, idle connections are closed,
//! in-flight requests are finished, and `serve` returns when every
//! connection is gone.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;
use tower_http::timeout::DeadlineBody;

use crate::config::HttpSettings;

/// First pause after a resource-exhaustion accept error; doubled on each
/// consecutive failure up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(5);
/// Longest pause between two accept attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Largest accepted `max_connections` (far above any open-file limit).
pub const MAX_CONNECTIONS: usize = 1 << 20;

/// The connection limits, as durations.
#[derive(Debug, Clone, Copy)]
struct Limits {
    header_read: Duration,
    body_read: Duration,
    idle: Duration,
}

impl From<&HttpSettings> for Limits {
    fn from(s: &HttpSettings) -> Self {
        Self {
            header_read: Duration::from_secs(s.header_read_timeout_secs),
            body_read: Duration::from_secs(s.body_read_timeout_secs),
            idle: Duration::from_secs(s.idle_timeout_secs),
        }
    }
}

/// Serve `router` on `listener` until `shutdown` completes, then finish the
/// requests in flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: &HttpSettings,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let limits = Limits::from(settings);
    let cap = settings.max_connections;
    if !(1..=MAX_CONNECTIONS).contains(&cap) {
        let why = format!("http.max_connections must be between 1 and {MAX_CONNECTIONS}, not {cap}");
        return Err(io::Error::new(io::ErrorKind::InvalidInput, why));
    }
    let slots = Arc::new(Semaphore::new(cap));
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut backoff = MIN_BACKOFF;
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => {
                backoff = MIN_BACKOFF;
                stream
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
        let _ = stream.set_nodelay(true);
        let (router, stopping) = (router.clone(), stopping.clone());
        tokio::spawn(async move {
            serve_connection(stream, router, limits, stopping).await;
            drop(slot);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a slot until it is closed.
    let _ = slots.acquire_many(u32::try_from(cap).expect("at most MAX_CONNECTIONS")).await;
    Ok(())
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
    router: Router,
    limits: Limits,
    mut stopping: watch::Receiver<bool>,
) {
    let watch = Arc::new(Watch::new());
    let io = TokioIo::new(Watched { inner: stream, watch: Arc::clone(&watch) });
    let service = {
        let watch = Arc::clone(&watch);
        hyper::service::service_fn(move |req: Request<Incoming>| {
            let (router, watch) = (router.clone(), Arc::clone(&watch));
            watch.set(Phase::Handling);
            let req = req.map(|body| Body::new(DeadlineBody::new(limits.body_read, body)));
            async move {
                let response = router.oneshot(req).await.unwrap_or_else(|never: Infallible| match never {});
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
            () = tokio::time::sleep_until(deadline) => {
                if watch.expired(limits, Instant::now()) {
                    tracing::debug!(phase = ?watch.phase(), "connection timed out; closing it");
                    return;
                }
            }
            changed = stopping.changed(), if !shutting_down => {
                shutting_down = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// Where a connection is in its request/response cycle (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Waiting = 0,
    Handling = 1,
    Sending = 2,
}

/// "No instant recorded".
const NONE: u64 = u64::MAX;

/// The state a connection's watchdog reads: its phase, when it entered it or
/// last made progress, and when the pending request's first byte came.
/// Instants are milliseconds since `start`.
#[derive(Debug)]
struct Watch {
    start: Instant,
    phase: AtomicU8,
    /// Waiting: since when. Sending: the last write that made progress.
    mark: AtomicU64,
    /// Waiting: the first byte of the next request, or [`NONE`].
    first_byte: AtomicU64,
}

impl Watch {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            phase: AtomicU8::new(0),
            mark: AtomicU64::new(0),
            first_byte: AtomicU64::new(NONE),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(NONE - 1)
    }

    fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Acquire) {
            0 => Phase::Waiting,
            1 => Phase::Handling,
            _ => Phase::Sending,
        }
    }

    fn set(&self, phase: Phase) {
        self.mark.store(self.now(), Ordering::Release);
        self.first_byte.store(NONE, Ordering::Release);
        self.phase.store(phase as u8, Ordering::Release);
    }

    fn read_some(&self) {
        if self.phase() == Phase::Waiting && self.first_byte.load(Ordering::Acquire) == NONE {
            self.first_byte.store(self.now(), Ordering::Release);
        }
    }

    fn wrote_some(&self) {
        if self.phase() == Phase::Sending {
            self.mark.store(self.now(), Ordering::Release);
        }
    }

    /// When the connection expires if nothing happens; while handling, a
    /// time to look again (a phase change can only shorten the wait by then).
    fn deadline(&self, limits: Limits) -> Instant {
        let at = |ms: u64, limit: Duration| self.start + Duration::from_millis(ms) + limit;
        match self.phase() {
            Phase::Waiting => match self.first_byte.load(Ordering::Acquire) {
                NONE => at(self.mark.load(Ordering::Acquire), limits.idle),
                first => at(first, limits.header_read),
            },
            Phase::Sending => at(self.mark.load(Ordering::Acquire), limits.idle),
            Phase::Handling => {
                Instant::now() + limits.idle.min(limits.header_read).max(Duration::from_millis(100))
            }
        }
    }

    fn expired(&self, limits: Limits, now: Instant) -> bool {
        self.phase() != Phase::Handling && now >= self.deadline(limits)
    }
}

/// Marks the connection waiting again when the response body is finished
/// (or abandoned): hyper drops the body then.
struct Answered(Arc<Watch>);

impl Drop for Answered {
    fn drop(&mut self) {
        self.0.set(Phase::Waiting);
    }
}

/// A response body that marks the end of the answer when dropped.
struct GuardedBody {
    inner: Body,
    _guard: Answered,
}

impl http_body::Body for GuardedBody {
    type Data = <Body as http_body::Body>::Data;
    type Error = <Body as http_body::Body>::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The socket, reporting progress to the connection's [`Watch`].
struct Watched {
    inner: TcpStream,
    watch: Arc<Watch>,
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.watch.read_some();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            this.watch.wrote_some();
        }
        result
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            this.watch.wrote_some();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        header_read: Duration::from_secs(2),
        body_read: Duration::from_secs(5),
        idle: Duration::from_secs(10),
    };

    fn at(watch: &Watch, secs: u64) -> Instant {
        watch.start + Duration::from_secs(secs)
    }

    #[test]
    fn a_silent_connection_expires_after_the_idle_timeout_and_a_started_request_after_the_header_timeout() {
        let watch = Watch::new();
        assert_eq!(watch.deadline(LIMITS), at(&watch, 10));
        watch.read_some();
        assert_ne!(
            watch.first_byte.load(Ordering::Acquire),
            NONE,
            "the first byte starts the header timeout"
        );
        watch.first_byte.store(3000, Ordering::Release);
        watch.read_some();
        assert_eq!(watch.first_byte.load(Ordering::Acquire), 3000, "later bytes do not restart it");
        assert_eq!(watch.deadline(LIMITS), at(&watch, 5));
        assert!(!watch.expired(LIMITS, at(&watch, 4)));
        assert!(watch.expired(LIMITS, at(&watch, 5)));
    }

    #[test]
    fn a_running_handler_is_never_timed_out_but_a_stalled_reader_is() {
        let watch = Watch::new();
        watch.set(Phase::Handling);
        watch.read_some();
        assert_eq!(watch.first_byte.load(Ordering::Acquire), NONE, "body bytes are not a new request");
        assert!(!watch.expired(LIMITS, at(&watch, 3600)));
        watch.set(Phase::Sending);
        watch.mark.store(9000, Ordering::Release);
        assert!(!watch.expired(LIMITS, at(&watch, 18)), "progress resets the send timeout");
        assert!(watch.expired(LIMITS, at(&watch, 19)));
        watch.wrote_some();
        assert!(watch.mark.load(Ordering::Acquire) < 9000, "a write is progress");
        // The answer done, the connection waits for the next request.
        watch.set(Phase::Waiting);
        assert!(!watch.expired(LIMITS, at(&watch, 9)));
    }
}
