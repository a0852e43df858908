//! `moth ls` flags: what to watch and for how long.

use std::time::Duration;

use clap::Args;

use super::conn::ConnArgs;
use super::output::ColorChoice;
use super::values;
pub use crate::output::SortBy;

const WATCH: &str = "Watch";

#[derive(Debug, Clone, Args)]
pub struct LsArgs {
    /// Topic filter to watch (repeatable; default #)
    #[arg(short = 't', long = "topic", value_name = "FILTER", help_heading = WATCH, value_hint = clap::ValueHint::Other)]
    pub topics: Vec<String>,

    /// Leave out topics that match this filter (repeatable)
    #[arg(short = 'T', long = "filter-out", value_name = "FILTER", help_heading = WATCH, value_hint = clap::ValueHint::Other)]
    pub filter_out: Vec<String>,

    /// Quality of service to subscribe with: 0, 1 or 2
    #[arg(short = 'q', long, value_name = "QOS", default_value_t = 0,
        allow_negative_numbers = true, value_parser = values::qos(), help_heading = WATCH)]
    pub qos: u8,

    /// Stop after this many messages
    #[arg(short = 'C', long = "count", value_name = "COUNT", allow_negative_numbers = true,
        value_parser = values::whole::<u64>(1, u64::MAX, "a count"), help_heading = WATCH)]
    pub count: Option<u64>,

    /// Stop after this many seconds
    #[arg(short = 'W', long = "timeout", visible_alias = "duration", value_name = "SECONDS", allow_negative_numbers = true,
        value_parser = values::whole::<u32>(1, u32::MAX as u64, "whole seconds"), help_heading = WATCH)]
    pub timeout: Option<u32>,

    /// Stop once this many seconds pass without a message (fractions allowed). Without --idle,
    /// -W or -C: --idle 1 and -W 10
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true,
        value_parser = values::positive_seconds(), help_heading = WATCH)]
    pub idle: Option<Duration>,

    /// Order of topics under each level: name, or busiest first by rate, messages or bytes
    /// (a level counts everything below it)
    #[arg(long, value_name = "BY", value_enum, default_value_t = SortBy::Name, help_heading = WATCH)]
    pub sort: SortBy,

    /// Show this many levels; what lies deeper is summed into one row per subtree (a/b/#)
    #[arg(long, value_name = "LEVELS", allow_negative_numbers = true,
        value_parser = values::whole::<usize>(1, 1000, "a number of levels"), help_heading = WATCH)]
    pub depth: Option<usize>,

    /// Redraw the tree in place every second while watching, as top does (a terminal only);
    /// until Ctrl-C, unless --idle, -W or -C say otherwise
    #[arg(long, conflicts_with = "json", help_heading = WATCH)]
    pub watch: bool,

    /// One JSON object per topic, for scripts (last payload whole, base64 when binary)
    #[arg(short = 'J', long, help_heading = WATCH)]
    pub json: bool,

    /// Colour the tree: auto (a terminal without NO_COLOR), always, never
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = ColorChoice::Auto, help_heading = WATCH)]
    pub color: ColorChoice,

    #[command(flatten)]
    pub conn: ConnArgs,
}
