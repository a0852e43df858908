//! What `moth ui` knows of the broker: every topic seen, as a tree whose nodes carry their own
//! and their subtree's counts (updated along the topic's path as each message arrives, so a
//! frame never walks all topics), per-second buckets for rates, and a bounded history of each
//! topic's last messages. Plain data: the view reads it, the tests drive it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use crate::message::{Message, Properties};

/// Seconds a rate is taken over.
pub const RATE_SECONDS: usize = 5;
/// A topic stands out for this long after it appeared or its payload changed.
pub const FRESH: Duration = Duration::from_secs(3);

/// One message kept in a topic's history.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its place among all kept entries (the global order's key).
    seq: u64,
    pub at: SystemTime,
    pub payload: Bytes,
    pub qos: u8,
    pub retain: bool,
    pub properties: Option<Arc<Properties>>,
}

/// Messages per second over the last few whole seconds.
#[derive(Debug, Clone, Default)]
pub struct Rate {
    /// Counts per second, the current one at `second % RATE_SECONDS`.
    buckets: [u32; RATE_SECONDS + 1],
    second: u64,
}

impl Rate {
    fn add(&mut self, second: u64, n: u32) {
        self.advance(second);
        let slot = (second as usize) % self.buckets.len();
        self.buckets[slot] = self.buckets[slot].saturating_add(n);
    }

    fn advance(&mut self, second: u64) {
        if second <= self.second {
            return;
        }
        let gap = (second - self.second).min(self.buckets.len() as u64);
        for k in 1..=gap {
            let slot = ((self.second + k) as usize) % self.buckets.len();
            self.buckets[slot] = 0;
        }
        self.second = second;
    }

    /// Over the last `RATE_SECONDS` whole seconds before `second`.
    pub fn per_second(&self, second: u64) -> f64 {
        let mut sum = 0u64;
        for back in 1..=RATE_SECONDS as u64 {
            let Some(s) = second.checked_sub(back) else {
                break;
            };
            if s > self.second || self.second - s >= self.buckets.len() as u64 {
                continue;
            }
            sum += u64::from(self.buckets[(s as usize) % self.buckets.len()]);
        }
        sum as f64 / RATE_SECONDS as f64
    }
}

/// One level of the tree.
#[derive(Debug)]
pub struct Node {
    pub name: String,
    pub parent: Option<usize>,
    /// Hashed, not ordered: finding the next level is most of what a message costs, and only
    /// the rows shown are ever sorted.
    pub children: HashMap<Box<str>, usize, foldhash::fast::RandomState>,
    /// This level is a topic itself: its messages, newest last.
    pub history: VecDeque<Entry>,
    pub messages: u64,
    /// Messages in this node and everything below it.
    pub total: u64,
    /// The broker held a retained message for this topic (its last message was retained).
    pub retained: bool,
    /// Retained messages in this subtree.
    pub retained_below: u32,
    pub last_at: Option<Instant>,
    /// When the topic appeared or its payload last changed.
    pub changed_at: Option<Instant>,
    pub rate: Rate,
}

impl Node {
    fn new(name: &str, parent: Option<usize>) -> Node {
        Node {
            name: name.to_string(),
            parent,
            children: HashMap::default(),
            history: VecDeque::new(),
            messages: 0,
            total: 0,
            retained: false,
            retained_below: 0,
            last_at: None,
            changed_at: None,
            rate: Rate::default(),
        }
    }

    pub fn is_topic(&self) -> bool {
        self.messages > 0
    }

    pub fn last(&self) -> Option<&Entry> {
        self.history.back()
    }
}

/// How siblings are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Name,
    Rate,
}

/// A rate as a sort key.
struct RateKey(f64);

impl PartialEq for RateKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for RateKey {}

impl PartialOrd for RateKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RateKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// One row of the tree as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub node: usize,
    pub depth: usize,
    pub expandable: bool,
    pub expanded: bool,
}

/// Bounds on what is kept: history per topic, and in all.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_topic: usize,
    pub entries: usize,
    pub bytes: usize,
}

