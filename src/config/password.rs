//! Passwords that never pass through argv: from a file, a helper command, or the terminal.

use std::io::IsTerminal;
use std::path::Path;
use std::process::{Command, Stdio};

use super::resolve::Origin;
use crate::exit::{Failure, Result};

/// The first line of FILE, without its line ending.
pub fn from_file(path: &Path, source: &Origin) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| {
        Failure::usage(format!(
            "cannot read the password file {} ({}): {}",
            crate::report::shorten(&path.to_string_lossy()),
            describe(source, "--pw-file"),
            crate::report::io_reason(&e)
        ))
    })?;
    first_line(bytes).ok_or_else(|| {
        Failure::usage(format!(
            "the password file {} ({}) is not UTF-8 text",
            crate::report::shorten(&path.to_string_lossy()),
            describe(source, "--pw-file")
        ))
    })
}

/// What a helper command prints, as git's credential helpers and `aws credential_process`:
/// `sh -c COMMAND` with the terminal's stdin and stderr (so it may ask for a passphrase), its
/// first output line the password. The command is not shown in errors: it may hold a secret.
pub fn from_command(command: &str, source: &Origin) -> Result<String> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::inherit())
        .stderr(Stdio::inherit())
        .stdout(Stdio::piped())
        .output()
        .map_err(|e| {
            Failure::usage(format!(
                "cannot run pw-command ({source}): {}",
                crate::report::io_reason(&e)
            ))
        })?;
    if !output.status.success() {
        let how = match output.status.code() {
            Some(code) => format!("exit code {code}"),
            None => "a signal".to_string(),
        };
        return Err(Failure::usage(format!(
            "pw-command ({source}) failed with {how}"
        )));
    }
    first_line(output.stdout)
        .ok_or_else(|| Failure::usage(format!("pw-command ({source}) printed no UTF-8 password")))
}

/// Ask on the terminal, without echo. An empty answer is no password.
pub fn prompt(question: &str) -> Result<Option<String>> {
    let answer = rpassword::prompt_password(question).map_err(|e| {
        Failure::usage(format!(
            "cannot ask for the password: {} (use --pw-file or MOTH_PASSWORD without a terminal)",
            crate::report::io_reason(&e)
        ))
    })?;
    Ok((!answer.is_empty()).then_some(answer))
}

/// Both stdin and stderr a terminal: someone is there to answer a prompt.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

fn first_line(bytes: Vec<u8>) -> Option<String> {
    let text = String::from_utf8(bytes).ok()?;
    let line = text.split('\n').next().unwrap_or_default();
    Some(line.strip_suffix('\r').unwrap_or(line).to_string())
}

fn describe(source: &Origin, flag: &str) -> String {
    match source {
        Origin::CommandLine => flag.to_string(),
        other => format!("pw-file, {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_drops_the_line_ending() {
        assert_eq!(
            first_line(b"s3cret\nmore\n".to_vec()).as_deref(),
            Some("s3cret")
        );
        assert_eq!(
            first_line(b"s3cret\r\n".to_vec()).as_deref(),
            Some("s3cret")
        );
        assert_eq!(first_line(b"".to_vec()).as_deref(), Some(""));
        assert_eq!(first_line(vec![0xff]), None);
    }

    #[test]
    fn a_failing_command_is_named_by_its_source_only() {
        let err = from_command(
            "echo hunter2; exit 3",
            &Origin::Env("MOTH_PW_COMMAND".into()),
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "pw-command (MOTH_PW_COMMAND) failed with exit code 3"
        );
        assert_eq!(
            from_command("printf 'a b\\nc'", &Origin::Default).unwrap(),
            "a b"
        );
    }
}
