//! What every bench worker shares: the connection settings and target, the counters and
//! histograms, the run's timing window (known once the last publisher is connected), the
//! end-to-end flow of a closed loop, and which publishers are this process's own.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64};

use tokio::sync::watch;
use tokio::time::Instant;

use super::Clock;
use super::flow::Flow;
use super::stats::{Counters, Recorder};
use crate::connect::{ConnSpec, LinkError, Target};
use crate::exit::Failure;

/// What every worker needs to know about the run's timing.
#[derive(Clone, Copy)]
pub struct Window {
    pub clock: Clock,
    /// Sending starts here; messages meant before `measure_from` are warm-up.
    pub start: Instant,
    pub measure_from: Instant,
    /// Sending stops here (`None`: only -L or Ctrl-C stop it).
    pub end: Option<Instant>,
}

/// What all workers share.
pub struct Ctx {
    pub spec: ConnSpec,
    /// Where connections go.
    pub target: Target,
    pub counters: Arc<Counters>,
    pub recorder: Recorder,
    /// `--ifaddr`: local addresses, spread over the clients in turn.
    pub sources: Vec<std::net::IpAddr>,
    /// pubsub without a rate: the end-to-end window of each publisher.
    pub flow: Option<Arc<Flow>>,
    /// This process's publishers (a shard's): others' messages are counted apart.
    pub own: Publishers,
    /// bench sub -L: the limit, not a signal, ended the run.
    pub limit_reached: AtomicBool,
    /// When sending stopped (Unix ns; 0 while sending): what arrives later was drained.
    pub sending_ended_ns: AtomicU64,
    pub(super) window: watch::Receiver<Option<Window>>,
}

/// Which publisher ids this process runs: `first + k` for every k with `k % n == i`.
#[derive(Clone, Copy)]
pub struct Publishers {
    pub first: u64,
    pub count: u64,
    pub shard: Option<(u64, u64)>,
}

impl Publishers {
    pub fn contains(&self, id: u32) -> bool {
        let Some(k) = u64::from(id).checked_sub(self.first) else {
            return false;
        };
        k < self.count && self.shard.is_none_or(|(i, n)| k % n == i)
    }
}

impl Ctx {
    /// The source address of client `n`, with --ifaddr.
    pub fn source(&self, n: usize) -> Option<std::net::IpAddr> {
        (!self.sources.is_empty()).then(|| self.sources[n % self.sources.len()])
    }

    /// The run's window, once the last publisher is connected.
    pub async fn window(&self) -> Option<Window> {
        let mut rx = self.window.clone();
        rx.wait_for(|w| w.is_some()).await.ok().and_then(|w| *w)
    }
}

/// A client that could not connect at the start: the run stops with the broker's refusal code,
/// or 1.
pub fn client_failure(client_id: &str, e: &LinkError) -> Failure {
    let failure = e.failure();
    Failure::new(
        failure.code,
        format!("client {client_id}: {}", failure.message),
    )
}

impl Window {
    pub fn measured(&self, intended: Instant) -> bool {
        intended >= self.measure_from
    }
}
