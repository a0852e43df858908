//! Where connection settings come from, highest first: command-line flags, `MOTH_*` environment
//! variables, the chosen profile of moth's config file, the file's top-level keys, mosquitto's
//! option file for the subcommand (not for bench), and built-in defaults.
//!
//! Everything is settled before clap builds the final arguments: the winning values of the lower
//! sources become flags placed ahead of the user's own (which always win), so every value passes
//! the same parsers and checks as a typed flag, and `connect` never learns about files or the
//! environment. Passwords from files, commands and prompts are read here too.

mod file;
mod fold;
mod keys;
mod mosquitto;
mod password;
mod resolve;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::ArgMatches;
use clap::parser::ValueSource;

use crate::cli::{self, Cli, Command, ConfigAction, ConfigArgs, ConnArgs};
use crate::exit::{Failure, Result};
use fold::{finish, nothing_to_fold_in, prepare};
use resolve::{Layer, Origin, Setting, Value};

/// Parse the process arguments with every source of settings folded in. Exits on any error, as
/// `cli::parse` does.
pub fn parse() -> Cli {
    let argv: Vec<OsString> = std::env::args_os().collect();
    if nothing_to_fold_in(&argv) {
        // The commonest run: one parse, no look at the arguments beforehand.
        let mut cli = cli::parse_from(argv);
        if let Err(failure) = finish(&mut cli, None, None) {
            fail(failure);
        }
        return cli;
    }
    let prepared = match prepare(&argv) {
        Ok(Some(prepared)) => prepared,
        Ok(None) => return cli::parse_from(argv),
        Err(failure) => fail(failure),
    };
    let mut cli = cli::parse_from(prepared.argv);
    if let Err(failure) = finish(&mut cli, Some(prepared.report), prepared.password) {
        fail(failure);
    }
    cli
}

fn fail(failure: Failure) -> ! {
    crate::report::usage_error(&failure.message);
    std::process::exit(failure.code.into())
}

/// `moth config show` and `moth config path`.
pub fn command(args: ConfigArgs) -> Result<()> {
    use std::io::Write;
    let lines = match args.action {
        ConfigAction::Path => {
            let (path, _) = config_path(None)?;
            vec![path.to_string_lossy().into_owned()]
        }
        ConfigAction::Show(show) => {
            let name = show.command.name();
            let path = [name];
            let target = target_command(&path).expect("every COMMAND is a subcommand");
            let chosen = Chosen {
                config: show.config.map(|p| (p, Origin::CommandLine)),
                profile: show.profile.map(|p| (p, Origin::CommandLine)),
                options_file: None,
            };
            let gathered = gather(&path, &target, None, chosen)?;
            let resolved = resolve::resolve(&gathered.layers)?;
            let mut lines = Report {
                settings: resolved.settings.clone(),
                ..gathered.report
            }
            .lines();
            if let Some(warning) = resolved.withheld_warning() {
                lines.push(format!("not used: {warning}"));
            }
            lines
        }
    };
    let mut out = std::io::stdout().lock();
    for line in lines {
        // A closed stdout (`moth config show | head -1`) is the reader's choice, not an error.
        if writeln!(out, "{line}").is_err() {
            break;
        }
    }
    Ok(())
}

/// A file moth looks for at its default place: read, missing, or unreadable (`sudo -u` without
/// `-H` and containers with `--user` leave HOME pointing at a home moth may not read). Only a
/// file named explicitly must be readable.
pub enum Loaded<T> {
    Read(T),
    Missing,
    Unreadable,
}

#[derive(Clone, Copy)]
enum Presence {
    Read,
    Missing,
    Unreadable,
}

/// What the settings of one run came from: printed by `-d` and `config show`.
struct Report {
    command: String,
    config: Option<(PathBuf, Presence)>,
    profile: Option<(String, Origin)>,
    /// `None` for bench, which reads no option file.
    options: Option<(PathBuf, Presence)>,
    settings: Vec<Setting>,
}

