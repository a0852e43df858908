//! rustls client configuration from the TLS flags, with errors that name the file and the problem.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};

use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, SignatureScheme};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use super::fallback::Trust;
use super::options::ConnOptions;
use super::verify::{AnyCertificate, Verifier};
use crate::exit::{Failure, Result};
use crate::report;
use crate::report::io_reason;

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
    pub debug: bool,
}

impl<'a> TlsOptions<'a> {
    pub fn from_options(args: &'a ConnOptions) -> Self {
        TlsOptions {
            cafile: args.cafile.as_deref(),
            capath: args.capath.as_deref(),
            cert: args.cert.as_deref(),
            key: args.key.as_deref(),
            insecure: args.insecure,
            os_certs: args.tls_use_os_certs,
            alpn: args.tls_alpn.as_deref(),
            version: args.tls_version.as_deref(),
            keylog: args.tls_keylog.as_deref(),
            debug: args.debug,
        }
    }

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
        if opts.alpn.is_some() || opts.version.is_some() || opts.keylog.is_some() {
            return Err(Failure::usage(
                "--tls-alpn, --tls-version and --tls-keylog need TLS: add --cafile, --capath or --tls-use-os-certs",
            ));
        }
        return Ok(None);
    }
    let provider = provider();
    let versions = versions(opts.version)?;
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(|e| Failure::usage(format!("cannot use --tls-version: {e}")))?;

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
        let (roots, pinned) = roots(opts, has_ca)?;
        let anchors = roots.roots.clone();
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|_| {
                Failure::usage(
                    "none of the CA certificates given can be used; check --cafile and --capath",
                )
            })?;
        if opts.insecure {
            warnings.push(
                "--insecure: the broker's host name is not checked against its certificate".into(),
            );
        }
        let trust = Trust {
            anchors,
            pinned,
            algorithms: provider.signature_verification_algorithms,
        };
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Verifier::new(
                webpki,
                trust,
                !opts.insecure,
                opts.debug,
            )))
    };

    let client_cert = match (opts.cert, opts.key) {
        (Some(cert), Some(key)) => Some(client_certificate(&provider, cert, key)?),
        _ => None,
    };
    let mut config = builder.with_client_cert_resolver(Arc::new(ClientCert(client_cert)));
    if let Some(alpn) = opts.alpn {
        config.alpn_protocols = vec![alpn.as_bytes().to_vec()];
    }
    if let Some(path) = opts.keylog {
        config.key_log = Arc::new(KeyLogFile::open(path)?);
    }
    Ok(Some(Arc::new(config)))
}

/// --tls-keylog: the session secrets in the NSS key log format (SSLKEYLOGFILE), which Wireshark
/// reads to decrypt a capture. rustls's own `KeyLogFile` only follows the SSLKEYLOGFILE variable.
struct KeyLogFile(std::sync::Mutex<std::fs::File>);

impl KeyLogFile {
    fn open(path: &Path) -> Result<KeyLogFile> {
        use std::os::unix::fs::OpenOptionsExt;
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

/// Set when a broker asks for a client certificate and none was given, so that TLS 1.2's bare
/// handshake_failure alert can be told apart from a cipher mismatch. Process-wide because the
/// error is described far from the connection; one process talks to one broker.
pub(super) static CLIENT_CERT_MISSING: AtomicBool = AtomicBool::new(false);

/// The client certificate, sent as given: rustls's own `with_client_auth_cert` parses it with
/// webpki, which refuses the X.509 v1 certificates mosquitto-tls(7) makes and brokers accept.
#[derive(Debug)]
struct ClientCert(Option<Arc<CertifiedKey>>);

impl ResolvesClientCert for ClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        if self.0.is_none() {
            CLIENT_CERT_MISSING.store(true, Ordering::Relaxed);
        }
        self.0.clone()
    }

    fn has_certs(&self) -> bool {
        self.0.is_some()
    }
}

