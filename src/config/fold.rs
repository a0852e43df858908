//! Folding the lower layers into the command line: the settings of the environment, the
//! profile, the config file and mosquitto's option file become flags before the user's own
//! (which win), read once clap has parsed them; then what clap cannot do: passwords from files,
//! commands and the terminal, and `-d`'s account of where each setting came from.

use super::*;

/// True when no setting can come from anywhere but the command line: no `MOTH_` variable, no
/// config file or mosquitto option file at their default places, no flag naming one, and no
/// `-d` (which reports where each setting came from). Anything that might be one of these
/// (a word of short flags holding `o` or `d`) takes the long way.
pub(super) fn nothing_to_fold_in(argv: &[OsString]) -> bool {
    let client = match argv.get(1).and_then(|a| a.to_str()) {
        Some(name @ ("pub" | "sub" | "rr")) => Some(format!("mosquitto_{name}")),
        Some("ls" | "bench" | "ui") => None,
        _ => return false,
    };
    if std::env::vars_os().any(|(name, _)| name.as_encoded_bytes().starts_with(b"MOTH_")) {
        return false;
    }
    let named_elsewhere = argv.iter().skip(2).any(|word| {
        let word = word.as_encoded_bytes();
        match word.strip_prefix(b"--") {
            Some(long) => [&b"config"[..], b"profile", b"options-file", b"debug"]
                .iter()
                .any(|name| long.starts_with(name)),
            None => word.first() == Some(&b'-') && word.iter().any(|&b| b == b'o' || b == b'd'),
        }
    });
    if named_elsewhere {
        return false;
    }
    let absent = |path: Option<PathBuf>| match path {
        Some(path) => {
            std::fs::symlink_metadata(path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        }
        None => false,
    };
    absent(file::default_path()) && client.is_none_or(|c| absent(mosquitto::default_path(&c)))
}

pub(super) struct Prepared {
    pub argv: Vec<OsString>,
    pub report: Report,
    /// A pw-file or pw-command to read once clap has accepted the arguments.
    pub password: Option<password::Stored>,
}

/// The final arguments: the subcommand, then the option file's other options, then the winning
/// settings of the lower sources as flags, then the user's own arguments. `None` when there is
/// nothing to fold in (help, version, `config`, or arguments clap will refuse anyway).
pub(super) fn prepare(argv: &[OsString]) -> Result<Option<Prepared>> {
    // Help must work whatever state the config file is in.
    if argv
        .iter()
        .skip(1)
        .any(|a| a == "--help" || a == "--version")
    {
        return Ok(None);
    }
    // Building clap's command tree is most of moth's start-up time: one build serves both this
    // look and the target's definition. (The final parse needs a tree without ignore_errors,
    // which cannot be taken back from a built one.)
    let mut command = cli::command().ignore_errors(true);
    let Ok(matches) = command.try_get_matches_from_mut(argv) else {
        return Ok(None);
    };
    let Some((name, sub)) = matches.subcommand() else {
        return Ok(None);
    };
    let (path, target_matches): (Vec<&str>, &ArgMatches) = match (name, sub.subcommand()) {
        ("pub" | "sub" | "rr" | "ls" | "ui", _) => (vec![name], sub),
        ("bench", None) => (vec![name], sub),
        ("bench", Some((mode, m))) => (vec![name, mode], m),
        _ => return Ok(None),
    };
    // The subcommand words must lead, so that the settings can follow them.
    let leads = path
        .iter()
        .enumerate()
        .all(|(i, word)| argv.get(i + 1).is_some_and(|a| a == word));
    let Some(target) = find_subcommand(&command, &path).filter(|_| leads) else {
        return Ok(None);
    };
    let raw = |id: &str| -> Option<String> {
        let arg = target.get_arguments().find(|a| a.get_long() == Some(id))?;
        (target_matches.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine))
            .then(|| target_matches.get_raw(arg.get_id().as_str()))
            .flatten()
            .and_then(|mut values| values.next_back())
            .map(|v| v.to_string_lossy().into_owned())
    };
    let chosen = Chosen {
        config: raw("config").map(|p| (PathBuf::from(p), Origin::CommandLine)),
        profile: raw("profile").map(|p| (p, Origin::CommandLine)),
        options_file: raw("options-file").map(PathBuf::from),
    };
    let gathered = gather(&path, target, Some(target_matches), chosen)?;
    let resolved = resolve::resolve(&gathered.layers)?;
    if let Some(warning) = resolved.withheld_warning() {
        crate::report::warning(&warning);
    }
    let settings = resolved.settings;

    let mut words: Vec<OsString> = gathered.words.into_iter().map(OsString::from).collect();
    let mut password = None;
    for setting in settings.iter().filter(|s| s.source != Origin::CommandLine) {
        let flag = |name: &str| OsString::from(format!("--{name}"));
        let home = std::env::var_os("HOME");
        let value = match &setting.value {
            Value::Text(path) if keys::is_path(setting.key) => {
                Value::Text(keys::expand_home(path, home.as_deref()).map_err(|why| {
                    Failure::usage(format!(
                        "{} = {} ({}): {why}",
                        setting.key,
                        crate::report::quote(path),
                        setting.source
                    ))
                })?)
            }
            other => other.clone(),
        };
        // `--key=value`, one word: a value that begins with `-` is still a value.
        let pair = |key: &str, text: &str| OsString::from(format!("--{key}={text}"));
        match (setting.key, &value) {
            (key @ ("pw-file" | "pw-command"), Value::Text(text)) => {
                if let Some(file) = setting.source.stored_in() {
                    only_its_owner_writes(file, key)?;
                }
                password = Some(password::Stored {
                    key,
                    value: text.clone(),
                    source: setting.source.clone(),
                });
            }
            (key, Value::Text(text)) => words.push(pair(key, text)),
            (key, Value::Switch(true)) => words.push(flag(key)),
            (_, Value::Switch(false)) => {}
        }
    }
    let lead = path.len() + 1;
    let mut final_argv: Vec<OsString> = argv[..lead].to_vec();
    final_argv.extend(words);
    final_argv.extend_from_slice(&argv[lead..]);
    let report = Report {
        settings,
        ..gathered.report
    };
    Ok(Some(Prepared {
        argv: final_argv,
        report,
        password,
    }))
}

