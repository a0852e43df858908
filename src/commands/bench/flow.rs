//! Closed-loop pubsub's back-pressure from end to end: each publisher may have at most a window
//! of messages on their way (sent, and not yet received by every subscriber), so "as fast as the
//! broker can deliver" is what a closed-loop rate means, and a run without a rate never buries
//! the broker under more than it can pass on. The subscribers count arrivals per publisher; a
//! publisher whose window is full waits for them.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// With no arrival at all for this long, what is on its way is taken as lost (QoS 0 may be
/// dropped), so that a lossy broker slows a publisher down rather than stops it.
pub const STALL: Duration = Duration::from_secs(1);

/// One publisher's messages on their way.
#[derive(Default)]
pub struct Lane {
    /// Copies received by all subscribers together.
    arrivals: AtomicU64,
    /// Messages given up on after a stall.
    written_off: AtomicU64,
    arrived: Notify,
}

/// Every publisher's lane of this process, by publisher id.
pub struct Flow {
    /// Messages per publisher on their way at most.
    pub window: u64,
    /// Copies each message makes: one per subscriber, or one in all for a shared subscription.
    copies: u64,
    lanes: HashMap<u32, Arc<Lane>>,
}

impl Flow {
    pub fn new(window: u64, copies: u64, publishers: impl IntoIterator<Item = u32>) -> Flow {
        Flow {
            window,
            copies: copies.max(1),
            lanes: publishers
                .into_iter()
                .map(|id| (id, Arc::default()))
                .collect(),
        }
    }

    pub fn lane(&self, publisher: u32) -> Option<Arc<Lane>> {
        self.lanes.get(&publisher).cloned()
    }

    /// Arrivals a subscriber saw in one read, by publisher (another shard's publishers have no
    /// lane here and are passed over).
    pub fn arrived(&self, counts: &[(u32, u64)]) {
        for &(publisher, n) in counts {
            if let Some(lane) = self.lanes.get(&publisher) {
                lane.arrivals.fetch_add(n, Ordering::Relaxed);
                lane.arrived.notify_waiters();
            }
        }
    }

    /// How many of `sent` are still on their way.
    pub fn on_the_way(&self, lane: &Lane, sent: u64) -> u64 {
        let settled = lane.arrivals.load(Ordering::Relaxed) / self.copies
            + lane.written_off.load(Ordering::Relaxed);
        sent.saturating_sub(settled)
    }

    pub fn has_room(&self, lane: &Lane, sent: u64) -> bool {
        self.on_the_way(lane, sent) < self.window
    }

    /// Wait for an arrival; after `STALL` without one, write off what is on its way. True when
    /// messages were written off.
    pub async fn wait(&self, lane: &Lane, sent: u64, since: Instant) -> bool {
        // Listen before looking, so that an arrival between the two is not missed.
        let arrived = lane.arrived.notified();
        tokio::pin!(arrived);
        arrived.as_mut().enable();
        if self.has_room(lane, sent) {
            return false;
        }
        tokio::select! {
            _ = arrived => false,
            _ = tokio::time::sleep_until(since + STALL) => {
                let stuck = self.on_the_way(lane, sent);
                lane.written_off.fetch_add(stuck, Ordering::Relaxed);
                stuck > 0
            }
        }
    }
}

/// Arrivals of one read, by publisher: most reads bring messages of few publishers.
#[derive(Default)]
pub struct Tally {
    counts: Vec<(u32, u64)>,
}

impl Tally {
    pub fn add(&mut self, publisher: u32) {
        match self.counts.iter_mut().find(|(p, _)| *p == publisher) {
            Some((_, n)) => *n += 1,
            None => self.counts.push((publisher, 1)),
        }
    }

    pub fn hand_over(&mut self, flow: &Flow) {
        if !self.counts.is_empty() {
            flow.arrived(&self.counts);
            self.counts.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_fills_and_empties_with_arrivals() {
        let flow = Flow::new(3, 2, [7]);
        let lane = flow.lane(7).unwrap();
        assert!(flow.has_room(&lane, 2));
        assert!(!flow.has_room(&lane, 3));
        // Two subscribers: a message has arrived once both have it.
        flow.arrived(&[(7, 1)]);
        assert!(!flow.has_room(&lane, 3));
        flow.arrived(&[(7, 1), (8, 5)]);
        assert!(flow.has_room(&lane, 3));
        assert_eq!(flow.on_the_way(&lane, 3), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stall_writes_off_what_is_on_its_way() {
        let flow = Flow::new(2, 1, [1]);
        let lane = flow.lane(1).unwrap();
        assert!(!flow.has_room(&lane, 2));
        assert!(flow.wait(&lane, 2, Instant::now()).await);
        assert!(flow.has_room(&lane, 2));
        assert_eq!(flow.on_the_way(&lane, 2), 0);
    }
}
