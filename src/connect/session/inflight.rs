//! Messages in flight: packet ids for a client's QoS 1/2 messages, the in-flight window, where
//! each message is in its exchange (QoS 2: before or after PUBREC), and which message an
//! acknowledgement completes. Ids are handed out in sequence and mapped to a fixed slot
//! (`(id - 1) % capacity`), so matching costs an index, never a search or a hash, and a slow
//! acknowledgement only makes the next id skip its slot. An id is free again only when its
//! exchange is over (PUBACK, PUBCOMP or a refusal), never at PUBREC. The session and bench's
//! publishers both keep their messages here, each with what it needs to know of them (`T`).

/// Publishes take packet ids up to here; the ids above are left for SUBSCRIBE and UNSUBSCRIBE,
/// so that no two packets in flight ever share one.
pub const PUBLISH_IDS: u16 = u16::MAX - 256;

#[derive(Debug)]
struct Slot<T> {
    pkid: u16,
    /// Send order, so that messages go out again in their first order after a reconnect.
    order: u64,
    /// QoS 2: PUBREC came, PUBCOMP has not.
    received: bool,
    item: T,
}

#[derive(Debug)]
pub struct Inflight<T> {
    slots: Vec<Option<Slot<T>>>,
    /// Ids run 1..=span, a whole number of `slots.len()` so that wrapping keeps the mapping.
    span: u16,
    next: u16,
    /// The in-flight window: at most this many outstanding (never more than the slots).
    limit: usize,
    outstanding: usize,
    order: u64,
}

/// What to send again for an outstanding message after a reconnect.
#[derive(Debug, PartialEq, Eq)]
pub enum Resend {
    /// The PUBLISH, with DUP set.
    Publish(u16),
    /// QoS 2 past PUBREC: only the PUBREL.
    Release(u16),
}

impl<T> Inflight<T> {
    /// A window of `limit` messages (1 to `PUBLISH_IDS`).
    pub fn new(limit: u16) -> Inflight<T> {
        let capacity = usize::from(limit.clamp(1, PUBLISH_IDS));
        Inflight {
            slots: (0..capacity).map(|_| None).collect(),
            span: (capacity * (usize::from(PUBLISH_IDS) / capacity)) as u16,
            next: 1,
            limit: capacity,
            outstanding: 0,
            order: 0,
        }
    }

    /// Narrow the window (MQTT 5: the broker's receive maximum); it never grows past `new`'s.
    pub fn narrow(&mut self, limit: u16) {
        self.limit = usize::from(limit.max(1)).min(self.slots.len());
    }

    pub fn has_room(&self) -> bool {
        self.outstanding < self.limit
    }

    pub fn outstanding(&self) -> usize {
        self.outstanding
    }

    fn slot(&self, pkid: u16) -> usize {
        (usize::from(pkid) - 1) % self.slots.len()
    }

    /// Take the next free packet id for `item`. Call only with room.
    pub fn insert(&mut self, item: T) -> u16 {
        debug_assert!(self.outstanding < self.slots.len());
        let mut pkid = self.next;
        while self.slots[self.slot(pkid)].is_some() {
            pkid = pkid % self.span + 1;
        }
        let slot = self.slot(pkid);
        self.slots[slot] = Some(Slot {
            pkid,
            order: self.order,
            received: false,
            item,
        });
        self.order += 1;
        self.outstanding += 1;
        self.next = pkid % self.span + 1;
        pkid
    }

    /// PUBACK (QoS 1), PUBCOMP (QoS 2) or a refusal: the exchange is over. `None` for an id
    /// that is not outstanding (a late duplicate).
    pub fn complete(&mut self, pkid: u16) -> Option<T> {
        if pkid == 0 {
            return None;
        }
        let slot = self.slot(pkid);
        match &self.slots[slot] {
            Some(s) if s.pkid == pkid => {
                self.outstanding -= 1;
                self.slots[slot].take().map(|s| s.item)
            }
            _ => None,
        }
    }

