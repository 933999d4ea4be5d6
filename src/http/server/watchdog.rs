//! A connection's watchdog: where the connection is in its request/response
//! cycle ([`Phase`]), fed by the socket ([`Watched`]) and by the service
//! ([`Answered`], [`GuardedBody`]), and when it expires (see the parent
//! module's terms).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::Limits;

/// Where a connection is in its request/response cycle (see the terms of `super`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
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
pub(super) struct Watch {
    start: Instant,
    phase: AtomicU8,
    /// Waiting: since when. Sending: the last write that made progress.
    mark: AtomicU64,
    /// Waiting: the first byte of the next request, or [`NONE`].
    first_byte: AtomicU64,
    /// Woken when a request's first byte arrives: the connection's timer,
    /// armed for the idle timeout, must be re-armed for the header timeout.
    pub(super) rearm: tokio::sync::Notify,
}

impl Watch {
    pub(super) fn new() -> Self {
        Self {
            start: Instant::now(),
            phase: AtomicU8::new(0),
            mark: AtomicU64::new(0),
            first_byte: AtomicU64::new(NONE),
            rearm: tokio::sync::Notify::new(),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(NONE - 1)
    }

    pub(super) fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Acquire) {
            0 => Phase::Waiting,
            1 => Phase::Handling,
            _ => Phase::Sending,
        }
    }

    pub(super) fn set(&self, phase: Phase) {
        self.mark.store(self.now(), Ordering::Release);
        self.first_byte.store(NONE, Ordering::Release);
        self.phase.store(phase as u8, Ordering::Release);
    }

    fn read_some(&self) {
        if self.phase() == Phase::Waiting && self.first_byte.load(Ordering::Acquire) == NONE {
            self.first_byte.store(self.now(), Ordering::Release);
            self.rearm.notify_one();
        }
    }

    fn wrote_some(&self) {
        if self.phase() == Phase::Sending {
            self.mark.store(self.now(), Ordering::Release);
        }
    }

    /// When the connection expires if nothing happens; while handling, a
    /// time to look again (a phase change can only shorten the wait by then).
    pub(super) fn deadline(&self, limits: Limits) -> Instant {
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

    /// Whether the connection has been waiting for at least `grace` without
    /// a request begun: closing it loses nothing the client sent.
    pub(super) fn idle_for(&self, grace: Duration) -> bool {
        let grace = u64::try_from(grace.as_millis()).unwrap_or(NONE);
        self.phase() == Phase::Waiting
            && self.first_byte.load(Ordering::Acquire) == NONE
            && self.now().saturating_sub(self.mark.load(Ordering::Acquire)) >= grace
    }

    pub(super) fn expired(&self, limits: Limits, now: Instant) -> bool {
        self.phase() != Phase::Handling && now >= self.deadline(limits)
    }
}

/// Marks the connection waiting again when the response body is finished
/// (or abandoned): hyper drops the body then.
pub(super) struct Answered(pub(super) Arc<Watch>);

impl Drop for Answered {
    fn drop(&mut self) {
        self.0.set(Phase::Waiting);
    }
}

/// A response body that marks the end of the answer when dropped.
pub(super) struct GuardedBody {
    pub(super) inner: Body,
    pub(super) _guard: Answered,
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
pub(super) struct Watched {
    pub(super) inner: TcpStream,
    pub(super) watch: Arc<Watch>,
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
