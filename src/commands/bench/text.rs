//! The summary as a table for people; the JSON form is the `Summary` itself.

use std::fmt::Write;

use super::lag::LagCause;
use super::summary::{Percentiles, SUBSCRIBER_QUEUE, Summary};
use super::verdict;

pub fn render(s: &Summary) -> String {
    let mut text = String::new();
    header(s, &mut text);
    counts(s, &mut text);
    accounting(s, &mut text);
    latencies(s, &mut text);
    connections(s, &mut text);
    verdicts(s, &mut text);
    text
}

/// What ran: mode, clients, QoS and payloads, threads, the measured time and how it ended.
fn header(s: &Summary, text: &mut String) {
    let info = &s.info;
    let qos = match (info.qos, info.payload_bytes) {
        (Some(q), Some(size)) => format!(", QoS {q}, {size}-byte payloads"),
        (Some(q), None) => format!(", QoS {q}, payloads from a template"),
        _ => String::new(),
    };
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
    let ending = if s.limit_reached {
        " (limit reached)"
    } else if s.interrupted {
        " (interrupted)"
    } else {
        ""
    };
    let _ = writeln!(
        text,
        "moth bench {}: {} client(s){subs}{qos}, {} thread(s){shards}, {:.1} s measured{}{ending}",
        info.mode.name(),
        info.clients,
        info.threads,
        s.measured_s,
        if info.warmup_s > 0.0 {
            format!(" after {:.1} s warm-up", info.warmup_s)
        } else {
            String::new()
        },
    );
}

fn counts(s: &Summary, text: &mut String) {
    let info = &s.info;
    // Each rate over the window it was measured in, and that window said.
    let mut count = |name: &str, n: u64, rate: Option<f64>, window: Option<f64>, note: &str| {
        let rate = rate.map_or_else(|| "-".to_string(), |r| format!("{r:.1}/s"));
        let window = window.map_or_else(String::new, |w| format!("  over {w:.3} s"));
        let _ = writeln!(text, "  {name:<10}{n:>10}  {rate:>12}{window}{note}");
    };
    if info.mode.publishes() {
        count("sent", s.sent, s.send_rate, s.send_window_s, "");
        let note = match info.qos {
            Some(0) => "  (QoS 0: written to the socket)",
            _ => "",
        };
        count("acked", s.acked, s.ack_rate, s.ack_window_s, note);
    }
    if info.mode.subscribes() {
        count(
            "received",
            s.received,
            s.receive_rate,
            s.receive_window_s,
            "",
        );
    }
}

/// Where the messages went: drained, other shards', lost, and why.
fn accounting(s: &Summary, text: &mut String) {
    if let (true, Some(drain)) = (s.drained > 0, s.drain_s) {
        let _ = writeln!(
            text,
            "  drained {} message(s) for {drain:.3} s after sending stopped",
            s.drained
        );
    }
    if let Some(window) = s.info.window {
        let _ = writeln!(
            text,
            "  closed loop: at most {window} message(s) per publisher on their way (--window)"
        );
    }
    if s.received_other_shards > 0 {
        let _ = writeln!(
            text,
            "  also received {} message(s) of other shards' publishers (counted by their shards)",
            s.received_other_shards
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
}

fn latencies(s: &Summary, text: &mut String) {
    let mut row = |name: &str, p: &Percentiles| {
        if p.count > 0 {
            let _ = writeln!(
                text,
                "  {name:<30} p50 {:>7}  p90 {:>7}  p99 {:>7}  p99.9 {:>7}  p99.99 {:>7}  max {:>7}",
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
}

/// Reconnects, drops, and what holding connections cost.
fn connections(s: &Summary, text: &mut String) {
    let info = &s.info;
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
}

/// Who was the limit, the Nagle hint, errors and failed checks.
fn verdicts(s: &Summary, text: &mut String) {
    match s.lag_cause {
        Some(LagCause::Generator) => text.push_str(
            "  sends fell behind the schedule with room to send: this machine, not the broker,\n  \
             was the limit (see the warning above)\n",
        ),
        Some(LagCause::Broker) => text.push_str(
            "  sends fell behind the schedule waiting for acknowledgements: the broker could not\n  \
             keep up with this rate\n",
        ),
        None => {}
    }
    if let Some(hint) = nagle_hint(s) {
        text.push_str(&hint);
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
}

/// Acknowledgements that take about one publish interval are Nagle's doing on the broker's
/// side: it holds a PUBACK until the previous one is acknowledged at TCP level.
fn nagle_hint(s: &Summary) -> Option<String> {
    nagle_suspected(s.info.interval_us, s.info.qos, s.latencies.ack.p50).then(|| {
        format!(
            "  ack latency p50 {:.1} ms is about the publish interval: Nagle on the broker's side? (Mosquitto: set_tcp_nodelay true)\n",
            s.latencies.ack.p50 as f64 / 1000.0
        )
    })
}

fn nagle_suspected(interval_us: Option<u64>, qos: Option<u8>, ack_p50_us: u64) -> bool {
    let Some(interval) = interval_us.map(|i| i as f64) else {
        return false;
    };
    let p50 = ack_p50_us as f64;
    qos.is_some_and(|q| q > 0)
        && interval >= 1000.0
        && (0.7 * interval..=1.3 * interval).contains(&p50)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nagle_is_suspected_when_acks_take_one_interval() {
        assert!(nagle_suspected(Some(10_000), Some(1), 9_500));
        assert!(!nagle_suspected(Some(10_000), Some(1), 300));
        assert!(!nagle_suspected(Some(10_000), Some(0), 9_500));
        assert!(!nagle_suspected(None, Some(1), 9_500));
        assert!(!nagle_suspected(Some(100), Some(1), 100));
    }
}
