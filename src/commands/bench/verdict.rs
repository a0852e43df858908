//! Whether a run was good, for a CI job: checks that always apply (no client lost for good, no
//! QoS 1/2 message unacknowledged or lost) and thresholds given on the command line, as k6's
//! thresholds. Each check says what it compared, and the exit code follows the worst failure.

use super::mode::Mode;
use super::summary::{Check, Summary};
use crate::cli::ThresholdArgs;
use crate::exit::{CHECK_FAILED, REFUSED, SUCCESS, UNCONFIRMED};

/// Run every check that applies; record them in the summary; return the exit code.
pub fn judge(summary: &mut Summary, thresholds: &ThresholdArgs) -> u8 {
    let mut checks = Vec::new();
    // Failures a run may have only as far as --max-errors allows (none by default).
    let allowed = thresholds.max_errors;
    let mut at_most = |name, value: u64, code| {
        checks.push(Check {
            name,
            limit: allowed.map(|n| n as f64),
            value: value as f64,
            passed: value <= allowed.unwrap_or(0),
            code,
        })
    };
    let mode = summary.info.mode;
    match mode {
        Mode::Conn => {
            at_most(
                "connect_failures",
                summary.connect_failures.unwrap_or(0),
                UNCONFIRMED,
            );
            let dropped = summary
                .errors
                .iter()
                .filter(|(reason, _)| reason.starts_with("dropped"))
                .map(|(_, n)| n)
                .sum();
            at_most("connections_dropped", dropped, UNCONFIRMED);
        }
        _ => at_most("clients_failed", summary.clients_failed, UNCONFIRMED),
    }
    if mode.publishes() {
        at_most("refused", summary.refused, REFUSED);
    }
    let mut zero = |name, value: u64, code| {
        checks.push(Check {
            name,
            limit: None,
            value: value as f64,
            passed: value == 0,
            code,
        })
    };
    if summary.info.qos.is_some_and(|q| q > 0) {
        zero("unconfirmed", summary.unconfirmed, UNCONFIRMED);
    }
    // A QoS 1/2 message that was sent and never arrived is lost against MQTT's promise. At QoS
    // 0 loss is allowed: it fails a run only through --max-loss.
    let delivered_qos = summary
        .info
        .qos
        .zip(summary.info.subscribe_qos)
        .map(|(p, s)| p.min(s));
    if let (Some(lost), Some(qos)) = (summary.lost, delivered_qos)
        && qos > 0
    {
        zero("lost", lost, CHECK_FAILED);
    }
    if let (Some(limit), Some(loss)) = (thresholds.max_loss, summary.loss_percent) {
        checks.push(Check {
            name: "max_loss_percent",
            limit: Some(limit),
            value: loss,
            passed: loss <= limit,
            code: CHECK_FAILED,
        });
    }
    if let Some(limit) = thresholds.max_p99 {
        let l = &summary.latencies;
        // End to end where subscribers measured it, else the publishers' acknowledgements.
        let p99 = if l.latency.count > 0 {
            l.latency.p99
        } else {
            l.ack.p99
        };
        let limit_ms = limit.as_secs_f64() * 1000.0;
        let value = p99 as f64 / 1000.0;
        checks.push(Check {
            name: "max_p99_ms",
            limit: Some(limit_ms),
            value,
            passed: value <= limit_ms,
            code: CHECK_FAILED,
        });
    }
    if let Some(limit) = thresholds.min_rate {
        let value = if mode.subscribes() {
            summary.receive_rate
        } else {
            summary.ack_rate
        }
        .unwrap_or(0.0);
        checks.push(Check {
            name: "min_rate",
            limit: Some(limit),
            value,
            passed: value >= limit,
            code: CHECK_FAILED,
        });
    }
    let code = checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.code)
        .min_by_key(|code| match *code {
            UNCONFIRMED => 0,
            REFUSED => 1,
            _ => 2,
        })
        .unwrap_or(SUCCESS);
    summary.passed = code == SUCCESS;
    summary.checks = checks;
    code
}

/// A failed check in words.
pub fn describe(check: &Check) -> String {
    let beyond = |limit: Option<f64>| {
        limit.map_or_else(String::new, |l| format!(" (more than --max-errors {l})"))
    };
    match (check.name, check.limit) {
        ("clients_failed", limit) => format!(
            "{} client(s) lost the connection and could not get it back{}",
            check.value,
            beyond(limit)
        ),
        ("connect_failures", limit) => {
            format!("{} connection(s) failed{}", check.value, beyond(limit))
        }
        ("connections_dropped", limit) => format!(
            "{} connection(s) dropped while held{}",
            check.value,
            beyond(limit)
        ),
        ("refused", limit) => format!(
            "the broker refused {} publish(es){}",
            check.value,
            beyond(limit)
        ),
        ("unconfirmed", _) => format!("{} QoS 1/2 message(s) were never acknowledged", check.value),
        ("lost", _) => format!("{} QoS 1/2 message(s) were lost", check.value),
        ("max_loss_percent", Some(limit)) => {
            format!("loss {}% is above --max-loss {limit}", check.value)
        }
        ("max_p99_ms", Some(limit)) => {
            format!("p99 latency {} ms is above --max-p99 {limit}", check.value)
        }
        ("min_rate", Some(limit)) => {
            format!("rate {}/s is below --min-rate {limit}", check.value)
        }
        (name, _) => format!("{name}: {}", check.value),
    }
}
