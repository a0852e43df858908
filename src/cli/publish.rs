//! `moth pub` flags, as mosquitto_pub's.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args};

use super::conn::ConnArgs;
use super::values;

const MESSAGE: &str = "Message";
const REPLAY: &str = "Streams, replay and templates";

/// Exactly one message source, with one exception the command checks itself: with --template,
/// -m is the pattern that each -l line fills in ({line}). clap cannot make a conflict depend on a
/// third flag, so the sources conflict pairwise instead of through a single-choice group.
#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("source").required(true).multiple(true)
    .args(["message", "file", "stdin_line", "stdin_file", "null_message", "jsonl", "topic_lines"])))]
pub struct PubArgs {
    /// Topic to publish to
    #[arg(short = 't', long, value_name = "TOPIC", allow_hyphen_values = true, help_heading = MESSAGE, value_hint = clap::ValueHint::Other)]
    pub topic: Option<String>,

    /// Send this message
    #[arg(short = 'm', long, value_name = "MESSAGE", allow_hyphen_values = true,
        conflicts_with_all = ["file", "stdin_file", "null_message", "jsonl", "topic_lines"], help_heading = MESSAGE)]
    pub message: Option<OsString>,

    /// Send the contents of a file as one message (binary-safe)
    #[arg(short = 'f', long, value_name = "FILE",
        conflicts_with_all = ["stdin_line", "stdin_file", "null_message", "jsonl", "topic_lines"], help_heading = MESSAGE)]
    pub file: Option<PathBuf>,

    /// Send each line of stdin as a message (an empty line is an empty message)
    #[arg(short = 'l', long = "stdin-line",
        conflicts_with_all = ["stdin_file", "null_message", "jsonl", "topic_lines"], help_heading = MESSAGE)]
    pub stdin_line: bool,

    /// Send all of stdin as one message
    #[arg(short = 's', long = "stdin-file",
        conflicts_with_all = ["null_message", "jsonl", "topic_lines"], help_heading = MESSAGE)]
    pub stdin_file: bool,

    /// Send an empty message (with -r: clear the retained message)
    #[arg(short = 'n', long = "null-message", conflicts_with_all = ["jsonl", "topic_lines"], help_heading = MESSAGE)]
    pub null_message: bool,

    /// Send one message per stdin line, each a JSON object as `sub --json` prints it (topic,
    /// payload, payload_encoding, qos, retain, properties, received_at); what a line gives
    /// overrides -t, -q, -r and the property flags
    #[arg(long, conflicts_with = "topic_lines", help_heading = REPLAY)]
    pub jsonl: bool,

    /// Send one message per stdin line `TOPIC PAYLOAD` (split at the first space), as `sub -v`
    /// prints it
    #[arg(long = "topic-lines", conflicts_with = "topic", help_heading = REPLAY)]
    pub topic_lines: bool,

    /// With --jsonl: keep the gaps between the lines' received_at times
    #[arg(long, requires = "jsonl", conflicts_with = "rate", help_heading = REPLAY)]
    pub replay: bool,

    /// With --replay: play this many times faster (0.5 is half speed)
    #[arg(long, value_name = "FACTOR", requires = "replay", allow_negative_numbers = true,
        value_parser = values::factor(), help_heading = REPLAY)]
    pub speed: Option<f64>,

    /// Send this many messages per second (fractions allowed) on a fixed schedule from the
    /// start: paces -l, --jsonl, --topic-lines and --repeat
    #[arg(long, value_name = "PER_SECOND", conflicts_with = "repeat_delay", allow_negative_numbers = true,
        value_parser = values::rate("messages"), help_heading = REPLAY)]
    pub rate: Option<f64>,

    /// Fill in placeholders in -t and -m for each message: {seq} (from 1), {ts} (RFC 3339, ms),
    /// {unix_ms}, {uuid}, {random:A-B}, {line} (the -l line); {{ and }} for braces
    #[arg(long, conflicts_with_all = ["jsonl", "topic_lines"], help_heading = REPLAY)]
    pub template: bool,

    /// Quality of service: 0, 1 or 2
    #[arg(short = 'q', long, value_name = "QOS", default_value_t = 0,
        allow_negative_numbers = true, value_parser = values::qos(), help_heading = MESSAGE)]
    pub qos: u8,

    /// Ask the broker to retain the message
    #[arg(short = 'r', long, help_heading = MESSAGE)]
    pub retain: bool,

    /// Publish the message this many times (with -m, -f, -s or -n; ignored with -l, as
    /// mosquitto_pub does)
    #[arg(long, value_name = "COUNT", default_value_t = 1, conflicts_with_all = ["jsonl", "topic_lines"], allow_negative_numbers = true,
        value_parser = values::whole::<u64>(1, u64::MAX, "a count"), help_heading = MESSAGE)]
    pub repeat: u64,

    /// Seconds to wait after each delivery before the next --repeat (fractions allowed; at most
    /// a year)
    #[arg(long = "repeat-delay", value_name = "SECONDS", allow_negative_numbers = true,
        value_parser = values::seconds(), help_heading = MESSAGE)]
    pub repeat_delay: Option<Duration>,

    /// After a lost connection, keep reconnecting and resending until this many seconds pass
    /// without a delivery (a link that comes back and drops again does not restart the clock),
    /// then give up with exit 7; 0 gives up at once. Default: 30 for -m, -f, -s and -n; no limit
    /// for -l
    #[arg(long = "reconnect-timeout", value_name = "SECONDS", allow_negative_numbers = true,
        value_parser = values::seconds(), help_heading = MESSAGE)]
    pub reconnect_timeout: Option<Duration>,

    /// MQTT 5: topic the receiver should answer on
    #[arg(long = "response-topic", value_name = "TOPIC", help_heading = PROPERTIES, value_hint = clap::ValueHint::Other)]
    pub response_topic: Option<String>,

    #[command(flatten)]
    pub properties: PublishPropertyArgs,

    #[command(flatten)]
    pub conn: ConnArgs,
}

const PROPERTIES: &str = "MQTT 5 message properties (shortcuts for -D publish ...)";

#[derive(Debug, Clone, Default, Args)]
pub struct PublishPropertyArgs {
    /// Content type, e.g. application/json
    #[arg(long = "content-type", value_name = "TYPE", help_heading = PROPERTIES)]
    pub content_type: Option<String>,

    /// Correlation data to pair an answer with its request
    #[arg(long = "correlation-data", value_name = "DATA", help_heading = PROPERTIES)]
    pub correlation_data: Option<String>,

    /// Seconds after which the broker drops the message if undelivered
    #[arg(long = "message-expiry", value_name = "SECONDS", allow_negative_numbers = true,
        value_parser = values::whole::<u32>(0, u32::MAX as u64, "whole seconds"), help_heading = PROPERTIES)]
    pub message_expiry: Option<u32>,

    /// Payload format indicator: 0 bytes, 1 UTF-8 text
    #[arg(long = "payload-format", value_name = "0|1", allow_negative_numbers = true,
        value_parser = values::whole::<u8>(0, 1, "a format indicator"), help_heading = PROPERTIES)]
    pub payload_format: Option<u8>,

    /// A user property KEY=VALUE (repeatable; order and duplicates kept)
    #[arg(long = "user-property", value_name = "KEY=VALUE", help_heading = PROPERTIES)]
    pub user_property: Vec<String>,
}
