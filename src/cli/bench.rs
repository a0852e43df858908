//! `moth bench` flags. Load flags are named as emqtt-bench names them (`-c -i -R -I -L -s -q -t
//! --prefix -n`), so users switch without relearning; those shorts therefore differ from pub/sub's
//! (bench's connection flags are long options, except emqtt-bench's `-h -p -V -u -P -k`).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::{Args, Subcommand};

use super::conn::{AuthArgs, EndpointArgs, TlsArgs};
use super::values::{self, MAX_CLIENTS};

const LOAD: &str = "Load";
const MESSAGES: &str = "Messages";
const REPORT: &str = "Report";
const CONNECTION: &str = "Connection";
const CHECKS: &str = "Checks (exit status)";

#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub mode: Option<BenchMode>,

    /// Without a mode: publishers and subscribers in one process (pubsub)
    #[command(flatten)]
    pub pubsub: PubSubArgs,
}

impl BenchArgs {
    /// Worker threads: --threads, or the mode's default. pubsub measures latency, and hand-offs
    /// between threads add about 0.1 ms to it; the other modes are about volume.
    pub fn threads(&self) -> Option<usize> {
        match &self.mode {
            None => self.pubsub.load.threads.or(Some(1)),
            Some(BenchMode::Pubsub(a)) => a.load.threads.or(Some(1)),
            Some(BenchMode::Conn(a)) => a.load.threads,
            Some(BenchMode::Pub(a)) => a.load.threads,
            Some(BenchMode::Sub(a)) => a.load.threads,
            Some(BenchMode::Merge(_)) => Some(1),
        }
    }
}

#[derive(Debug, Clone, Subcommand)]
pub enum BenchMode {
    /// Open connections and hold them; report connect latency and failures
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Conn(ConnModeArgs),
    /// Publishers only; report send and acknowledgement rates and latency
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Pub(PubModeArgs),
    /// Subscribers only; count and rate what arrives
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Sub(SubModeArgs),
    /// Publishers and subscribers in one process: end-to-end latency, loss, duplicates, order
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Pubsub(PubSubArgs),
    /// Combine the --json summaries of --shard runs into one (counters, rates, percentiles)
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Merge(MergeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The --json summaries to combine (- reads them from stdin, one per line)
    #[arg(value_name = "SUMMARY.json", required = true)]
    pub files: Vec<PathBuf>,

    /// Merge even what is not the shards of one test (a shard twice or missing, another run's
    /// shard, a run without --shard)
    #[arg(long, help_heading = REPORT)]
    pub force: bool,

    /// Write the merged summary as JSON to FILE, or - for stdout
    #[arg(long, value_name = "FILE", help_heading = REPORT)]
    pub json: Option<String>,

    /// Write the merged histograms as an HdrHistogram interval log
    #[arg(long = "hdr-out", value_name = "FILE", help_heading = REPORT)]
    pub hdr_out: Option<PathBuf>,

    #[command(flatten)]
    pub thresholds: ThresholdArgs,
}

/// Pass/fail thresholds, as k6's: a crossed one makes the run exit 99.
#[derive(Debug, Clone, Default, Args)]
pub struct ThresholdArgs {
    /// Exit 99 when more than PERCENT of the expected messages were lost, at any QoS (pubsub;
    /// 0 to 100). QoS 1/2 loss fails a run without it
    #[arg(long = "max-loss", value_name = "PERCENT", allow_negative_numbers = true,
        value_parser = loss_percent(), help_heading = CHECKS)]
    pub max_loss: Option<f64>,

    /// Exit 99 when the p99 latency is above MS: end to end from the schedule, or the
    /// acknowledgement latency in bench pub
    #[arg(long = "max-p99", value_name = "MS", allow_negative_numbers = true,
        value_parser = values::millis(), help_heading = CHECKS)]
    pub max_p99: Option<Duration>,

    /// Pass with up to N failed connections, connections lost for good and refused publishes
    /// (they fail the run by default: exit 7, or 12 for refused publishes)
    #[arg(long = "max-errors", value_name = "N", allow_negative_numbers = true,
        value_parser = values::whole::<u64>(0, u64::MAX, "a count"), help_heading = CHECKS)]
    pub max_errors: Option<u64>,

    /// Exit 99 when fewer messages per second arrived (sub, pubsub) or were acknowledged (pub)
    #[arg(long = "min-rate", value_name = "MSG_PER_S", allow_negative_numbers = true,
        value_parser = values::rate("messages"), help_heading = CHECKS)]
    pub min_rate: Option<f64>,
}

