//! mosquitto's option files: `$XDG_CONFIG_HOME/mosquitto_pub` (or `~/.config/mosquitto_pub`;
//! `_sub` and `_rr` likewise), or the file given with `-o`. Read as mosquitto reads them: a line
//! that starts with `#` is a comment; otherwise its first word is an option and the rest of the
//! line, spaces included, is its one value (or, after a flag, the next option).

use std::path::{Path, PathBuf};

use super::Loaded;
use super::keys;
use super::resolve::{Layer, Origin, Setting, Value};
use crate::exit::{Failure, Result};

/// The default option file of a mosquitto client (`mosquitto_pub`, `_sub`, `_rr`).
pub fn default_path(client: &str) -> Option<PathBuf> {
    super::file::config_home().map(|dir| dir.join(client))
}

pub struct OptionFile {
    /// The settings moth knows as config keys, which lower sources and flags may override.
    pub layer: Layer,
    /// Every other option, passed on as if typed before the command line (so `-t` adds a topic,
    /// as in mosquitto, and a flag given twice takes the later value).
    pub words: Vec<String>,
}

/// Read the file; a missing default file is no error, a missing `-o` file is.
pub fn load(path: &Path, named: bool, command: &clap::Command) -> Result<Loaded<OptionFile>> {
    use std::io::ErrorKind::{NotFound, PermissionDenied};
    let shown = crate::report::shorten(&path.to_string_lossy());
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if !named && e.kind() == NotFound => return Ok(Loaded::Missing),
        Err(e) if !named && e.kind() == PermissionDenied => return Ok(Loaded::Unreadable),
        Err(e) => {
            return Err(Failure::usage(format!(
                "cannot read the option file {shown}: {}",
                crate::report::io_reason(&e)
            )));
        }
    };
    let mut file = OptionFile {
        layer: Layer::new(),
        words: Vec::new(),
    };
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.starts_with('#') {
            continue;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        let line = line.trim_start_matches(' ');
        if line.is_empty() {
            continue;
        }
        let mut words: Vec<&str> = match line.split_once(' ') {
            Some((option, rest)) if !rest.trim_start_matches(' ').is_empty() => {
                vec![option, rest.trim_start_matches(' ')]
            }
            Some((option, _)) => vec![option],
            None => vec![line],
        };
        let at = |what: String| Failure::usage(format!("{shown} line {number}: {what}"));
        while !words.is_empty() {
            let option = words.remove(0);
            let arg = find(command, option).ok_or_else(|| {
                at(format!(
                    "unknown option {} for moth {}",
                    crate::report::quote(option),
                    command.get_name()
                ))
            })?;
            let long = arg.get_long().unwrap_or_default();
            if matches!(long, "options-file" | "config" | "profile") {
                return Err(at(format!(
                    "{option} cannot be used in an option file; give it on the command line"
                )));
            }
            let takes = arg.get_num_args().map_or(0, |n| n.min_values());
            let values: Vec<String> = if takes == 0 {
                Vec::new()
            } else if words.is_empty() {
                return Err(at(format!("{option} needs a value")));
            } else if takes > 1 {
                // -D COMMAND NAME VALUE: the words of the rest of the line.
                words
                    .remove(0)
                    .split_whitespace()
                    .map(str::to_string)
                    .collect()
            } else {
                vec![words.remove(0).to_string()]
            };
            let source = Origin::Options {
                file: path.to_path_buf(),
                line: number,
            };
            match keys::find(long) {
                Some(key) if !key.flag_only => {
                    let value = match values.first() {
                        None => Value::Switch(true),
                        Some(text) => {
                            if !keys::is_secret(key.name) {
                                keys::check_value(key.name, text).map_err(|why| {
                                    at(format!("{option} {}: {why}", crate::report::quote(text)))
                                })?;
                            }
                            Value::Text(text.clone())
                        }
                    };
                    let setting = Setting {
                        key: key.name,
                        value,
                        source,
                    };
                    file.layer.insert(key.name, setting);
                }
                _ => {
                    file.words.push(option.to_string());
                    file.words.extend(values);
                }
            }
        }
    }
    Ok(Loaded::Read(file))
}

/// The option as the command line would take it: `-x` by its short name, `--xyz` by its long one.
fn find<'a>(command: &'a clap::Command, option: &str) -> Option<&'a clap::Arg> {
    if let Some(long) = option.strip_prefix("--") {
        return command.get_arguments().find(|a| a.get_long() == Some(long));
    }
    let mut chars = option.strip_prefix('-')?.chars();
    let (Some(short), None) = (chars.next(), chars.next()) else {
        return None;
    };
    command
        .get_arguments()
        .find(|a| a.get_short() == Some(short))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<OptionFile> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mosquitto_sub");
        std::fs::write(&path, text).unwrap();
        let command = crate::cli::built();
        let sub = command.find_subcommand("sub").unwrap();
        load(&path, true, sub).map(|f| match f {
            Loaded::Read(file) => file,
            _ => panic!("a named option file is read or refused"),
        })
    }

    #[test]
    fn lines_are_read_as_mosquitto_reads_them() {
        let file = load_text(
            "# a comment\n-h broker.example\n\n--port 8883\n-u alice\n-P pass with spaces\n-v -N\n-t a/b\n--insecure\n",
        )
        .unwrap();
        let keys: Vec<(&str, String)> =
            file.layer.values().map(|s| (s.key, s.describe())).collect();
        assert_eq!(keys.len(), 5);
        assert_eq!(
            file.layer["pw"].value,
            Value::Text("pass with spaces".into())
        );
        assert_eq!(
            file.layer["port"].source.to_string().split(' ').next_back(),
            Some("4")
        );
        assert_eq!(file.words, ["-v", "-N", "-t", "a/b"]);
    }

    #[test]
    fn errors_name_the_line() {
        let err = load_text("-h a\n-z b\n").err().unwrap().message;
        assert!(
            err.ends_with("line 2: unknown option '-z' for moth sub"),
            "{err}"
        );
        let err = load_text("-p 99999\n").err().unwrap().message;
        assert!(
            err.ends_with("line 1: -p '99999': use a port from 1 to 65535"),
            "{err}"
        );
        let err = load_text("-h\n").err().unwrap().message;
        assert!(err.ends_with("line 1: -h needs a value"), "{err}");
    }
}