    /// PUBREC at QoS 2: the broker has the message; PUBCOMP is still to come.
    pub fn received(&mut self, pkid: u16) {
        if pkid == 0 {
            return;
        }
        let slot = self.slot(pkid);
        if let Some(s) = &mut self.slots[slot]
            && s.pkid == pkid
        {
            s.received = true;
        }
    }

    /// Everything outstanding, oldest first, as it must go out again after a reconnect.
    pub fn resend(&self) -> Vec<Resend> {
        let mut all: Vec<&Slot<T>> = self.slots.iter().flatten().collect();
        all.sort_by_key(|s| s.order);
        all.into_iter()
            .map(|s| {
                if s.received {
                    Resend::Release(s.pkid)
                } else {
                    Resend::Publish(s.pkid)
                }
            })
            .collect()
    }

    /// Everything outstanding, oldest first, taken out: the broker kept no session, so each
    /// message must go out again as a new one.
    pub fn take_all(&mut self) -> Vec<T> {
        let mut all: Vec<Slot<T>> = self.slots.iter_mut().filter_map(Option::take).collect();
        all.sort_by_key(|s| s.order);
        self.outstanding = 0;
        all.into_iter().map(|s| s.item).collect()
    }

    /// The oldest outstanding message and its packet id.
    pub fn oldest(&self) -> Option<(u16, &T)> {
        self.slots
            .iter()
            .flatten()
            .min_by_key(|s| s.order)
            .map(|s| (s.pkid, &s.item))
    }

    pub fn get(&self, pkid: u16) -> Option<&T> {
        let slot = self.slot(pkid);
        self.slots[slot]
            .as_ref()
            .filter(|s| s.pkid == pkid)
            .map(|s| &s.item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acknowledgements_complete_what_they_name() {
        let mut m = Inflight::new(3);
        let (a, b, c) = (m.insert("a"), m.insert("b"), m.insert("c"));
        assert_eq!((a, b, c), (1, 2, 3));
        assert!(!m.has_room());
        assert_eq!(m.complete(2), Some("b"));
        assert_eq!(m.complete(2), None, "a duplicate acknowledgement");
        assert_eq!(m.complete(9), None, "an id never sent");
        assert_eq!(m.complete(0), None);
        assert!(m.has_room());
        // The next id skips the slot still held by id 1.
        assert_eq!(m.insert("d"), 5);
        assert_eq!(m.outstanding(), 3);
        assert_eq!(m.get(5), Some(&"d"));
    }

    #[test]
    fn ids_wrap_within_the_mqtt_range() {
        let mut m = Inflight::new(20);
        let mut last = 0;
        for n in 0..200_000u32 {
            let id = m.insert(n);
            assert!(id >= 1, "id 0 is not allowed");
            if last != 0 {
                assert!(
                    id == last + 1 || (id == 1 && last == 65_260),
                    "{last} -> {id}"
                );
                assert!(id <= PUBLISH_IDS);
            }
            last = id;
            assert_eq!(m.complete(id), Some(n));
        }
    }

    #[test]
    fn qos_2_resends_releases_after_pubrec() {
        let mut m = Inflight::new(4);
        let a = m.insert(());
        let b = m.insert(());
        m.received(a);
        assert_eq!(m.resend(), vec![Resend::Release(a), Resend::Publish(b)]);
        m.narrow(1);
        assert!(!m.has_room());
        assert_eq!(m.complete(a), Some(()));
        assert_eq!(m.complete(b), Some(()));
        assert!(m.has_room());
    }

    #[test]
    fn everything_outstanding_comes_back_in_order() {
        let mut m = Inflight::new(3);
        m.insert("a");
        let b = m.insert("b");
        m.insert("c");
        m.complete(b);
        m.insert("d");
        assert_eq!(m.oldest(), Some((1, &"a")));
        assert_eq!(m.take_all(), vec!["a", "c", "d"]);
        assert_eq!(m.outstanding(), 0);
        assert_eq!(m.oldest(), None);
    }
}
