//! `moth sub` flags, as mosquitto_sub's.

use std::time::Duration;

use clap::Args;

use super::conn::ConnArgs;
use super::output::OutputArgs;
use super::values;

const SUBSCRIPTION: &str = "Subscription";

#[derive(Debug, Clone, Args)]
pub struct SubArgs {
    /// Topic filter to subscribe to (repeatable)
    #[arg(short = 't', long = "topic", value_name = "FILTER", allow_hyphen_values = true, help_heading = SUBSCRIPTION, value_hint = clap::ValueHint::Other)]
    pub topics: Vec<String>,

    /// Hide messages whose topic matches this filter (repeatable)
    #[arg(short = 'T', long = "filter-out", value_name = "FILTER", help_heading = SUBSCRIPTION, value_hint = clap::ValueHint::Other)]
    pub filter_out: Vec<String>,

    /// Unsubscribe from this filter after subscribing (repeatable; -t optional)
    #[arg(short = 'U', long = "unsubscribe", value_name = "FILTER", help_heading = SUBSCRIPTION, value_hint = clap::ValueHint::Other)]
    pub unsubscribe: Vec<String>,

    /// Quality of service to subscribe with: 0, 1 or 2
    #[arg(short = 'q', long, value_name = "QOS", default_value_t = 0,
        allow_negative_numbers = true, value_parser = values::qos(), help_heading = SUBSCRIPTION)]
    pub qos: u8,

    /// Exit after receiving this many messages
    #[arg(short = 'C', long = "count", value_name = "COUNT", allow_negative_numbers = true,
        value_parser = values::whole::<u64>(1, u64::MAX, "a count"), help_heading = SUBSCRIPTION)]
    pub count: Option<u64>,

    /// Exit with code 27 if no -C count is reached within this many seconds
    #[arg(short = 'W', long = "timeout", value_name = "SECONDS", allow_negative_numbers = true,
        value_parser = values::whole::<u32>(1, u32::MAX as u64, "whole seconds"), help_heading = SUBSCRIPTION)]
    pub timeout: Option<u32>,

    /// Exit 0 once this many seconds pass without a message, counted from the SUBACK (fractions
    /// allowed): dump what is retained and stop
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true,
        value_parser = values::positive_seconds(), help_heading = SUBSCRIPTION)]
    pub idle: Option<Duration>,

    /// Stop after this many seconds from connecting (fractions allowed) and exit 0: a
    /// time-boxed capture
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true,
        value_parser = values::positive_seconds(), help_heading = SUBSCRIPTION)]
    pub duration: Option<Duration>,

    /// Do not print stale retained messages
    #[arg(short = 'R', long = "no-stale", help_heading = SUBSCRIPTION)]
    pub no_stale: bool,

    /// Exit once the subscriptions are acknowledged
    #[arg(short = 'E', long = "exit-after-sub", help_heading = SUBSCRIPTION)]
    pub exit_after_sub: bool,

    /// Print only retained messages; exit at the first message that is not retained
    #[arg(long = "retained-only", conflicts_with = "no_stale", help_heading = SUBSCRIPTION)]
    pub retained_only: bool,

    /// Clear each retained message received (respects -T)
    #[arg(long = "remove-retained", help_heading = SUBSCRIPTION)]
    pub remove_retained: bool,

    /// MQTT 5: keep the retain flag as the publisher set it
    #[arg(long = "retain-as-published", help_heading = SUBSCRIPTION)]
    pub retain_as_published: bool,

    /// Print only this percentage of messages, chosen at random (0.1 to 100)
    #[arg(long = "random-filter", value_name = "PERCENT", allow_negative_numbers = true,
        value_parser = values::percent(), help_heading = SUBSCRIPTION)]
    pub random_filter: Option<f64>,

    /// MQTT 5: do not receive the messages this client publishes itself
    #[arg(long = "no-local", help_heading = SUBSCRIPTION)]
    pub no_local: bool,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub conn: ConnArgs,
}
