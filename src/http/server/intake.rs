//! Request bodies on their way in: the process-wide memory budget they are
//! buffered within, and the minimum rate they must arrive at.
//!
//! Terms:
//! - the **budget** (`http.body_budget_bytes`) is the memory every request
//!   body being received or handled may take, all requests together, counted
//!   in KiB. A request announcing its length (`Content-Length`) reserves it
//!   before anything is read, and is answered `503 server_busy` at once when
//!   the budget cannot hold it (a page's form gets the pages' French 503
//!   page instead, through a [`RefusedBody`]); a body without a length (chunked) reserves as
//!   its bytes arrive, and is cut with the same answer when it no longer fits.
//!   A [`Reservation`] is given back when the request has been answered (its
//!   bytes are dropped then) or abandoned;
//! - the **minimum rate** (`http.body_min_rate_bytes_per_sec`): from the
//!   moment a handler starts reading a body, every window of
//!   `http.body_rate_window_secs` must bring at least rate × window bytes
//!   (or the rest of the body). A slower body is cut, answered
//!   `408 request_timeout`, and its connection closed: otherwise a client
//!   trickling bytes holds a connection slot and its share of the budget
//!   for the whole `body_read_timeout_secs`.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// Budget accounting unit: a permit per KiB, so that a large budget fits the
/// semaphore and one reservation fits `u32` permits.
const UNIT: u64 = 1024;

/// Why a body was refused while it arrived (the error of [`IntakeBody`];
/// handlers find it in the error chain, see `crate::http::input`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyRefused {
    /// The bodies being buffered already fill the budget.
    #[error("the request bodies being received fill the server's memory budget")]
    Busy,
    /// The body arrives slower than the minimum rate.
    #[error("the request body arrives slower than the minimum rate")]
    TooSlow,
}

/// The process-wide budget of buffered request bodies.
#[derive(Debug, Clone)]
pub(super) struct Budget {
    permits: Arc<Semaphore>,
    /// The whole budget, in units.
    total: u64,
}

impl Budget {
    /// Smallest accepted budget (64 KiB).
    pub(super) const MIN_BYTES: u64 = 64 << 10;
    /// Largest accepted budget (1 TiB).
    pub(super) const MAX_BYTES: u64 = 1 << 40;

    pub(super) fn new(bytes: u64) -> Self {
        let total = units(bytes.clamp(Self::MIN_BYTES, Self::MAX_BYTES));
        let permits = usize::try_from(total).expect("at most 2^30 units");
        Self { permits: Arc::new(Semaphore::new(permits)), total }
    }

    /// A reservation for a request announcing `declared` bytes (`None`: no
    /// length, chunked or bodiless). A length beyond the whole budget is not
    /// reserved: the route's body limit refuses it (413) before it is read.
    pub(super) fn reserve(&self, declared: Option<u64>) -> Result<Arc<Reservation>, BodyRefused> {
        let reservation = Arc::new(Reservation { budget: self.clone(), held: Mutex::new(None) });
        if let Some(n) = declared.filter(|&n| units(n) <= self.total) {
            reservation.cover(n)?;
        }
        Ok(reservation)
    }

    /// Bytes free right now (for tests and logs).
    #[cfg(test)]
    fn free(&self) -> u64 {
        self.permits.available_permits() as u64 * UNIT
    }
}

/// Ceiling of `bytes` in units.
fn units(bytes: u64) -> u64 {
    bytes.div_ceil(UNIT)
}

/// What one request holds of the budget; given back when dropped.
#[derive(Debug)]
pub(super) struct Reservation {
    budget: Budget,
    held: Mutex<Option<OwnedSemaphorePermit>>,
}

impl Reservation {
    /// Hold at least `bytes` of the budget, without waiting.
    fn cover(&self, bytes: u64) -> Result<(), BodyRefused> {
        let mut held = self.held.lock().expect("never poisoned: no panic while held");
        let have = held.as_ref().map_or(0, |p| p.num_permits() as u64);
        let want = units(bytes);
        if want <= have {
            return Ok(());
        }
        let more = u32::try_from(want - have).map_err(|_| BodyRefused::Busy)?;
        let permit =
            Arc::clone(&self.budget.permits).try_acquire_many_owned(more).map_err(|_| BodyRefused::Busy)?;
        match held.as_mut() {
            Some(p) => p.merge(permit),
            None => *held = Some(permit),
        }
        Ok(())
    }
}

/// The minimum rate a body must arrive at (`None` in [`IntakeBody`]: no minimum).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct MinRate {
    /// Bytes per second.
    pub(super) bytes_per_sec: u64,
    /// The window each rate check covers.
    pub(super) window: Duration,
}

impl MinRate {
    /// Bytes a whole window must bring.
    fn per_window(self) -> u64 {
        let ms = u64::try_from(self.window.as_millis()).unwrap_or(u64::MAX);
        self.bytes_per_sec.saturating_mul(ms) / 1000
    }
}