pub struct Model {
    pub nodes: Vec<Node>,
    /// Each topic's node: one lookup a message, rather than one a level.
    by_topic: HashMap<Box<str>, usize, foldhash::fast::RandomState>,
    pub limits: Limits,
    /// (node, entry) of each history entry kept besides the topics' newest, oldest first: what
    /// is dropped when the limits are hit. An entry a topic dropped itself stays here until it
    /// comes up, and is skipped.
    order: VecDeque<(usize, u64)>,
    next_seq: u64,
    /// History entries kept besides each topic's newest, and their payload bytes.
    kept: usize,
    kept_bytes: usize,
    /// History entries dropped to stay within the limits.
    pub dropped: u64,
    pub received: u64,
    pub topics: usize,
    started: Instant,
    started_wall: SystemTime,
    /// Set by the view: `received` is no more reason to redraw than anything else changed.
    pub changed: bool,
}

impl Model {
    pub fn new(limits: Limits) -> Model {
        Model {
            nodes: vec![Node::new("", None)],
            by_topic: HashMap::default(),
            limits,
            order: VecDeque::new(),
            next_seq: 0,
            kept: 0,
            kept_bytes: 0,
            dropped: 0,
            received: 0,
            topics: 0,
            started: Instant::now(),
            started_wall: SystemTime::now(),
            changed: true,
        }
    }

