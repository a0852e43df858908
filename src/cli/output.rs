//! How received messages are printed: shared by `sub` and `rr`.

use clap::{Args, ValueEnum};

const OUTPUT: &str = "Output";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether stdout gets colour, decided in the one place that decides it.
    pub fn for_stdout(self) -> bool {
        let choice = match self {
            ColorChoice::Auto => crate::colour::Choice::Auto,
            ColorChoice::Always => crate::colour::Choice::Always,
            ColorChoice::Never => crate::colour::Choice::Never,
        };
        crate::colour::wanted(choice, crate::colour::Stream::Stdout)
    }
}

impl OutputArgs {
    /// The output flags as the writers take them.
    pub fn style(&self) -> crate::output::Style<'_> {
        crate::output::Style {
            format: self.format.as_deref(),
            json: self.json,
            pretty: self.pretty,
            verbose: self.verbose,
            newline: !self.no_newline,
            timestamp: self.timestamp,
            colour: self.color.for_stdout(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Print the topic before the payload: `topic payload`
    #[arg(short = 'v', long, help_heading = OUTPUT)]
    pub verbose: bool,

    /// Do not print a newline after each message
    #[arg(short = 'N', long = "no-newline", help_heading = OUTPUT)]
    pub no_newline: bool,

    /// Format each message, as mosquitto_sub's -F (codes below); overrides -v, not -N
    #[arg(short = 'F', long = "format", value_name = "FORMAT", allow_hyphen_values = true, help_heading = OUTPUT)]
    pub format: Option<String>,

    /// Indent JSON over several lines: --json's objects, and %j and %J in -F
    #[arg(long, help_heading = OUTPUT)]
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

/// The -F reference, shown by `moth sub --help` and in the man pages.
pub const FORMAT_HELP: &str = "\
Format (-F), as mosquitto_sub:
  %%  a literal %                 %t  topic
  %p  payload                     %l  payload length
  %m  packet id                   %q  QoS
  %r  retain flag (0 or 1)        %x  payload in hex
  %X  payload in upper-case hex   %d  payload as an 8-byte LE double
  %f  payload as a 4-byte float   %I  ISO-8601 local time
  %U  Unix time with nanoseconds  %j  the message as JSON
  %J  %j with a JSON payload inlined (a non-JSON one is reported on
      stderr)
  MQTT 5 properties, empty when absent:
  %A  topic alias                 %C  content type
  %D  correlation data            %E  message expiry
  %F  payload format indicator    %P  user properties (key:value)
  %R  response topic              %S  subscription identifier
  Modifiers after %: - left-aligns, 0 pads with zeros, a number sets the
  minimum width, .N cuts %C %I %R %t to N characters and groups %x/%X
  into N nibbles, with an optional separator: %.2:x prints 6d:65:73.
  Time: @@ a literal @, @N nanoseconds, @ and any strftime letter
  (@Y-@m-@d @H:@M:@S).
  Escapes: \\\\ \\0 \\a \\e \\n \\r \\t \\v. A newline follows each message
  unless -N.

JSON lines (--json): one object per message with topic, payload (UTF-8
text, or base64 with \"payload_encoding\": \"base64\"), payload_json (when
the payload is JSON), qos, retain, dup, packet_id (null at QoS 0),
properties (MQTT 5) and received_at (RFC 3339, UTC, nanoseconds).";
