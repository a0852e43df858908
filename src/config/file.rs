//! moth's config file: TOML, whose keys are the long flag names. Top-level keys are defaults for
//! every command; `[profile.NAME]` tables are chosen with --profile or MOTH_PROFILE.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use super::Loaded;
use super::keys::{self, Kind};
use super::resolve::{Layer, Origin, Setting, Value};
use crate::exit::{Failure, Result};

pub struct ConfigFile {
    pub top: Layer,
    /// Each profile, or what is wrong with it: a broken profile is refused only where it is
    /// used, so one typo in one profile does not stop every command.
    pub profiles: BTreeMap<String, std::result::Result<Layer, Failure>>,
    /// A `pw` key anywhere: other users must not be able to read the file.
    pub has_password: bool,
}

/// `$XDG_CONFIG_HOME/moth/config.toml`, or `~/.config/moth/config.toml`.
pub fn default_path() -> Option<PathBuf> {
    config_home().map(|dir| dir.join("moth").join("config.toml"))
}

/// `$XDG_CONFIG_HOME` when set to an absolute path (the XDG spec ignores others), else
/// `$HOME/.config`.
pub fn config_home() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })
}

/// Read and check the file. A missing or unreadable default file is no error; a file named
/// explicitly must be there.
pub fn load(path: &Path, named: bool) -> Result<Loaded<ConfigFile>> {
    use std::io::ErrorKind::{NotFound, PermissionDenied};
    let shown = crate::report::shorten(&path.to_string_lossy());
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == NotFound && !named => return Ok(Loaded::Missing),
        Err(e) if e.kind() == PermissionDenied && !named => return Ok(Loaded::Unreadable),
        Err(e) => {
            return Err(Failure::usage(format!(
                "cannot read the config file {shown}: {}",
                crate::report::io_reason(&e)
            )));
        }
    };
    let file = parse(path, &text)?;
    if file.has_password {
        warn_if_readable_by_others(path);
    }
    Ok(Loaded::Read(file))
}

fn parse(path: &Path, text: &str) -> Result<ConfigFile> {
    let shown = crate::report::shorten(&path.to_string_lossy());
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let table = DeTable::parse(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(s.start));
        Failure::usage(format!(
            "{shown} line {line}: {}",
            e.message().trim_end_matches('\n')
        ))
    })?;
    let mut file = ConfigFile {
        top: Layer::new(),
        profiles: BTreeMap::new(),
        has_password: false,
    };
    for (key, value) in table.get_ref() {
        let line = line_of(key.span().start);
        if key.get_ref() == "profile" {
            let Some(profiles) = value.get_ref().as_table() else {
                return Err(Failure::usage(format!(
                    "{shown} line {line}: profile must be a table of profiles: [profile.NAME]"
                )));
            };
            for (name, profile) in profiles {
                let line = line_of(name.span().start);
                let Some(profile) = profile.get_ref().as_table() else {
                    return Err(Failure::usage(format!(
                        "{shown} line {line}: profile.{} must be a table: [profile.{}]",
                        name.get_ref(),
                        name.get_ref()
                    )));
                };
                let mut layer = Ok(Layer::new());
                for (key, value) in profile {
                    file.has_password |= key.get_ref() == "pw";
                    let source = Origin::Profile {
                        name: name.get_ref().to_string(),
                        file: path.to_path_buf(),
                        line: line_of(key.span().start),
                    };
                    let checked = setting(key.get_ref(), value.get_ref(), source, &shown);
                    match (&mut layer, checked) {
                        (Ok(layer), Ok(setting)) => {
                            layer.insert(setting.key, setting);
                        }
                        (Ok(_), Err(failure)) => layer = Err(failure),
                        (Err(_), _) => {}
                    }
                }
                file.profiles.insert(name.get_ref().to_string(), layer);
            }
            continue;
        }
        let source = Origin::File {
            file: path.to_path_buf(),
            line,
        };
        let setting = setting(key.get_ref(), value.get_ref(), source, &shown)?;
        file.has_password |= setting.key == "pw";
        file.top.insert(setting.key, setting);
    }
    Ok(file)
}

