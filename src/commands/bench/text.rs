//! The summary as a table for people; the JSON form is the `Summary` itself.

use std::fmt::Write;

use super::summary::{Percentiles, SUBSCRIBER_QUEUE, Summary};
use super::verdict;

pub fn render(s: &Summary) -> String {
    let mut text = String::new();
    let info = &s.info;
    let qos = info
        .qos
        .zip(info.payload_bytes)
        .map(|(q, size)| format!(", QoS {q}, {size}-byte payloads"))
        .unwrap_or_default();
    let subs = info
        .subscribers
        .map(|n| {
            format!(
                ", {n} subscriber(s){}",
                if info.shared_subscription {
                    " (shared)"
                } else {
                    ""
                }
            )
        })
        .unwrap_or_default();
    let shards = if info.shards > 1 {
        format!(", {} shards merged", info.shards)
    } else {
        String::new()
    };
    let _ = writeln!(
        text,
        "moth bench {}: {} client(s){subs}{qos}, {} thread(s){shards}, {:.1} s measured{}{}",
        info.mode.name(),
        info.clients,
        info.threads,
        s.measured_s,
        if info.warmup_s > 0.0 {
            format!(" after {:.1} s warm-up", info.warmup_s)
        } else {
            String::new()
        },
        if s.interrupted { " (interrupted)" } else { "" },
    );
    if info.mode.publishes() {
        let _ = writeln!(
            text,
            "  sent     {:>10}  {:>10.1}/s\n  acked    {:>10}  {:>10.1}/s",
            s.sent, s.send_rate, s.acked, s.ack_rate
        );
    }
    if info.mode.subscribes() {
        let _ = writeln!(
            text,
            "  received {:>10}  {:>10.1}/s",
            s.received, s.receive_rate
        );
    }
    if let Some(expected) = s.expected {
        let _ = writeln!(
            text,
            "  lost {} of {expected} expected, {} duplicate(s), {} reordered",
            s.lost.unwrap_or(0),
            s.duplicates,
            s.reordered
        );
    }
    if s.loss_cause == Some(SUBSCRIBER_QUEUE) {
        text.push_str(
            "  every publish was acknowledged and no subscriber dropped, so the broker discarded\n  \
             messages on their way out: usually its per-client queue limit for a subscriber that\n  \
             falls behind (Mosquitto: max_queued_messages, default 1000). Raise it, add subscribers\n  \
             with a $share/ filter, or lower the rate\n",
        );
    }
    let mut row = |name: &str, p: &Percentiles| {
        if p.count > 0 {
            let _ = writeln!(
                text,
                "  {name:<28} p50 {:>7}  p90 {:>7}  p99 {:>7}  p99.9 {:>7}  p99.99 {:>7}  max {:>7}",
                p.p50, p.p90, p.p99, p.p999, p.p9999, p.max
            );
        }
    };
    let l = &s.latencies;
    row("latency µs (from schedule)", &l.latency);
    row("latency µs (from actual send)", &l.service);
    row("ack latency µs", &l.ack);
    row("send lag µs", &l.lag);
    row("connect: TCP µs", &l.tcp);
    row("connect: TLS µs", &l.tls);
    row("connect: CONNACK µs", &l.connack);
    if s.reconnects > 0 {
        let most = s.reconnects_by_client.values().max().copied().unwrap_or(0);
        let _ = writeln!(
            text,
            "  reconnects {} by {} client(s), at most {most} per client",
            s.reconnects,
            s.reconnects_by_client.len()
        );
        for (reason, n) in &s.connection_drops {
            let _ = writeln!(text, "  dropped x{n}: {reason}");
        }
    }
    if let (Some(connected), Some(per)) = (s.connected, s.rss_per_connection_bytes) {
        let _ = writeln!(
            text,
            "  connected {connected} of {}{}",
            info.clients,
            per.map(|b| format!(", {b} bytes of RSS per idle connection"))
                .unwrap_or_default()
        );
    }
    if s.generator_limited {
        text.push_str(
            "  the load generator could not keep to its schedule: see the warning above\n",
        );
    }
    if s.errors_total == 0 {
        text.push_str("  errors: none\n");
    } else {
        for (reason, n) in &s.errors {
            let _ = writeln!(text, "  error x{n}: {reason}");
        }
    }
    for check in s.checks.iter().filter(|c| !c.passed) {
        let _ = writeln!(text, "  FAILED: {}", verdict::describe(check));
    }
    text
}
