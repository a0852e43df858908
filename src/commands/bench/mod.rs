//! `moth bench`: an MQTT load generator whose numbers can be trusted. Load (`run` by phase,
//! with `publisher` and `subscriber` on the lean connection, `over_rumqttc` for websockets, and
//! `conn`), collection (`stats`), the summary (`summary`, `text`, `verdict`), reporting
//! (`report`) and `merge` are kept apart.

#[cfg(target_os = "linux")]
mod alarm;
mod conn;
mod header;
mod merge;
mod mode;
mod plan;
mod publisher;
mod report;
mod run;
mod schedule;
mod stats;
mod streams;
mod subscriber;
mod summary;
mod text;
mod ticker;
mod verdict;

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;
use tokio::time::Instant;

use crate::cli::{BenchArgs, BenchConnArgs, BenchMode, LoadArgs, ReportArgs, ThresholdArgs};
use crate::connect::{ConnSpec, Protocol};
use crate::exit::{Failure, Result};
use crate::report as say;
use mode::Mode;

pub async fn run(args: BenchArgs) -> Result<()> {
    match args.mode.unwrap_or(BenchMode::Pubsub(args.pubsub)) {
        BenchMode::Merge(a) => merge::run(a),
        BenchMode::Conn(a) => conn::run(Setup::new(Mode::Conn, &a.load, &a.report, &a.conn)?).await,
        BenchMode::Pub(a) => {
            let mut setup = Setup::new(Mode::Pub, &a.load, &a.report, &a.conn)?;
            setup.thresholds = thresholds(Mode::Pub, &a.thresholds)?;
            let publish = plan::PublishPlan::new(&a.publish, &setup, false)?;
            run::run(Mode::Pub, setup, Some(publish), None).await
        }
        BenchMode::Sub(a) => {
            let mut setup = Setup::new(Mode::Sub, &a.load, &a.report, &a.conn)?;
            setup.thresholds = thresholds(Mode::Sub, &a.thresholds)?;
            let subscribe = plan::SubscribePlan::new(
                a.topic.clone(),
                a.qos,
                setup.clients.len() as u32,
                a.limit,
            )?;
            run::run(Mode::Sub, setup, None, Some(subscribe)).await
        }
        BenchMode::Pubsub(a) => {
            let mut setup = Setup::new(Mode::Pubsub, &a.load, &a.report, &a.conn)?;
            setup.thresholds = thresholds(Mode::Pubsub, &a.thresholds)?;
            let publish = plan::PublishPlan::new(&a.publish, &setup, true)?;
            let filter = a
                .sub_topic
                .clone()
                .unwrap_or_else(|| publish.default_filter());
            if a.subscribers == 0 {
                return Err(Failure::usage(
                    "--subscribers must be at least 1 in pubsub mode",
                ));
            }
            let subscribe = plan::SubscribePlan::new(filter, a.publish.qos, a.subscribers, None)?;
            run::run(Mode::Pubsub, setup, Some(publish), Some(subscribe)).await
        }
    }
}

/// Loss is only known where moth both sends and receives.
fn thresholds(mode: Mode, t: &ThresholdArgs) -> Result<ThresholdArgs> {
    if t.max_loss.is_some() && mode != Mode::Pubsub {
        return Err(Failure::usage(format!(
            "--max-loss needs pubsub: bench {} does not see both ends of a message",
            mode.name()
        )));
    }
    Ok(t.clone())
}

/// Validated settings every mode shares.
pub(super) struct Setup {
    pub spec: ConnSpec,
    /// Client indices this process runs (all of them, or its shard's).
    pub clients: Vec<u64>,
    pub shard: Option<(u64, u64)>,
    /// Time between connection starts.
    pub ramp: Duration,
    pub prefix: String,
    /// Measured time after warm-up; `None` with -L alone.
    pub duration: Option<Duration>,
    pub warmup: Duration,
    pub start_at: Option<SystemTime>,
    pub sources: Vec<IpAddr>,
    pub report: ReportArgs,
    pub username: String,
    /// Worker threads of the runtime (for the report).
    pub threads: usize,
    pub thresholds: ThresholdArgs,
}

const DEFAULT_DURATION: Duration = Duration::from_secs(10);
const DEFAULT_CONNRATE: f64 = 1000.0;

