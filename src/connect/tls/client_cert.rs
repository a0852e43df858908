//! The client certificate (--cert, --key), sent as given: rustls's own `with_client_auth_cert`
//! parses it with webpki, which refuses the X.509 v1 certificates mosquitto-tls(7) makes and
//! brokers accept.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rustls::SignatureScheme;
use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;

use super::cert::Cert;
use super::files::{read_certs, read_key};
use crate::exit::{Failure, Result};

/// Set when a broker asks for a client certificate and none was given, so that TLS 1.2's bare
/// handshake_failure alert can be told apart from a cipher mismatch. Process-wide because the
/// error is described far from the connection; one process talks to one broker.
pub(super) static CLIENT_CERT_MISSING: AtomicBool = AtomicBool::new(false);

#[derive(Debug)]
pub struct ClientCert(pub Option<Arc<CertifiedKey>>);

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

pub fn load(provider: &CryptoProvider, cert: &Path, key: &Path) -> Result<Arc<CertifiedKey>> {
    let chain = read_certs(cert, "--cert")?;
    let key_der = read_key(key)?;
    let signing_key = provider.key_provider.load_private_key(key_der).map_err(|_| {
        Failure::usage(format!(
            "--key {} holds a private key rustls cannot sign with (it takes RSA, ECDSA P-256/P-384 and Ed25519 keys)",
            key.display()
        ))
    })?;
    let leaf = Cert::parse(&chain[0]).ok_or_else(|| {
        Failure::usage(format!(
            "--cert {}: its first certificate cannot be parsed as X.509",
            cert.display()
        ))
    })?;
    // The same comparison rustls's `keys_match` makes, on x509-parser's reading of the key.
    if let Some(spki) = signing_key.public_key()
        && spki.as_ref() != leaf.x509.public_key().raw
    {
        return Err(Failure::usage(format!(
            "the private key in --key {} does not match the certificate in --cert {}",
            key.display(),
            cert.display()
        )));
    }
    Ok(Arc::new(CertifiedKey::new(chain, signing_key)))
}
