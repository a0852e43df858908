//! `moth ui` flags: what to watch, how much to keep, and the connection.

use clap::Args;

use super::conn::ConnArgs;
use super::values;

const WATCH: &str = "Watch";

#[derive(Debug, Clone, Args)]
pub struct UiArgs {
    /// Topic filter to watch (repeatable; default #)
    #[arg(short = 't', long = "topic", value_name = "FILTER", allow_hyphen_values = true, help_heading = WATCH, value_hint = clap::ValueHint::Other)]
    pub topics: Vec<String>,

    /// Leave out topics that match this filter (repeatable)
    #[arg(short = 'T', long = "filter-out", value_name = "FILTER", help_heading = WATCH, value_hint = clap::ValueHint::Other)]
    pub filter_out: Vec<String>,

    /// Quality of service to subscribe with: 0, 1 or 2
    #[arg(short = 'q', long, value_name = "QOS", default_value_t = 0,
        allow_negative_numbers = true, value_parser = values::qos(), help_heading = WATCH)]
    pub qos: u8,

    /// Messages kept per topic, its last included (for the history and the chart)
    #[arg(long, value_name = "COUNT", default_value_t = 100, allow_negative_numbers = true,
        value_parser = values::whole::<usize>(1, 100_000, "a count"), help_heading = WATCH)]
    pub history: usize,

    /// Older messages kept in all topics together (each topic's last is always kept), and at
    /// most 64 MiB of their payloads
    #[arg(long = "history-total", value_name = "COUNT", default_value_t = 200_000, allow_negative_numbers = true,
        value_parser = values::whole::<usize>(0, 100_000_000, "a count"), help_heading = WATCH)]
    pub history_total: usize,

    #[command(flatten)]
    pub conn: ConnArgs,
}
