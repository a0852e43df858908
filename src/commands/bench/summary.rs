//! The end-of-run summary as one typed value: what `--json` writes (flat, stable keys, see the
//! README), what `bench merge` reads back, and what the text view (`text`) shows.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};

use super::Setup;
use super::lag::LagCause;
use super::mode::Mode;
use super::stats::{Histograms, Measured, Span};

/// Percentiles of one histogram, in microseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Percentiles {
    pub count: u64,
    pub min: u64,
    pub mean: f64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub p9999: u64,
    pub max: u64,
}

impl Percentiles {
    pub fn of(h: &Histogram<u64>) -> Percentiles {
        if h.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            count: h.len(),
            min: h.min(),
            mean: (h.mean() * 10.0).round() / 10.0,
            p50: h.value_at_quantile(0.50),
            p90: h.value_at_quantile(0.90),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            p9999: h.value_at_quantile(0.9999),
            max: h.max(),
        }
    }
}

/// Every latency family, written flat (`latency_us_p99`, ...), as the JSON has always been.
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    pub latency: Percentiles,
    pub service: Percentiles,
    pub ack: Percentiles,
    pub lag: Percentiles,
    pub tcp: Percentiles,
    pub tls: Percentiles,
    pub connack: Percentiles,
}

impl Latencies {
    fn of(h: &Histograms) -> Latencies {
        Latencies {
            latency: Percentiles::of(&h.latency),
            service: Percentiles::of(&h.service),
            ack: Percentiles::of(&h.ack),
            lag: Percentiles::of(&h.lag),
            tcp: Percentiles::of(&h.tcp),
            tls: Percentiles::of(&h.tls),
            connack: Percentiles::of(&h.connack),
        }
    }

    pub fn families(&self) -> [(&'static str, &Percentiles); 7] {
        [
            ("latency_us", &self.latency),
            ("service_latency_us", &self.service),
            ("ack_latency_us", &self.ack),
            ("send_lag_us", &self.lag),
            ("connect_tcp_us", &self.tcp),
            ("connect_tls_us", &self.tls),
            ("connack_us", &self.connack),
        ]
    }
}

impl Serialize for Latencies {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(7 * 9))?;
        for (prefix, p) in self.families() {
            map.serialize_entry(&format!("{prefix}_count"), &p.count)?;
            map.serialize_entry(&format!("{prefix}_min"), &p.min)?;
            map.serialize_entry(&format!("{prefix}_mean"), &p.mean)?;
            map.serialize_entry(&format!("{prefix}_p50"), &p.p50)?;
            map.serialize_entry(&format!("{prefix}_p90"), &p.p90)?;
            map.serialize_entry(&format!("{prefix}_p99"), &p.p99)?;
            map.serialize_entry(&format!("{prefix}_p999"), &p.p999)?;
            map.serialize_entry(&format!("{prefix}_p9999"), &p.p9999)?;
            map.serialize_entry(&format!("{prefix}_max"), &p.max)?;
        }
        map.end()
    }
}

/// What a run (or the shards being merged) was: the summary's header.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    pub mode: Mode,
    pub threads: usize,
    pub clients: u64,
    pub protocol: u32,
    pub qos: Option<u8>,
    pub payload_bytes: Option<usize>,
    pub subscribers: Option<u32>,
    #[serde(default)]
    pub shared_subscription: bool,
    #[serde(default)]
    pub subscribe_qos: Option<u8>,
    pub warmup_s: f64,
    /// Each publisher's time between messages, when the run had a rate.
    #[serde(default)]
    pub interval_us: Option<u64>,
    /// pubsub without a rate: messages each publisher could have on their way.
    #[serde(default)]
    pub window: Option<u64>,
    /// How many `--shard` runs this summary covers (1 for a single run).
    #[serde(default = "one")]
    pub shards: u64,
    /// `--shard I/N` of the run that wrote it (none once merged, or for a run without shards).
    #[serde(default)]
    pub shard: Option<ShardOf>,
    /// What identifies one test across its shards: --start-at and every argument that shapes
    /// the load (not --shard, nor where the report goes).
    #[serde(default)]
    pub run_id: Option<String>,
    /// --start-at, in seconds since the epoch: shards that share it started together, however
    /// short their measured windows were.
    #[serde(default)]
    pub start_at_unix_s: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardOf {
    pub index: u64,
    pub count: u64,
}

