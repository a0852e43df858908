//! TLS: a rustls client configuration from the TLS flags, and moth's own certificate verifier,
//! which refuses every chain OpenSSL refuses (verifier.rs says how). Errors name the flag, the
//! file and the certificate at fault.

mod cert;
mod chain;
mod client_cert;
mod constraints;
mod der;
mod explain;
mod files;
mod handshake;
mod hostname;
mod keylog;
mod narrow;
mod rules;
mod trust;
mod verifier;
mod words;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};

use rustls::ClientConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;

use crate::exit::{Failure, Result};
use crate::report::io_reason;
use client_cert::ClientCert;
use trust::{Origin, Trust};
use verifier::{AnyCertificate, NameCheck, Verifier};

pub use words::error as error_words;

pub struct TlsOptions<'a> {
    pub cafile: Option<&'a Path>,
    pub capath: Option<&'a Path>,
    pub cert: Option<&'a Path>,
    pub key: Option<&'a Path>,
    pub insecure: bool,
    pub os_certs: bool,
    pub alpn: Option<&'a str>,
    pub version: Option<&'a str>,
    pub keylog: Option<&'a Path>,
    pub server_name: Option<&'a str>,
    pub debug: bool,
}

impl<'a> TlsOptions<'a> {
    fn turns_tls_on(&self) -> bool {
        self.cafile.is_some()
            || self.capath.is_some()
            || self.cert.is_some()
            || self.os_certs
            || self.insecure
    }
}

/// The provider moth uses everywhere; installed once as the process default so that no library
/// can build a config with a different one.
pub fn provider() -> Arc<CryptoProvider> {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()))
}

/// `None` when TLS is off. `scheme_wants_tls` is set by mqtts:// and wss:// URLs.
pub fn client_config(
    opts: &TlsOptions,
    scheme_wants_tls: bool,
    warnings: &mut Vec<String>,
) -> Result<Option<Arc<ClientConfig>>> {
    if !opts.turns_tls_on() && !scheme_wants_tls {
        if opts.alpn.is_some()
            || opts.version.is_some()
            || opts.keylog.is_some()
            || opts.server_name.is_some()
        {
            return Err(Failure::usage(
                "--tls-alpn, --tls-version, --tls-keylog and --tls-server-name need TLS: add --cafile, --capath or --tls-use-os-certs",
            ));
        }
        return Ok(None);
    }
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions(opts.version)?)
        .map_err(|e| Failure::usage(format!("cannot use --tls-version: {e}")))?;
    let names = match (opts.insecure, opts.server_name) {
        (true, _) => NameCheck::Skipped,
        (false, Some(name)) => NameCheck::Given(server_name(name)?),
        (false, None) => NameCheck::Connected,
    };

    let has_ca = opts.cafile.is_some() || opts.capath.is_some();
    let builder = if opts.insecure && !has_ca && !opts.os_certs {
        warnings.push(
            "--insecure without --cafile: the broker's certificate is not verified at all; \
             anyone on the network path can read and change this connection"
                .into(),
        );
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate::new(
                provider.clone(),
                opts.debug,
            )))
    } else {
        let trust = trust(opts, has_ca, &provider)?;
        if opts.insecure {
            warnings.push(
                "--insecure: the broker's host name is not checked against its certificate".into(),
            );
        }
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Verifier::new(trust, names, opts.debug)))
    };

    let client_cert = match (opts.cert, opts.key) {
        (Some(cert), Some(key)) => Some(client_cert::load(&provider, cert, key)?),
        _ => None,
    };
    let mut config = builder.with_client_cert_resolver(Arc::new(ClientCert(client_cert)));
    if let Some(alpn) = opts.alpn {
        config.alpn_protocols = vec![alpn.as_bytes().to_vec()];
    }
    if let Some(path) = opts.keylog {
        config.key_log = Arc::new(keylog::KeyLogFile::open(path, warnings)?);
    }
    Ok(Some(Arc::new(config)))
}

fn server_name(name: &str) -> Result<ServerName<'static>> {
    ServerName::try_from(name.to_string()).map_err(|_| {
        Failure::usage(format!(
            "invalid --tls-server-name {}: give a host name or an IP address",
            crate::report::quote(name)
        ))
    })
}

fn versions(given: Option<&str>) -> Result<&'static [&'static rustls::SupportedProtocolVersion]> {
    static BOTH: [&rustls::SupportedProtocolVersion; 2] =
        [&rustls::version::TLS13, &rustls::version::TLS12];
    static V13: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
    static V12: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
    match given {
        None => Ok(&BOTH),
        Some("tlsv1.3") => Ok(&V13),
        Some("tlsv1.2") => Ok(&V12),
        Some(v @ ("tlsv1.1" | "tlsv1")) => Err(Failure::usage(format!(
            "--tls-version {v} is not supported: it is insecure and rustls refuses it; use tlsv1.2 or tlsv1.3"
        ))),
        Some(other) => Err(Failure::usage(format!(
            "invalid --tls-version '{other}': use tlsv1.3 or tlsv1.2"
        ))),
    }
}

/// The certificates given with --cafile and --capath, and the system's when asked for or when
/// no CA is given (mqtts:// and wss:// without a CA fall back to them, as browsers do).
fn trust(opts: &TlsOptions, has_ca: bool, provider: &CryptoProvider) -> Result<Trust> {
    let mut trust = Trust::new(provider.signature_verification_algorithms);
    if let Some(file) = opts.cafile {
        for (n, cert) in files::read_certs(file, "--cafile")?.into_iter().enumerate() {
            if !trust.add(cert, Origin::CaFile) {
                return Err(Failure::usage(format!(
                    "certificate {} in --cafile {} is not a usable CA certificate: it cannot be parsed as X.509",
                    n + 1,
                    file.display()
                )));
            }
        }
    }
    if let Some(dir) = opts.capath {
        add_ca_dir(&mut trust, dir)?;
    }
    if opts.os_certs || !has_ca {
        let before = trust.roots.len();
        for cert in rustls_native_certs::load_native_certs().certs {
            trust.add(cert, Origin::System);
        }
        if trust.roots.len() == before && !has_ca {
            return Err(Failure::usage(
                "no usable CA certificates found in the operating system's trust store; pass --cafile",
            ));
        }
    }
    Ok(trust)
}

fn add_ca_dir(trust: &mut Trust, dir: &Path) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Failure::usage(format!(
            "cannot read --capath {}: {}",
            dir.display(),
            io_reason(&e)
        ))
    })?;
    let mut added = 0;
    for entry in entries.flatten() {
        let path: PathBuf = entry.path();
        // OpenSSL looks an issuer up in a directory by the hash of its name only, so a file
        // under any other name is never read.
        if !path.is_file() || !hash_named(&entry.file_name().to_string_lossy()) {
            continue;
        }
        for cert in files::certs_in(&path) {
            if trust.add(cert, Origin::CaPath) {
                added += 1;
            }
        }
    }
    if added == 0 {
        return Err(Failure::usage(format!(
            "--capath {dir} holds no PEM CA certificate under an OpenSSL hash name (such as 1a2b3c4d.0); run `openssl rehash {dir}` first, or pass a file with --cafile",
            dir = dir.display()
        )));
    }
    Ok(())
}

/// `openssl rehash`'s names: eight hex digits of the subject's hash, a dot, a number.
fn hash_named(name: &str) -> bool {
    match name.split_once('.') {
        Some((hash, n)) => {
            hash.len() == 8
                && hash
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                && !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}
