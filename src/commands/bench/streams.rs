//! Per-publisher sequence accounting on the receiving side: what arrived in order, late
//! (reordered), twice (duplicates), and what is still missing.

use std::collections::{BTreeSet, HashMap};

#[derive(Default)]
struct Stream {
    next: u64,
    missing: BTreeSet<u64>,
}

#[derive(Default)]
pub struct Streams {
    streams: HashMap<u32, Stream>,
    pub unique: u64,
    /// Of `unique`, the messages meant for the measured window (after warm-up): what loss is
    /// counted against.
    pub unique_measured: u64,
    pub duplicates: u64,
    pub reordered: u64,
}

/// Gaps wider than this are counted, not remembered one by one (memory stays bounded).
const MAX_REMEMBERED_GAP: u64 = 1 << 20;

impl Streams {
    pub fn observe(&mut self, publisher: u32, seq: u64, measured: bool) {
        let stream = self.streams.entry(publisher).or_default();
        let new = if seq == stream.next {
            stream.next += 1;
            true
        } else if seq > stream.next {
            if seq - stream.next <= MAX_REMEMBERED_GAP {
                stream.missing.extend(stream.next..seq);
            }
            stream.next = seq + 1;
            true
        } else if stream.missing.remove(&seq) {
            self.reordered += 1;
            true
        } else {
            self.duplicates += 1;
            false
        };
        if new {
            self.unique += 1;
            self.unique_measured += u64::from(measured);
        }
    }

    pub fn merge(&mut self, other: Streams) {
        // Different subscribers are different streams: only the totals add up.
        self.unique += other.unique;
        self.unique_measured += other.unique_measured;
        self.duplicates += other.duplicates;
        self.reordered += other.reordered;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_gap_late_and_twice() {
        let mut s = Streams::default();
        for seq in [0, 1, 3, 4, 2, 4, 5] {
            s.observe(9, seq, seq >= 2);
        }
        s.observe(1, 0, true);
        assert_eq!((s.unique, s.reordered, s.duplicates), (7, 1, 1));
        assert_eq!(s.unique_measured, 5);
    }
}
