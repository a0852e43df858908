//! The committed shell completions and man pages must match the clap definitions. They are
//! generated here, in a test, so that clap_complete and clap_mangen stay out of the shipped
//! binary; `MOTH_REGENERATE=1` rewrites them.

use std::io;
use std::path::Path;

use clap_complete::Shell;

/// Every generated file as (relative path, contents).
fn files() -> io::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ] {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut moth::command(), "moth", &mut out);
        let name = match shell {
            Shell::Bash => "moth.bash".to_string(),
            Shell::Zsh => "_moth".to_string(),
            Shell::Fish => "moth.fish".to_string(),
            Shell::PowerShell => "_moth.ps1".to_string(),
            Shell::Elvish => "moth.elv".to_string(),
            _ => continue,
        };
        files.push((format!("completions/{name}"), out));
    }
    // No `help` subcommand in the man pages: `moth help` has no page of its own.
    let command = moth::command().disable_help_subcommand(true);
    files.push(("man/moth.1".to_string(), man_page(command.clone(), None)?));
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("moth-{}", sub.get_name());
        let page = sub
            .clone()
            .name(name.clone())
            .bin_name(format!("moth {}", sub.get_name()));
        files.push((
            format!("man/{name}.1"),
            man_page(page, Some(sub.get_name()))?,
        ));
    }
    Ok(files)
}

/// One man page: clap_mangen's sections for the flags, then moth's own, whose tables and
/// examples keep their lines (`.nf`) instead of being refilled into a paragraph.
fn man_page(command: clap::Command, subcommand: Option<&str>) -> io::Result<Vec<u8>> {
    use clap_mangen::roff::{Roff, roman};
    let command = command
        .after_help(None::<&str>)
        .after_long_help(None::<&str>);
    let man = clap_mangen::Man::new(command.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if command.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    if command.has_subcommands() {
        man.render_subcommands_section(&mut out)?;
    }
    let mut roff = Roff::new();
    let mut preformatted = |title: &str, text: &str| {
        roff.control("SH", [title]).control("nf", []);
        let indent = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.len() - l.trim_start().len())
            .min()
            .unwrap_or(0);
        for line in text.lines() {
            roff.text([roman(line.get(indent..).unwrap_or_default())]);
        }
        roff.control("fi", []);
    };
    if matches!(subcommand, Some("sub" | "rr")) {
        preformatted("OUTPUT FORMAT", moth::manual::FORMAT_HELP);
    }
    if subcommand == Some("ui") {
        preformatted("KEYS", &moth::manual::ui_keys());
    }
    let examples = match subcommand {
        Some(name) => moth::manual::examples(name),
        None => moth::manual::SUBCOMMANDS
            .iter()
            .filter_map(|name| moth::manual::recipes(name).first())
            .map(|(what, command)| format!("{what}:\n    {command}"))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    preformatted("EXAMPLES", &examples);
    if subcommand != Some("config") {
        let table = moth::manual::EXIT_STATUS;
        preformatted(
            "EXIT STATUS",
            table.strip_prefix("Exit codes:\n").unwrap_or(table),
        );
    }
    preformatted("ENVIRONMENT", moth::manual::ENVIRONMENT);
    preformatted("FILES", moth::manual::FILES);
    let mut see_also: Vec<String> = moth::manual::SUBCOMMANDS
        .iter()
        .filter(|name| subcommand != Some(**name))
        .map(|name| format!("moth-{name}(1)"))
        .collect();
    if subcommand.is_some() {
        see_also.insert(0, "moth(1)".to_string());
    }
    see_also.extend(
        [
            "mosquitto_pub(1)",
            "mosquitto_sub(1)",
            "mosquitto_rr(1)",
            "mosquitto(8)",
        ]
        .map(String::from),
    );
    roff.control("SH", ["SEE ALSO"])
        .text([roman(see_also.join(", "))]);
    roff.to_writer(&mut out)?;
    if command.get_version().is_some() {
        man.render_version_section(&mut out)?;
    }
    Ok(out)
}

/// Write every generated file under `root`.
fn write_all(root: &Path) -> io::Result<()> {
    for (path, contents) in files()? {
        let path = root.join(path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, contents)?;
    }
    Ok(())
}

const REGENERATE: &str = "MOTH_REGENERATE=1 cargo test --test it generated";

#[test]
fn the_readme_holds_the_exit_code_table_word_for_word() {
    let readme = include_str!("../../README.md");
    assert!(
        readme.contains(moth::manual::EXIT_STATUS),
        "README.md's exit-code table differs from src/exit.rs's TABLE"
    );
}

#[test]
fn completions_and_man_pages_are_up_to_date() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("MOTH_REGENERATE").is_some() {
        write_all(root).expect("write generated files");
        return;
    }
    let mut stale = Vec::new();
    for (path, expected) in files().expect("generate") {
        match std::fs::read(root.join(&path)) {
            Ok(actual) if actual == expected => {}
            _ => stale.push(path),
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files: {}; regenerate them with: {REGENERATE}",
        stale.join(", ")
    );
}

#[test]
fn completions_offer_values_not_file_names() {
    let fish = files()
        .expect("generate")
        .into_iter()
        .find(|(path, _)| path == "completions/moth.fish")
        .map(|(_, text)| String::from_utf8(text).unwrap())
        .unwrap();
    let line = |needle: &str| {
        fish.lines()
            .find(|l| l.contains("using_subcommand pub\"") && l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle} line"))
            .to_string()
    };
    // -f: no file names; -a: the values themselves.
    assert!(line("-s t -l topic").contains(" -r -f"));
    assert!(line("-s q -l qos").contains("-a \"0\\t''"));
    assert!(line("-l tls-version").contains("tlsv1.3"));
    assert!(line("-s V -l protocol-version").contains("-a \"311"));
}