fn one() -> u64 {
    1
}

/// What a run produced, for the summary.
pub struct Outcome {
    pub measured: Measured,
    pub histograms: Histograms,
    /// The measured time (after warm-up).
    pub measured_time: Duration,
    pub interrupted: bool,
    /// bench sub -L: the limit ended the run.
    pub limit_reached: bool,
    pub lag_cause: Option<LagCause>,
    /// The measured window in Unix nanoseconds, so that merged shards rate over its union.
    pub window: (u64, u64),
    /// When sending stopped (Unix ns): what arrived later was drained.
    pub sending_ended_ns: Option<u64>,
    /// pubsub: the measured messages times the copies each makes.
    pub expected: Option<u64>,
}

/// One check of the verdict (verdict.rs), as the summary records it.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    /// The threshold (`None` for checks that want zero).
    pub limit: Option<f64>,
    pub value: f64,
    pub passed: bool,
    /// The exit code when it fails.
    pub code: u8,
}

/// Loss whose usual cause the summary names (see `loss_cause`).
pub const SUBSCRIBER_QUEUE: &str = "subscriber_queue";

#[derive(Serialize)]
pub struct Summary {
    #[serde(flatten)]
    pub info: RunInfo,
    pub measured_s: f64,
    pub window_start_unix_ns: u64,
    pub window_end_unix_ns: u64,
    pub interrupted: bool,
    pub limit_reached: bool,
    /// Sends lagged their schedule: `broker` (the in-flight window waited for it) or
    /// `generator` (this machine was busy).
    pub lag_cause: Option<LagCause>,
    pub generator_limited: bool,
    pub sent: u64,
    pub acked: u64,
    pub received: u64,
    /// Over the whole run, warm-up included.
    pub sent_total: u64,
    /// Distinct messages received of those meant for the measured window.
    pub received_unique: u64,
    /// The windows the rates are taken over (Unix ns) and their lengths: sending from the
    /// measured start to its end; acknowledgements until the last; arrivals until the last
    /// (pubsub from the measured start, bench sub from the first arrival).
    pub send_window: Option<Span>,
    pub ack_window: Option<Span>,
    pub receive_window: Option<Span>,
    pub send_window_s: Option<f64>,
    pub ack_window_s: Option<f64>,
    pub receive_window_s: Option<f64>,
    /// Count over window; none where a window is empty.
    pub send_rate: Option<f64>,
    pub ack_rate: Option<f64>,
    pub receive_rate: Option<f64>,
    pub sending_ended_unix_ns: Option<u64>,
    /// Measured messages that arrived after sending stopped, and for how long they came.
    pub drained: u64,
    pub drain_s: Option<f64>,
    /// Messages of another shard's publishers this shard's subscribers received (each shard
    /// accounts for its own publishers' messages).
    pub received_other_shards: u64,
    /// Publishes the broker refused.
    pub refused: u64,
    /// The measured messages times the copies each makes (one per subscriber).
    pub expected: Option<u64>,
    pub lost: Option<u64>,
    pub loss_percent: Option<f64>,
    /// Why messages were lost, when the numbers point at one cause.
    pub loss_cause: Option<&'static str>,
    pub duplicates: u64,
    pub reordered: u64,
    /// QoS 1/2 messages never acknowledged.
    pub unconfirmed: u64,
    pub clients_failed: u64,
    pub reconnects: u64,
    pub reconnects_by_client: BTreeMap<String, u64>,
    pub connection_drops: BTreeMap<String, u64>,
    pub errors_total: u64,
    pub errors: BTreeMap<String, u64>,
    #[serde(flatten)]
    pub latencies: Latencies,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connected: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_failures: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_per_connection_bytes: Option<Option<u64>>,
    /// The thresholds and checks the exit status follows.
    pub checks: Vec<Check>,
    pub passed: bool,
    /// Each histogram, HdrHistogram V2 (deflate) in base64, so `bench merge` can combine
    /// percentiles exactly.
    pub histograms: BTreeMap<String, String>,
    #[serde(skip)]
    pub raw: Histograms,
}

