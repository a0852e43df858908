//! Passwords that never pass through argv: from a file, a helper command, or the terminal.

use std::io::IsTerminal;
use std::path::Path;
use std::process::{Command, Stdio};

use super::resolve::Origin;
use crate::exit::{Failure, Result};

/// A password a file or the environment says where to get, read once the arguments are known to
/// be good (so a typo never runs a helper command).
pub struct Stored {
    /// `pw-file` or `pw-command`.
    pub key: &'static str,
    pub value: String,
    pub source: Origin,
}

impl Stored {
    pub fn read(&self) -> Result<String> {
        match self.key {
            "pw-file" => from_file(Path::new(&self.value), &self.source),
            _ => from_command(&self.value, &self.source),
        }
    }
}

/// The first line of FILE, without its line ending. A file that others can read is no place for
/// a password: that is said, as ssh says it of keys.
pub fn from_file(path: &Path, source: &Origin) -> Result<String> {
    let shown = crate::report::shorten(&path.to_string_lossy());
    let named = describe(source, "--pw-file");
    let bytes = std::fs::read(path).map_err(|e| {
        Failure::usage(format!(
            "cannot read the password file {shown} ({named}): {}",
            crate::report::io_reason(&e)
        ))
    })?;
    {
        use std::os::unix::fs::PermissionsExt;
        if std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o004 != 0) {
            crate::report::warning(&format!(
                "the password file {shown} can be read by every user: chmod 600 {shown}"
            ));
        }
    }
    let line = first_line(bytes).ok_or_else(|| {
        Failure::usage(format!(
            "the password file {shown} ({named}) is not UTF-8 text"
        ))
    })?;
    if line.is_empty() {
        return Err(Failure::usage(format!(
            "the password file {shown} ({named}) has nothing on its first line, so moth would send an empty password; write the password there (or give -P '' for an empty one)"
        )));
    }
    Ok(line)
}

/// What a helper command prints, as git's credential helpers and `aws credential_process`:
/// `sh -c COMMAND` with stderr on the terminal, and stdin too when it is one (so it may ask for a
/// passphrase); otherwise stdin is /dev/null, so a helper that reads stdin cannot eat the
/// messages of `pub -l`. Its first output line is the password. The command is not shown in
/// errors: it may hold a secret.
pub fn from_command(command: &str, source: &Origin) -> Result<String> {
    let stdin = match std::io::stdin().is_terminal() {
        true => Stdio::inherit(),
        false => Stdio::null(),
    };
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(stdin)
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
    match first_line(output.stdout) {
        None => Err(Failure::usage(format!(
            "pw-command ({source}) printed no UTF-8 password"
        ))),
        Some(line) if line.is_empty() => Err(Failure::usage(format!(
            "pw-command ({source}) printed nothing on its first line, so moth would send an empty password; make it print the password"
        ))),
        Some(line) => Ok(line),
    }
}

/// Ask on the terminal, without echo. An empty answer is no password.
pub fn prompt(question: &str) -> Result<Option<String>> {
    let _restore = echo::Guard::new();
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

/// The terminal's settings while a prompt turns echo off: rpassword puts them back only when it
/// returns, so Ctrl-C (or SIGTERM) at the prompt would leave the shell without echo. While the
/// guard lives, those signals put the settings back and end the process as they would have.
mod echo {
    use std::sync::atomic::{AtomicI32, AtomicPtr, Ordering};

    static TTY: AtomicI32 = AtomicI32::new(-1);
    static SAVED: AtomicPtr<libc::termios> = AtomicPtr::new(std::ptr::null_mut());
    const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

    pub struct Guard {
        previous: Vec<(libc::c_int, libc::sigaction)>,
    }

    impl Guard {
        pub fn new() -> Guard {
            let mut guard = Guard {
                previous: Vec::new(),
            };
            // SAFETY: plain libc calls on a descriptor and structs owned here; the termios is
            // leaked on purpose, so the handler may read it at any moment.
            unsafe {
                let fd = libc::open(c"/dev/tty".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
                if fd < 0 {
                    return guard;
                }
                let mut saved: libc::termios = std::mem::zeroed();
                if libc::tcgetattr(fd, &mut saved) != 0 {
                    libc::close(fd);
                    return guard;
                }
                SAVED.store(Box::into_raw(Box::new(saved)), Ordering::SeqCst);
                TTY.store(fd, Ordering::SeqCst);
                for signal in SIGNALS {
                    let mut action: libc::sigaction = std::mem::zeroed();
                    action.sa_sigaction = restore_and_end as *const () as libc::sighandler_t;
                    let mut previous: libc::sigaction = std::mem::zeroed();
                    if libc::sigaction(signal, &action, &mut previous) == 0 {
                        guard.previous.push((signal, previous));
                    }
                }
            }
            guard
        }
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            // SAFETY: putting back the actions saved in `new`.
            unsafe {
                for (signal, previous) in &self.previous {
                    libc::sigaction(*signal, previous, std::ptr::null_mut());
                }
                let fd = TTY.swap(-1, Ordering::SeqCst);
                if fd >= 0 {
                    libc::close(fd);
                }
            }
        }
    }

    /// Async-signal-safe: tcsetattr, write and _exit only.
    extern "C" fn restore_and_end(signal: libc::c_int) {
        let fd = TTY.load(Ordering::SeqCst);
        let saved = SAVED.load(Ordering::SeqCst);
        // SAFETY: `saved` was leaked in `Guard::new` and is never freed.
        unsafe {
            if fd >= 0 && !saved.is_null() {
                libc::tcsetattr(fd, libc::TCSANOW, saved);
                libc::write(fd, b"\n".as_ptr().cast(), 1);
            }
            libc::_exit(128 + signal);
        }
    }
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
        assert_eq!(
            from_command("echo", &Origin::Default).unwrap_err().message,
            "pw-command (default) printed nothing on its first line, so moth would send an empty password; make it print the password"
        );
    }
}
