//! `moth rr` flags, as mosquitto_rr's.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args};

use super::conn::ConnArgs;
use super::output::OutputArgs;
use super::publish::PublishPropertyArgs;
use super::values;

const REQUEST: &str = "Request";

#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("source").required(true).multiple(false)
    .args(["message", "file", "stdin_file", "null_message"])))]
pub struct RrArgs {
    /// Topic to send the request to
    #[arg(short = 't', long, value_name = "TOPIC", allow_hyphen_values = true, help_heading = REQUEST, value_hint = clap::ValueHint::Other)]
    pub topic: Option<String>,

    /// Topic to wait for the response on (subscribed before the request is sent)
    #[arg(short = 'e', long = "response-topic", value_name = "TOPIC", allow_hyphen_values = true, help_heading = REQUEST, value_hint = clap::ValueHint::Other)]
    pub response_topic: String,

    /// Send this request payload
    #[arg(short = 'm', long, value_name = "MESSAGE", allow_hyphen_values = true, help_heading = REQUEST, value_hint = clap::ValueHint::Other)]
    pub message: Option<OsString>,

    /// Send the contents of a file as the request
    #[arg(short = 'f', long, value_name = "FILE", help_heading = REQUEST)]
    pub file: Option<PathBuf>,

    /// Send all of stdin as the request
    #[arg(short = 's', long = "stdin-file", help_heading = REQUEST)]
    pub stdin_file: bool,

    /// Send an empty request
    #[arg(short = 'n', long = "null-message", help_heading = REQUEST)]
    pub null_message: bool,

    /// Quality of service for the request and the response subscription
    #[arg(short = 'q', long, value_name = "QOS", default_value_t = 0,
        allow_negative_numbers = true, value_parser = values::qos(), help_heading = REQUEST)]
    pub qos: u8,

    /// Exit after this many responses (default 1, or all that come with --idle or --duration)
    #[arg(short = 'C', long = "count", value_name = "COUNT", allow_negative_numbers = true,
        value_parser = values::whole::<u64>(1, u64::MAX, "a count"), help_heading = REQUEST)]
    pub count: Option<u64>,

    /// Exit with code 27 if no response arrives within this many seconds
    #[arg(short = 'W', long = "timeout", value_name = "SECONDS", allow_negative_numbers = true,
        value_parser = values::whole::<u32>(1, u32::MAX as u64, "whole seconds"), help_heading = REQUEST)]
    pub timeout: Option<u32>,

    /// Exit 0 once this many seconds pass without a response, counted from the SUBACK
    /// (fractions allowed): collect every answer that comes, then stop
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true,
        value_parser = values::positive_seconds(), help_heading = REQUEST)]
    pub idle: Option<Duration>,

    /// Stop after this many seconds from connecting (fractions allowed) and exit 0: collect every answer that
    /// comes in that time
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true,
        value_parser = values::positive_seconds(), help_heading = REQUEST)]
    pub duration: Option<Duration>,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub properties: PublishPropertyArgs,

    #[command(flatten)]
    pub conn: ConnArgs,
}
