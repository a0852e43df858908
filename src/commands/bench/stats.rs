//! What a run measured: counters shared for the live view, histograms in a few locked shards
//! (a histogram costs tens of KiB, too much to give every one of thousands of clients its own),
//! and each worker's own small counts, merged at the end.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;

use super::streams::Streams;

/// Counters the live view samples; workers add to them with relaxed atomics.
#[derive(Default)]
pub struct Counters {
    pub connected: AtomicU64,
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub received: AtomicU64,
    /// Of `received`, the messages of this process's own publishers.
    pub received_own: AtomicU64,
    pub failures: AtomicU64,
    pub reconnects: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// End-to-end, from the intended send time to receipt (coordinated omission corrected).
    Latency,
    /// End-to-end, from the actual send time to receipt.
    Service,
    /// Publish to PUBACK/PUBCOMP, from the intended send time.
    Ack,
    /// How late sends were against the schedule.
    Lag,
    Tcp,
    Tls,
    Connack,
}

/// All histograms, in microseconds (1 µs to an hour, three significant digits; they grow as
/// values arrive, so an unused one stays small).
pub struct Histograms {
    pub latency: Histogram<u64>,
    pub service: Histogram<u64>,
    pub ack: Histogram<u64>,
    pub lag: Histogram<u64>,
    pub tcp: Histogram<u64>,
    pub tls: Histogram<u64>,
    pub connack: Histogram<u64>,
}

fn histogram() -> Histogram<u64> {
    let mut h = Histogram::new(3).expect("valid histogram precision");
    h.auto(true);
    h
}

impl Default for Histograms {
    fn default() -> Self {
        Histograms {
            latency: histogram(),
            service: histogram(),
            ack: histogram(),
            lag: histogram(),
            tcp: histogram(),
            tls: histogram(),
            connack: histogram(),
        }
    }
}

impl Histograms {
    fn get(&mut self, kind: Kind) -> &mut Histogram<u64> {
        match kind {
            Kind::Latency => &mut self.latency,
            Kind::Service => &mut self.service,
            Kind::Ack => &mut self.ack,
            Kind::Lag => &mut self.lag,
            Kind::Tcp => &mut self.tcp,
            Kind::Tls => &mut self.tls,
            Kind::Connack => &mut self.connack,
        }
    }

    /// The histogram under an `all` tag.
    pub fn tagged(&mut self, tag: &str) -> Option<&mut Histogram<u64>> {
        Some(match tag {
            "latency" => &mut self.latency,
            "service" => &mut self.service,
            "ack" => &mut self.ack,
            "lag" => &mut self.lag,
            "tcp" => &mut self.tcp,
            "tls" => &mut self.tls,
            "connack" => &mut self.connack,
            _ => return None,
        })
    }

    pub fn all(&self) -> [(&'static str, &Histogram<u64>); 7] {
        [
            ("latency", &self.latency),
            ("service", &self.service),
            ("ack", &self.ack),
            ("lag", &self.lag),
            ("tcp", &self.tcp),
            ("tls", &self.tls),
            ("connack", &self.connack),
        ]
    }

    pub fn merge(&mut self, other: &Histograms) {
        for kind in [
            Kind::Latency,
            Kind::Service,
            Kind::Ack,
            Kind::Lag,
            Kind::Tcp,
            Kind::Tls,
            Kind::Connack,
        ] {
            let theirs = match kind {
                Kind::Latency => &other.latency,
                Kind::Service => &other.service,
                Kind::Ack => &other.ack,
                Kind::Lag => &other.lag,
                Kind::Tcp => &other.tcp,
                Kind::Tls => &other.tls,
                Kind::Connack => &other.connack,
            };
            let _ = self.get(kind).add(theirs);
        }
    }
}

/// Histograms shared by all workers, split into shards so that workers rarely wait for a lock.
#[derive(Clone)]
pub struct Recorder {
    shards: Arc<[Mutex<Histograms>]>,
}

impl Recorder {
    pub fn new() -> Recorder {
        let n = std::thread::available_parallelism().map_or(2, |n| n.get()) * 4;
        Recorder {
            shards: (0..n).map(|_| Mutex::new(Histograms::default())).collect(),
        }
    }

    /// Record one duration; `worker` picks the shard.
    pub fn record(&self, worker: usize, kind: Kind, d: Duration) {
        let micros = (d.as_micros() as u64).max(1);
        let shard = &self.shards[worker % self.shards.len()];
        let _ = shard
            .lock()
            .expect("histogram lock")
            .get(kind)
            .record(micros);
    }

    /// Record a worker's batch with one lock.
    fn record_all(&self, worker: usize, batch: &[(Kind, u64)]) {
        let shard = &self.shards[worker % self.shards.len()];
        let mut histograms = shard.lock().expect("histogram lock");
        for &(kind, micros) in batch {
            let _ = histograms.get(kind).record(micros);
        }
    }

