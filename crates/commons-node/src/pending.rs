//! The pending pool: events whose `prev` or `deps` the node has not seen yet.
//!
//! It is bounded in count and in age. When it is full the oldest event is evicted; an
//! event older than the age limit is evicted at the next sweep. Evictions are remembered
//! (also bounded) so that a client asking about its event gets a clear status.

use commons_ledger::{CommonsId, Event, EventId};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Most events waiting at once, across all commons.
pub const PENDING_EVENTS_MAX: usize = 10_000;
/// Longest an event may wait for its predecessors.
pub const PENDING_AGE_MS_MAX: u64 = 10 * 60 * 1000;
/// How many evictions the node remembers for status queries.
pub const EVICTIONS_REMEMBERED_MAX: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvictionReason {
    PoolFull,
    Expired,
}

impl EvictionReason {
    pub fn code(&self) -> &'static str {
        match self {
            EvictionReason::PoolFull => "evicted_pool_full",
            EvictionReason::Expired => "evicted_expired",
        }
    }
}

#[derive(Clone, Debug)]
pub struct PendingEvent {
    pub event: Event,
    pub commons: CommonsId,
    pub received_ms: u64,
    /// Ids this event waits for.
    pub missing: BTreeSet<EventId>,
}

#[derive(Debug)]
pub struct PendingPool {
    capacity: usize,
    age_ms_max: u64,
    events: BTreeMap<EventId, PendingEvent>,
    /// Arrival order, for evicting the oldest.
    order: VecDeque<EventId>,
    /// Missing id -> pending events waiting for it.
    waiting: BTreeMap<EventId, BTreeSet<EventId>>,
    evicted: BTreeMap<EventId, EvictionReason>,
    evicted_order: VecDeque<EventId>,
}

impl Default for PendingPool {
    fn default() -> Self {
        PendingPool::new(PENDING_EVENTS_MAX, PENDING_AGE_MS_MAX)
    }
}

impl PendingPool {
    pub fn new(capacity: usize, age_ms_max: u64) -> PendingPool {
        assert!(capacity > 0);
        PendingPool {
            capacity,
            age_ms_max,
            events: BTreeMap::new(),
            order: VecDeque::new(),
            waiting: BTreeMap::new(),
            evicted: BTreeMap::new(),
            evicted_order: VecDeque::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn contains(&self, id: &EventId) -> bool {
        self.events.contains_key(id)
    }

    pub fn eviction(&self, id: &EventId) -> Option<EvictionReason> {
        self.evicted.get(id).copied()
    }

    /// Adds an event, evicting the oldest if the pool is full. Returns what was evicted.
    pub fn insert(&mut self, pending: PendingEvent) -> Vec<EventId> {
        let mut evicted = Vec::new();
        if self.events.contains_key(&pending.event.id) {
            return evicted;
        }
        while self.events.len() >= self.capacity {
            match self.order.front().copied() {
                Some(oldest) => {
                    self.remove(&oldest);
                    self.remember_eviction(oldest, EvictionReason::PoolFull);
                    evicted.push(oldest);
                }
                None => break,
            }
        }
        let id = pending.event.id;
        for missing in &pending.missing {
            self.waiting.entry(*missing).or_default().insert(id);
        }
        self.evicted.remove(&id);
        self.order.push_back(id);
        self.events.insert(id, pending);
        evicted
    }

    fn remove(&mut self, id: &EventId) -> Option<PendingEvent> {
        let pending = self.events.remove(id)?;
        if let Some(position) = self.order.iter().position(|x| x == id) {
            self.order.remove(position);
        }
        for missing in &pending.missing {
            if let Some(set) = self.waiting.get_mut(missing) {
                set.remove(id);
                if set.is_empty() {
                    self.waiting.remove(missing);
                }
            }
        }
        Some(pending)
    }

    fn remember_eviction(&mut self, id: EventId, reason: EvictionReason) {
        if self.evicted_order.len() >= EVICTIONS_REMEMBERED_MAX
            && let Some(forgotten) = self.evicted_order.pop_front()
        {
            self.evicted.remove(&forgotten);
        }
        self.evicted.insert(id, reason);
        self.evicted_order.push_back(id);
    }

    /// Marks `id` as now known; returns the pending events that no longer miss anything.
    pub fn resolve(&mut self, id: &EventId) -> Vec<PendingEvent> {
        let Some(waiters) = self.waiting.remove(id) else {
            return Vec::new();
        };
        let mut ready = Vec::new();
        for waiter in waiters {
            let now_ready = match self.events.get_mut(&waiter) {
                Some(pending) => {
                    pending.missing.remove(id);
                    pending.missing.is_empty()
                }
                None => false,
            };
            if now_ready && let Some(pending) = self.remove(&waiter) {
                ready.push(pending);
            }
        }
        ready
    }

    /// Evicts events older than the age limit.
    pub fn expire(&mut self, now_ms: u64) -> Vec<EventId> {
        let expired: Vec<EventId> = self
            .events
            .values()
            .filter(|p| now_ms.saturating_sub(p.received_ms) > self.age_ms_max)
            .map(|p| p.event.id)
            .collect();
        for id in &expired {
            self.remove(id);
            self.remember_eviction(*id, EvictionReason::Expired);
        }
        expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commons_ledger::{Kind, SecretKey};

    fn pending(seed: u8, missing: &[EventId], received_ms: u64) -> PendingEvent {
        let key = SecretKey::from_seed([seed; 32]);
        let event = Event::sign(
            &key,
            Some(CommonsId([0; 32])),
            1,
            Some(EventId([seed; 32])),
            vec![],
            0,
            Kind::new("agent.profile").unwrap(),
            None,
        );
        PendingEvent {
            event,
            commons: CommonsId([0; 32]),
            received_ms,
            missing: missing.iter().copied().collect(),
        }
    }

    #[test]
    fn a_full_pool_evicts_its_oldest_event_and_remembers_why() {
        let mut pool = PendingPool::new(2, 1_000);
        let a = pending(1, &[EventId([9; 32])], 0);
        let a_id = a.event.id;
        pool.insert(a);
        pool.insert(pending(2, &[EventId([9; 32])], 1));
        let evicted = pool.insert(pending(3, &[EventId([9; 32])], 2));
        assert_eq!(evicted, vec![a_id]);
        assert_eq!(pool.len(), 2);
        assert_eq!(pool.eviction(&a_id), Some(EvictionReason::PoolFull));
    }

    #[test]
    fn an_event_older_than_the_age_limit_expires() {
        let mut pool = PendingPool::new(10, 1_000);
        let a = pending(1, &[EventId([9; 32])], 0);
        let a_id = a.event.id;
        pool.insert(a);
        assert!(pool.expire(1_000).is_empty());
        assert_eq!(pool.expire(1_001), vec![a_id]);
        assert_eq!(pool.eviction(&a_id), Some(EvictionReason::Expired));
        assert!(pool.is_empty());
    }

    #[test]
    fn an_event_is_released_only_when_everything_it_misses_is_known() {
        let mut pool = PendingPool::new(10, 1_000);
        let x = EventId([7; 32]);
        let y = EventId([8; 32]);
        pool.insert(pending(1, &[x, y], 0));
        assert!(pool.resolve(&x).is_empty());
        assert_eq!(pool.resolve(&y).len(), 1);
        assert!(pool.is_empty());
    }
}
