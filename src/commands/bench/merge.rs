//! `moth bench merge`: one summary from the `--json` summaries of the `--shard` runs of one
//! test. Counters add up, rates are taken over the union of the shards' windows, and percentiles
//! come from the merged histograms that every summary carries, so they are exact, not averages
//! of percentiles. What is not the shards of one test is refused in words: a summary without
//! --shard, a shard twice or missing, another run's shard (`--force` merges anyway).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::lag::LagCause;
use super::report;
use super::stats::{Histograms, Measured, Span};
use super::summary::{Outcome, RunInfo, Summary, decode};
use crate::cli::{MergeArgs, ReportArgs};
use crate::exit::{Failure, Result};

/// The parts of a summary that merge.
#[derive(Deserialize)]
struct Shard {
    #[serde(flatten)]
    info: RunInfo,
    window_start_unix_ns: u64,
    window_end_unix_ns: u64,
    interrupted: bool,
    #[serde(default)]
    limit_reached: bool,
    #[serde(default)]
    lag_cause: Option<LagCause>,
    sent: u64,
    acked: u64,
    received: u64,
    sent_total: u64,
    received_unique: u64,
    #[serde(default)]
    send_window: Option<Span>,
    #[serde(default)]
    ack_window: Option<Span>,
    #[serde(default)]
    receive_window: Option<Span>,
    #[serde(default)]
    sending_ended_unix_ns: Option<u64>,
    #[serde(default)]
    drained: u64,
    #[serde(default)]
    received_other_shards: u64,
    #[serde(default)]
    refused: u64,
    expected: Option<u64>,
    duplicates: u64,
    reordered: u64,
    unconfirmed: u64,
    clients_failed: u64,
    reconnects_by_client: BTreeMap<String, u64>,
    connection_drops: BTreeMap<String, u64>,
    errors: BTreeMap<String, u64>,
    histograms: BTreeMap<String, String>,
    connected: Option<u64>,
    connect_failures: Option<u64>,
}

/// A summary and where it came from, for the errors.
struct Named {
    shard: Shard,
    name: String,
}

/// Every summary in `path`: a file with one (or one per line), or `-` for stdin.
fn read(path: &PathBuf) -> Result<Vec<Named>> {
    let (name, text) = if path.as_os_str() == "-" {
        let mut text = Vec::new();
        std::io::stdin().read_to_end(&mut text).map_err(|e| {
            Failure::usage(format!(
                "cannot read stdin: {}",
                crate::report::io_reason(&e)
            ))
        })?;
        ("stdin".to_string(), text)
    } else {
        let name = path.display().to_string();
        let text = std::fs::read(path).map_err(|e| {
            Failure::usage(format!(
                "cannot read {name}: {}",
                crate::report::io_reason(&e)
            ))
        })?;
        (name, text)
    };
    let shards: Vec<Named> = serde_json::Deserializer::from_slice(&text)
        .into_iter::<Shard>()
        .enumerate()
        .map(|(n, shard)| {
            let name = match n {
                0 => name.clone(),
                n => format!("{name} (summary {})", n + 1),
            };
            shard
                .map(|shard| Named {
                    shard,
                    name: name.clone(),
                })
                .map_err(|e| {
                    Failure::usage(format!("{name} is not a moth bench --json summary: {e}"))
                })
        })
        .collect::<Result<_>>()?;
    if shards.is_empty() {
        return Err(Failure::usage(format!("{name} holds no summary")));
    }
    Ok(shards)
}

pub fn run(args: MergeArgs) -> Result<()> {
    let mut shards = Vec::new();
    for path in &args.files {
        shards.extend(read(path)?);
    }
    if !args.force {
        one_test(&shards)?;
    }
    let mut summary = merge(shards)?;
    let report = ReportArgs {
        json: args.json.clone(),
        hdr_out: args.hdr_out.clone(),
        quiet: true,
    };
    report::finish(&mut summary, &report, &args.thresholds)
}

const FORCE: &str = "(--force merges anyway)";