/// A share of messages, 0 to 100 (0: no loss at all).
fn loss_percent() -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync + 'static {
    |text: &str| {
        text.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| (0.0..=100.0).contains(v))
            .ok_or_else(|| "use a percentage from 0 to 100".to_string())
    }
}

#[derive(Debug, Clone, Args)]
pub struct ConnModeArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub conn: BenchConnArgs,
}

#[derive(Debug, Clone, Args)]
pub struct PubModeArgs {
    #[command(flatten)]
    pub publish: PublishLoadArgs,
    #[command(flatten)]
    pub load: LoadArgs,
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub conn: BenchConnArgs,
}

#[derive(Debug, Clone, Args)]
pub struct SubModeArgs {
    /// Topic filter to subscribe to ($share/GROUP/... for shared subscriptions)
    #[arg(short = 't', long = "topic", value_name = "FILTER", default_value = "moth/bench/#", help_heading = MESSAGES, value_hint = clap::ValueHint::Other)]
    pub topic: String,

    /// QoS to subscribe with
    #[arg(short = 'q', long, value_name = "QOS", default_value_t = 0,
        allow_negative_numbers = true, value_parser = values::qos(), help_heading = MESSAGES)]
    pub qos: u8,

    /// Stop after this many messages in all
    #[arg(short = 'L', long = "limit", value_name = "COUNT", allow_negative_numbers = true,
        value_parser = values::whole::<u64>(1, u64::MAX, "a count"), help_heading = MESSAGES)]
    pub limit: Option<u64>,

    #[command(flatten)]
    pub load: LoadArgs,
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub conn: BenchConnArgs,
}

#[derive(Debug, Clone, Args)]
pub struct PubSubArgs {
    #[command(flatten)]
    pub publish: PublishLoadArgs,

    /// Subscribers (each gets every message, unless --sub-topic is a $share/ filter)
    #[arg(long, value_name = "COUNT", default_value_t = 1, allow_negative_numbers = true,
        value_parser = values::whole::<u32>(1, MAX_CLIENTS.into(), "a count"), help_heading = MESSAGES)]
    pub subscribers: u32,

    /// Without a rate: messages each publisher may have on their way (sent, not yet received by
    /// every subscriber); it waits for arrivals before sending more, so the rate is what the
    /// broker delivers
    #[arg(long, value_name = "MESSAGES", default_value_t = 100, allow_negative_numbers = true,
        value_parser = values::whole::<u64>(1, 1_000_000, "a number of messages"), help_heading = MESSAGES)]
    pub window: u64,

    /// Subscribers' filter [default: the topic template with + for %i, %c, %u and %s]
    #[arg(long = "sub-topic", value_name = "FILTER", help_heading = MESSAGES, value_hint = clap::ValueHint::Other)]
    pub sub_topic: Option<String>,

    #[command(flatten)]
    pub load: LoadArgs,
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub conn: BenchConnArgs,
}

#[derive(Debug, Clone, Args)]
pub struct PublishLoadArgs {
    /// Topic template: %i client index, %c client id, %u user name, %s sequence number
    #[arg(short = 't', long = "topic", value_name = "TEMPLATE", default_value = "moth/bench/%i", help_heading = MESSAGES, value_hint = clap::ValueHint::Other)]
    pub topic: String,

