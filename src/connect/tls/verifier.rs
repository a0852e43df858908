//! moth's certificate verifiers; rustls has no switch for any of this, only `dangerous()`. The
//! rule: refuse every chain OpenSSL 3 refuses (X509_verify_cert with the sslserver purpose, then
//! X509_check_host or X509_check_ip), so that whatever works with mosquitto_pub's checks and is
//! sound works with moth. Which path checks a certificate is decided by the certificate itself,
//! never by the error another path gave.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};

use super::cert::Cert;
use super::trust::Trust;
use super::words::refusal;
use super::{chain, handshake, hostname, narrow};

/// Which name the broker's certificate must hold.
#[derive(Debug)]
pub enum NameCheck {
    /// The host connected to.
    Connected,
    /// --tls-server-name.
    Given(ServerName<'static>),
    /// --insecure: the chain is still verified against the CAs given, the name is not.
    Skipped,
}

#[derive(Debug)]
pub struct Verifier {
    trust: Trust,
    names: NameCheck,
    debug: bool,
}

impl Verifier {
    pub fn new(trust: Trust, names: NameCheck, debug: bool) -> Self {
        Verifier {
            trust,
            names,
            debug,
        }
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let leaf = Cert::parse(end_entity)
            .ok_or(Error::InvalidCertificate(CertificateError::BadEncoding))?;
        let how = match narrow::pinned(&self.trust, &leaf, now) {
            Some(pinned) => pinned?,
            // webpki reads neither, OpenSSL takes both.
            None if leaf.is_v1() || leaf.says_ca() => {
                narrow::direct(&self.trust, &leaf, intermediates, now)?
            }
            None => chain::verify(&self.trust, &leaf, intermediates, now)?,
        };
        let name = match &self.names {
            NameCheck::Connected => Some(server_name),
            NameCheck::Given(name) => Some(name),
            NameCheck::Skipped => None,
        };
        let naming = match name {
            Some(name) => hostname::check(&leaf, name).map_err(refusal)?.to_string(),
            None => "host name not checked (--insecure)".into(),
        };
        if self.debug {
            debug_line(&format!("certificate accepted: {how}; {naming}"));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        handshake::tls12(message, cert, dss, &self.trust.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        handshake::tls13(message, cert, dss, &self.trust.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.trust.algorithms.supported_schemes()
    }
}

/// `--insecure` with no CA to verify against: any certificate is accepted. The handshake signatures
/// are still checked, so the session is at least bound to the certificate presented.
#[derive(Debug)]
pub struct AnyCertificate {
    provider: Arc<CryptoProvider>,
    debug: bool,
}

impl AnyCertificate {
    pub fn new(provider: Arc<CryptoProvider>, debug: bool) -> Self {
        AnyCertificate { provider, debug }
    }
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if self.debug {
            debug_line("certificate not verified (--insecure without --cafile)");
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        handshake::tls12(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        handshake::tls13(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A `-d` line about TLS. The verifier runs inside the handshake, where moth's per-client debug
/// lines (which need the client id) are not at hand.
fn debug_line(what: &str) {
    // Not eprintln!: it panics when stderr is a closed pipe.
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "TLS: {what}");
}
