//! --tls-keylog: the session secrets in the NSS key log format (SSLKEYLOGFILE), which Wireshark
//! reads to decrypt a capture. rustls's own `KeyLogFile` only follows the SSLKEYLOGFILE variable.

use std::path::Path;

use crate::exit::{Failure, Result};
use crate::report::{self, io_reason};

pub struct KeyLogFile(std::sync::Mutex<std::fs::File>);

impl KeyLogFile {
    pub fn open(path: &Path, warnings: &mut Vec<String>) -> Result<KeyLogFile> {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o004 != 0) {
            let shown = report::shorten(&path.to_string_lossy());
            warnings.push(format!(
                "--tls-keylog {shown} can be read by every user, and the secrets it gets decrypt this connection: chmod 600 {shown}"
            ));
        }
        // Owner-only, as the secrets decrypt the whole connection.
        let file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| {
                Failure::usage(format!(
                    "cannot open --tls-keylog {}: {}",
                    report::shorten(&path.to_string_lossy()),
                    io_reason(&e)
                ))
            })?;
        Ok(KeyLogFile(std::sync::Mutex::new(file)))
    }
}

impl std::fmt::Debug for KeyLogFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyLogFile")
    }
}

impl rustls::KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        use std::fmt::Write as _;
        use std::io::Write as _;
        let mut line = format!("{label} ");
        for byte in client_random {
            let _ = write!(line, "{byte:02x}");
        }
        line.push(' ');
        for byte in secret {
            let _ = write!(line, "{byte:02x}");
        }
        line.push('\n');
        if let Ok(mut file) = self.0.lock() {
            // A failed write loses a debugging aid, not the connection.
            let _ = file.write_all(line.as_bytes());
        }
    }
}
