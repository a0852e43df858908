//! What a bench run shows: a live view while it runs (indicatif on a terminal, a plain line a
//! second otherwise), then a summary table, a flat JSON summary and an HdrHistogram log.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::Setup;
use super::stats::{Counters, Histograms, Measured};
use crate::cli::ReportArgs;
use crate::exit::{Failure, Result};
use crate::report as say;

/// Sends that lag their schedule by more than this (and by more than two intervals) mean the
/// generator, not the broker, is the limit.
const LAG_LIMIT: Duration = Duration::from_millis(50);

pub struct Progress {
    task: JoinHandle<()>,
    bar: Option<ProgressBar>,
    pub generator_limited: Arc<AtomicU64>,
}

impl Progress {
    pub fn start(
        counters: Arc<Counters>,
        lag_now: Arc<AtomicU64>,
        interval: Option<Duration>,
        quiet: bool,
        run_time: Option<Duration>,
    ) -> Progress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(run_time.map_or(0, |d| d.as_millis() as u64));
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed_precise} [{wide_bar}] {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        let generator_limited = Arc::new(AtomicU64::new(0));
        let limited = generator_limited.clone();
        let view = bar.clone();
        let threshold = interval.map_or(LAG_LIMIT, |i| LAG_LIMIT.max(i * 2));
        let task = tokio::spawn(async move {
            let start = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            let mut last = (0, 0, 0);
            let mut lagging = 0;
            loop {
                tick.tick().await;
                let (sent, acked, received) = (
                    Counters::get(&counters.sent),
                    Counters::get(&counters.acked),
                    Counters::get(&counters.received),
                );
                let lag = Duration::from_micros(lag_now.swap(0, Ordering::Relaxed));
                if interval.is_some() && lag > threshold {
                    lagging += 1;
                    if lagging == 2 && limited.fetch_add(1, Ordering::Relaxed) == 0 {
                        let warning = format!(
                            "sends lag their schedule by {} ms: the load generator, not the broker, is the limit (use fewer clients per process, --shard over machines, or a lower rate)",
                            lag.as_millis()
                        );
                        match &view {
                            Some(bar) => bar.suspend(|| say::warning(&warning)),
                            None => say::warning(&warning),
                        }
                    }
                } else {
                    lagging = 0;
                }
                let line = format!(
                    "conn {} sent {} ({}/s) acked {} ({}/s) recv {} ({}/s) lag {} ms fail {}",
                    Counters::get(&counters.connected),
                    sent,
                    sent - last.0,
                    acked,
                    acked - last.1,
                    received,
                    received - last.2,
                    lag.as_millis(),
                    Counters::get(&counters.failures),
                );
                last = (sent, acked, received);
                match &view {
                    Some(bar) => {
                        bar.set_position(start.elapsed().as_millis() as u64);
                        bar.set_message(line);
                    }
                    None if !quiet => {
                        say::note(&format!("[{:>5.1}s] {line}", start.elapsed().as_secs_f64()))
                    }
                    None => {}
                }
            }
        });
        Progress {
            task,
            bar,
            generator_limited,
        }
    }

    pub fn finish(self) -> bool {
        self.task.abort();
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
        self.generator_limited.load(Ordering::Relaxed) > 0
    }
}

