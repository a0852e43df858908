//! `moth bench`: an MQTT load generator whose numbers can be trusted. Load (`run` by phase,
//! with `publisher` and `subscriber` on the lean connection, `over_rumqttc` for websockets, and
//! `conn`), collection (`stats`), the summary (`summary`, `text`, `verdict`), reporting
//! (`report`) and `merge` are kept apart.

#[cfg(target_os = "linux")]
mod alarm;
mod conn;
mod ctx;
mod flow;
mod header;
mod lag;
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
        BenchMode::Conn(a) => {
            let mut setup = Setup::new(Mode::Conn, &a.load, &a.report, &a.conn)?;
            setup.thresholds = thresholds(Mode::Conn, &a.thresholds)?;
            conn::run(setup).await
        }
        BenchMode::Pub(a) => {
            let mut setup = Setup::new(Mode::Pub, &a.load, &a.report, &a.conn)?;
            setup.thresholds = thresholds(Mode::Pub, &a.thresholds)?;
            let publish = plan::PublishPlan::new(&a.publish, &setup, false)?;
            if publish.qos == 0 && publish.interval.is_none() {
                say::warning(
                    "bench pub at QoS 0 without a rate measures how fast this machine writes to its socket, not the broker (nothing confirms QoS 0): use bench pubsub, -q 1, or --rate",
                );
            }
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
            setup.window = a.window;
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
    /// The first client index and how many in all shards (-n, -c).
    pub first_index: u64,
    pub all_clients: u64,
    /// pubsub without a rate: messages each publisher may have on their way (--window).
    pub window: u64,
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
    /// The same for every shard of one test (see `run_id`).
    pub run_id: String,
    /// Worker threads of the runtime (for the report).
    pub threads: usize,
    pub thresholds: ThresholdArgs,
}

const DEFAULT_DURATION: Duration = Duration::from_secs(10);
/// Messages each publisher may have on their way in pubsub's closed loop: enough to keep a
/// broker busy (a few milliseconds of its delivery at a hundred thousand messages a second),
/// little enough that a closed loop never floods it.
pub const DEFAULT_WINDOW: u64 = 100;
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
            first_index: load.startnumber,
            all_clients: u64::from(load.count),
            window: DEFAULT_WINDOW,
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
            run_id: run_id(std::env::args_os().skip(1)),
            threads: tokio::runtime::Handle::current().metrics().num_workers(),
            thresholds: ThresholdArgs::default(),
        })
    }

    /// This process's publishers, as the subscribers tell them from another shard's.
    pub fn publishers(&self) -> ctx::Publishers {
        ctx::Publishers {
            first: self.first_index,
            count: self.all_clients,
            shard: self.shard,
        }
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

/// What identifies one test across its shards: every argument but --shard and those that only
/// say where and how the report goes (a pod's --json path differs from the next one's). Shards
/// started with the same command line and --start-at get the same id.
fn run_id(args: impl Iterator<Item = std::ffi::OsString>) -> String {
    const LEFT_OUT: [&str; 5] = ["--shard", "--json", "--hdr-out", "--threads", "--quiet"];
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut skip_value = false;
    for arg in args {
        let arg = arg.to_string_lossy();
        if std::mem::take(&mut skip_value) {
            continue;
        }
        let name = arg.split('=').next().unwrap_or_default();
        if LEFT_OUT.contains(&name) {
            // `--quiet` takes no value; the others take one unless given as `--flag=value`.
            skip_value = name != "--quiet" && !arg.contains('=');
            continue;
        }
        // FNV-1a: stable across builds and machines, unlike std's hasher.
        for byte in arg.bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// bench's connection flags (its own smaller set) as pub/sub's, so the same validation applies.
fn conn_options(b: &BenchConnArgs) -> crate::connect::ConnOptions {
    crate::connect::ConnOptions {
        host: b.endpoint.host.clone(),
        port: b.endpoint.port,
        url: b.url.clone(),
        unix: b.endpoint.unix.clone(),
        ws: b.endpoint.ws,
        // emqtt-bench's -V 4 is MQTT 3.1.1 (and 3 is 3.1, which moth refuses in words).
        protocol_version: b.protocol_version.as_deref().map(|v| {
            match v {
                "4" => "311",
                "3" => "31",
                other => other,
            }
            .to_string()
        }),
        username: b.auth.username.clone(),
        password: b.auth.password.clone(),
        keepalive: b.keepalive,
        max_inflight: b.max_inflight,
        cafile: b.tls.cafile.clone(),
        capath: b.tls.capath.clone(),
        cert: b.tls.cert.clone(),
        key: b.tls.key.clone(),
        insecure: b.tls.insecure,
        tls_version: b.tls.tls_version.clone(),
        tls_use_os_certs: b.tls.tls_use_os_certs,
        tls_alpn: b.tls.tls_alpn.clone(),
        tls_keylog: b.tls.tls_keylog.clone(),
        tls_server_name: b.tls.tls_server_name.clone(),
        no_tls: b.tls.no_tls,
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

/// Thousands of connections need thousands of descriptors: take what the OS allows (room for a
/// timer per publisher too), and say so only when the run cannot fit: a socket per client and
/// the reserve the rest of the process needs.
fn raise_descriptor_limit(clients: usize) {
    let comfortable = clients as u64 * 2 + 64;
    let needed = (clients + (clients / 4).max(256)) as u64;
    let limit = rlimit::increase_nofile_limit(comfortable.max(4096)).unwrap_or(0);
    if limit != 0 && limit < needed {
        say::warning(&format!(
            "the descriptor limit is {limit}, below the {needed} that {clients} clients need; raise it (ulimit -n) or use --shard"
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
    fn shards_of_one_test_share_a_run_id() {
        let id = |args: &[&str]| run_id(args.iter().map(std::ffi::OsString::from));
        let base = id(&["pub", "-c", "4", "--shard", "0/2", "--json", "a.json"]);
        assert_eq!(
            base,
            id(&["pub", "-c", "4", "--shard=1/2", "--json", "b.json"])
        );
        assert_eq!(base, id(&["pub", "-c", "4", "--quiet"]));
        assert_ne!(base, id(&["pub", "-c", "5", "--shard", "0/2"]));
    }

    #[test]
    fn shards() {
        assert_eq!(parse_shard("1/4").unwrap(), (1, 4));
        assert!(parse_shard("4/4").is_err());
        assert!(parse_shard("1/0").is_err());
        assert!(parse_shard("x").is_err());
    }
}
