//! `bench conn`: open connections at a set rate, hold them, and report how long connecting took
//! (TCP, TLS, CONNACK), what failed and why, and the memory each idle connection costs.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::mode::Mode;
use super::report;
use super::stats::{Counters, Histograms, Kind, Measured, Recorder};
use super::summary::{Outcome, Summary};
use super::{Clock, Setup, stop_on_signal, stopped};
use crate::connect::{Attempt, ConnSpec, Link, Target};
use crate::exit::{Failure, Result};

pub async fn run(setup: Setup) -> Result<()> {
    let target = Target::resolve(&setup.spec).await.map_err(|e| {
        Failure::usage(format!(
            "cannot connect to {}: {}",
            setup.spec.endpoint, e.reason
        ))
    })?;
    let counters = Arc::new(Counters::default());
    let (_stop_tx, stop) = stop_on_signal();
    let clock = Clock::new();
    setup.wait_for_start().await;
    let rss_before = rss_bytes();
    let hold_for = setup.run_time(false).unwrap_or(Duration::from_secs(10));
    let progress = report::LiveView::start(
        counters.clone(),
        Arc::default(),
        None,
        setup.report.quiet,
        None,
        false,
    );
    let ramp = Ramp::start(&setup, target, counters.clone(), stop.clone()).await;

    // Every connection has connected or failed (or given up at its timeout); hold them all,
    // then measure what idle connections cost.
    ramp.settle(stop.clone()).await;
    let held_from = Instant::now();
    let mut stop_hold = stop.clone();
    tokio::select! {
        _ = tokio::time::sleep(hold_for) => {}
        _ = stopped(&mut stop_hold) => {}
    }
    let connected = Counters::get(&counters.connected);
    let rss_held = rss_bytes();
    let interrupted = *stop.borrow();
    let (measured, histograms) = ramp.release().await;
    let lag_cause = progress.finish();
    if connected == 0 && !interrupted {
        let reasons: Vec<String> = measured
            .failures
            .iter()
            .map(|(r, n)| format!("{n} x {r}"))
            .collect();
        return Err(Failure::usage(format!(
            "no connection succeeded: {}",
            reasons.join("; ")
        )));
    }

    let per_connection = match (rss_before, rss_held) {
        (Some(before), Some(held)) if connected > 0 => {
            Some(held.saturating_sub(before) / connected)
        }
        _ => None,
    };
    let window = (clock.unix_ns(held_from), clock.now_ns());
    let mut summary = Summary::new(
        Mode::Conn,
        &setup,
        None,
        None,
        Outcome {
            measured,
            histograms,
            measured_time: held_from.elapsed(),
            interrupted,
            limit_reached: false,
            lag_cause,
            window,
            sending_ended_ns: None,
            expected: None,
        },
    );
    summary.connected = Some(connected);
    summary.connect_failures = Some(setup.clients.len() as u64 - connected);
    summary.rss_per_connection_bytes = Some(per_connection);
    report::finish(&mut summary, &setup.report, &setup.thresholds)
}

/// The connections of a run, each a task that connects, records its timings and holds on
/// until released.
struct Ramp {
    connections: JoinSet<Option<String>>,
    recorder: Recorder,
    /// Connections that have connected or failed; the hold starts when every one has.
    settled: Arc<AtomicU64>,
    release_tx: watch::Sender<bool>,
}

impl Ramp {
    /// Open the connections `setup.ramp` apart; returns early when stopped.
    async fn start(
        setup: &Setup,
        target: Target,
        counters: Arc<Counters>,
        stop: watch::Receiver<bool>,
    ) -> Ramp {
        let (release_tx, release) = watch::channel(false);
        let mut ramp = Ramp {
            connections: JoinSet::new(),
            recorder: Recorder::new(),
            settled: Arc::new(AtomicU64::new(0)),
            release_tx,
        };
        let started = Instant::now();
        let spec = Arc::new(setup.spec.clone());
        let target = Arc::new(target);
        let mut stop_ramp = stop;
        for (n, &index) in setup.clients.iter().enumerate() {
            if *stop_ramp.borrow() {
                break;
            }
            // -c and -i are bounded (10,000,000 clients, a year apart); saturate all the same.
            let at = started + setup.ramp.saturating_mul(n as u32);
            tokio::select! {
                _ = tokio::time::sleep_until(at) => {}
                _ = stopped(&mut stop_ramp) => break,
            }
            let connection = Connection {
                n,
                client_id: setup.client_id(index),
                source: (!setup.sources.is_empty()).then(|| setup.sources[n % setup.sources.len()]),
                measured: Instant::now() >= started + setup.warmup,
                spec: spec.clone(),
                target: target.clone(),
                counters: counters.clone(),
                recorder: ramp.recorder.clone(),
                settled: ramp.settled.clone(),
            };
            // The task's output is only the failure, if any: it is kept in the task's memory
            // for the whole hold, thousands of times over.
            ramp.connections.spawn(connection.hold(release.clone()));
        }
        ramp
    }

    /// Wait until every connection has connected or failed (or its connect timeout is past).
    async fn settle(&self, stop: watch::Receiver<bool>) {
        let attempted = self.connections.len() as u64;
        let give_up = Instant::now() + Duration::from_secs(crate::connect::CONNECT_TIMEOUT + 1);
        while Counters::get(&self.settled) < attempted
            && Instant::now() < give_up
            && !*stop.borrow()
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Let every connection go (each sends DISCONNECT); what failed, and the timings.
    async fn release(mut self) -> (Measured, Histograms) {
        let _ = self.release_tx.send(true);
        let mut measured = Measured::default();
        while let Some(result) = self.connections.join_next().await {
            if let Ok(Some(reason)) = result {
                measured.fail(&reason);
            }
        }
        (measured, self.recorder.merged())
    }
}

/// One connection of the ramp.
struct Connection {
    n: usize,
    client_id: String,
    source: Option<IpAddr>,
    /// Opened after the warm-up: its timings count.
    measured: bool,
    spec: Arc<ConnSpec>,
    target: Arc<Target>,
    counters: Arc<Counters>,
    recorder: Recorder,
    settled: Arc<AtomicU64>,
}

impl Connection {
    /// Connect, record how long each step took, and hold on until released. Returns why it
    /// failed or dropped, if it did.
    async fn hold(self, mut release: watch::Receiver<bool>) -> Option<String> {
        let attempt = Attempt {
            client_id: &self.client_id,
            clean: self.spec.clean_start,
            session_expiry: None,
            source: self.source,
            auto_ack: true,
        };
        // Boxed: connecting takes more state than holding, and a task keeps its largest state
        // for as long as it lives.
        let opened = Box::pin(Link::open(&self.spec, &self.target, attempt)).await;
        Counters::add(&self.settled, 1);
        let (link, _, timings) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                Counters::add(&self.counters.failures, 1);
                return Some(e.reason);
            }
        };
        Counters::add(&self.counters.connected, 1);
        if self.measured {
            self.recorder.record(self.n, Kind::Tcp, timings.tcp);
            if !timings.tls.is_zero() {
                self.recorder.record(self.n, Kind::Tls, timings.tls);
            }
            self.recorder.record(self.n, Kind::Connack, timings.connack);
        }
        let held = Box::pin(link.hold(async move { stopped(&mut release).await })).await;
        let dropped = held.err()?;
        Counters::add(&self.counters.failures, 1);
        Some(format!("dropped: {}", dropped.reason))
    }
}

/// This process's resident set size, from /proc.
fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb * 1024)
}
