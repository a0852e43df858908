//! Command-line definitions (clap). Nothing here connects or validates across flags: that is the
//! job of `connect::ConnSpec` and of each command.

mod bench;
mod config;
mod conn;
pub mod help;
mod ls;
mod output;
mod publish;
mod request;
mod subscribe;
mod ui;
pub mod values;

use clap::{ArgAction, CommandFactory, FromArgMatches, Parser, Subcommand};

pub use bench::{
    BenchArgs, BenchConnArgs, BenchMode, LoadArgs, MergeArgs, PublishLoadArgs, ReportArgs,
    ThresholdArgs,
};
pub use config::{ConfigAction, ConfigArgs};
pub use conn::ConnArgs;
pub use ls::LsArgs;
pub use output::FORMAT_HELP;
pub use publish::{PubArgs, PublishPropertyArgs};
pub use request::RrArgs;
pub use subscribe::SubArgs;
pub use ui::UiArgs;

/// A fast, trustworthy MQTT client for shells: publish, subscribe and load-test, with mosquitto's
/// flags.
#[derive(Debug, Parser)]
#[command(
    name = "moth",
    version,
    propagate_version = true,
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = false,
    subcommand_required = true,
    arg_required_else_help = true,
    after_help = crate::exit::TABLE,
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Print help
    #[arg(long, action = ArgAction::Help, global = true)]
    help: Option<bool>,

    /// Print version
    #[arg(long, action = ArgAction::Version, global = true)]
    version: Option<bool>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Publish messages (as mosquitto_pub)
    #[command(
        name = "pub",
        disable_help_flag = true,
        disable_version_flag = true,
        args_override_self = true,
        after_long_help = help::after_long_help("pub")
    )]
    Pub(Deferred<PubArgs>),

    /// Subscribe and print messages (as mosquitto_sub)
    #[command(
        name = "sub",
        disable_help_flag = true,
        disable_version_flag = true,
        args_override_self = true,
        after_long_help = help::after_long_help("sub")
    )]
    Sub(Deferred<SubArgs>),

    /// Send a request and print the response (as mosquitto_rr; MQTT 5 by default)
    #[command(
        name = "rr",
        disable_help_flag = true,
        disable_version_flag = true,
        args_override_self = true,
        after_long_help = help::after_long_help("rr")
    )]
    Rr(Deferred<RrArgs>),

    /// Load-test a broker: connections, publishers, subscribers, end-to-end latency (pubsub by
    /// default)
    #[command(
        name = "bench",
        disable_help_flag = true,
        disable_version_flag = true,
        args_override_self = true,
        after_long_help = help::after_long_help("bench")
    )]
    Bench(Deferred<Box<BenchArgs>>),

    /// Show the connection settings and where each comes from, or the config file's path
    #[command(
        name = "config",
        disable_help_flag = true,
        disable_version_flag = true,
        subcommand_required = true,
        after_long_help = help::after_long_help("config")
    )]
    Config(Deferred<ConfigArgs>),

    /// Watch a broker for a moment and print the topic tree seen: counts, rates, retained
    /// messages, last payloads
    #[command(
        name = "ls",
        disable_help_flag = true,
        disable_version_flag = true,
        args_override_self = true,
        after_long_help = help::after_long_help("ls")
    )]
    Ls(Deferred<LsArgs>),

    /// Explore a broker in the terminal: a live topic tree, each topic's payloads, history and
    /// chart; publish and clear retained messages from it
    #[command(
        name = "ui",
        disable_help_flag = true,
        disable_version_flag = true,
        args_override_self = true,
        after_long_help = help::after_long_help("ui")
    )]
    Ui(Deferred<UiArgs>),
}

impl Command {
    /// bench's connection flags, whichever mode runs (merge connects to nothing).
    pub fn bench_conn_mut(&mut self) -> Option<&mut BenchConnArgs> {
        use bench::BenchMode;
        let Command::Bench(Deferred(args)) = self else {
            return None;
        };
        Some(match &mut args.mode {
            None => &mut args.pubsub.conn,
            Some(BenchMode::Pubsub(a)) => &mut a.conn,
            Some(BenchMode::Conn(a)) => &mut a.conn,
            Some(BenchMode::Pub(a)) => &mut a.conn,
            Some(BenchMode::Sub(a)) => &mut a.conn,
            Some(BenchMode::Merge(_)) => return None,
        })
    }

    /// Where the password goes for a command that connects (bench's mode included).
    pub fn password_mut(&mut self) -> Option<&mut Option<String>> {
        use bench::BenchMode;
        Some(match self {
            Command::Pub(args) => &mut args.conn.auth.password,
            Command::Sub(args) => &mut args.conn.auth.password,
            Command::Rr(args) => &mut args.conn.auth.password,
            Command::Ls(args) => &mut args.conn.auth.password,
            Command::Ui(args) => &mut args.conn.auth.password,
            Command::Bench(Deferred(args)) => match &mut args.mode {
                None => &mut args.pubsub.conn.auth.password,
                Some(BenchMode::Pubsub(a)) => &mut a.conn.auth.password,
                Some(BenchMode::Conn(a)) => &mut a.conn.auth.password,
                Some(BenchMode::Pub(a)) => &mut a.conn.auth.password,
                Some(BenchMode::Sub(a)) => &mut a.conn.auth.password,
                Some(BenchMode::Merge(_)) => return None,
            },
            Command::Config(_) => return None,
        })
    }
}