impl Setup {
    fn new(
        mode: Mode,
        load: &LoadArgs,
        report: &ReportArgs,
        conn: &BenchConnArgs,
    ) -> Result<Setup> {
        let spec = super::spec_from(&conn_options(conn), Protocol::V311)?;
        if load.count == 0 {
            return Err(Failure::usage("-c needs at least 1 client"));
        }
        let shard = load.shard.as_deref().map(parse_shard).transpose()?;
        if let Some((_, n)) = shard
            && n > u64::from(load.count)
        {
            return Err(Failure::usage(format!(
                "--shard {}/{n} splits {} client(s) into more shards than clients: use N up to -c",
                shard.map_or(0, |(i, _)| i),
                load.count
            )));
        }
        // Client indices go into the 32-bit publisher id of every pubsub payload.
        let last = load.startnumber + u64::from(load.count) - 1;
        if last > u64::from(u32::MAX) {
            return Err(Failure::usage(format!(
                "-n {} with -c {} reaches client index {last}; the last index is {}",
                load.startnumber,
                load.count,
                u32::MAX
            )));
        }
        let clients: Vec<u64> = (0..u64::from(load.count))
            .filter(|k| shard.is_none_or(|(i, n)| k % n == i))
            .map(|k| load.startnumber + k)
            .collect();
        if clients.is_empty() {
            return Err(Failure::usage(
                "this --shard gets no clients: use fewer shards or more -c",
            ));
        }
        // The clap parsers keep -i and -R in ranges where these conversions cannot fail.
        let ramp = match (load.interval, load.connrate) {
            (Some(interval), _) => interval,
            (None, rate) => {
                let rate = rate.unwrap_or(DEFAULT_CONNRATE);
                Duration::try_from_secs_f64(1.0 / rate).map_err(|_| {
                    Failure::usage(format!("invalid -R {rate}: use connections per second"))
                })?
            }
        };
        let sources = load
            .ifaddr
            .iter()
            .map(|a| {
                a.trim().parse::<IpAddr>().map_err(|_| {
                    Failure::usage(format!(
                        "invalid --ifaddr {}: use IP addresses, comma-separated",
                        crate::report::quote(a)
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        raise_descriptor_limit(clients.len());
        Ok(Setup {
            username: spec
                .credentials
                .as_ref()
                .map(|c| c.username.clone())
                .unwrap_or_default(),
            spec,
            clients,
            shard,
            ramp,
            prefix: load
                .prefix
                .clone()
                .unwrap_or_else(|| mode.default_prefix().to_string()),
            duration: load.duration,
            warmup: load.warmup,
            start_at: load.start_at,
            sources,
            report: report.clone(),
            threads: tokio::runtime::Handle::current().metrics().num_workers(),
            thresholds: ThresholdArgs::default(),
        })
    }

    pub fn client_id(&self, index: u64) -> String {
        format!("{}-{index}", self.prefix)
    }

    /// The measured time, or the default when neither --duration nor -L bounds the run.
    pub fn run_time(&self, has_limit: bool) -> Option<Duration> {
        match (self.duration, has_limit) {
            (Some(d), _) => Some(d),
            (None, true) => None,
            (None, false) => Some(DEFAULT_DURATION),
        }
    }

    /// Sleep until --start-at, if given.
    pub async fn wait_for_start(&self) {
        if let Some(at) = self.start_at
            && let Ok(wait) = at.duration_since(SystemTime::now())
        {
            say::note(&format!(
                "waiting {:.1} s for --start-at",
                wait.as_secs_f64()
            ));
            tokio::time::sleep(wait).await;
        }
    }
}

/// Bench's connection flags as pub/sub's, so the same validation applies.
/// bench's connection flags as connection settings: its own smaller set.
fn conn_options(b: &BenchConnArgs) -> crate::connect::ConnOptions {
    crate::connect::ConnOptions {
        host: b.host.clone(),
        port: b.port,
        url: b.url.clone(),
        unix: b.unix.clone(),
        ws: b.ws,
        protocol_version: b.protocol_version.clone(),
        username: b.username.clone(),
        password: b.password.clone(),
        keepalive: b.keepalive,
        max_inflight: b.max_inflight,
        cafile: b.cafile.clone(),
        capath: b.capath.clone(),
        cert: b.cert.clone(),
        key: b.key.clone(),
        insecure: b.insecure,
        tls_version: b.tls_version.clone(),
        tls_use_os_certs: b.tls_use_os_certs,
        tls_alpn: b.tls_alpn.clone(),
        tls_keylog: b.tls_keylog.clone(),
        tls_server_name: b.tls_server_name.clone(),
        no_tls: b.no_tls,
        ..crate::connect::ConnOptions::default()
    }
}

fn parse_shard(text: &str) -> Result<(u64, u64)> {
    let bad = || {
        Failure::usage(format!(
            "invalid --shard {}: use I/N with 0 <= I < N, e.g. 0/4",
            crate::report::quote(text)
        ))
    };
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n) = (
        i.parse::<u64>().map_err(|_| bad())?,
        n.parse::<u64>().map_err(|_| bad())?,
    );
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Thousands of connections need thousands of descriptors: take what the OS allows, and say so
/// when that is not enough.
fn raise_descriptor_limit(clients: usize) {
    let wanted = clients as u64 * 2 + 64;
    let limit = rlimit::increase_nofile_limit(wanted.max(4096)).unwrap_or(0);
    if limit != 0 && limit < wanted {
        say::warning(&format!(
            "the descriptor limit is {limit}, below the {wanted} that {clients} clients need; raise it (ulimit -n) or use --shard"
        ));
    }
}

/// The run's time base: a monotonic clock anchored to Unix time once, so payload timestamps are
/// comparable across machines (to NTP accuracy) yet never jump within a run.
#[derive(Clone, Copy)]
pub(super) struct Clock {
    t0: Instant,
    unix_ns_at_t0: u64,
}

impl Clock {
    pub fn new() -> Clock {
        let unix = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        Clock {
            t0: Instant::now(),
            unix_ns_at_t0: unix.as_nanos() as u64,
        }
    }

    pub fn unix_ns(&self, at: Instant) -> u64 {
        self.unix_ns_at_t0 + at.saturating_duration_since(self.t0).as_nanos() as u64
    }

    pub fn now_ns(&self) -> u64 {
        self.unix_ns(Instant::now())
    }
}

/// Ctrl-C and SIGTERM stop the run; the summary still prints.
pub(super) fn stop_on_signal() -> (watch::Sender<bool>, watch::Receiver<bool>) {
    let (tx, rx) = watch::channel(false);
    let signal_tx = tx.clone();
    tokio::spawn(async move {
        super::shutdown_signal().await;
        say::note("interrupted: stopping and printing what was measured");
        let _ = signal_tx.send(true);
    });
    (tx, rx)
}

/// Resolves once `stop` is set.
pub(super) async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards() {
        assert_eq!(parse_shard("1/4").unwrap(), (1, 4));
        assert!(parse_shard("4/4").is_err());
        assert!(parse_shard("1/0").is_err());
        assert!(parse_shard("x").is_err());
    }
}
