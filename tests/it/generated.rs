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
    let command = moth::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut out)?;
    files.push(("man/moth.1".to_string(), out));
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        if sub.get_name() == "help" {
            continue;
        }
        let name = format!("moth-{}", sub.get_name());
        let page = sub
            .clone()
            .name(name.clone())
            .bin_name(format!("moth {}", sub.get_name()));
        let mut out = Vec::new();
        clap_mangen::Man::new(page).render(&mut out)?;
        files.push((format!("man/{name}.1"), out));
    }
    Ok(files)
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