impl Report {
    fn lines(&self) -> Vec<String> {
        let found = |(path, presence): &(PathBuf, Presence)| {
            let path = crate::report::shorten(&path.to_string_lossy());
            match presence {
                Presence::Read => path,
                Presence::Missing => format!("{path} (not found)"),
                Presence::Unreadable => format!("{path} (permission denied: ignored)"),
            }
        };
        let mut lines = vec![format!("settings for moth {}", self.command)];
        lines.push(match &self.config {
            Some(config) => format!("config file: {}", found(config)),
            None => "config file: none (HOME and XDG_CONFIG_HOME are unset)".to_string(),
        });
        lines.push(match &self.profile {
            Some((name, source)) => format!("profile: {name}  ({source})"),
            None => "profile: none".to_string(),
        });
        lines.push(match (&self.options, self.command.starts_with("bench")) {
            (_, true) => "option file: none (bench reads no mosquitto option file)".to_string(),
            (Some(options), false) => format!("option file: {}", found(options)),
            (None, false) => "option file: none (HOME and XDG_CONFIG_HOME are unset)".to_string(),
        });
        lines.extend(self.settings.iter().map(Setting::describe));
        let has = |key: &str| self.settings.iter().any(|s| s.key == key);
        let default = |key: &'static str, value: &str| Setting {
            key,
            value: Value::Text(value.to_string()),
            source: Origin::Default,
        };
        if !has("url") && !has("unix") {
            if !has("host") {
                lines.push(default("host", "localhost").describe());
            }
            let tls = ["cafile", "capath", "cert", "insecure", "tls-use-os-certs"]
                .iter()
                .any(|k| has(k))
                && !has("no-tls");
            if !has("port") {
                lines.push(default("port", if tls { "8883" } else { "1883" }).describe());
            }
        }
        if !has("protocol-version") {
            let v5 = self.command == "rr" || has("session-expiry");
            lines.push(default("protocol-version", if v5 { "5" } else { "311" }).describe());
        }
        if !has("keepalive") {
            lines.push(default("keepalive", "60").describe());
        }
        lines
    }
}

/// The config file, profile and option file named on the command line (or by `config show`).
struct Chosen {
    config: Option<(PathBuf, Origin)>,
    profile: Option<(String, Origin)>,
    options_file: Option<PathBuf>,
}

struct Gathered {
    /// Flags, environment, profile, config file, option file: highest first.
    layers: Vec<Layer>,
    /// The option file's options that are not settings, passed on as they are.
    words: Vec<String>,
    report: Report,
}

/// The clap definition of `moth pub`, `moth bench pub`, ...
fn target_command(path: &[&str]) -> Option<clap::Command> {
    // Built, so that every argument knows how many values it takes.
    find_subcommand(&cli::built(), path).cloned()
}

/// `path`'s subcommand within an already built command tree.
fn find_subcommand<'c>(command: &'c clap::Command, path: &[&str]) -> Option<&'c clap::Command> {
    path.iter()
        .try_fold(command, |command, name| command.find_subcommand(name))
}

/// Whether the command takes this setting (bench has fewer connection flags).
fn applies(target: &clap::Command, key: &str) -> bool {
    let long = match key {
        // Read here and passed on as --pw.
        "pw-file" | "pw-command" => "pw",
        other => other,
    };
    target.get_arguments().any(|a| a.get_long() == Some(long))
}

fn gather(
    path: &[&str],
    target: &clap::Command,
    matches: Option<&ArgMatches>,
    chosen: Chosen,
) -> Result<Gathered> {
    let flags: Layer = match matches {
        Some(matches) => command_line(target, matches),
        None => Layer::new(),
    };
    let env = environment(target)?;

    let (config_path, config_named) = config_path(chosen.config)?;
    let (config, config_presence) = match file::load(&config_path, config_named.is_some())? {
        Loaded::Read(file) => (Some(file), Presence::Read),
        Loaded::Missing => (None, Presence::Missing),
        Loaded::Unreadable => (None, Presence::Unreadable),
    };
    let profile = chosen.profile.or_else(|| {
        std::env::var("MOTH_PROFILE")
            .ok()
            .filter(|p| !p.is_empty())
            .map(|p| (p, Origin::Env("MOTH_PROFILE".into())))
    });
    let shown = crate::report::shorten(&config_path.to_string_lossy());
    let (profile_layer, top) = match (&profile, &config) {
        (None, None) => (Layer::new(), Layer::new()),
        (None, Some(file)) => (Layer::new(), file.top.clone()),
        (Some((name, source)), None) => {
            return Err(Failure::usage(format!(
                "no profile {} ({source}): the config file {shown} does not exist",
                crate::report::quote(name)
            )));
        }
        (Some((name, source)), Some(file)) => match file.profiles.get(name) {
            Some(Ok(layer)) => (layer.clone(), file.top.clone()),
            Some(Err(failure)) => return Err(failure.clone()),
            None => {
                let known: Vec<&str> = file.profiles.keys().map(String::as_str).collect();
                let known = if known.is_empty() {
                    "it has none".to_string()
                } else {
                    format!("it has {}", known.join(", "))
                };
                return Err(Failure::usage(format!(
                    "no profile {} ({source}) in {shown}: {known}",
                    crate::report::quote(name)
                )));
            }
        },
    };

    let (options_layer, words, options_report) = match path {
        ["pub" | "sub" | "rr"] => {
            let client = format!("mosquitto_{}", path[0]);
            let (file, named) = match chosen.options_file {
                Some(file) => (Some(file), true),
                None => (mosquitto::default_path(&client), false),
            };
            match file {
                Some(file) => match mosquitto::load(&file, named, target)? {
                    Loaded::Read(loaded) => {
                        (loaded.layer, loaded.words, Some((file, Presence::Read)))
                    }
                    Loaded::Missing => (Layer::new(), Vec::new(), Some((file, Presence::Missing))),
                    Loaded::Unreadable => {
                        (Layer::new(), Vec::new(), Some((file, Presence::Unreadable)))
                    }
                },
                None => (Layer::new(), Vec::new(), None),
            }
        }
        _ => (Layer::new(), Vec::new(), None),
    };

    let only_applicable = |layer: Layer| -> Layer {
        layer
            .into_iter()
            .filter(|(key, _)| applies(target, key))
            .collect()
    };
    Ok(Gathered {
        layers: vec![
            flags,
            env,
            only_applicable(profile_layer),
            only_applicable(top),
            options_layer,
        ],
        words,
        report: Report {
            command: path.join(" "),
            config: Some((config_path, config_presence)),
            profile,
            options: options_report,
            settings: Vec::new(),
        },
    })
}

