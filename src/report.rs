//! Messages to the user on stderr: `moth: error: ...`, `moth: warning: ...`, one line each.
//! `--quiet` silences runtime messages; argument errors are always shown (as mosquitto does).

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use colored::Colorize;

static QUIET: AtomicBool = AtomicBool::new(false);

/// Where runtime messages go instead of stderr while a full-screen view owns the terminal.
static DIVERTED: std::sync::Mutex<Option<std::sync::mpsc::Sender<Said>>> =
    std::sync::Mutex::new(None);

/// A runtime message, for whoever took them over (`divert`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub warning: bool,
    pub text: String,
}

/// Send warnings, errors and notes to `to` rather than stderr (None: stderr again).
pub fn divert(to: Option<std::sync::mpsc::Sender<Said>>) {
    *DIVERTED.lock().unwrap_or_else(|e| e.into_inner()) = to;
}

/// True when the message went to whoever took them over.
fn diverted(warning: bool, message: &str) -> bool {
    let slot = DIVERTED.lock().unwrap_or_else(|e| e.into_inner());
    match slot.as_ref() {
        Some(to) => {
            let text = cut(
                &escape_controls(&message.replace(['\n', '\r'], " ")),
                MAX_LINE,
            );
            let _ = to.send(Said { warning, text });
            true
        }
        None => false,
    }
}

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

pub fn warning(message: &str) {
    if !QUIET.load(Ordering::Relaxed) && !diverted(true, message) {
        emit(&"warning:".yellow().bold().to_string(), message);
    }
}

/// A runtime error (the run is over); silenced by --quiet.
pub fn error(message: &str) {
    if !QUIET.load(Ordering::Relaxed) && !diverted(true, message) {
        emit(&"error:".red().bold().to_string(), message);
    }
}

/// An error in the arguments: always shown.
pub fn usage_error(message: &str) {
    emit(&"error:".red().bold().to_string(), message);
}

/// Informational line (reconnects and the like); silenced by --quiet.
pub fn note(message: &str) {
    if !QUIET.load(Ordering::Relaxed) && !diverted(false, message) {
        let _ = writeln!(std::io::stderr().lock(), "moth: {message}");
    }
}

fn emit(label: &str, message: &str) {
    // One line: a multi-line library message must not break scripts that read stderr line-wise,
    // and no control byte (a NUL, an escape sequence) from user input may reach the terminal.
    let message = message.replace(['\n', '\r'], " ");
    let message = cut(&escape_controls(&message), MAX_LINE);
    let _ = writeln!(std::io::stderr().lock(), "moth: {label} {message}");
}

/// An io::Error's message without the "(os error N)" tail.
pub fn io_reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// A broker URL with its password hidden, however malformed the URL is: after a `://`, whatever
/// lies between the first `:` and the last `@`; with no `://`, the same from the start (so
/// `mqtt//alice:s3cr3t@host` and `mqtts:alice:pw@host` lose the password too); with no `@`, a
/// `:` that does not start a port (`mqtt://alice:s3cr3t`). Hiding part of a user name, host or
/// path is better than showing part of a password.
pub fn redact_url(url: &str) -> String {
    let (head, rest) = match url.find("://") {
        Some(at) => url.split_at(at + 3),
        None => ("", url),
    };
    if let Some(at) = rest.rfind('@') {
        return match rest[..at].find(':') {
            Some(colon) => format!("{head}{}:***{}", &rest[..colon], &rest[at..]),
            None => url.to_string(),
        };
    }
    let end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..end];
    match authority.find(':') {
        Some(colon) if !head.is_empty() && !authority.starts_with('[') => {
            let after = &authority[colon + 1..];
            if !after.is_empty() && after.bytes().all(|b| b.is_ascii_digit()) {
                url.to_string()
            } else {
                format!("{head}{}:***{}", &authority[..colon], &rest[end..])
            }
        }
        _ => url.to_string(),
    }
}

/// Quoted user input (a topic, a value) is cut to this many characters in messages.
const MAX_QUOTED: usize = 200;
/// No message line is longer than this, whatever it holds.
const MAX_LINE: usize = 2000;

/// User input for a message: in single quotes, control characters escaped, and cut to 200
/// characters with an ellipsis, so that a 65 KB topic still gives a short line.
pub fn quote(text: &str) -> String {
    format!("'{}'", shorten(text))
}

/// What `quote` puts between the quotes.
pub fn shorten(text: &str) -> String {
    cut(&escape_controls(text), MAX_QUOTED)
}

/// Control characters as escapes (`\0`, `\n`, `\x1b`, `\u{85}`); everything else as is.
pub fn escape_controls(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() && (c as u32) < 0x80 => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters, the last of them an ellipsis when something was cut.
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((at, _)) if text[at..].chars().nth(1).is_some() => format!("{}…", &text[..at]),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_leave_urls_however_malformed() {
        for (url, shown) in [
            ("mqtt://alice:s3cr3t@host/t", "mqtt://alice:***@host/t"),
            ("mqtt//alice:s3cr3t@host/t", "mqtt//alice:***@host/t"),
            ("mqtt:/alice:s3cr3t@host/t", "mqtt:***@host/t"),
            ("mqtts:alice:s3cr3t@host", "mqtts:***@host"),
            ("mqtt://alice:s3cr3t", "mqtt://alice:***"),
            ("mqtt://alice:s3cr3t/t", "mqtt://alice:***/t"),
            ("mqtt://u:se/cr@et@h/t", "mqtt://u:***@h/t"),
            ("mqtt://host:1883/t", "mqtt://host:1883/t"),
            ("mqtt://[::1]:1883/t", "mqtt://[::1]:1883/t"),
            ("mqtt://host/a@b", "mqtt://host/a@b"),
            ("ws://u:p@h:1/mqtt", "ws://u:***@h:1/mqtt"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn quoted_input_is_short_and_printable() {
        assert_eq!(quote("a/b"), "'a/b'");
        assert_eq!(quote("a\0b\n\x1b[31m\u{85}"), "'a\\0b\\n\\x1b[31m\\u{85}'");
        let long = quote(&"é".repeat(65_536));
        assert_eq!(long.chars().count(), MAX_QUOTED + 2);
        assert!(long.ends_with("é…'"), "{long}");
        let exact = "x".repeat(MAX_QUOTED);
        assert_eq!(quote(&exact), format!("'{exact}'"));
    }
}
