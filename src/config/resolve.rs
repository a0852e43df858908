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

impl Origin {
    /// The file a stored setting came from: the config file (top level or a profile), or
    /// mosquitto's option file. The command line and the environment are this run's own.
    pub fn stored_in(&self) -> Option<&PathBuf> {
        match self {
            Origin::Profile { file, .. }
            | Origin::File { file, .. }
            | Origin::Options { file, .. } => Some(file),
            _ => None,
        }
    }
}

/// The settings a run uses, and the credentials it leaves out.
#[derive(Debug)]
pub struct Resolved {
    /// The winning setting of every key that any source gives, in `KEYS` order.
    pub settings: Vec<Setting>,
    /// A user name or password from a file that names another broker than the one this run goes
    /// to (or none while the run names one): a stored secret goes only where it was written for.
    pub withheld: Vec<Setting>,
}

impl Resolved {
    /// The warning for `withheld`, if any.
    pub fn withheld_warning(&self) -> Option<String> {
        let first = self.withheld.first()?;
        let what = match self.withheld.iter().any(|s| s.key == "username") {
            true if self.withheld.len() > 1 => "user name and password from {} are",
            true => "user name from {} is",
            false => "password from {} is",
        };
        Some(format!(
            "the {} not sent: a user name and password from a file go only to the broker that file names, and this run connects to another; give -u and -P (or MOTH_USERNAME and MOTH_PASSWORD) for this broker",
            what.replace("{}", &first.source.to_string())
        ))
    }
}

/// The winning setting of every key that any source gives, in `KEYS` order, with stored
/// credentials bound to the address stored beside them.
pub fn resolve(layers: &[Layer]) -> Result<Resolved> {
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

    // Where this run connects: credentials stored in a file go there only if that file named it
    // too (or nothing names one, and the file's author meant the default broker).
    let address_files: Vec<Option<PathBuf>> = ADDRESS
        .iter()
        .filter_map(|key| won.get(key))
        .map(|s| s.source.stored_in().cloned())
        .collect();
    let bound_here = |at: usize, names: &[&str]| {
        let Some(file) = names
            .iter()
            .find_map(|n| layers[at].get(n))
            .and_then(|s| s.source.stored_in())
        else {
            return true;
        };
        address_files.iter().all(|f| f.as_ref() == Some(file))
    };
    let mut withheld = Vec::new();

    match first(&["username"]) {
        Some(at) if url_credentials.0 && below_url(at) => {}
        Some(at) if !bound_here(at, &["username"]) => withheld.push(layers[at]["username"].clone()),
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
        if bound_here(at, PASSWORD) {
            take(&mut won, at, PASSWORD);
        } else {
            withheld.extend(given.into_iter().cloned());
        }
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
    let settings = KEYS
        .iter()
        .filter_map(|k| won.remove(k.name))
        .filter(|s| s.source == Origin::CommandLine || s.is_on() || s.key == "pw-prompt")
        .collect();
    Ok(Resolved { settings, withheld })
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
        .unwrap()
        .settings;
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
        let won = resolve(&[flags(&[("host", "a")]), file(&[("url", "mqtt://b")])])
            .unwrap()
            .settings;
        assert_eq!(
            keys_and_sources(&won),
            [("host", "command line".to_string())]
        );
        let won = resolve(&[
            env(&[("url", "mqtt://u:p@b")]),
            file(&[("host", "h"), ("username", "x"), ("pw", "y")]),
        ])
        .unwrap()
        .settings;
        assert_eq!(keys_and_sources(&won), [("url", "MOTH".to_string())]);
    }

    #[test]
    fn the_password_comes_from_one_source() {
        let won = resolve(&[env(&[("pw", "s")]), file(&[("pw-command", "c")])])
            .unwrap()
            .settings;
        assert_eq!(keys_and_sources(&won), [("pw", "MOTH".to_string())]);
        let err = resolve(&[file(&[("pw", "s"), ("pw-file", "f")])]).unwrap_err();
        assert_eq!(
            err.message,
            "pw and pw-file both give the password (c.toml line 1): keep one"
        );
        assert!(!err.message.contains('s') || !err.message.contains("= s"));
    }

    #[test]
    fn stored_credentials_go_only_to_the_broker_stored_with_them() {
        let stored = file(&[("host", "prod"), ("username", "alice"), ("pw", "s")]);
        // Another port is another broker too.
        let run = resolve(&[flags(&[("port", "1884")]), stored.clone()]).unwrap();
        assert!(run.withheld.len() == 2 && run.settings.iter().all(|s| s.key != "pw"));
        // The file's own broker: sent.
        let run = resolve(std::slice::from_ref(&stored)).unwrap();
        assert!(run.withheld.is_empty());
        assert_eq!(run.settings.len(), 3);
        // Another broker named on the command line or in the environment: withheld.
        for layer in [
            flags(&[("host", "test.example")]),
            env(&[("url", "mqtt://other")]),
        ] {
            let run = resolve(&[layer, stored.clone()]).unwrap();
            assert_eq!(
                run.withheld.iter().map(|s| s.key).collect::<Vec<_>>(),
                ["username", "pw"]
            );
            assert!(
                run.settings
                    .iter()
                    .all(|s| s.key != "username" && s.key != "pw")
            );
            assert_eq!(
                run.withheld_warning().unwrap(),
                "the user name and password from c.toml line 1 are not sent: a user name and password from a file go only to the broker that file names, and this run connects to another; give -u and -P (or MOTH_USERNAME and MOTH_PASSWORD) for this broker"
            );
        }
        // No broker named anywhere: the default one, which the file was written for.
        let run = resolve(&[file(&[("username", "alice"), ("pw-command", "c")])]).unwrap();
        assert!(run.withheld.is_empty());
        // This run's own credentials go wherever this run goes.
        let run = resolve(&[
            flags(&[("host", "test.example")]),
            env(&[("username", "bob"), ("pw", "t")]),
            stored,
        ])
        .unwrap();
        assert!(run.withheld.is_empty());
        assert_eq!(
            keys_and_sources(&run.settings),
            [
                ("host", "command line".to_string()),
                ("username", "MOTH".to_string()),
                ("pw", "MOTH".to_string())
            ]
        );
    }

    #[test]
    fn false_switches_hide_lower_ones_and_cert_needs_key() {
        let won = resolve(&[env(&[("insecure", "false")]), file(&[("insecure", "true")])])
            .unwrap()
            .settings;
        assert!(won.is_empty());
        let err = resolve(&[file(&[("cert", "c.pem")])]).unwrap_err();
        assert_eq!(
            err.message,
            "cert and key go together, but c.toml line 1 gives only cert"
        );
    }

    #[test]
    fn secrets_are_never_described() {
        let won = resolve(&[file(&[("pw", "hunter2"), ("url", "mqtt://u:hunter2@h")])])
            .unwrap()
            .settings;
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
