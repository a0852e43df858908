//! Certificates and keys read from PEM files, with errors that name the flag, the file and what
//! is wrong in it.

use std::path::Path;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::exit::{Failure, Result};
use crate::report::io_reason;

pub fn read_certs(path: &Path, flag: &str) -> Result<Vec<CertificateDer<'static>>> {
    let pem = read_file(path, flag)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| {
            Failure::usage(format!(
                "{flag} {} is not valid PEM: {}",
                path.display(),
                pem_problem(&e)
            ))
        })?;
    if certs.is_empty() {
        return Err(Failure::usage(format!(
            "{flag} {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        )));
    }
    Ok(certs)
}

/// Certificates of a --capath file; unreadable and non-PEM files are skipped, as OpenSSL skips
/// what it cannot use in a directory.
pub fn certs_in(path: &Path) -> Vec<CertificateDer<'static>> {
    std::fs::read(path)
        .map(|pem| {
            CertificateDer::pem_slice_iter(&pem)
                .filter_map(|c| c.ok())
                .collect()
        })
        .unwrap_or_default()
}

pub fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    let pem = read_file(path, "--key")?;
    if let Some(how) = encrypted(&pem) {
        let file = path.display();
        return Err(Failure::usage(format!(
            "--key {file} is encrypted ({how}), and moth cannot ask for its passphrase: decrypt it once with `openssl pkey -in {file} -out PLAIN.key`, keep PLAIN.key private (chmod 600), and pass that"
        )));
    }
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => Failure::usage(format!(
            "--key {} holds no PEM private key (PKCS#1, PKCS#8 or SEC1)",
            path.display()
        )),
        other => Failure::usage(format!(
            "--key {} is not valid PEM: {}",
            path.display(),
            pem_problem(&other)
        )),
    })
}

/// How a PEM key is encrypted, if it is: PKCS#8's own label, or the `Proc-Type` header of the
/// traditional format that `openssl genrsa -aes256` writes.
fn encrypted(pem: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(pem);
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        Some("ENCRYPTED PRIVATE KEY")
    } else if text
        .lines()
        .any(|line| line.trim() == "Proc-Type: 4,ENCRYPTED")
    {
        Some("Proc-Type: 4,ENCRYPTED")
    } else {
        None
    }
}

fn pem_problem(err: &rustls::pki_types::pem::Error) -> String {
    use rustls::pki_types::pem::Error;
    match err {
        Error::Base64Decode(_) => "the text between BEGIN and END is not valid base64".into(),
        Error::MissingSectionEnd { .. } => {
            "a -----BEGIN----- line has no matching -----END----- line".into()
        }
        Error::IllegalSectionStart { .. } => "a -----BEGIN----- line is malformed".into(),
        Error::SectionTooLarge => "a PEM section is too large".into(),
        other => other.to_string(),
    }
}

fn read_file(path: &Path, flag: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        Failure::usage(format!(
            "cannot read {flag} {}: {}",
            path.display(),
            io_reason(&e)
        ))
    })
}
