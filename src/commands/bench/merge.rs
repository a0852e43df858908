//! `moth bench merge`: one summary from the `--json` summaries of `--shard` runs. Counters add
//! up, rates are taken over the union of the measured windows, and percentiles come from the
//! merged histograms that every summary carries, so they are exact, not averages of
//! percentiles.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::report;
use super::stats::{Histograms, Measured};
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
    generator_limited: bool,
    sent: u64,
    acked: u64,
    received: u64,
    sent_total: u64,
    received_unique: u64,
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

fn read(path: &PathBuf) -> Result<Shard> {
    let name = path.display();
    let text = std::fs::read(path).map_err(|e| {
        Failure::usage(format!(
            "cannot read {name}: {}",
            crate::report::io_reason(&e)
        ))
    })?;
    serde_json::from_slice(&text)
        .map_err(|e| Failure::usage(format!("{name} is not a moth bench --json summary: {e}")))
}

pub fn run(args: MergeArgs) -> Result<()> {
    let shards = args.files.iter().map(read).collect::<Result<Vec<_>>>()?;
    let mut summary = merge(shards, &args.files)?;
    let report = ReportArgs {
        json: args.json.clone(),
        hdr_out: args.hdr_out.clone(),
        quiet: true,
    };
    report::finish(&mut summary, &report, &args.thresholds)
}

fn merge(shards: Vec<Shard>, files: &[PathBuf]) -> Result<Summary> {
    let Some(first) = shards.first() else {
        return Err(Failure::usage("bench merge needs at least one summary"));
    };
    let mut info = first.info.clone();
    info.clients = 0;
    info.threads = 0;
    info.shards = 0;
    info.subscribers = first.info.subscribers.map(|_| 0);
    let mut measured = Measured::default();
    let mut histograms = Histograms::default();
    let (mut start, mut end) = (u64::MAX, 0);
    let (mut interrupted, mut limited) = (false, false);
    let (mut connected, mut connect_failures) = (None::<u64>, None::<u64>);
    for (shard, file) in shards.into_iter().zip(files) {
        let differs = |what: &str| {
            Failure::usage(format!(
                "{} differs from the first summary in {what}: merge runs of one test only",
                file.display()
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
        limited |= shard.generator_limited;
        measured.sent += shard.sent;
        measured.acked += shard.acked;
        measured.received += shard.received;
        measured.sent_total += shard.sent_total;
        measured.streams.unique += shard.received_unique;
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
                Failure::usage(format!(
                    "{}: histogram {tag} cannot be read: {why}",
                    file.display()
                ))
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
            generator_limited: limited,
            window: (start, end),
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