    /// Whole seconds since the model began: the rates' clock.
    pub fn second(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.started).as_secs()
    }

    /// One message, counted along its topic's path and kept in its history.
    pub fn add(&mut self, message: &Message, now: Instant) {
        let topic = message.topic();
        let second = self.second(now);
        let node = match self.by_topic.get(topic) {
            Some(&node) => node,
            None => self.make_path(topic),
        };
        // Up from the topic: its levels above are few and shared, so this stays in cache.
        let mut at = Some(node);
        while let Some(i) = at {
            let n = &mut self.nodes[i];
            n.total += 1;
            n.rate.add(second, 1);
            n.last_at = Some(now);
            at = n.parent;
        }
        let n = &mut self.nodes[node];
        if n.messages == 0 {
            self.topics += 1;
        }
        let changed = n.last().is_none_or(|last| last.payload != message.payload);
        if changed {
            n.changed_at = Some(now);
        }
        n.messages += 1;
        // A live message after a retained one says nothing of the store; an empty retained
        // message clears it.
        if message.retain {
            self.mark_retained(node, !message.payload.is_empty());
        }
        self.received += 1;
        self.keep(node, message, now);
        self.changed = true;
    }

    /// The node of a topic not seen before, with the levels on the way to it.
    fn make_path(&mut self, topic: &str) -> usize {
        let mut node = 0;
        for level in topic.split('/') {
            node = match self.nodes[node].children.get(level) {
                Some(&next) => next,
                None => {
                    let next = self.nodes.len();
                    self.nodes.push(Node::new(level, Some(node)));
                    self.nodes[node].children.insert(level.into(), next);
                    next
                }
            };
        }
        self.by_topic.insert(topic.into(), node);
        node
    }

    /// Whether the broker holds a retained message for `node`: as a retained message says,
    /// or as our own publish set it (the broker passes that on to us without its retain flag).
    pub fn mark_retained(&mut self, node: usize, retained: bool) {
        if self.nodes[node].retained == retained {
            return;
        }
        self.nodes[node].retained = retained;
        let delta: i64 = if retained { 1 } else { -1 };
        let mut at = Some(node);
        while let Some(i) = at {
            let below = &mut self.nodes[i].retained_below;
            *below = (i64::from(*below) + delta).max(0) as u32;
            at = self.nodes[i].parent;
        }
        self.changed = true;
    }

    /// Keep `message` as `node`'s newest; the one it replaces becomes history, which the
    /// limits bound (a topic's newest message is what the view shows: it is never dropped).
    fn keep(&mut self, node: usize, message: &Message, now: Instant) {
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(previous) = self.nodes[node].history.back() {
            self.order.push_back((node, previous.seq));
            self.kept += 1;
            self.kept_bytes += previous.payload.len();
        }
        self.nodes[node].history.push_back(Entry {
            seq,
            // One clock read a message: the wall time follows from the monotonic one.
            at: self.started_wall + now.saturating_duration_since(self.started),
            payload: message.payload.clone(),
            qos: message.qos,
            retain: message.retain,
            properties: message.properties.as_deref().cloned().map(Arc::new),
        });
        if self.nodes[node].history.len() > self.limits.per_topic {
            self.drop_oldest_of(node);
        }
        while self.kept > self.limits.entries || self.kept_bytes > self.limits.bytes {
            let Some((oldest, seq)) = self.order.pop_front() else {
                break;
            };
            let history = &self.nodes[oldest].history;
            // Skipped: dropped already by its topic's own limit.
            if history.len() > 1 && history.front().is_some_and(|e| e.seq == seq) {
                self.drop_oldest_of(oldest);
            }
        }
    }

    /// Drop `node`'s oldest history entry (never its newest).
    fn drop_oldest_of(&mut self, node: usize) {
        if self.nodes[node].history.len() < 2 {
            return;
        }
        if let Some(entry) = self.nodes[node].history.pop_front() {
            self.kept -= 1;
            self.kept_bytes -= entry.payload.len();
            self.dropped += 1;
        }
    }

    /// The topic of `node`, as its levels joined by `/`.
    pub fn topic(&self, node: usize) -> String {
        let mut levels = Vec::new();
        let mut at = Some(node);
        while let Some(i) = at {
            if i != 0 {
                levels.push(self.nodes[i].name.as_str());
            }
            at = self.nodes[i].parent;
        }
        levels.reverse();
        levels.join("/")
    }

    /// The rows to show: the children of every expanded node, siblings in `sort` order. With a
    /// `filter`, only the topics whose name holds it, with the levels above them open.
    pub fn rows(
        &self,
        expanded: &HashSet<usize>,
        sort: Sort,
        filter: &str,
        now: Instant,
    ) -> Vec<Row> {
        let matching = (!filter.is_empty()).then(|| self.matching(filter));
        let second = self.second(now);
        let mut rows = Vec::new();
        self.walk(0, 0, expanded, sort, second, matching.as_ref(), &mut rows);
        rows
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        node: usize,
        depth: usize,
        expanded: &HashSet<usize>,
        sort: Sort,
        second: u64,
        matching: Option<&HashSet<usize>>,
        rows: &mut Vec<Row>,
    ) {
        let mut children: Vec<usize> = self.nodes[node]
            .children
            .values()
            .copied()
            .filter(|c| matching.is_none_or(|m| m.contains(c)))
            .collect();
        let name = |c: &usize| self.nodes[*c].name.as_str();
        match sort {
            Sort::Name => children.sort_unstable_by(|a, b| name(a).cmp(name(b))),
            Sort::Rate => children.sort_by_cached_key(|c| {
                let rate = self.nodes[*c].rate.per_second(second);
                (std::cmp::Reverse(RateKey(rate)), name(c))
            }),
        }
        for child in children {
            let n = &self.nodes[child];
            let open = matching.is_some() || expanded.contains(&child);
            rows.push(Row {
                node: child,
                depth,
                expandable: !n.children.is_empty(),
                expanded: open && !n.children.is_empty(),
            });
            if open {
                self.walk(child, depth + 1, expanded, sort, second, matching, rows);
            }
        }
    }

    /// The nodes on the way to every topic whose name holds `filter` (case-insensitive).
    fn matching(&self, filter: &str) -> HashSet<usize> {
        let filter = filter.to_lowercase();
        let mut keep = HashSet::new();
        for (i, node) in self.nodes.iter().enumerate().skip(1) {
            if !node.is_topic() || keep.contains(&i) {
                continue;
            }
            if self.topic(i).to_lowercase().contains(&filter) {
                let mut at = Some(i);
                while let Some(j) = at {
                    if j == 0 || !keep.insert(j) {
                        break;
                    }
                    at = self.nodes[j].parent;
                }
            }
        }
        keep
    }

    /// The node of `topic`, if it was seen.
    pub fn find(&self, topic: &str) -> Option<usize> {
        topic.split('/').try_fold(0, |node, level| {
            self.nodes[node].children.get(level).copied()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(topic: &str, payload: &[u8], retain: bool) -> Message {
        Message::sample(topic, payload, retain)
    }

    fn model() -> Model {
        Model::new(Limits {
            per_topic: 3,
            entries: 5,
            bytes: 1 << 20,
        })
    }

    fn shown(m: &Model, rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| format!("{}{}", "  ".repeat(r.depth), m.topic(r.node)))
            .collect()
    }

    #[test]
    fn counts_roll_up_to_the_parents() {
        let mut m = model();
        let now = Instant::now();
        for (topic, retain) in [("a/b", true), ("a/b", false), ("a/c/d", false), ("x", true)] {
            m.add(&message(topic, b"1", retain), now);
        }
        let a = m.find("a").unwrap();
        assert_eq!((m.nodes[a].total, m.nodes[a].messages), (3, 0));
        assert_eq!(m.nodes[m.find("a/b").unwrap()].messages, 2);
        assert_eq!(m.nodes[a].retained_below, 1);
        assert_eq!(m.topics, 3);
        assert_eq!(m.received, 4);
        // An empty retained message clears the retained mark, up the tree too.
        m.add(&message("a/b", b"", true), now);
        assert_eq!(m.nodes[a].retained_below, 0);
        assert!(!m.nodes[m.find("a/b").unwrap()].retained);
    }

    #[test]
    fn rows_follow_what_is_expanded_sorted_and_filtered() {
        let mut m = model();
        let now = Instant::now();
        for topic in ["b/one", "a/two", "a/three", "a/three", "c"] {
            m.add(&message(topic, b"1", false), now);
        }
        let a = m.find("a").unwrap();
        let closed = m.rows(&HashSet::new(), Sort::Name, "", now);
        assert_eq!(shown(&m, &closed), ["a", "b", "c"]);
        let open = m.rows(&HashSet::from([a]), Sort::Name, "", now);
        assert_eq!(shown(&m, &open), ["a", "  a/three", "  a/two", "b", "c"]);
        assert!(open[0].expandable && open[0].expanded && !open[4].expandable);
        // The filter opens the way to what matches.
        let found = m.rows(&HashSet::new(), Sort::Name, "ONE", now);
        assert_eq!(shown(&m, &found), ["b", "  b/one"]);
        // By rate: a's subtree had three messages.
        let later = now + Duration::from_secs(1);
        let by_rate = m.rows(&HashSet::new(), Sort::Rate, "", later);
        assert_eq!(shown(&m, &by_rate)[0], "a");
    }

    #[test]
    fn rates_cover_the_last_whole_seconds() {
        let mut rate = Rate::default();
        rate.add(10, 5);
        rate.add(11, 10);
        rate.add(12, 1);
        assert_eq!(rate.per_second(12), 15.0 / RATE_SECONDS as f64);
        assert_eq!(rate.per_second(13), 16.0 / RATE_SECONDS as f64);
        // Long after: nothing.
        assert_eq!(rate.per_second(100), 0.0);
    }

    #[test]
    fn history_is_bounded_per_topic_and_in_all() {
        let mut m = model();
        let now = Instant::now();
        for n in 0..4 {
            m.add(&message("a", format!("a{n}").as_bytes(), false), now);
        }
        let a = m.find("a").unwrap();
        // Three per topic: the oldest went.
        let kept: Vec<_> = m.nodes[a]
            .history
            .iter()
            .map(|e| e.payload.clone())
            .collect();
        assert_eq!(kept, ["a1", "a2", "a3"]);
        assert_eq!((m.kept, m.dropped), (2, 1));
        for topic in ["b", "c"] {
            for n in 0..3 {
                m.add(
                    &message(topic, format!("{topic}{n}").as_bytes(), false),
                    now,
                );
            }
        }
        // Six older entries would be one too many: the oldest of all (a1) went.
        assert_eq!((m.kept, m.dropped), (5, 2));
        assert_eq!(m.nodes[a].history.front().unwrap().payload, "a2");
        // A topic's newest message is never dropped, however many topics there are.
        for n in 0..100 {
            m.add(&message(&format!("t/{n}"), b"x", false), now);
        }
        assert_eq!(m.kept, 5);
        assert_eq!(m.nodes[m.find("t/0").unwrap()].history.len(), 1);
    }
}
