//! Who renders next: a fair scheduler of render slots between tenants
//! (collectivités).
//!
//! Terms:
//! - a **slot** is the right to run one render (one CPU's worth of work);
//!   there are `slots` of them;
//! - a render is of one of two **lanes**, light or heavy (from a cheap size
//!   estimate, see [`super::limits::Weight`]); at most `heavy_slots` heavy
//!   renders run at once, always fewer than `slots`, so a one-page act never
//!   waits for a 300-page one; a tenant runs at most `heavy_per_tenant` heavy
//!   renders at once, its other heavy drafts waiting behind it;
//! - each tenant has one **queue** per lane. When a slot frees, light queues
//!   are served before heavy ones (a light render takes milliseconds), and
//!   within a lane the waiting tenant **served least recently** goes first:
//!   a tenant with 50 queued drafts and one with a single act alternate, the
//!   first never delays the second by more than one render.
//!
//! A [`Permit`] is the slot; dropping it frees the slot and hands it on. A
//! permit sent to a waiter that went away is dropped with the channel, so a
//! cancelled request never leaks its slot.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// What identifies a tenant (a collectivité's SIREN; anything small in tests).
pub trait TenantKey: Eq + Hash + Clone + std::fmt::Debug + Send + 'static {}

impl<T: Eq + Hash + Clone + std::fmt::Debug + Send + 'static> TenantKey for T {}

/// The lane of a render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// A short render (a few pages).
    Light,
    /// A long render (many pages).
    Heavy,
}

impl Lane {
    fn index(self) -> usize {
        match self {
            Self::Light => 0,
            Self::Heavy => 1,
        }
    }
}

/// How many renders may run and wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// Renders running at once.
    pub slots: usize,
    /// Heavy renders running at once (clamped below `slots` when it is > 1).
    pub heavy_slots: usize,
    /// Heavy renders of one tenant running at once.
    pub heavy_per_tenant: usize,
    /// Renders of one tenant waiting in one lane; more are refused.
    pub queue_per_tenant: usize,
}

/// A tenant already has `queue_per_tenant` renders waiting in this lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} renders of this tenant are already waiting")]
pub struct QueueFull(pub usize);

/// The fair scheduler; share it behind an `Arc`.
#[derive(Debug)]
pub struct Scheduler<K: TenantKey> {
    capacity: Capacity,
    state: Mutex<State<K>>,
}

#[derive(Debug)]
struct State<K: TenantKey> {
    running: usize,
    running_heavy: usize,
    /// Incremented at every grant: a tenant's `served` is when it last got a slot.
    clock: u64,
    tenants: HashMap<K, Tenant<K>>,
}

#[derive(Debug)]
struct Tenant<K: TenantKey> {
    served: u64,
    heavy_running: usize,
    waiting: [VecDeque<oneshot::Sender<Permit<K>>>; 2],
}

impl<K: TenantKey> Default for Tenant<K> {
    fn default() -> Self {
        Self { served: 0, heavy_running: 0, waiting: [VecDeque::new(), VecDeque::new()] }
    }
}

/// The right to run one render; dropping it frees the slot.
#[derive(Debug)]
pub struct Permit<K: TenantKey> {
    scheduler: Arc<Scheduler<K>>,
    tenant: K,
    lane: Lane,
    /// False for a permit taken back before anyone held it.
    armed: bool,
}

impl<K: TenantKey> Permit<K> {
    /// The lane this permit runs in.
    pub fn lane(&self) -> Lane {
        self.lane
    }
}

impl<K: TenantKey> Drop for Permit<K> {
    fn drop(&mut self) {
        if self.armed {
            self.scheduler.release(&self.tenant, self.lane);
        }
    }
}

impl<K: TenantKey> Scheduler<K> {
    /// A scheduler of `capacity`.
    pub fn new(capacity: Capacity) -> Arc<Self> {
        let slots = capacity.slots.max(1);
        let heavy_slots = if slots > 1 { capacity.heavy_slots.clamp(1, slots - 1) } else { 1 };
        let capacity = Capacity {
            slots,
            heavy_slots,
            heavy_per_tenant: capacity.heavy_per_tenant.max(1),
            queue_per_tenant: capacity.queue_per_tenant.max(1),
        };
        let state = State { running: 0, running_heavy: 0, clock: 0, tenants: HashMap::new() };
        Arc::new(Self { capacity, state: Mutex::new(state) })
    }