    pub fn merged(&self) -> Histograms {
        let mut all = Histograms::default();
        for shard in self.shards.iter() {
            all.merge(&shard.lock().expect("histogram lock"));
        }
        all
    }
}

/// A worker's samples, handed to the recorder once per batch of work rather than once per
/// message: one lock per read or write instead of one per message.
pub struct Samples<'a> {
    worker: usize,
    recorder: &'a Recorder,
    batch: Vec<(Kind, u64)>,
}

impl<'a> Samples<'a> {
    pub fn new(worker: usize, recorder: &'a Recorder) -> Samples<'a> {
        Samples {
            worker,
            recorder,
            batch: Vec::new(),
        }
    }

    pub fn add(&mut self, kind: Kind, d: Duration) {
        self.batch.push((kind, (d.as_micros() as u64).max(1)));
    }

    pub fn flush(&mut self) {
        if !self.batch.is_empty() {
            self.recorder.record_all(self.worker, &self.batch);
            self.batch.clear();
        }
    }
}

/// When something first and last happened to a measured message (Unix nanoseconds, from the
/// run's clock): a rate is taken over the span it was measured in, never over a longer one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Span {
    pub first_ns: u64,
    pub last_ns: u64,
}

impl Span {
    pub fn mark(span: &mut Option<Span>, at_ns: u64) {
        match span {
            Some(s) => {
                s.first_ns = s.first_ns.min(at_ns);
                s.last_ns = s.last_ns.max(at_ns);
            }
            None => {
                *span = Some(Span {
                    first_ns: at_ns,
                    last_ns: at_ns,
                })
            }
        }
    }

    pub fn join(a: Option<Span>, b: Option<Span>) -> Option<Span> {
        match (a, b) {
            (Some(a), Some(b)) => Some(Span {
                first_ns: a.first_ns.min(b.first_ns),
                last_ns: a.last_ns.max(b.last_ns),
            }),
            (a, b) => a.or(b),
        }
    }

    pub fn seconds(&self) -> f64 {
        self.last_ns.saturating_sub(self.first_ns) as f64 / 1e9
    }
}

/// One worker's counts.
#[derive(Default)]
pub struct Measured {
    /// When measured messages were sent, acknowledged (QoS 0: written) and received.
    pub sends: Option<Span>,
    pub acks: Option<Span>,
    pub arrivals: Option<Span>,
    /// Publishes the broker refused (MQTT 5 reason codes).
    pub refused: u64,
    /// Messages of another shard's publishers (their subscribers get this shard's too).
    pub received_other_shards: u64,
    /// Measured messages that arrived after sending stopped.
    pub drained: u64,
    pub streams: Streams,
    /// Counts within the measured window (after warm-up).
    pub sent: u64,
    pub acked: u64,
    pub received: u64,
    /// Over the whole run, for loss accounting.
    pub sent_total: u64,
    pub received_total: u64,
    pub failures: BTreeMap<String, u64>,
    /// QoS 1/2 messages sent and never acknowledged.
    pub unconfirmed: u64,
    /// Clients that lost their connection and could not get it back.
    pub clients_failed: u64,
    /// Reconnects per client id (clients that never reconnected are left out).
    pub reconnects: BTreeMap<String, u64>,
    /// Why connections dropped (each followed by a reconnect attempt).
    pub drops: BTreeMap<String, u64>,
}

impl Measured {
    pub fn fail(&mut self, reason: &str) {
        *self.failures.entry(reason.to_string()).or_default() += 1;
    }

    /// This client is done for: `reason` (when there is one to add) goes with the failures,
    /// and the run's counts and live view know.
    pub fn failed_for_good(&mut self, reason: Option<&str>, counters: &Counters) {
        if let Some(reason) = reason {
            self.fail(reason);
        }
        self.clients_failed += 1;
        Counters::add(&counters.failures, 1);
    }

    pub fn reconnected(&mut self, client_id: &str) {
        *self.reconnects.entry(client_id.to_string()).or_default() += 1;
    }

    pub fn disconnected(&mut self, reason: &str) {
        *self.drops.entry(reason.to_string()).or_default() += 1;
    }

    pub fn merge(&mut self, other: Measured) {
        self.sends = Span::join(self.sends, other.sends);
        self.acks = Span::join(self.acks, other.acks);
        self.arrivals = Span::join(self.arrivals, other.arrivals);
        self.refused += other.refused;
        self.received_other_shards += other.received_other_shards;
        self.drained += other.drained;
        self.unconfirmed += other.unconfirmed;
        self.clients_failed += other.clients_failed;
        for (id, n) in other.reconnects {
            *self.reconnects.entry(id).or_default() += n;
        }
        for (reason, n) in other.drops {
            *self.drops.entry(reason).or_default() += n;
        }
        self.sent += other.sent;
        self.acked += other.acked;
        self.received += other.received;
        self.sent_total += other.sent_total;
        self.received_total += other.received_total;
        for (reason, n) in other.failures {
            *self.failures.entry(reason).or_default() += n;
        }
        self.streams.merge(other.streams);
    }
}
