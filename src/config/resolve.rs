//! Merging the sources: for each setting the highest source that gives it wins (flags, then the
//! environment, the profile, the config file's top level, mosquitto's option file). Settings
//! that only make sense together are taken together from one source: the broker's address
//! (`url`, `unix`, or `host`/`port`), the client id (`id` or `id-prefix`), the password (one of
//! `pw`, `pw-file`, `pw-command`, `pw-prompt`) and the client certificate (`cert` with `key`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use super::keys::{self, ADDRESS, KEYS, PASSWORD};
use crate::exit::{Failure, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Switch(bool),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    CommandLine,
    Env(String),
    Profile {
        name: String,
        file: PathBuf,
        line: usize,
    },
    File {
        file: PathBuf,
        line: usize,
    },
    /// mosquitto's option file (`~/.config/mosquitto_sub`, or `-o FILE`).
    Options {
        file: PathBuf,
        line: usize,
    },
    /// Typed at the terminal.
    Prompt,
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = |p: &PathBuf| crate::report::shorten(&p.to_string_lossy());
        match self {
            Origin::CommandLine => f.write_str("command line"),
            Origin::Env(var) => f.write_str(var),
            Origin::Profile { name, file, line } => {
                write!(f, "profile {name}, {} line {line}", path(file))
            }
            Origin::File { file, line } | Origin::Options { file, line } => {
                write!(f, "{} line {line}", path(file))
            }
            Origin::Prompt => f.write_str("prompt"),
            Origin::Default => f.write_str("default"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub key: &'static str,
    pub value: Value,
    pub source: Origin,
}

impl Setting {
    pub fn text(&self) -> Option<&str> {
        match &self.value {
            Value::Text(text) => Some(text),
            Value::Switch(_) => None,
        }
    }

    pub fn is_on(&self) -> bool {
        match &self.value {
            Value::Text(_) => true,
            Value::Switch(on) => *on,
        }
    }

    /// `key = value  (source)`, with secrets as `***`.
    pub fn describe(&self) -> String {
        let value = match &self.value {
            _ if keys::is_secret(self.key) => "***".to_string(),
            Value::Switch(on) => on.to_string(),
            Value::Text(text) if self.key == "url" => {
                crate::report::quote(&crate::report::redact_url(text))
            }
            Value::Text(text)
                if keys::find(self.key).map(|k| k.kind) == Some(keys::Kind::Number) =>
            {
                crate::report::escape_controls(&crate::report::shorten(text))
            }
            Value::Text(text) => crate::report::quote(text),
        };
        format!("{} = {value}  ({})", self.key, self.source)
    }
}

/// One source's settings.
pub type Layer = BTreeMap<&'static str, Setting>;

/// The winning setting of every key that any source gives, in `KEYS` order.
pub fn resolve(layers: &[Layer]) -> Result<Vec<Setting>> {
    let mut won: BTreeMap<&'static str, Setting> = BTreeMap::new();
    let first = |names: &[&str]| {
        layers
            .iter()
            .position(|l| names.iter().any(|n| l.contains_key(n)))
    };
    let take = |won: &mut BTreeMap<&'static str, Setting>, layer: usize, names: &[&str]| {
        for name in names {
            if let Some(setting) = layers[layer].get(name) {
                won.insert(setting.key, setting.clone());
            }
        }
    };
    let mut handled: Vec<&str> = Vec::new();

    // The address: the highest source that names one decides its form.
    let url_layer = match first(ADDRESS) {
        Some(at) if layers[at].contains_key("url") => {
            take(&mut won, at, &["url"]);
            Some(at)
        }
        Some(at) if layers[at].contains_key("unix") => {
            take(&mut won, at, &["unix"]);
            None
        }
        Some(_) | None => {
            for name in ["host", "port", "ws"] {
                if let Some(at) = first(&[name]) {
                    take(&mut won, at, &[name]);
                }
            }
            None
        }
    };
    handled.extend_from_slice(ADDRESS);

    // A URL's user name and password belong to its source: lower sources cannot replace them,
    // higher ones can (as -u beats the user in -L on the command line).
    let url_credentials = won
        .get("url")
        .and_then(|s| s.text())
        .map(url_userinfo)
        .unwrap_or((false, false));
    let below_url = |at: usize| url_layer.is_some_and(|url| at > url);

    match first(&["username"]) {
        Some(at) if url_credentials.0 && below_url(at) => {}
        Some(at) => take(&mut won, at, &["username"]),
        None => {}
    }
    handled.push("username");

    if let Some(at) = first(PASSWORD)
        && !(url_credentials.1 && below_url(at))
    {
        let given: Vec<&Setting> = PASSWORD.iter().filter_map(|n| layers[at].get(n)).collect();
        if given.len() > 1 {
            return Err(Failure::usage(format!(
                "{} and {} both give the password ({}): keep one",
                given[0].key, given[1].key, given[1].source
            )));
        }
        take(&mut won, at, PASSWORD);
    }
    handled.extend_from_slice(PASSWORD);

    if let Some(at) = first(&["id", "id-prefix"]) {
        if let (Some(_), Some(prefix)) = (layers[at].get("id"), layers[at].get("id-prefix")) {
            return Err(Failure::usage(format!(
                "id and id-prefix are both given ({}): keep one",
                prefix.source
            )));
        }
        take(&mut won, at, &["id", "id-prefix"]);
    }
    handled.extend_from_slice(&["id", "id-prefix"]);

    if let Some(at) = first(&["cert", "key"]) {
        match (layers[at].get("cert"), layers[at].get("key")) {
            (Some(_), Some(_)) => take(&mut won, at, &["cert", "key"]),
            (Some(one), None) | (None, Some(one)) => {
                return Err(Failure::usage(format!(
                    "cert and key go together, but {} gives only {}",
                    one.source, one.key
                )));
            }
            (None, None) => {}
        }
    }
    handled.extend_from_slice(&["cert", "key"]);

    for key in KEYS.iter().filter(|k| !handled.contains(&k.name)) {
        if let Some(at) = first(&[key.name]) {
            take(&mut won, at, &[key.name]);
        }
    }
    Ok(KEYS
        .iter()
        .filter_map(|k| won.remove(k.name))
        .filter(|s| s.source == Origin::CommandLine || s.is_on() || s.key == "pw-prompt")
        .collect())
}

/// Whether a broker URL carries a user name and a password (`scheme://user:pass@host`).
pub(super) fn url_userinfo(url: &str) -> (bool, bool) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    match authority.rfind('@') {
        Some(at) => (true, authority[..at].contains(':')),
        None => (false, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(source: Origin, pairs: &[(&'static str, &str)]) -> Layer {
        pairs
            .iter()
            .map(|(k, v)| {
                let value = match *v {
                    "true" => Value::Switch(true),
                    "false" => Value::Switch(false),
                    text => Value::Text(text.to_string()),
                };
                (
                    *k,
                    Setting {
                        key: k,
                        value,
                        source: source.clone(),
                    },
                )
            })
            .collect()
    }

    fn env(pairs: &[(&'static str, &str)]) -> Layer {
        layer(Origin::Env("MOTH".into()), pairs)
    }

    fn file(pairs: &[(&'static str, &str)]) -> Layer {
        layer(
            Origin::File {
                file: "c.toml".into(),
                line: 1,
            },
            pairs,
        )
    }

    fn flags(pairs: &[(&'static str, &str)]) -> Layer {
        layer(Origin::CommandLine, pairs)
    }

    fn keys_and_sources(won: &[Setting]) -> Vec<(&str, String)> {
        won.iter().map(|s| (s.key, s.source.to_string())).collect()
    }

    #[test]
    fn the_highest_source_wins_per_key() {
        let won = resolve(&[
            flags(&[("host", "a")]),
            env(&[("port", "1")]),
            file(&[("host", "b"), ("port", "2"), ("keepalive", "9")]),
        ])
        .unwrap();
        assert_eq!(
            keys_and_sources(&won),
            [
                ("host", "command line".to_string()),
                ("port", "MOTH".to_string()),
                ("keepalive", "c.toml line 1".to_string())
            ]
        );
    }

    #[test]
    fn an_address_is_taken_whole_from_one_source() {
        let won = resolve(&[flags(&[("host", "a")]), file(&[("url", "mqtt://b")])]).unwrap();
        assert_eq!(
            keys_and_sources(&won),
            [("host", "command line".to_string())]
        );
        let won = resolve(&[
            env(&[("url", "mqtt://u:p@b")]),
            file(&[("host", "h"), ("username", "x"), ("pw", "y")]),
        ])
        .unwrap();
        assert_eq!(keys_and_sources(&won), [("url", "MOTH".to_string())]);
    }

    #[test]
    fn the_password_comes_from_one_source() {
        let won = resolve(&[env(&[("pw", "s")]), file(&[("pw-command", "c")])]).unwrap();
        assert_eq!(keys_and_sources(&won), [("pw", "MOTH".to_string())]);
        let err = resolve(&[file(&[("pw", "s"), ("pw-file", "f")])]).unwrap_err();
        assert_eq!(
            err.message,
            "pw and pw-file both give the password (c.toml line 1): keep one"
        );
        assert!(!err.message.contains('s') || !err.message.contains("= s"));
    }

    #[test]
    fn false_switches_hide_lower_ones_and_cert_needs_key() {
        let won = resolve(&[env(&[("insecure", "false")]), file(&[("insecure", "true")])]).unwrap();
        assert!(won.is_empty());
        let err = resolve(&[file(&[("cert", "c.pem")])]).unwrap_err();
        assert_eq!(
            err.message,
            "cert and key go together, but c.toml line 1 gives only cert"
        );
    }

    #[test]
    fn secrets_are_never_described() {
        let won = resolve(&[file(&[("pw", "hunter2"), ("url", "mqtt://u:hunter2@h")])]).unwrap();
        let text: Vec<String> = won.iter().map(Setting::describe).collect();
        assert_eq!(
            text,
            [
                "url = 'mqtt://u:***@h'  (c.toml line 1)",
                "pw = ***  (c.toml line 1)"
            ]
        );
    }
}