/// One `key = value`, checked: a known key, the right type, a value its flag accepts. Errors
/// name the file, line and key, and never show the value of a secret.
fn setting(key: &str, value: &DeValue, source: Origin, shown: &str) -> Result<Setting> {
    let (line, place) = match &source {
        Origin::Profile { name, line, .. } => (*line, format!(" in profile {name}")),
        Origin::File { line, .. } => (*line, String::new()),
        _ => (0, String::new()),
    };
    let at = format!("{shown} line {line}");
    let known = keys::find(key).filter(|k| !k.flag_only).ok_or_else(|| {
        let hint = match nearest_key(key) {
            _ if key == "password" => " (the password key is pw)".to_string(),
            Some(near) => format!(" (did you mean {near}?)"),
            None => String::new(),
        };
        Failure::usage(format!(
            "{at}: unknown key {}{place}{hint}",
            crate::report::quote(key)
        ))
    })?;
    let wrong = |what: &str| Failure::usage(format!("{at}: {key}{place} must be {what}"));
    let value = match (known.kind, value) {
        (Kind::Switch, DeValue::Boolean(on)) => Value::Switch(*on),
        (Kind::Switch, _) => return Err(wrong("true or false")),
        (Kind::Text, DeValue::String(text)) => Value::Text(text.to_string()),
        (Kind::Text, _) => return Err(wrong("a string (in quotes)")),
        (Kind::Number, DeValue::Integer(n)) => {
            let text = i64::from_str_radix(n.as_str(), n.radix())
                .map(|n| n.to_string())
                .unwrap_or_else(|_| n.as_str().to_string());
            Value::Text(text)
        }
        (Kind::Number, DeValue::String(text)) => Value::Text(text.to_string()),
        (Kind::Number, _) => return Err(wrong("a number")),
    };
    if let Value::Text(text) = &value
        && !keys::is_secret(key)
    {
        keys::check_value(key, text).map_err(|why| {
            Failure::usage(format!(
                "{at}: {key} = {}{place}: {why}",
                crate::report::quote(text)
            ))
        })?;
    }
    Ok(Setting {
        key: known.name,
        value,
        source,
    })
}

/// The known key a mistyped one most likely meant, as clap suggests flags.
fn nearest_key(typed: &str) -> Option<&'static str> {
    keys::KEYS
        .iter()
        .filter(|k| !k.flag_only)
        .map(|k| (strsim::jaro_winkler(typed, k.name), k.name))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name)
}

/// As ssh does for keys: a password in a file others can read is no secret. A warning, not an
/// error, so a shared machine's config still works while it is fixed.
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o044 != 0
    {
        let shown = crate::report::shorten(&path.to_string_lossy());
        crate::report::warning(&format!(
            "{shown} holds a password and other users can read it: chmod 600 {shown}"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(Path::new("c.toml"), text).err().unwrap().message
    }

    #[test]
    fn top_level_and_profiles() {
        let file = parse(
            Path::new("c.toml"),
            "host = \"a\"\nport = 1884\n\n[profile.prod]\nhost = \"b\"\ninsecure = true\npw = \"s\"\n",
        )
        .unwrap();
        assert_eq!(file.top["host"].describe(), "host = 'a'  (c.toml line 1)");
        assert_eq!(file.top["port"].describe(), "port = 1884  (c.toml line 2)");
        let prod = file.profiles["prod"].as_ref().unwrap();
        assert_eq!(
            prod["host"].describe(),
            "host = 'b'  (profile prod, c.toml line 5)"
        );
        assert_eq!(prod["insecure"].value, Value::Switch(true));
        assert!(file.has_password);
    }

    #[test]
    fn errors_name_the_line_and_key_and_hide_secrets() {
        assert_eq!(
            err("host = \"a\"\nhots = \"b\"\n"),
            "c.toml line 2: unknown key 'hots' (did you mean host?)"
        );
        // A broken profile is refused where it is used, not when the file is read.
        let file = parse(
            Path::new("c.toml"),
            "[profile.x]\n\nport = \"70000\"\n[profile.y]\nport = 1\n",
        )
        .unwrap();
        assert_eq!(
            file.profiles["x"].as_ref().unwrap_err().message,
            "c.toml line 3: port = '70000' in profile x: use a port from 1 to 65535"
        );
        assert!(file.profiles["y"].is_ok());
        assert_eq!(err("port = true\n"), "c.toml line 1: port must be a number");
        assert_eq!(
            err("pw = 12345\n"),
            "c.toml line 1: pw must be a string (in quotes)"
        );
        assert_eq!(
            err("insecure = 1\n"),
            "c.toml line 1: insecure must be true or false"
        );
        assert_eq!(err("a = 1\n").as_str(), "c.toml line 1: unknown key 'a'");
        assert_eq!(
            err("password = \"x\"\n"),
            "c.toml line 1: unknown key 'password' (the password key is pw)"
        );
        assert!(err("host = \n").starts_with("c.toml line 1: "));
        assert_eq!(
            err("profile = 1\n"),
            "c.toml line 1: profile must be a table of profiles: [profile.NAME]"
        );
    }
}
