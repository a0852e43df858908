//! Messages to the user on stderr: `moth: error: ...`, `moth: warning: ...`, one line each.
//! `--quiet` silences runtime messages; argument errors are always shown (as mosquitto does).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use colored::Colorize;

static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Colour only on a terminal, and never when NO_COLOR is set (no-color.org) or TERM is dumb.
pub fn init_colour() {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    colored::control::set_override(std::io::stderr().is_terminal() && !no_color && !dumb);
}

pub fn warning(message: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        emit(&"warning:".yellow().bold().to_string(), message);
    }
}

/// A runtime error (the run is over); silenced by --quiet.
pub fn error(message: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        emit(&"error:".red().bold().to_string(), message);
    }
}

/// An error in the arguments: always shown.
pub fn usage_error(message: &str) {
    emit(&"error:".red().bold().to_string(), message);
}

/// Informational line (reconnects and the like); silenced by --quiet.
pub fn note(message: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        let _ = writeln!(std::io::stderr().lock(), "moth: {message}");
    }
}

fn emit(label: &str, message: &str) {
    // One line: a multi-line library message must not break scripts that read stderr line-wise.
    let message = message.replace(['\n', '\r'], " ");
    let _ = writeln!(std::io::stderr().lock(), "moth: {label} {message}");
}