/// The clap command tree, each subcommand's arguments still deferred: what parsing needs.
pub fn command() -> clap::Command {
    Cli::command()
}

/// The whole tree, every subcommand's arguments defined, as clap's derive makes it: to look
/// arguments up, and to generate completions and man pages.
pub fn whole() -> clap::Command {
    EAGER.with(|eager| eager.set(true));
    let command = Cli::command();
    EAGER.with(|eager| eager.set(false));
    command
}

/// The whole tree, built: every argument knows how many values it takes.
pub fn built() -> clap::Command {
    let mut command = whole();
    command.build();
    command
}

thread_local! {
    /// Set while `whole` makes its tree: arguments are defined at once, not deferred.
    static EAGER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `T`'s arguments on `command`, keeping the subcommand's own description: an arguments struct
/// would otherwise put its doc comment (written for developers) in the help.
fn define<T: clap::Args>(command: clap::Command) -> clap::Command {
    let about = command.get_about().cloned();
    let long_about = command.get_long_about().cloned();
    let command = T::augment_args(command);
    let command = match about {
        Some(about) => command.about(about),
        None => command.about(None::<&str>),
    };
    match long_about {
        Some(long_about) => command.long_about(long_about),
        None => command.long_about(None::<&str>),
    }
}

/// A subcommand's arguments, defined only once that subcommand is used. clap builds every
/// argument of every subcommand before it parses anything, and for a one-shot `moth pub` that
/// was most of the start-up time.
#[derive(Debug)]
pub struct Deferred<T>(pub T);

impl<T> std::ops::Deref for Deferred<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Deferred<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: FromArgMatches> FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Deferred)
    }
    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
}

impl<T: clap::Args> clap::Args for Deferred<T> {
    fn augment_args(command: clap::Command) -> clap::Command {
        match EAGER.with(|eager| eager.get()) {
            true => T::augment_args(command),
            false => command.defer(define::<T>),
        }
    }
    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        Self::augment_args(command)
    }
    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }
}

/// Parse arguments without exiting.
pub fn try_parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let matches = command().try_get_matches_from(args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    if let Some((_, sub)) = matches.subcommand()
        && let Ok(Some(occurrences)) = sub.try_get_occurrences::<String>(conn::PROPERTY_ID)
    {
        let groups: Vec<Vec<String>> = occurrences.map(|o| o.cloned().collect()).collect();
        match &mut cli.command {
            Command::Pub(args) => args.conn.property = groups,
            Command::Sub(args) => args.conn.property = groups,
            Command::Rr(args) => args.conn.property = groups,
            Command::Ls(args) => args.conn.property = groups,
            Command::Ui(args) => args.conn.property = groups,
            Command::Bench(_) | Command::Config(_) => {}
        }
    }
    Ok(cli)
}

/// `parse`, for arguments the config layer has completed.
pub fn parse_from<I, T>(args: I) -> Cli
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::error::ErrorKind;
    match try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => match err.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                let _ = err.print();
                std::process::exit(0);
            }
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                let _ = err.print();
                std::process::exit(1);
            }
            _ => {
                let line = match plainer(&err) {
                    Some(line) => line,
                    None => one_line(&shorten_quoted_input(err).render().to_string()),
                };
                crate::report::usage_error(&line);
                std::process::exit(1);
            }
        },
    }
}

/// What clap says badly for moth: a mistyped subcommand with its letters swapped (`sbu`), which
/// clap's similarity measure misses, and pub without a message, where clap lists every long
/// form of the seven message sources.
fn plainer(err: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    match err.kind() {
        ErrorKind::InvalidSubcommand => {
            let Some(ContextValue::String(typed)) = err.get(ContextKind::InvalidSubcommand) else {
                return None;
            };
            let near = help::SUBCOMMANDS
                .iter()
                .find(|name| strsim::osa_distance(typed, name) == 1)?;
            Some(format!(
                "unrecognized subcommand {}; did you mean `moth {near}`? (see --help)",
                crate::report::quote(typed)
            ))
        }
        ErrorKind::MissingRequiredArgument => {
            let Some(ContextValue::Strings(missing)) = err.get(ContextKind::InvalidArg) else {
                return None;
            };
            let group = missing.iter().find(|m| m.contains("--message"))?;
            Some(match group.contains("--jsonl") {
                true => "say what to publish: -m TEXT, -f FILE, -l (a message per stdin line), -s (all of stdin), -n (an empty message), --jsonl or --topic-lines (see --help)",
                false => "say what to send as the request: -m TEXT, -f FILE, -s (all of stdin) or -n (an empty request) (see --help)",
            }.to_string())
        }
        _ => None,
    }
}

