//! How received messages are printed: shared by `sub` and `rr`.

use clap::{Args, ValueEnum};

const OUTPUT: &str = "Output";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Print the topic before the payload: `topic payload`
    #[arg(short = 'v', long, help_heading = OUTPUT)]
    pub verbose: bool,

    /// Do not print a newline after each message
    #[arg(short = 'N', long = "no-newline", help_heading = OUTPUT)]
    pub no_newline: bool,

    /// Format each message, as mosquitto_sub's -F (see the FORMAT section of `man moth-sub`);
    /// overrides -v, not -N
    #[arg(short = 'F', long = "format", value_name = "FORMAT", allow_hyphen_values = true, help_heading = OUTPUT)]
    pub format: Option<String>,

    /// Indent the JSON of %j and %J
    #[arg(long, requires = "format", help_heading = OUTPUT)]
    pub pretty: bool,

    /// One JSON object per message (schema in the README); valid for any payload
    #[arg(short = 'J', long, conflicts_with_all = ["format", "verbose", "no_newline"], help_heading = OUTPUT)]
    pub json: bool,

    /// Prefix each line with the time it was received
    #[arg(long, conflicts_with_all = ["format", "json"], help_heading = OUTPUT)]
    pub timestamp: bool,

    /// Colour topics, markers and JSON keys: auto (a terminal without NO_COLOR), always, never
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = ColorChoice::Auto, help_heading = OUTPUT)]
    pub color: ColorChoice,
}