/// `--config FILE`, else `MOTH_CONFIG`, else the XDG default. The second value is how it was
/// named, when it was (a named file must exist).
fn config_path(given: Option<(PathBuf, Origin)>) -> Result<(PathBuf, Option<Origin>)> {
    if let Some((path, source)) = given {
        return Ok((path, Some(source)));
    }
    if let Some(path) = std::env::var_os("MOTH_CONFIG").filter(|p| !p.is_empty()) {
        return Ok((PathBuf::from(path), Some(Origin::Env("MOTH_CONFIG".into()))));
    }
    file::default_path().map(|p| (p, None)).ok_or_else(|| {
        Failure::usage(
            "cannot tell where the config file is: HOME and XDG_CONFIG_HOME are unset (use --config or MOTH_CONFIG)",
        )
    })
}

/// The settings typed on the command line (clap says which values are defaults).
fn command_line(target: &clap::Command, matches: &ArgMatches) -> Layer {
    let mut layer = Layer::new();
    for key in keys::KEYS {
        let Some(arg) = target
            .get_arguments()
            .find(|a| a.get_long() == Some(key.name))
        else {
            continue;
        };
        let id = arg.get_id().as_str();
        if matches.value_source(id) != Some(ValueSource::CommandLine) {
            continue;
        }
        let value = match key.kind {
            keys::Kind::Switch => Value::Switch(true),
            _ => match matches.get_raw(id).and_then(|mut v| v.next_back()) {
                Some(raw) => Value::Text(raw.to_string_lossy().into_owned()),
                None => continue,
            },
        };
        layer.insert(
            key.name,
            Setting {
                key: key.name,
                value,
                source: Origin::CommandLine,
            },
        );
    }
    layer
}

/// `MOTH_HOST`, `MOTH_PORT`, `MOTH_PASSWORD`, ...: every key as `MOTH_` and its name in
/// capitals. An empty variable counts as unset.
fn environment(target: &clap::Command) -> Result<Layer> {
    let mut layer = Layer::new();
    for key in keys::KEYS.iter().filter(|k| !k.flag_only) {
        let var = keys::env_var(key.name);
        let Some(text) = std::env::var_os(&var).filter(|v| !v.is_empty()) else {
            continue;
        };
        if !applies(target, key.name) {
            continue;
        }
        let text = text
            .into_string()
            .map_err(|_| Failure::usage(format!("{var} is not UTF-8 text")))?;
        let value = match key.kind {
            keys::Kind::Switch => match text.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Value::Switch(true),
                "0" | "false" | "no" | "off" => Value::Switch(false),
                _ => {
                    return Err(Failure::usage(format!(
                        "{var}={}: use 1 or 0 (true or false)",
                        crate::report::quote(&text)
                    )));
                }
            },
            _ => {
                if !keys::is_secret(key.name) {
                    keys::check_value(key.name, &text).map_err(|why| {
                        Failure::usage(format!("{var}={}: {why}", crate::report::quote(&text)))
                    })?;
                }
                Value::Text(text)
            }
        };
        layer.insert(
            key.name,
            Setting {
                key: key.name,
                value,
                source: Origin::Env(var),
            },
        );
    }
    Ok(layer)
}