/// clap quotes the offending value or argument whole: a 65 KB value would make a 65 KB line.
fn shorten_quoted_input(mut err: clap::Error) -> clap::Error {
    use clap::error::{ContextKind, ContextValue};
    for kind in [ContextKind::InvalidValue, ContextKind::InvalidArg] {
        if let Some(ContextValue::String(text)) = err.get(kind) {
            let short = crate::report::shorten(text);
            err.insert(kind, ContextValue::String(short));
        }
    }
    err
}

/// clap's multi-line message as one line: what is wrong, any tip, and where help is.
fn one_line(rendered: &str) -> String {
    let body = rendered.strip_prefix("error: ").unwrap_or(rendered);
    let body = body.split("\n\nUsage:").next().unwrap_or(body);
    let body = body
        .split("\n\nFor more information")
        .next()
        .unwrap_or(body);
    let mut line = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    line = line.replace(": tip:", "; tip:").replace(" tip:", "; tip:");
    format!("{line} (see --help)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definitions_are_consistent() {
        command().debug_assert();
    }

    #[test]
    fn dash_h_is_the_host_and_help_is_long_only() {
        let cli = try_parse_from(["moth", "pub", "-h", "broker", "-t", "a", "-m", "x"]).unwrap();
        let Command::Pub(args) = cli.command else {
            panic!("expected pub")
        };
        assert_eq!(args.conn.endpoint.host.as_deref(), Some("broker"));
        let err = try_parse_from(["moth", "sub", "--help"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
    }

    #[test]
    fn a_repeated_option_takes_the_last_value_as_mosquitto_does() {
        let cli =
            try_parse_from(["moth", "pub", "-h", "a", "-h", "b", "-t", "x", "-m", "y"]).unwrap();
        let Command::Pub(args) = cli.command else {
            panic!("expected pub")
        };
        assert_eq!(args.conn.endpoint.host.as_deref(), Some("b"));
    }

    #[test]
    fn properties_are_grouped_per_occurrence() {
        let cli = try_parse_from([
            "moth",
            "pub",
            "-t",
            "x",
            "-m",
            "y",
            "-D",
            "publish",
            "user-property",
            "k",
            "v",
            "-D",
            "publish",
            "content-type",
            "t",
            "-q",
            "1",
        ])
        .unwrap();
        let Command::Pub(args) = cli.command else {
            panic!("expected pub")
        };
        assert_eq!(
            args.conn.property,
            [
                vec!["publish", "user-property", "k", "v"],
                vec!["publish", "content-type", "t"]
            ]
        );
        assert_eq!(args.qos, 1);
    }

    #[test]
    fn dash_capital_v_is_the_protocol_version() {
        let cli = try_parse_from(["moth", "sub", "-V", "5", "-t", "a"]).unwrap();
        let Command::Sub(args) = cli.command else {
            panic!("expected sub")
        };
        assert_eq!(args.conn.protocol_version.as_deref(), Some("5"));
    }

    #[test]
    fn usage_errors_become_one_line() {
        let err = try_parse_from(["moth", "pub", "-t", "a", "-m", "x", "--cert", "c"]).unwrap_err();
        assert_eq!(
            one_line(&err.render().to_string()),
            "the following required arguments were not provided: --key <FILE> (see --help)"
        );
        let err = try_parse_from(["moth", "pub", "-t", "a", "-m", "x", "-q", "3"]).unwrap_err();
        assert_eq!(
            one_line(&err.render().to_string()),
            "invalid value '3' for '--qos <QOS>': use 0, 1 or 2 (see --help)"
        );
        // A negative number is a value to check, not an unknown flag.
        let err = try_parse_from(["moth", "pub", "-t", "a", "-m", "x", "-k", "-1"]).unwrap_err();
        assert_eq!(
            one_line(&err.render().to_string()),
            "invalid value '-1' for '--keepalive <SECONDS>': use whole seconds from 5 to 65535 (see --help)"
        );
        let long = "9".repeat(70_000);
        let err = shorten_quoted_input(
            try_parse_from(["moth", "pub", "-t", "a", "-m", "x", "-p", &long]).unwrap_err(),
        );
        assert!(one_line(&err.render().to_string()).len() < 300);
    }

    #[test]
    fn a_password_may_begin_with_a_dash() {
        let cli = try_parse_from([
            "moth", "pub", "-t", "a", "-m", "x", "-u", "u", "-P", "--s3cr3t",
        ])
        .unwrap();
        let Command::Pub(args) = cli.command else {
            panic!("expected pub")
        };
        assert_eq!(args.conn.auth.password.as_deref(), Some("--s3cr3t"));
        let cli = try_parse_from(["moth", "bench", "-P", "-x", "-L", "1"]).unwrap();
        let Command::Bench(args) = cli.command else {
            panic!("expected bench")
        };
        assert_eq!(args.pubsub.conn.auth.password.as_deref(), Some("-x"));
    }

    #[test]
    fn pub_needs_exactly_one_message_source() {
        assert!(try_parse_from(["moth", "pub", "-t", "a"]).is_err());
        assert!(try_parse_from(["moth", "pub", "-t", "a", "-m", "x", "-n"]).is_err());
        assert!(try_parse_from(["moth", "pub", "-t", "a", "-l"]).is_ok());
    }
}
