//! The settings that can come from somewhere other than the command line. Each key is the long
//! flag it stands for, so a config file reads like the command line it replaces, and every value
//! is checked by that flag's own parser.

use std::error::Error as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A TOML string.
    Text,
    /// A TOML integer, or a string for values like `-x ∞` and `protocol-version = "mqttv5"`.
    Number,
    /// A TOML boolean; a flag without a value on the command line.
    Switch,
}

#[derive(Debug)]
pub struct Key {
    pub name: &'static str,
    pub kind: Kind,
    /// Only on the command line: a prompt is no default to keep in a file.
    pub flag_only: bool,
}

const fn key(name: &'static str, kind: Kind) -> Key {
    Key {
        name,
        kind,
        flag_only: false,
    }
}

/// In the order `config show` and `-d` list them.
pub const KEYS: &[Key] = &[
    key("url", Kind::Text),
    key("unix", Kind::Text),
    key("host", Kind::Text),
    key("port", Kind::Number),
    key("ws", Kind::Switch),
    key("protocol-version", Kind::Number),
    key("id", Kind::Text),
    key("id-prefix", Kind::Text),
    key("keepalive", Kind::Number),
    key("session-expiry", Kind::Number),
    key("username", Kind::Text),
    key("pw", Kind::Text),
    key("pw-file", Kind::Text),
    key("pw-command", Kind::Text),
    Key {
        name: "pw-prompt",
        kind: Kind::Switch,
        flag_only: true,
    },
    key("max-inflight", Kind::Number),
    key("nodelay", Kind::Switch),
    key("qos", Kind::Number),
    key("will-topic", Kind::Text),
    key("will-payload", Kind::Text),
    key("will-qos", Kind::Number),
    key("will-retain", Kind::Switch),
    key("cafile", Kind::Text),
    key("capath", Kind::Text),
    key("cert", Kind::Text),
    key("key", Kind::Text),
    key("insecure", Kind::Switch),
    key("tls-use-os-certs", Kind::Switch),
    key("tls-alpn", Kind::Text),
    key("tls-version", Kind::Text),
    key("tls-keylog", Kind::Text),
    key("tls-server-name", Kind::Text),
    key("no-tls", Kind::Switch),
];

/// Keys that name a file or socket: a leading `~` in a config file or variable stands for HOME,
/// as the shell would have made it on the command line.
pub fn is_path(name: &str) -> bool {
    matches!(
        name,
        "unix" | "pw-file" | "cafile" | "capath" | "cert" | "key" | "tls-keylog"
    )
}

/// `~` or `~/rest` with HOME put in; anything else as it is (`~user` is left to the shell).
pub fn expand_home(path: &str, home: Option<&std::ffi::OsStr>) -> Result<String, String> {
    let rest = match path.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ => return Ok(path.to_string()),
    };
    match home.filter(|h| !h.is_empty()) {
        Some(home) => Ok(format!("{}{rest}", home.to_string_lossy())),
        None => Err("~ stands for HOME, which is unset: give the whole path".into()),
    }
}

/// Keys whose value is never shown: the password, and a command that might hold one.
pub fn is_secret(name: &str) -> bool {
    matches!(name, "pw" | "pw-command")
}

/// The keys that set the password; one source gives all of it.
pub const PASSWORD: &[&str] = &["pw", "pw-file", "pw-command", "pw-prompt"];

/// The keys that say where the broker is: `url` and `unix` each alone, or `host`/`port`/`ws`.
pub const ADDRESS: &[&str] = &["url", "unix", "host", "port", "ws"];

pub fn find(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

/// `MOTH_` and the key in capitals; the password is `MOTH_PASSWORD`, as users expect.
pub fn env_var(name: &str) -> String {
    if name == "pw" {
        return "MOTH_PASSWORD".to_string();
    }
    format!("MOTH_{}", name.to_ascii_uppercase().replace('-', "_"))
}

/// Check a value with the parser of the flag it stands for (pub's definitions, which hold every
/// connection flag), so a file or variable is held to the command line's ranges and words.
pub fn check_value(name: &str, value: &str) -> Result<(), String> {
    let command = crate::cli::built();
    let Some(arg) = command
        .find_subcommand("pub")
        .and_then(|pub_| pub_.get_arguments().find(|a| a.get_long() == Some(name)))
    else {
        return Ok(());
    };
    // A one-argument command with the flag's parser and none of its relations to other flags.
    let probe = clap::Arg::new("value")
        .long("value")
        .num_args(1)
        .allow_hyphen_values(true)
        .value_parser(arg.get_value_parser().clone());
    let parsed = clap::Command::new("moth")
        .no_binary_name(true)
        .arg(probe)
        .try_get_matches_from(["--value", value]);
    match parsed {
        Ok(_) => Ok(()),
        Err(err) => Err(err
            .source()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "not a valid value".to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_leading_tilde_alone_or_before_a_slash_is_home() {
        let home = Some(std::ffi::OsStr::new("/home/ann"));
        let cases = [
            ("~", "/home/ann"),
            ("~/ca.pem", "/home/ann/ca.pem"),
            ("~bob/ca.pem", "~bob/ca.pem"),
            ("certs/~/ca.pem", "certs/~/ca.pem"),
            ("/etc/ca.pem", "/etc/ca.pem"),
        ];
        for (path, expanded) in cases {
            assert_eq!(expand_home(path, home).unwrap(), expanded, "{path}");
        }
        assert!(expand_home("~/x", None).is_err());
        assert!(expand_home("~/x", Some(std::ffi::OsStr::new(""))).is_err());
        assert_eq!(expand_home("/x", None).unwrap(), "/x");
    }

    #[test]
    fn every_key_but_pw_command_is_a_flag_of_pub() {
        let command = crate::cli::built();
        let pub_ = command.find_subcommand("pub").unwrap();
        for key in KEYS.iter().filter(|k| k.name != "pw-command") {
            let arg = pub_
                .get_arguments()
                .find(|a| a.get_long() == Some(key.name))
                .unwrap_or_else(|| panic!("no --{}", key.name));
            let takes_value = arg.get_action().takes_values();
            assert_eq!(takes_value, key.kind != Kind::Switch, "--{}", key.name);
        }
    }

    #[test]
    fn values_are_checked_by_the_flags_parsers() {
        assert_eq!(check_value("port", "1883"), Ok(()));
        assert_eq!(
            check_value("port", "0"),
            Err("use a port from 1 to 65535".to_string())
        );
        assert!(check_value("keepalive", "2").is_err());
        assert_eq!(check_value("host", "anything"), Ok(()));
        assert_eq!(env_var("pw"), "MOTH_PASSWORD");
        assert_eq!(env_var("protocol-version"), "MOTH_PROTOCOL_VERSION");
    }
}
