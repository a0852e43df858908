//! Sends behind their schedule, and whose doing that is: the broker's (the in-flight window
//! waited for its acknowledgements or the subscribers' arrivals) or this machine's.

use std::sync::atomic::AtomicU64;

/// The worst send lag of the last second, by cause: `held` while the in-flight window was
/// full (waiting for the broker's acknowledgements or the subscribers' arrivals), `own` with
/// room to send (this machine was busy). The live view reads and resets them.
#[derive(Default)]
pub struct Lag {
    pub held: AtomicU64,
    pub own: AtomicU64,
}

/// Who held sends back from their schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LagCause {
    /// The in-flight window was full: acknowledgements (or arrivals) came too slowly.
    Broker,
    /// There was room to send, and the sends were late all the same: this machine was busy.
    Generator,
}