/// Percentiles of one histogram, in microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
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
    fn of(h: &Histogram<u64>) -> Percentiles {
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

/// The end-of-run summary. Its JSON form is flat and its keys are stable (see the README).
pub struct Summary {
    pub json: BTreeMap<String, serde_json::Value>,
    pub histograms: Histograms,
    pub measured_time: Duration,
    pub text: String,
}

/// What a run produced, for the summary.
pub struct Outcome {
    pub measured: Measured,
    pub histograms: Histograms,
    /// The measured time (after warm-up).
    pub measured_time: Duration,
    pub interrupted: bool,
}

impl Summary {
    pub fn new(
        mode: &'static str,
        setup: &Setup,
        publish: Option<(u8, usize)>,
        subscribe: Option<(u32, bool)>,
        outcome: Outcome,
    ) -> Summary {
        let Outcome {
            measured,
            histograms,
            measured_time,
            interrupted,
        } = outcome;
        let secs = measured_time.as_secs_f64().max(1e-9);
        let mut json: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        let mut put = |key: &str, value: serde_json::Value| {
            json.insert(key.to_string(), value);
        };
        let rate = |n: u64| (n as f64 / secs * 10.0).round() / 10.0;
        put("mode", mode.into());
        put("threads", setup.threads.into());
        put("clients", setup.clients.len().into());
        put(
            "protocol",
            if setup.spec.protocol == crate::connect::Protocol::V5 {
                5
            } else {
                311
            }
            .into(),
        );
        put("qos", publish.map(|p| p.0).into());
        put("payload_bytes", publish.map(|p| p.1).into());
        put("subscribers", subscribe.map(|s| s.0).into());
        put("measured_s", ((secs * 1000.0).round() / 1000.0).into());
        put("warmup_s", setup.warmup.as_secs_f64().into());
        put("interrupted", interrupted.into());
        put("sent", measured.sent.into());
        put("acked", measured.acked.into());
        put("received", measured.received.into());
        put("send_rate", rate(measured.sent).into());
        put("ack_rate", rate(measured.acked).into());
        put("receive_rate", rate(measured.received).into());
        let expected = match (publish, subscribe) {
            (Some(_), Some((subs, shared))) => {
                Some(measured.sent_total * if shared { 1 } else { subs as u64 })
            }
            _ => None,
        };
        put("expected", expected.into());
        let lost = expected.map(|e| e.saturating_sub(measured.streams.unique));
        put("lost", lost.into());
        put("duplicates", measured.streams.duplicates.into());
        put("reordered", measured.streams.reordered.into());
        let errors: u64 = measured.failures.values().sum();
        put("errors_total", errors.into());
        put(
            "errors",
            serde_json::to_value(&measured.failures).unwrap_or_default(),
        );
        let mut hist = |prefix: &str, h: &Histogram<u64>| {
            let p = Percentiles::of(h);
            for (suffix, value) in [
                ("count", serde_json::Value::from(p.count)),
                ("min", p.min.into()),
                ("mean", p.mean.into()),
                ("p50", p.p50.into()),
                ("p90", p.p90.into()),
                ("p99", p.p99.into()),
                ("p999", p.p999.into()),
                ("p9999", p.p9999.into()),
                ("max", p.max.into()),
            ] {
                json.insert(format!("{prefix}_{suffix}"), value);
            }
            p
        };
        let h = &histograms;
        let latency = hist("latency_us", &h.latency);
        let service = hist("service_latency_us", &h.service);
        let ack = hist("ack_latency_us", &h.ack);
        let lag = hist("send_lag_us", &h.lag);
        let tcp = hist("connect_tcp_us", &h.tcp);
        let tls = hist("connect_tls_us", &h.tls);
        let connack = hist("connack_us", &h.connack);

        let mut text = String::new();
        let qos = publish
            .map(|p| format!(", QoS {}, {}-byte payloads", p.0, p.1))
            .unwrap_or_default();
        let subs = subscribe
            .map(|s| {
                format!(
                    ", {} subscriber(s){}",
                    s.0,
                    if s.1 { " (shared)" } else { "" }
                )
            })
            .unwrap_or_default();
        text.push_str(&format!(
            "moth bench {mode}: {} client(s){subs}{qos}, {} thread(s), {:.1} s measured{}{}\n",
            setup.clients.len(),
            setup.threads,
            secs,
            if setup.warmup > Duration::ZERO {
                format!(" after {:.1} s warm-up", setup.warmup.as_secs_f64())
            } else {
                String::new()
            },
            if interrupted { " (interrupted)" } else { "" },
        ));
        if publish.is_some() {
            text.push_str(&format!(
                "  sent     {:>10}  {:>10.1}/s\n  acked    {:>10}  {:>10.1}/s\n",
                measured.sent,
                rate(measured.sent),
                measured.acked,
                rate(measured.acked),
            ));
        }
        if subscribe.is_some() {
            text.push_str(&format!(
                "  received {:>10}  {:>10.1}/s\n",
                measured.received,
                rate(measured.received)
            ));
        }
        if let Some(expected) = expected {
            text.push_str(&format!(
                "  lost {} of {expected} expected, {} duplicate(s), {} reordered\n",
                lost.unwrap_or(0),
                measured.streams.duplicates,
                measured.streams.reordered
            ));
        }
        let mut row = |name: &str, p: &Percentiles| {
            if p.count > 0 {
                text.push_str(&format!(
                    "  {name:<28} p50 {:>7}  p90 {:>7}  p99 {:>7}  p99.9 {:>7}  p99.99 {:>7}  max {:>7}\n",
                    p.p50, p.p90, p.p99, p.p999, p.p9999, p.max
                ));
            }
        };
        row("latency µs (from schedule)", &latency);
        row("latency µs (from actual send)", &service);
        row("ack latency µs", &ack);
        row("send lag µs", &lag);
        row("connect: TCP µs", &tcp);
        row("connect: TLS µs", &tls);
        row("connect: CONNACK µs", &connack);
        if errors == 0 {
            text.push_str("  errors: none\n");
        } else {
            for (reason, n) in &measured.failures {
                text.push_str(&format!("  error x{n}: {reason}\n"));
            }
        }
        Summary {
            json,
            histograms,
            measured_time,
            text,
        }
    }

    pub fn set(&mut self, key: &str, value: serde_json::Value) {
        self.json.insert(key.to_string(), value);
    }
}

/// Print the summary, write --json and --hdr-out.
pub fn finish(summary: &Summary, report: &ReportArgs) -> Result<()> {
    let json_to_stdout = report.json.as_deref() == Some("-");
    let text = summary.text.as_bytes();
    if json_to_stdout {
        let _ = std::io::stderr().write_all(text);
    } else {
        let _ = std::io::stdout().write_all(text);
    }
    if let Some(target) = &report.json {
        let mut line =
            serde_json::to_vec(&summary.json).map_err(|e| Failure::usage(e.to_string()))?;
        line.push(b'\n');
        let written = if json_to_stdout {
            std::io::stdout().write_all(&line)
        } else {
            std::fs::write(target, &line)
        };
        written.map_err(|e| {
            Failure::usage(format!(
                "cannot write --json {target}: {}",
                crate::connect::io_reason(&e)
            ))
        })?;
    }
    if let Some(path) = &report.hdr_out {
        write_hdr(path, &summary.histograms, summary.measured_time).map_err(|why| {
            Failure::usage(format!("cannot write --hdr-out {}: {why}", path.display()))
        })?;
    }
    Ok(())
}

/// The histograms as one interval each in an HdrHistogram interval log (V2, deflate, base64),
/// tagged by what they measure, so logs from several machines can be merged.
fn write_hdr(
    path: &std::path::Path,
    h: &Histograms,
    span: Duration,
) -> std::result::Result<(), String> {
    let mut out = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    let now = SystemTime::now();
    let mut log = IntervalLogWriterBuilder::new()
        .add_comment("moth bench latency histograms, microseconds")
        .with_start_time(now)
        .begin_log_with(&mut out, &mut serializer)
        .map_err(|e| e.to_string())?;
    for (tag, h) in h.all() {
        if h.is_empty() {
            continue;
        }
        log.write_histogram(h, Duration::ZERO, span, Tag::new(tag))
            .map_err(|e| format!("{e:?}"))?;
    }
    std::fs::write(path, out).map_err(|e| crate::connect::io_reason(&e))
}