    /// Send this text as each payload (pubsub puts its 32-byte latency header before it)
    #[arg(short = 'm', long = "message", value_name = "TEXT", conflicts_with_all = ["size", "payload_file"],
        allow_hyphen_values = true, help_heading = MESSAGES, value_hint = clap::ValueHint::Other)]
    pub message: Option<String>,

    /// Send this file's contents as each payload (pubsub: after the latency header)
    #[arg(long = "payload-file", value_name = "FILE", conflicts_with = "size", help_heading = MESSAGES)]
    pub payload_file: Option<PathBuf>,

    /// Fill in placeholders in -t and -m for each message, as pub --template: {seq} (from 1),
    /// {ts}, {unix_ms}, {uuid}, {random:A-B}; {{ and }} are braces
    #[arg(long, help_heading = MESSAGES)]
    pub template: bool,

    /// Payload size in bytes (at least 32 in pubsub, for the latency header)
    #[arg(short = 's', long = "size", value_name = "BYTES", default_value_t = 64, allow_negative_numbers = true,
        value_parser = values::whole::<usize>(0, crate::limits::MAX_PACKET_SIZE as u64, "bytes"), help_heading = MESSAGES)]
    pub size: usize,

    /// QoS of each publish
    #[arg(short = 'q', long, value_name = "QOS", default_value_t = 0,
        allow_negative_numbers = true, value_parser = values::qos(), help_heading = MESSAGES)]
    pub qos: u8,

    /// Retain each message
    #[arg(short = 'r', long, help_heading = MESSAGES)]
    pub retain: bool,

    /// Milliseconds between messages of each publisher (open loop; 0.001 to a year)
    #[arg(short = 'I', long = "interval_of_msg", visible_alias = "msg-interval", value_name = "MS", conflicts_with = "rate",
        allow_negative_numbers = true, value_parser = values::interval_millis(), help_heading = MESSAGES)]
    pub msg_interval: Option<Duration>,

    /// Messages per second from all publishers together (open loop; 0.001 to 1e9)
    #[arg(long, value_name = "MSG_PER_S", allow_negative_numbers = true,
        value_parser = values::rate("messages"), help_heading = MESSAGES)]
    pub rate: Option<f64>,

    /// Stop after this many messages in all
    #[arg(short = 'L', long = "limit", value_name = "COUNT", allow_negative_numbers = true,
        value_parser = values::whole::<u64>(1, u64::MAX, "a count"), help_heading = MESSAGES)]
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Clients (connections), up to 10,000,000; with --shard, in all shards together
    #[arg(short = 'c', long = "count", value_name = "N", default_value_t = 1, allow_negative_numbers = true,
        value_parser = values::whole::<u32>(1, MAX_CLIENTS.into(), "a count"), help_heading = LOAD)]
    pub count: u32,

    /// Milliseconds between connection starts (0 to a year)
    #[arg(short = 'i', long = "interval", value_name = "MS", conflicts_with = "connrate",
        allow_negative_numbers = true, value_parser = values::millis(), help_heading = LOAD)]
    pub interval: Option<Duration>,

    /// Connections per second, 0.001 to 1e9 [default: 1000]
    #[arg(short = 'R', long = "connrate", value_name = "N_PER_S", allow_negative_numbers = true,
        value_parser = values::rate("connections"), help_heading = LOAD)]
    pub connrate: Option<f64>,

    /// First client index (client indices end at 4294967295)
    #[arg(short = 'n', long = "startnumber", value_name = "N", default_value_t = 0, allow_negative_numbers = true,
        value_parser = values::whole::<u64>(0, u32::MAX as u64, "a client index"), help_heading = LOAD)]
    pub startnumber: u64,

    /// Client id prefix; ids are PREFIX-INDEX (pubsub's subscribers: PREFIX-sub-N)
    /// [default: moth-bench-MODE: moth-bench-pub, moth-bench-sub, moth-bench-pubsub,
    /// moth-bench-conn, so that runs of different modes never share an id]
    #[arg(long, value_name = "PREFIX", help_heading = LOAD, value_hint = clap::ValueHint::Other)]
    pub prefix: Option<String>,

    /// Seconds to run (after warm-up), 0.001 to a year [default: 10, unless -L is given]
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true,
        value_parser = values::positive_seconds(), help_heading = LOAD)]
    pub duration: Option<Duration>,

    /// Seconds at the start left out of the results (0 to a year)
    #[arg(long, value_name = "SECONDS", default_value = "0", allow_negative_numbers = true,
        value_parser = values::seconds(), help_heading = LOAD)]
    pub warmup: Duration,

    /// Run only this shard of the clients: I/N takes every client whose index % N == I
    #[arg(long, value_name = "I/N", help_heading = LOAD)]
    pub shard: Option<String>,

    /// Wait until this wall-clock time to start: RFC 3339 or Unix seconds, at most a day ahead
    #[arg(long = "start-at", value_name = "TIME", allow_negative_numbers = true,
        value_parser = values::start_at(), help_heading = LOAD)]
    pub start_at: Option<SystemTime>,

    /// Worker threads [default: 1 for pubsub, one per core otherwise]. One thread keeps every
    /// hand-off on one core: about 0.1 ms less added latency, fewer messages per second
    #[arg(long, value_name = "N", allow_negative_numbers = true,
        value_parser = values::whole::<usize>(1, 1024, "a thread count"), help_heading = LOAD)]
    pub threads: Option<usize>,

    /// Local source addresses to spread connections over, comma-separated (past 64k connections
    /// to one broker address: each source address has its own 64k ports)
    #[arg(long, value_name = "ADDR,ADDR", value_delimiter = ',', help_heading = LOAD)]
    pub ifaddr: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Write the summary as JSON to FILE, or - for stdout
    #[arg(long, value_name = "FILE", help_heading = REPORT)]
    pub json: Option<String>,

    /// Write the latency histograms as an HdrHistogram interval log
    #[arg(long = "hdr-out", value_name = "FILE", help_heading = REPORT)]
    pub hdr_out: Option<PathBuf>,

    /// No live progress
    #[arg(long, help_heading = REPORT)]
    pub quiet: bool,
}

