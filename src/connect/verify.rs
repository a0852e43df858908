//! moth's certificate verifiers. rustls has no switch for any of these, only `dangerous()`:
//! webpki first, moth's fallback for what webpki refuses but OpenSSL accepts (see fallback.rs),
//! and `--insecure`.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{
    CryptoProvider, WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature,
    verify_tls13_signature_with_raw_key,
};
use rustls::pki_types::{CertificateDer, ServerName, SubjectPublicKeyInfoDer, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, PeerMisbehaved, SignatureScheme};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use super::fallback::{self, Trust};

/// webpki, then moth's fallback verifier. With `check_name` off (mosquitto's `--insecure`) the
/// chain is still verified against the CAs given, the host name is not.
#[derive(Debug)]
pub struct Verifier {
    webpki: Arc<WebPkiServerVerifier>,
    trust: Trust,
    check_name: bool,
    debug: bool,
}

impl Verifier {
    pub fn new(
        webpki: Arc<WebPkiServerVerifier>,
        trust: Trust,
        check_name: bool,
        debug: bool,
    ) -> Self {
        Verifier {
            webpki,
            trust,
            check_name,
            debug,
        }
    }

    fn accepted(&self, how: &str) -> Result<ServerCertVerified, Error> {
        if self.debug {
            debug_line(&format!("certificate accepted by {how}"));
        }
        Ok(ServerCertVerified::assertion())
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let refused =
            match self
                .webpki
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            {
                Ok(_) if self.check_name => return self.accepted("webpki"),
                Ok(_) => return self.accepted("webpki, host name not checked (--insecure)"),
                Err(e) => e,
            };
        if !self.check_name && is_name_mismatch(&refused) {
            return self.accepted("webpki, host name not checked (--insecure)");
        }
        if fallback::may_overturn(&refused, end_entity) {
            let name = self.check_name.then_some(server_name);
            let accepted = fallback::verify(&self.trust, end_entity, intermediates, name, now)?;
            return self.accepted(&format!("moth's fallback verifier: {accepted}"));
        }
        Err(with_names(refused, end_entity, intermediates))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        tls12_signature(message, cert, dss, &self.trust.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        tls13_signature(message, cert, dss, &self.trust.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.trust.algorithms.supported_schemes()
    }
}

fn is_name_mismatch(err: &Error) -> bool {
    matches!(
        err,
        Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        )
    )
}

/// webpki's refusals that lack the one fact a user needs: which CA is missing or wrong.
fn with_names(
    err: Error,
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
) -> Error {
    let issuer = || fallback::missing_issuer(end_entity, intermediates);
    match err {
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            super::describe::refusal(super::describe::unknown_issuer(&issuer()))
        }
        Error::InvalidCertificate(CertificateError::BadSignature) => {
            super::describe::refusal(super::describe::bad_signature(&issuer()))
        }
        other => other,
    }
}

/// TLS 1.2 handshake signature. webpki cannot parse a v1 certificate, so for one the key is taken
/// from the certificate by x509-parser and the signature checked with the same algorithms.
pub fn tls12_signature(
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
    algorithms: &WebPkiSupportedAlgorithms,
) -> Result<HandshakeSignatureValid, Error> {
    match verify_tls12_signature(message, cert, dss, algorithms) {
        Err(e) if is_unsupported_version(&e) => {
            let spki = spki_of(cert)?;
            let contents = fallback::der::contents(&spki)
                .and_then(fallback::der::spki)
                .ok_or(Error::InvalidCertificate(CertificateError::BadEncoding))?;
            raw_tls12_signature(message, contents, dss.scheme, dss.signature(), algorithms)
        }
        other => other,
    }
}

