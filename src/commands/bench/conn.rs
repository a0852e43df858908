//! `bench conn`: open connections at a set rate, hold them, and report how long connecting took
//! (TCP, TLS, CONNACK), what failed and why, and the memory each idle connection costs.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::mode::Mode;
use super::report;
use super::stats::{Counters, Kind, Measured, Recorder};
use super::summary::{Outcome, Summary};
use super::{Clock, Setup, stop_on_signal, stopped};
use crate::connect::{Attempt, Link, Target};
use crate::exit::{Failure, Result};

pub async fn run(setup: Setup) -> Result<()> {
    let target = Target::resolve(&setup.spec).await.map_err(|e| {
        Failure::usage(format!(
            "cannot connect to {}: {}",
            setup.spec.endpoint, e.reason
        ))
    })?;
    let counters = Arc::new(Counters::default());
    let recorder = Recorder::new();
    // Connections that have connected or failed; the hold starts when every one has.
    let settled = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (_stop_tx, stop) = stop_on_signal();
    let clock = Clock::new();
    setup.wait_for_start().await;
    let rss_before = rss_bytes();
    let hold_for = setup.run_time(false).unwrap_or(Duration::from_secs(10));
    let (release_tx, release) = watch::channel(false);

    let progress = report::LiveView::start(
        counters.clone(),
        Arc::default(),
        None,
        setup.report.quiet,
        None,
        false,
    );
    let started = Instant::now();
    let mut connections = JoinSet::new();
    let spec = Arc::new(setup.spec.clone());
    let target = Arc::new(target);
    let mut stop_ramp = stop.clone();
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
        let source = (!setup.sources.is_empty()).then(|| setup.sources[n % setup.sources.len()]);
        let (spec, target, counters) = (spec.clone(), target.clone(), counters.clone());
        let (recorder, settled) = (recorder.clone(), settled.clone());
        let id = setup.client_id(index);
        let mut release = release.clone();
        let measured_from = started + setup.warmup;
        connections.spawn(async move {
            let mut measured = Measured::default();
            let began = Instant::now();
            let attempt = Attempt {
                client_id: &id,
                clean: spec.clean_start,
                session_expiry: None,
                source,
                auto_ack: true,
            };
            // Boxed: connecting takes more state than holding, and a task keeps its largest state
            // for as long as it lives.
            let opened = Box::pin(Link::open(&spec, &target, attempt)).await;
            Counters::add(&settled, 1);
            match opened {
                Ok((link, _, timings)) => {
                    Counters::add(&counters.connected, 1);
                    if began >= measured_from {
                        recorder.record(n, Kind::Tcp, timings.tcp);
                        if !timings.tls.is_zero() {
                            recorder.record(n, Kind::Tls, timings.tls);
                        }
                        recorder.record(n, Kind::Connack, timings.connack);
                    }
                    let hold = Box::pin(link.hold(async move { stopped(&mut release).await }));
                    if let Err(e) = hold.await {
                        measured.fail(&format!("dropped: {}", e.reason));
                        Counters::add(&counters.failures, 1);
                    }
                }
                Err(e) => {
                    measured.fail(&e.reason);
                    Counters::add(&counters.failures, 1);
                }
            }
            measured
        });
    }

    // Every connection has connected or failed (or given up at its timeout); hold them all,
    // then measure what idle connections cost.
    let attempted = connections.len() as u64;
    let mut stop_hold = stop.clone();
    let give_up = Instant::now() + Duration::from_secs(crate::connect::CONNECT_TIMEOUT + 1);
    while Counters::get(&settled) < attempted && Instant::now() < give_up && !*stop_hold.borrow() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let held_from = Instant::now();
    tokio::select! {
        _ = tokio::time::sleep(hold_for) => {}
        _ = stopped(&mut stop_hold) => {}
    }
    let connected = Counters::get(&counters.connected);
    let rss_held = rss_bytes();
    let interrupted = *stop.borrow();
    let _ = release_tx.send(true);
    let mut measured = Measured::default();
    while let Some(result) = connections.join_next().await {
        if let Ok(m) = result {
            measured.merge(m);
        }
    }
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
            histograms: recorder.merged(),
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