/// The connection flags bench shares with pub and sub, under long names (and emqtt-bench's
/// shorts where they agree with mosquitto's).
#[derive(Debug, Clone, Args)]
pub struct BenchConnArgs {
    #[command(flatten)]
    pub endpoint: EndpointArgs,

    /// Broker URL (mqtt://, mqtts://, ws://, wss://)
    #[arg(long, value_name = "URL", help_heading = CONNECTION, value_hint = clap::ValueHint::Url)]
    pub url: Option<String>,

    /// MQTT version: 4 or 311 (3.1.1), or 5
    #[arg(short = 'V', long = "protocol-version", value_name = "VERSION", help_heading = CONNECTION, value_parser = values::bench_protocol_version())]
    pub protocol_version: Option<String>,

    #[command(flatten)]
    pub auth: AuthArgs,

    /// Use this profile of the config file
    #[arg(long, value_name = "NAME", help_heading = CONNECTION, value_hint = clap::ValueHint::Other)]
    pub profile: Option<String>,

    /// Read settings from this config file instead of the default one
    #[arg(long, value_name = "FILE", help_heading = CONNECTION)]
    pub config: Option<PathBuf>,

    /// Keep-alive seconds
    #[arg(short = 'k', long, value_name = "SECONDS", default_value_t = 60, allow_negative_numbers = true,
        value_parser = values::whole::<u16>(5, 65535, "whole seconds"), help_heading = CONNECTION)]
    pub keepalive: u16,

    /// Maximum QoS 1/2 messages in flight per publisher (keep at or below the broker's limit)
    #[arg(long = "max-inflight", value_name = "COUNT", default_value_t = 20, allow_negative_numbers = true,
        value_parser = values::whole::<u16>(1, 65535, "a count"), help_heading = CONNECTION)]
    pub max_inflight: u16,

    #[command(flatten)]
    pub tls: TlsArgs,
}
