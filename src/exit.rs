//! Exit codes and the failures that own them. Codes follow mosquitto's clients (whose codes are
//! libmosquitto's error numbers) so scripts written for mosquitto_pub/sub read moth the same way.

use std::fmt;

pub const SUCCESS: u8 = 0;
/// Bad arguments, unreadable input, unable to connect, TLS failure.
pub const FAILURE: u8 = 1;
/// The connection ended (lost, closed by the broker, interrupted) before every message was
/// acknowledged at its QoS. libmosquitto's MOSQ_ERR_CONN_LOST.
pub const UNCONFIRMED: u8 = 7;
/// The broker refused a publish (MQTT 5 reason code) or every subscription. MOSQ_ERR_ACL_DENIED.
pub const REFUSED: u8 = 12;
/// `sub -W` ran out of time. MOSQ_ERR_TIMEOUT.
pub const TIMEOUT: u8 = 27;
/// bench: the run failed a check (QoS 1/2 messages lost, or a --max-*/--min-* threshold
/// crossed). 99, as k6 exits when a threshold fails.
pub const CHECK_FAILED: u8 = 99;

/// The exit-code table, shown by `--help` and kept word for word in the README.
pub const TABLE: &str = "\
Exit codes:
  0        success: every message acknowledged at its QoS (pub); -C
           reached, -E subscribed, --idle or --duration over,
           SIGINT/SIGTERM or stdout closed (sub)
  1        bad arguments, unreadable input, unable to connect, TLS
           failure
  1-5      the broker refused the connection (MQTT 3.1.1 CONNACK code)
  7        the connection ended before every message was acknowledged,
           or an interrupted pub --repeat left messages unsent (bench: a
           client could not reconnect, or QoS 1/2 publishes went
           unacknowledged)
  12       the broker refused a publish (MQTT 5 reason code) or every
           subscription
  27       sub -W: no -C count reached in time
  99       bench: QoS 1/2 messages lost, or a --max-loss, --max-p99 or
           --min-rate threshold crossed
  128-162  the broker refused the connection (MQTT 5 CONNACK reason
           code)";

/// A reason to stop with a particular exit code. The message is one line, says what went wrong and,
/// where it helps, what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// Exit code 1: bad arguments or input, or a failure to connect.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure::new(FAILURE, message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

pub type Result<T> = std::result::Result<T, Failure>;

#[cfg(test)]
mod tests {
    #[test]
    fn the_readme_shows_the_same_exit_code_table() {
        let readme = include_str!("../README.md");
        assert!(
            readme.contains(super::TABLE),
            "README.md must hold src/exit.rs's TABLE word for word"
        );
    }
}