/// TLS 1.3 handshake signature, with the same fallback for v1 certificates as TLS 1.2.
pub fn tls13_signature(
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
    algorithms: &WebPkiSupportedAlgorithms,
) -> Result<HandshakeSignatureValid, Error> {
    match verify_tls13_signature(message, cert, dss, algorithms) {
        Err(e) if is_unsupported_version(&e) => {
            let spki = SubjectPublicKeyInfoDer::from(spki_of(cert)?);
            verify_tls13_signature_with_raw_key(message, &spki, dss, algorithms)
        }
        other => other,
    }
}

fn is_unsupported_version(err: &Error) -> bool {
    matches!(
        err,
        Error::InvalidCertificate(CertificateError::Other(other))
            if matches!(
                other.0.downcast_ref::<webpki::Error>(),
                Some(webpki::Error::UnsupportedCertVersion)
            )
    )
}

/// The certificate's whole SubjectPublicKeyInfo element.
fn spki_of(cert: &CertificateDer<'_>) -> Result<Vec<u8>, Error> {
    X509Certificate::from_der(cert)
        .map(|(_, c)| c.public_key().raw.to_vec())
        .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))
}

/// What rustls's `verify_tls12_signature` does once webpki has parsed the certificate: try each
/// algorithm TLS 1.2 maps the scheme to whose key type matches.
fn raw_tls12_signature(
    message: &[u8],
    (key_algorithm, key): (&[u8], &[u8]),
    scheme: SignatureScheme,
    signature: &[u8],
    algorithms: &WebPkiSupportedAlgorithms,
) -> Result<HandshakeSignatureValid, Error> {
    let candidates = algorithms
        .mapping
        .iter()
        .find(|(mapped, _)| *mapped == scheme)
        .map(|(_, algs)| *algs)
        .ok_or(PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme)?;
    let alg = candidates
        .iter()
        .find(|alg| alg.public_key_alg_id().as_ref() == key_algorithm)
        .ok_or(Error::InvalidCertificate(
            CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext {
                signature_algorithm_id: Vec::new(),
                public_key_algorithm_id: key_algorithm.to_vec(),
            },
        ))?;
    alg.verify_signature(key, message, signature)
        .map(|_| HandshakeSignatureValid::assertion())
        .map_err(|_| Error::InvalidCertificate(CertificateError::BadSignature))
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
        tls12_signature(
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
        tls13_signature(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::fallback::tests::{V1_CERT, V1_KEY};
    use rustls::pki_types::PrivateKeyDer;
    use rustls::pki_types::pem::PemObject;

    #[test]
    fn v1_handshake_signatures_are_checked_with_the_certificates_key() {
        let provider = rustls::crypto::ring::default_provider();
        let algorithms = provider.signature_verification_algorithms;
        let cert = CertificateDer::from_pem_slice(V1_CERT.as_bytes()).unwrap();
        let key = provider
            .key_provider
            .load_private_key(PrivateKeyDer::from_pem_slice(V1_KEY.as_bytes()).unwrap())
            .unwrap();
        let scheme = SignatureScheme::ECDSA_NISTP256_SHA256;
        let signature = key
            .choose_scheme(&[scheme])
            .unwrap()
            .sign(b"handshake")
            .unwrap();

        let spki = spki_of(&cert).unwrap();
        let parts = fallback::der::contents(&spki)
            .and_then(fallback::der::spki)
            .unwrap();
        assert!(raw_tls12_signature(b"handshake", parts, scheme, &signature, &algorithms).is_ok());
        assert!(matches!(
            raw_tls12_signature(b"tampered", parts, scheme, &signature, &algorithms),
            Err(Error::InvalidCertificate(CertificateError::BadSignature))
        ));
        // A scheme for another key type is refused, not tried.
        assert!(
            raw_tls12_signature(
                b"handshake",
                parts,
                SignatureScheme::RSA_PKCS1_SHA256,
                &signature,
                &algorithms
            )
            .is_err()
        );
        // webpki itself refuses the certificate, which is why moth takes the key out itself.
        assert!(matches!(
            rustls::server::ParsedCertificate::try_from(&cert),
            Err(e) if is_unsupported_version(&e)
        ));
    }
}