    /// Wait for a slot for `tenant` in `lane`. Cancel-safe: dropping the
    /// future gives the slot (if it was granted meanwhile) back.
    pub async fn acquire(self: &Arc<Self>, tenant: K, lane: Lane) -> Result<Permit<K>, QueueFull> {
        let receiver = {
            let mut state = self.lock();
            let nobody_waits = state.tenants.values().all(|t| t.waiting[lane.index()].is_empty());
            if nobody_waits && self.can_start(&state, &tenant, lane) {
                return Ok(self.grant(&mut state, tenant, lane));
            }
            let queue = &mut state.tenants.entry(tenant).or_default().waiting[lane.index()];
            if queue.len() >= self.capacity.queue_per_tenant {
                return Err(QueueFull(queue.len()));
            }
            let (sender, receiver) = oneshot::channel();
            queue.push_back(sender);
            receiver
        };
        // The sender lives in the queue until a grant: it is never dropped
        // unsent while the receiver waits.
        Ok(receiver.await.expect("a queued render is granted before its sender is dropped"))
    }

    /// Renders running and waiting, for logs and benchmarks: (running,
    /// running heavy, waiting).
    pub fn load(&self) -> (usize, usize, usize) {
        let state = self.lock();
        let waiting = state.tenants.values().flat_map(|t| t.waiting.iter()).map(VecDeque::len).sum();
        (state.running, state.running_heavy, waiting)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<K>> {
        // The state is consistent between statements: a panic elsewhere
        // cannot leave it half-updated.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn can_start(&self, state: &State<K>, tenant: &K, lane: Lane) -> bool {
        let c = &self.capacity;
        state.running < c.slots
            && (lane == Lane::Light
                || (state.running_heavy < c.heavy_slots
                    && state.tenants.get(tenant).map_or(0, |t| t.heavy_running) < c.heavy_per_tenant))
    }

    fn grant(self: &Arc<Self>, state: &mut State<K>, tenant: K, lane: Lane) -> Permit<K> {
        state.running += 1;
        state.clock += 1;
        let clock = state.clock;
        let t = state.tenants.entry(tenant.clone()).or_default();
        t.served = clock;
        if lane == Lane::Heavy {
            state.running_heavy += 1;
            t.heavy_running += 1;
        }
        Permit { scheduler: Arc::clone(self), tenant, lane, armed: true }
    }

    fn release(self: &Arc<Self>, tenant: &K, lane: Lane) {
        let mut state = self.lock();
        state.running -= 1;
        if lane == Lane::Heavy {
            state.running_heavy -= 1;
            if let Some(t) = state.tenants.get_mut(tenant) {
                t.heavy_running -= 1;
            }
        }
        self.dispatch(&mut state);
    }

    /// Hand free slots to waiters: light lane first, then heavy; in a lane,
    /// the tenant served least recently.
    fn dispatch(self: &Arc<Self>, state: &mut State<K>) {
        loop {
            let next = [Lane::Light, Lane::Heavy].into_iter().find_map(|lane| {
                state
                    .tenants
                    .iter()
                    .filter(|(k, t)| !t.waiting[lane.index()].is_empty() && self.can_start(state, k, lane))
                    .min_by_key(|(_, t)| t.served)
                    .map(|(k, _)| (k.clone(), lane))
            });
            let Some((tenant, lane)) = next else { return };
            let Some(sender) =
                state.tenants.get_mut(&tenant).and_then(|t| t.waiting[lane.index()].pop_front())
            else {
                return;
            };
            let permit = self.grant(state, tenant.clone(), lane);
            if let Err(mut permit) = sender.send(permit) {
                // The waiter went away: take the slot back here, under the
                // lock we hold, and try the next one.
                permit.armed = false;
                state.running -= 1;
                if lane == Lane::Heavy {
                    state.running_heavy -= 1;
                    if let Some(t) = state.tenants.get_mut(&tenant) {
                        t.heavy_running -= 1;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheduler(slots: usize, heavy_slots: usize) -> Arc<Scheduler<&'static str>> {
        Scheduler::new(Capacity { slots, heavy_slots, heavy_per_tenant: 1, queue_per_tenant: 8 })
    }

    /// Queue `tenant`'s render and record, in `order`, when it is granted.
    fn queue(
        s: &Arc<Scheduler<&'static str>>,
        name: &'static str,
        tenant: &'static str,
        lane: Lane,
        order: &Arc<Mutex<Vec<&'static str>>>,
    ) -> tokio::task::JoinHandle<Permit<&'static str>> {
        let (s, order) = (Arc::clone(s), Arc::clone(order));
        tokio::spawn(async move {
            let permit = s.acquire(tenant, lane).await.unwrap();
            order.lock().unwrap().push(name);
            permit
        })
    }

    async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn a_waiting_tenant_goes_before_the_queued_drafts_of_the_one_just_served() {
        let s = scheduler(1, 1);
        let order = Arc::default();
        let first = s.acquire("A", Lane::Light).await.unwrap();
        let a2 = queue(&s, "A2", "A", Lane::Light, &order);
        settle().await;
        let a3 = queue(&s, "A3", "A", Lane::Light, &order);
        settle().await;
        let b1 = queue(&s, "B1", "B", Lane::Light, &order);
        settle().await;
        drop(first);
        let b1 = b1.await.unwrap();
        drop(b1);
        drop(a2.await.unwrap());
        drop(a3.await.unwrap());
        assert_eq!(*order.lock().unwrap(), ["B1", "A2", "A3"]);
    }

    #[tokio::test]
    async fn heavy_renders_leave_a_slot_to_light_ones_and_queue_behind_their_tenant() {
        let s = scheduler(2, 1);
        let order = Arc::default();
        let heavy = s.acquire("A", Lane::Heavy).await.unwrap();
        let a2 = queue(&s, "A2", "A", Lane::Heavy, &order);
        let c1 = queue(&s, "C1", "C", Lane::Heavy, &order);
        settle().await;
        assert_eq!(s.load(), (1, 1, 2), "the heavy lane is full");
        let b1 = s.acquire("B", Lane::Light).await.unwrap();
        assert_eq!(s.load(), (2, 1, 2));
        drop(b1);
        drop(heavy);
        drop(c1.await.unwrap());
        drop(a2.await.unwrap());
        assert_eq!(*order.lock().unwrap(), ["C1", "A2"]);
        assert_eq!(s.load(), (0, 0, 0));
    }

    #[tokio::test]
    async fn a_cancelled_waiter_does_not_keep_its_slot() {
        let s = scheduler(1, 1);
        let first = s.acquire("A", Lane::Light).await.unwrap();
        let gone = queue(&s, "gone", "A", Lane::Light, &Arc::default());
        settle().await;
        gone.abort();
        let _ = gone.await;
        drop(first);
        assert_eq!(s.load(), (0, 0, 0));
        let again = s.acquire("B", Lane::Light).await.unwrap();
        assert_eq!(again.lane(), Lane::Light);
    }

    #[tokio::test]
    async fn a_tenant_cannot_queue_without_bound() {
        let s =
            Scheduler::new(Capacity { slots: 1, heavy_slots: 1, heavy_per_tenant: 1, queue_per_tenant: 2 });
        let _running = s.acquire("A", Lane::Light).await.unwrap();
        let waiting: Vec<_> = (0..2)
            .map(|_| {
                let s = Arc::clone(&s);
                tokio::spawn(async move { s.acquire("A", Lane::Light).await.map(drop) })
            })
            .collect();
        settle().await;
        assert_eq!(s.acquire("A", Lane::Light).await.unwrap_err(), QueueFull(2));
        // The other lane has its own queue: this one waits, it is not refused.
        assert!(futures::FutureExt::now_or_never(s.acquire("A", Lane::Heavy)).is_none());
        for w in waiting {
            w.abort();
        }
    }
}