impl RunInfo {
    pub fn new(
        mode: Mode,
        setup: &Setup,
        publish: Option<(u8, Option<usize>, Option<Duration>)>,
        subscribe: Option<(u32, bool, u8)>,
    ) -> RunInfo {
        RunInfo {
            mode,
            threads: setup.threads,
            clients: setup.clients.len() as u64,
            protocol: if setup.spec.protocol == crate::connect::Protocol::V5 {
                5
            } else {
                311
            },
            qos: publish.map(|p| p.0),
            payload_bytes: publish.and_then(|p| p.1),
            interval_us: publish.and_then(|p| p.2).map(|i| i.as_micros() as u64),
            window: (mode == Mode::Pubsub && publish.is_some_and(|p| p.2.is_none()))
                .then_some(setup.window),
            subscribers: subscribe.map(|s| s.0),
            shared_subscription: subscribe.is_some_and(|s| s.1),
            subscribe_qos: subscribe.map(|s| s.2),
            warmup_s: setup.warmup.as_secs_f64(),
            shards: 1,
            shard: setup.shard.map(|(index, count)| ShardOf { index, count }),
            run_id: Some(setup.run_id.clone()),
            start_at_unix_s: setup
                .start_at
                .and_then(|at| at.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|since| since.as_secs()),
        }
    }
}

impl Summary {
    pub fn new(
        mode: Mode,
        setup: &Setup,
        publish: Option<(u8, Option<usize>, Option<Duration>)>,
        subscribe: Option<(u32, bool, u8)>,
        outcome: Outcome,
    ) -> Summary {
        Summary::build(RunInfo::new(mode, setup, publish, subscribe), outcome)
    }

    pub fn build(info: RunInfo, outcome: Outcome) -> Summary {
        let Outcome {
            measured: m,
            histograms,
            measured_time,
            interrupted,
            limit_reached,
            lag_cause,
            window,
            sending_ended_ns,
            expected,
        } = outcome;
        let secs = measured_time.as_secs_f64().max(1e-9);
        let windows = Windows::of(&info, &m, window, sending_ended_ns);
        // A burst that arrives within a millisecond has no rate worth the name.
        let rate = |n: u64, span: Option<Span>| {
            span.map(|s| s.seconds())
                .filter(|s| *s >= 0.001)
                .map(|s| (n as f64 / s * 10.0).round() / 10.0)
        };
        let length = |span: Option<Span>| span.map(|s| (s.seconds() * 1e6).round() / 1e6);
        let lost = expected.map(|e| e.saturating_sub(m.streams.unique_measured));
        let loss_percent = match (lost, expected) {
            (Some(lost), Some(e)) if e > 0 => Some((lost as f64 * 1e6 / e as f64).round() / 1e4),
            (Some(_), Some(_)) => Some(0.0),
            _ => None,
        };
        // Subscribers got messages, every publish was acknowledged and no connection dropped,
        // yet some never arrived:
        // the broker dropped them on the way out, which is what a full per-client queue does.
        let loss_cause = (lost.unwrap_or(0) > 0
            && m.streams.unique > 0
            && m.unconfirmed == 0
            && m.clients_failed == 0
            && m.drops.is_empty()
            && !interrupted)
            .then_some(SUBSCRIBER_QUEUE);
        let drain_s = match (sending_ended_ns, m.arrivals) {
            (Some(ended), Some(arrivals)) => {
                Some((arrivals.last_ns.saturating_sub(ended) as f64 / 1e9 * 1e3).round() / 1e3)
            }
            _ => None,
        };
        let errors_total = m.failures.values().sum();
        let reconnects = m.reconnects.values().sum();
        Summary {
            measured_s: (secs * 1000.0).round() / 1000.0,
            window_start_unix_ns: window.0,
            window_end_unix_ns: window.1,
            interrupted,
            limit_reached,
            lag_cause,
            generator_limited: lag_cause == Some(LagCause::Generator),
            sent: m.sent,
            acked: m.acked,
            received: m.received,
            sent_total: m.sent_total,
            received_unique: m.streams.unique_measured,
            send_window_s: length(windows.send),
            ack_window_s: length(windows.ack),
            receive_window_s: length(windows.receive),
            send_rate: rate(m.sent, windows.send),
            ack_rate: rate(m.acked, windows.ack),
            receive_rate: rate(m.received, windows.receive),
            send_window: windows.send,
            ack_window: windows.ack,
            receive_window: windows.receive,
            sending_ended_unix_ns: sending_ended_ns,
            drained: m.drained,
            drain_s,
            received_other_shards: m.received_other_shards,
            refused: m.refused,
            expected,
            lost,
            loss_percent,
            loss_cause,
            duplicates: m.streams.duplicates,
            reordered: m.streams.reordered,
            unconfirmed: m.unconfirmed,
            clients_failed: m.clients_failed,
            reconnects,
            reconnects_by_client: m.reconnects,
            connection_drops: m.drops,
            errors_total,
            errors: m.failures,
            latencies: Latencies::of(&histograms),
            connected: None,
            connect_failures: None,
            rss_per_connection_bytes: None,
            checks: Vec::new(),
            passed: true,
            histograms: encode_all(&histograms),
            raw: histograms,
            info,
        }
    }
}