fn client_certificate(
    provider: &CryptoProvider,
    cert: &Path,
    key: &Path,
) -> Result<Arc<CertifiedKey>> {
    let chain = read_certs(cert, "--cert")?;
    let key_der = read_key(key)?;
    let signing_key = provider.key_provider.load_private_key(key_der).map_err(|_| {
        Failure::usage(format!(
            "--key {} holds a private key rustls cannot sign with (it takes RSA, ECDSA P-256/P-384 and Ed25519 keys)",
            key.display()
        ))
    })?;
    let leaf = X509Certificate::from_der(&chain[0]).map_err(|_| {
        Failure::usage(format!(
            "--cert {}: its first certificate cannot be parsed as X.509",
            cert.display()
        ))
    })?;
    // The same comparison rustls's `keys_match` makes, on x509-parser's reading of the key.
    if let Some(spki) = signing_key.public_key() {
        if spki.as_ref() != leaf.1.public_key().raw {
            return Err(Failure::usage(format!(
                "the private key in --key {} does not match the certificate in --cert {}",
                key.display(),
                cert.display()
            )));
        }
    }
    Ok(Arc::new(CertifiedKey::new(chain, signing_key)))
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

/// The trust anchors, and the certificates given with --cafile and --capath, which a broker may
/// present as they are (pinned).
fn roots(opts: &TlsOptions, has_ca: bool) -> Result<(RootCertStore, Vec<CertificateDer<'static>>)> {
    let mut roots = RootCertStore::empty();
    let mut pinned = Vec::new();
    if let Some(file) = opts.cafile {
        for (n, cert) in read_certs(file, "--cafile")?.into_iter().enumerate() {
            roots.add(cert.clone()).map_err(|_| {
                Failure::usage(format!(
                    "certificate {} in --cafile {} is not a usable CA certificate: it cannot be parsed as X.509",
                    n + 1,
                    file.display()
                ))
            })?;
            pinned.push(cert);
        }
    }
    if let Some(dir) = opts.capath {
        add_ca_dir(&mut roots, &mut pinned, dir)?;
    }
    // mqtts:// and wss:// without a CA fall back to the system's trust store, as browsers do.
    if opts.os_certs || !has_ca {
        let found = rustls_native_certs::load_native_certs();
        let (added, _) = roots.add_parsable_certificates(found.certs);
        if added == 0 && !has_ca {
            return Err(Failure::usage(
                "no usable CA certificates found in the operating system's trust store; pass --cafile",
            ));
        }
    }
    Ok((roots, pinned))
}

fn add_ca_dir(
    roots: &mut RootCertStore,
    pinned: &mut Vec<CertificateDer<'static>>,
    dir: &Path,
) -> Result<()> {
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
        if !path.is_file() {
            continue;
        }
        let Ok(pem) = std::fs::read(&path) else {
            continue;
        };
        for cert in CertificateDer::pem_slice_iter(&pem).filter_map(|c| c.ok()) {
            if roots.add(cert.clone()).is_ok() {
                added += 1;
                pinned.push(cert);
            }
        }
    }
    if added == 0 {
        return Err(Failure::usage(format!(
            "--capath {} holds no PEM CA certificate",
            dir.display()
        )));
    }
    Ok(())
}

fn read_certs(path: &Path, flag: &str) -> Result<Vec<CertificateDer<'static>>> {
    let pem = read_file(path, flag)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| {
            let problem = pem_problem(&e);
            Failure::usage(format!(
                "{flag} {} is not valid PEM: {problem}",
                path.display()
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

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    let pem = read_file(path, "--key")?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => Failure::usage(format!(
            "--key {} holds no PEM private key (PKCS#1, PKCS#8 or SEC1); an encrypted key must be decrypted first",
            path.display()
        )),
        other => Failure::usage(format!("--key {} is not valid PEM: {}", path.display(), pem_problem(&other))),
    })
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
