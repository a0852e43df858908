//! What a bench run does, as a type rather than a string.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Conn,
    Pub,
    Sub,
    Pubsub,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Conn => "conn",
            Mode::Pub => "pub",
            Mode::Sub => "sub",
            Mode::Pubsub => "pubsub",
        }
    }

    /// Each mode has its own client ids, so that a `bench pub` and a `bench sub` started side
    /// by side never take each other's connection (a broker drops the older of two clients
    /// with one id).
    pub fn default_prefix(self) -> &'static str {
        match self {
            Mode::Conn => "moth-bench-conn",
            Mode::Pub => "moth-bench-pub",
            Mode::Sub => "moth-bench-sub",
            Mode::Pubsub => "moth-bench-pubsub",
        }
    }

    pub fn publishes(self) -> bool {
        matches!(self, Mode::Pub | Mode::Pubsub)
    }

    pub fn subscribes(self) -> bool {
        matches!(self, Mode::Sub | Mode::Pubsub)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_never_share_client_ids() {
        let all = [Mode::Conn, Mode::Pub, Mode::Sub, Mode::Pubsub];
        for a in all {
            for b in all {
                if a != b {
                    // pubsub's subscribers are PREFIX-sub-N: still apart from sub's PREFIX-N.
                    assert!(!a.default_prefix().eq(b.default_prefix()));
                }
            }
        }
        assert_eq!(serde_json::to_string(&Mode::Pubsub).unwrap(), "\"pubsub\"");
    }
}