/// The spans the rates are taken over.
struct Windows {
    send: Option<Span>,
    ack: Option<Span>,
    receive: Option<Span>,
}

impl Windows {
    /// Sending: from the measured start to the planned end (or, with -L alone, the last send).
    /// Acknowledgements: from the same start until the last came, sending's end at least.
    /// Arrivals: in pubsub the same, until the last arrival, drain included; in bench sub, whose
    /// publishers moth does not know, from the first arrival to the last.
    fn of(
        info: &RunInfo,
        m: &Measured,
        window: (u64, u64),
        sending_ended_ns: Option<u64>,
    ) -> Windows {
        let start = window.0;
        let send_end = match (m.sends, sending_ended_ns) {
            // The schedule's end, unless sending stopped earlier (-L, Ctrl-C).
            (Some(sends), Some(ended)) => Some(window.1.min(ended).max(sends.last_ns)),
            (Some(sends), None) => Some(sends.last_ns),
            _ => None,
        };
        let from_start = |last: Option<u64>| {
            last.map(|last_ns| Span {
                first_ns: start,
                last_ns,
            })
        };
        let send = from_start(send_end);
        let ack = from_start(
            m.acks
                .map(|a| a.last_ns.max(send_end.unwrap_or(0)))
                .or(send_end.filter(|_| m.acked > 0)),
        );
        let receive = match info.mode {
            Mode::Pubsub => from_start(m.arrivals.map(|a| a.last_ns.max(send_end.unwrap_or(0)))),
            _ => m.arrivals,
        };
        Windows { send, ack, receive }
    }
}

fn encode_all(h: &Histograms) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (tag, h) in h.all() {
        if h.is_empty() {
            continue;
        }
        let mut bytes = Vec::new();
        if V2DeflateSerializer::new().serialize(h, &mut bytes).is_ok() {
            out.insert(
                tag.to_string(),
                base64::engine::general_purpose::STANDARD.encode(bytes),
            );
        }
    }
    out
}

/// A histogram written by `encode_all`.
pub fn decode(text: &str) -> Result<Histogram<u64>, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| e.to_string())?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| {
            use hdrhistogram::serialization::DeserializeError::*;
            match e {
                IoError(_) => "its data is cut short (was the file truncated or edited?)",
                InvalidCookie => "it is not an HdrHistogram (was the file edited?)",
                UnsupportedFeature | UsizeTypeTooSmall => {
                    "it uses an HdrHistogram format moth cannot read"
                }
                UnsuitableCounterType | InvalidParameters | EncodedArrayTooLong => {
                    "its contents are inconsistent (was the file edited?)"
                }
            }
            .to_string()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_survive_the_json() {
        let mut h = Histograms::default();
        for v in [5, 50, 500, 5000] {
            h.latency.record(v).unwrap();
        }
        let encoded = encode_all(&h);
        assert_eq!(encoded.len(), 1, "empty histograms are left out");
        let back = decode(&encoded["latency"]).unwrap();
        assert_eq!(back.len(), 4);
        assert_eq!(back.max(), h.latency.max());
        // A damaged one says so in words.
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&encoded["latency"])
            .unwrap();
        let cut = base64::engine::general_purpose::STANDARD.encode(&bytes[..bytes.len() / 2]);
        assert_eq!(
            decode(&cut).unwrap_err(),
            "its data is cut short (was the file truncated or edited?)"
        );
        assert_eq!(
            decode("AAAAAAAA").unwrap_err(),
            "it is not an HdrHistogram (was the file edited?)"
        );
    }
}