/// A request body that holds its share of the budget and keeps to the
/// minimum rate.
pub(super) struct IntakeBody<B> {
    inner: B,
    reservation: Arc<Reservation>,
    received: u64,
    rate: Option<MinRate>,
    /// The current window's start and the bytes received before it; `None`
    /// until the body is first read.
    window: Option<(Instant, u64)>,
    /// Wakes the reader at the window's end (set with the window).
    timer: Option<Pin<Box<Sleep>>>,
}

impl<B> IntakeBody<B> {
    pub(super) fn new(inner: B, reservation: Arc<Reservation>, rate: Option<MinRate>) -> Self {
        Self { inner, reservation, received: 0, rate, window: None, timer: None }
    }

    /// Whether the window that started at `start` with `before` bytes ended
    /// at `now` below the minimum; if not, the next window starts.
    fn check_window(&mut self, rate: MinRate, now: Instant) -> Result<(), BodyRefused> {
        let Some((start, before)) = self.window else { return Ok(()) };
        let (start, before) = if now < start + rate.window {
            (start, before)
        } else if self.received - before < rate.per_window() {
            return Err(BodyRefused::TooSlow);
        } else {
            (now, self.received)
        };
        self.window = Some((start, before));
        if let Some(timer) = self.timer.as_mut() {
            timer.as_mut().reset(start + rate.window);
        }
        Ok(())
    }
}

impl<B> Body for IntakeBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::BoxError>>> {
        let this = self.get_mut();
        if let (Some(rate), None) = (this.rate, this.window) {
            // The clock starts when a handler reads: a body waiting for its
            // handler is not slow.
            let now = Instant::now();
            this.window = Some((now, 0));
            this.timer = Some(Box::pin(tokio::time::sleep_until(now + rate.window)));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received = this.received.saturating_add(data.len() as u64);
                    this.reservation.cover(this.received)?;
                }
                if let Some(rate) = this.rate {
                    this.check_window(rate, Instant::now())?;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(other) => Poll::Ready(other.map(|r| r.map_err(Into::into))),
            Poll::Pending => {
                let Some(rate) = this.rate else { return Poll::Pending };
                loop {
                    let Some(timer) = this.timer.as_mut() else { return Poll::Pending };
                    ready!(timer.as_mut().poll(cx));
                    // Over: refused, or the timer is re-armed for the next
                    // window (or the rest of this one), pending again.
                    this.check_window(rate, Instant::now())?;
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The body of a page request refused before any byte was read (the
/// budget full): it fails on the first read with the reason, so that the
/// pages answer with their own French page (`crate::web::gate`) where the
/// API answers `503 server_busy` at once.
pub(super) struct RefusedBody(pub(super) Option<BodyRefused>);

impl Body for RefusedBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(self.get_mut().0.take().map(|refused| Err(refused.into())))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_share_the_budget_and_give_it_back_when_dropped() {
        let budget = Budget::new(100 << 10);
        let a = budget.reserve(Some(60 << 10)).unwrap();
        assert_eq!(budget.free(), 40 << 10);
        assert_eq!(budget.reserve(Some(41 << 10)).unwrap_err(), BodyRefused::Busy);
        // Beyond the whole budget: left to the route's limit (413).
        let huge = budget.reserve(Some(1 << 30)).unwrap();
        // A body without a length reserves as it arrives.
        let chunked = budget.reserve(None).unwrap();
        chunked.cover(30 << 10).unwrap();
        chunked.cover(20 << 10).unwrap();
        assert_eq!(budget.free(), 10 << 10);
        assert_eq!(chunked.cover(41 << 10).unwrap_err(), BodyRefused::Busy);
        assert_eq!(huge.cover(11 << 10).unwrap_err(), BodyRefused::Busy);
        drop((a, chunked, huge));
        assert_eq!(budget.free(), 100 << 10);
    }

    #[test]
    fn a_window_below_the_rate_is_too_slow_and_a_fast_one_opens_the_next() {
        let rate = MinRate { bytes_per_sec: 1000, window: Duration::from_secs(2) };
        assert_eq!(rate.per_window(), 2000);
        let budget = Budget::new(1 << 20);
        let mut body = IntakeBody::new(axum::body::Body::empty(), budget.reserve(None).unwrap(), Some(rate));
        let t0 = Instant::now();
        body.window = Some((t0, 0));
        body.received = 1999;
        assert_eq!(body.check_window(rate, t0 + Duration::from_secs(1)), Ok(()), "the window is not over");
        assert_eq!(body.check_window(rate, t0 + Duration::from_secs(2)), Err(BodyRefused::TooSlow));
        body.received = 2000;
        let t2 = t0 + Duration::from_secs(2);
        assert_eq!(body.check_window(rate, t2), Ok(()));
        assert_eq!(body.window, Some((t2, 2000)), "the next window counts from here");
        assert_eq!(body.check_window(rate, t2 + Duration::from_secs(2)), Err(BodyRefused::TooSlow));
    }
}