/// As ssh refuses a config file others could have written: a file that makes moth run a command
/// or read a password must be changeable by its owner only (you or root), and so must its
/// directory (unless sticky, as /tmp is: there no one replaces another's file).
fn only_its_owner_writes(file: &std::path::Path, key: &str) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let does = match key {
        "pw-command" => "pw-command, a shell command moth runs",
        _ => "pw-file, a file moth reads the password from",
    };
    // SAFETY: getuid cannot fail and touches no memory.
    let me = unsafe { libc::getuid() };
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    for (path, is_dir) in [(file, false), (dir, true)] {
        let Ok(meta) = std::fs::metadata(path) else {
            continue;
        };
        let shown = crate::report::shorten(&path.to_string_lossy());
        let mode = meta.mode();
        let sticky = is_dir && mode & 0o1000 != 0;
        if mode & 0o022 != 0 && !sticky {
            return Err(Failure::usage(format!(
                "{shown} can be changed by other users (mode {:o}), and {} sets {does}: run `chmod go-w {shown}`",
                mode & 0o7777,
                crate::report::shorten(&file.to_string_lossy())
            )));
        }
        if meta.uid() != me && meta.uid() != 0 {
            return Err(Failure::usage(format!(
                "{shown} belongs to another user (uid {}), and {} sets {does}: use a file of your own",
                meta.uid(),
                crate::report::shorten(&file.to_string_lossy())
            )));
        }
    }
    Ok(())
}

/// After clap: passwords the command line asked to read, the prompt when a user name has no
/// password, and `-d`'s account of where each setting came from.
pub(super) fn finish(
    cli: &mut Cli,
    mut report: Option<Report>,
    stored: Option<password::Stored>,
) -> Result<()> {
    if let Some(stored) = stored
        && let Some(slot) = cli.command.password_mut()
        && slot.is_none()
    {
        *slot = Some(stored.read()?);
    }
    if let Some(bench) = cli.command.bench_conn_mut() {
        let question = match &bench.auth.username {
            Some(user) if !user.is_empty() => format!(
                "password for {}: ",
                crate::report::escape_controls(&crate::report::shorten(user))
            ),
            _ => "password: ".to_string(),
        };
        if let Some(path) = bench.auth.pw_file.clone() {
            bench.auth.password = Some(password::from_file(&path, &Origin::CommandLine)?);
        } else if bench.auth.pw_prompt {
            bench.auth.password = Some(password::prompt(&question)?.unwrap_or_default());
        }
        return Ok(());
    }
    let conn: &mut ConnArgs = match &mut cli.command {
        Command::Pub(args) => &mut args.conn,
        Command::Sub(args) => &mut args.conn,
        Command::Rr(args) => &mut args.conn,
        Command::Ls(args) => &mut args.conn,
        Command::Ui(args) => &mut args.conn,
        _ => return Ok(()),
    };
    let url_user = conn.url.as_deref().map(resolve::url_userinfo);
    let user = conn.auth.username.clone().or_else(|| {
        conn.url
            .as_deref()
            .and_then(|u| u.split_once("://"))
            .and_then(|(_, rest)| rest.split('/').next()?.rsplit_once('@'))
            .map(|(info, _)| info.split(':').next().unwrap_or_default().to_string())
    });
    let question = match &user {
        Some(user) if !user.is_empty() => format!(
            "password for {}: ",
            crate::report::escape_controls(&crate::report::shorten(user))
        ),
        _ => "password: ".to_string(),
    };
    if let Some(path) = conn.auth.pw_file.clone() {
        conn.auth.password = Some(password::from_file(&path, &Origin::CommandLine)?);
    } else if conn.auth.pw_prompt {
        conn.auth.password = Some(password::prompt(&question)?.unwrap_or_default());
    } else if conn.auth.password.is_none()
        && user.is_some()
        && !url_user.is_some_and(|(_, pw)| pw)
        && password::interactive()
    {
        // A user name without a password at a terminal is most likely a forgotten -P: ask,
        // rather than be refused by the broker. An empty answer connects without one.
        if let Some(answer) = password::prompt(&question)? {
            conn.auth.password = Some(answer);
            if let Some(report) = report.as_mut() {
                report.settings.push(Setting {
                    key: "pw",
                    value: Value::Text(String::new()),
                    source: Origin::Prompt,
                });
            }
        }
    }
    if conn.debug
        && let Some(report) = report
    {
        use std::io::Write;
        let mut err = std::io::stderr().lock();
        for line in report.lines() {
            // Not eprintln!: it panics on a closed stderr.
            let _ = writeln!(err, "{line}");
        }
    }
    Ok(())
}