/// The summaries are the shards of one test: each of 0..N once, one run id, windows that meet.
fn one_test(shards: &[Named]) -> Result<()> {
    let Some(first) = shards.first() else {
        return Err(Failure::usage("bench merge needs at least one summary"));
    };
    let mut seen: BTreeMap<u64, &str> = BTreeMap::new();
    let mut count = None;
    for Named { shard, name } in shards {
        let Some(of) = shard.info.shard else {
            return Err(Failure::usage(format!(
                "{name} is not from a --shard run: only the shards of one test merge {FORCE}"
            )));
        };
        if *count.get_or_insert(of.count) != of.count {
            return Err(Failure::usage(format!(
                "{name} is shard {}/{} but {} is of {} shards: merge the shards of one test {FORCE}",
                of.index,
                of.count,
                first.name,
                count.unwrap_or(0)
            )));
        }
        if shard.info.run_id != first.shard.info.run_id {
            return Err(Failure::usage(format!(
                "{name} and {} are of different runs (another command line or --start-at) {FORCE}",
                first.name
            )));
        }
        if let Some(other) = seen.insert(of.index, name) {
            return Err(Failure::usage(format!(
                "shard {}/{} is given twice ({other} and {name}) {FORCE}",
                of.index, of.count
            )));
        }
        let apart = shard.window_start_unix_ns > first.shard.window_end_unix_ns
            || first.shard.window_start_unix_ns > shard.window_end_unix_ns;
        // The same --start-at is the same start of the same test (one in the past is refused):
        // a shard measured apart from the others was late, which the merged rates must not hide.
        let started_together = shard.info.start_at_unix_s.is_some()
            && shard.info.start_at_unix_s == first.shard.info.start_at_unix_s;
        match (apart, started_together) {
            (false, _) => {}
            (true, true) => crate::report::warning(&format!(
                "{name} and {} started together but measured at different times (a shard connected late?): the merged rates are over both windows",
                first.name
            )),
            (true, false) => {
                return Err(Failure::usage(format!(
                    "{name} and {} did not run at the same time: start the shards together (--start-at) {FORCE}",
                    first.name
                )));
            }
        }
    }
    let count = count.unwrap_or(0);
    let missing: Vec<String> = (0..count)
        .filter(|i| !seen.contains_key(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(Failure::usage(format!(
            "shard(s) {} missing: merge every shard of the test {FORCE}",
            missing.join(", ")
        )));
    }
    Ok(())
}

fn merge(shards: Vec<Named>) -> Result<Summary> {
    let Some(first) = shards.first() else {
        return Err(Failure::usage("bench merge needs at least one summary"));
    };
    let mut info = first.shard.info.clone();
    info.clients = 0;
    info.threads = 0;
    info.shards = 0;
    info.shard = None;
    info.subscribers = first.shard.info.subscribers.map(|_| 0);
    let mut measured = Measured::default();
    let mut histograms = Histograms::default();
    let (mut start, mut end) = (u64::MAX, 0);
    let (mut interrupted, mut limit_reached) = (false, false);
    let mut lag_cause = None;
    let mut sending_ended: Option<u64> = None;
    let mut expected: Option<u64> = None;
    let (mut connected, mut connect_failures) = (None::<u64>, None::<u64>);
    for Named { shard, name } in shards {
        let differs = |what: &str| {
            Failure::usage(format!(
                "{name} differs from the first summary in {what}: merge runs of one test only"
            ))
        };
        if shard.info.mode != info.mode {
            return Err(differs("mode"));
        }
        if shard.info.qos != info.qos || shard.info.protocol != info.protocol {
            return Err(differs("QoS or protocol"));
        }
        info.clients += shard.info.clients;
        info.threads += shard.info.threads;
        info.shards += shard.info.shards;
        info.subscribers = info
            .subscribers
            .map(|n| n + shard.info.subscribers.unwrap_or(0));
        start = start.min(shard.window_start_unix_ns);
        end = end.max(shard.window_end_unix_ns);
        interrupted |= shard.interrupted;
        limit_reached |= shard.limit_reached;
        lag_cause = match (lag_cause, shard.lag_cause) {
            (Some(LagCause::Generator), _) | (_, Some(LagCause::Generator)) => {
                Some(LagCause::Generator)
            }
            (a, b) => a.or(b),
        };
        if let Some(ended) = shard.sending_ended_unix_ns {
            sending_ended = Some(sending_ended.map_or(ended, |e| e.max(ended)));
        }
        if let Some(n) = shard.expected {
            *expected.get_or_insert(0) += n;
        }
        measured.sent += shard.sent;
        measured.acked += shard.acked;
        measured.received += shard.received;
        measured.sent_total += shard.sent_total;
        measured.sends = Span::join(measured.sends, shard.send_window);
        measured.acks = Span::join(measured.acks, shard.ack_window);
        measured.arrivals = Span::join(measured.arrivals, shard.receive_window);
        measured.drained += shard.drained;
        measured.received_other_shards += shard.received_other_shards;
        measured.refused += shard.refused;
        measured.streams.unique += shard.received_unique;
        measured.streams.unique_measured += shard.received_unique;
        measured.streams.duplicates += shard.duplicates;
        measured.streams.reordered += shard.reordered;
        measured.unconfirmed += shard.unconfirmed;
        measured.clients_failed += shard.clients_failed;
        for (id, n) in shard.reconnects_by_client {
            *measured.reconnects.entry(id).or_default() += n;
        }
        for (reason, n) in shard.connection_drops {
            *measured.drops.entry(reason).or_default() += n;
        }
        for (reason, n) in shard.errors {
            *measured.failures.entry(reason).or_default() += n;
        }
        for (tag, text) in &shard.histograms {
            let h = decode(text).map_err(|why| {
                Failure::usage(format!("{name}: histogram {tag} cannot be read: {why}"))
            })?;
            if let Some(mine) = histograms.tagged(tag) {
                let _ = mine.add(&h);
            }
        }
        if let Some(n) = shard.connected {
            *connected.get_or_insert(0) += n;
        }
        if let Some(n) = shard.connect_failures {
            *connect_failures.get_or_insert(0) += n;
        }
    }
    let mut summary = Summary::build(
        info,
        Outcome {
            measured,
            histograms,
            measured_time: Duration::from_nanos(end.saturating_sub(start)),
            interrupted,
            limit_reached,
            lag_cause,
            window: (start, end),
            sending_ended_ns: sending_ended,
            expected,
        },
    );
    summary.connected = connected;
    summary.connect_failures = connect_failures;
    if connected.is_some() {
        // Memory per connection is a property of each machine: it does not add up.
        summary.rss_per_connection_bytes = Some(None);
    }
    Ok(summary)
}
