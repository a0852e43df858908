//! What a bench run shows: a live view while it runs (indicatif on a terminal, a plain line a
//! second otherwise), then a summary table, a flat JSON summary and an HdrHistogram log.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::lag::{Lag, LagCause};
use super::stats::{Counters, Histograms};
use super::summary::Summary;
use super::{text, verdict};
use crate::cli::{ReportArgs, ThresholdArgs};
use crate::exit::{Failure, Result};
use crate::report as say;

/// Sends that lag their schedule by more than this (and by more than two intervals) for two
/// seconds running are worth a warning, and a word on whose doing it is.
const LAG_LIMIT: Duration = Duration::from_millis(50);

pub struct LiveView {
    task: JoinHandle<()>,
    bar: Option<ProgressBar>,
    cause: Arc<std::sync::Mutex<Option<LagCause>>>,
    /// Copies the subscribers should receive in all, once sending has stopped.
    draining: Arc<AtomicU64>,
}

impl LiveView {
    pub fn start(
        counters: Arc<Counters>,
        lag: Arc<Lag>,
        interval: Option<Duration>,
        quiet: bool,
        run_time: Option<Duration>,
        publishes: bool,
    ) -> LiveView {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(run_time.map_or(0, |d| d.as_millis() as u64));
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed_precise} [{wide_bar}] {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        let cause = Arc::new(std::sync::Mutex::new(None));
        let draining = Arc::new(AtomicU64::new(0));
        let (found, expected) = (cause.clone(), draining.clone());
        let view = bar.clone();
        let threshold = interval.map_or(LAG_LIMIT, |i| LAG_LIMIT.max(i * 2));
        let task = tokio::spawn(async move {
            let start = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            let mut last = (0, 0, 0);
            let mut lagging: Option<(LagCause, u32)> = None;
            loop {
                tick.tick().await;
                let (sent, acked, received) = (
                    Counters::get(&counters.sent),
                    Counters::get(&counters.acked),
                    Counters::get(&counters.received),
                );
                let held = Duration::from_micros(lag.held.swap(0, Ordering::Relaxed));
                let own = Duration::from_micros(lag.own.swap(0, Ordering::Relaxed));
                let worst = held.max(own);
                let now_cause = match (interval.is_some() && worst > threshold, own >= held) {
                    (false, _) => None,
                    (true, true) => Some(LagCause::Generator),
                    (true, false) => Some(LagCause::Broker),
                };
                lagging = match (now_cause, lagging) {
                    (Some(c), Some((was, n))) if c == was => Some((c, n + 1)),
                    (Some(c), _) => Some((c, 1)),
                    (None, _) => None,
                };
                if let Some((c, 2)) = lagging {
                    let mut found = found.lock().unwrap_or_else(|e| e.into_inner());
                    // The machine being the limit outweighs a slow broker: say it once.
                    if *found != Some(LagCause::Generator) && *found != Some(c) {
                        *found = Some(c);
                        let warning = lag_warning(c, worst);
                        match &view {
                            Some(bar) => bar.suspend(|| say::warning(&warning)),
                            None => say::warning(&warning),
                        }
                    }
                }
                let mut line = format!("conn {}", Counters::get(&counters.connected));
                if publishes {
                    line += &format!(
                        " sent {sent} ({}/s) acked {acked} ({}/s)",
                        sent - last.0,
                        acked - last.1
                    );
                }
                line += &format!(" recv {received} ({}/s)", received - last.2);
                match expected.load(Ordering::Relaxed) {
                    0 => {}
                    all => {
                        let own = Counters::get(&counters.received_own);
                        line +=
                            &format!(" draining: {} still on their way", all.saturating_sub(own));
                    }
                }
                if publishes {
                    line += &format!(" lag {} ms", worst.as_millis());
                }
                line += &format!(" fail {}", Counters::get(&counters.failures));
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
        LiveView {
            task,
            bar,
            cause,
            draining,
        }
    }

    /// Sending has stopped: show what the subscribers still wait for (`copies` in all).
    pub fn draining(&self, copies: u64) {
        self.draining.store(copies.max(1), Ordering::Relaxed);
    }

    /// Stop the view; who held sends back, if anyone did.
    pub fn finish(self) -> Option<LagCause> {
        self.task.abort();
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
        *self.cause.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn lag_warning(cause: LagCause, lag: Duration) -> String {
    match cause {
        LagCause::Generator => format!(
            "sends lag their schedule by {} ms with room to send: this machine, not the broker, is the limit (use fewer clients per process, --shard over machines, or a lower rate)",
            lag.as_millis()
        ),
        LagCause::Broker => format!(
            "sends lag their schedule by {} ms waiting for acknowledgements: the broker cannot keep up with this rate (the in-flight window, --max-inflight, is full)",
            lag.as_millis()
        ),
    }
}

/// Judge the run, print the summary, write --json and --hdr-out; fail with the verdict's code.
pub fn finish(
    summary: &mut Summary,
    report: &ReportArgs,
    thresholds: &ThresholdArgs,
) -> Result<()> {
    let code = verdict::judge(summary, thresholds);
    let json_to_stdout = report.json.as_deref() == Some("-");
    let text = text::render(summary);
    let text = text.as_bytes();
    if json_to_stdout {
        let _ = std::io::stderr().write_all(text);
    } else {
        let _ = std::io::stdout().write_all(text);
    }
    if let Some(target) = &report.json {
        let mut line = serde_json::to_vec(&*summary).map_err(|e| Failure::usage(e.to_string()))?;
        line.push(b'\n');
        let written = if json_to_stdout {
            std::io::stdout().write_all(&line)
        } else {
            std::fs::write(target, &line)
        };
        written.map_err(|e| {
            Failure::usage(format!(
                "cannot write --json {target}: {}",
                crate::report::io_reason(&e)
            ))
        })?;
    }
    if let Some(path) = &report.hdr_out {
        let span = Duration::from_secs_f64(summary.measured_s.max(0.0));
        write_hdr(path, &summary.raw, span).map_err(|why| {
            Failure::usage(format!("cannot write --hdr-out {}: {why}", path.display()))
        })?;
    }
    let failed: Vec<String> = summary
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(verdict::describe)
        .collect();
    if code == crate::exit::SUCCESS {
        Ok(())
    } else {
        Err(Failure::new(
            code,
            format!("the run failed: {}", failed.join("; ")),
        ))
    }
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
            .map_err(|e| match e {
                hdrhistogram::serialization::interval_log::IntervalLogWriterError::IoError(e) => {
                    crate::report::io_reason(&e)
                }
                _ => "a histogram could not be encoded".to_string(),
            })?;
    }
    std::fs::write(path, out).map_err(|e| crate::report::io_reason(&e))
}
