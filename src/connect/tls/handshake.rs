//! The broker's handshake signature: proof that it holds the key of the certificate it presented.
//! webpki cannot parse an X.509 v1 certificate, so for one the key is taken out by x509-parser
//! and checked with the same algorithms. A failure says why: a key that is not the certificate's,
//! of another kind, or too weak.

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{
    WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature,
    verify_tls13_signature_with_raw_key,
};
use rustls::pki_types::{CertificateDer, SubjectPublicKeyInfoDer};
use rustls::{CertificateError, DigitallySignedStruct, Error, PeerMisbehaved, SignatureScheme};

use super::cert::Cert;
use super::der;
use super::words::{self, Who, refusal};

pub fn tls12(
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
    algorithms: &WebPkiSupportedAlgorithms,
) -> Result<HandshakeSignatureValid, Error> {
    match verify_tls12_signature(message, cert, dss, algorithms) {
        Err(e) if is_unsupported_version(&e) => {
            let spki = spki_of(cert)?;
            let contents = der::contents(&spki)
                .and_then(der::spki)
                .ok_or(Error::InvalidCertificate(CertificateError::BadEncoding))?;
            raw_tls12_signature(message, contents, dss.scheme, dss.signature(), algorithms)
        }
        other => other,
    }
    .map_err(|e| explained(e, cert, dss.scheme))
}

pub fn tls13(
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
    .map_err(|e| explained(e, cert, dss.scheme))
}

/// A failed handshake signature in words: the certificate's key too weak, of another kind than
/// the signature, or simply not the key that signed.
fn explained(err: Error, cert: &CertificateDer<'_>, scheme: SignatureScheme) -> Error {
    if !matches!(err, Error::InvalidCertificate(_)) {
        return err;
    }
    let Some(cert) = Cert::parse(cert) else {
        return err;
    };
    if let Some(bits) = cert.rsa_bits().filter(|bits| *bits < 2048) {
        return refusal(words::weak_key(&Who::Leaf, bits));
    }
    let signed_with = match scheme {
        SignatureScheme::ECDSA_NISTP256_SHA256
        | SignatureScheme::ECDSA_NISTP384_SHA384
        | SignatureScheme::ECDSA_NISTP521_SHA512
        | SignatureScheme::ECDSA_SHA1_Legacy => "an ECDSA",
        SignatureScheme::ED25519 => "an Ed25519",
        SignatureScheme::ED448 => "an Ed448",
        _ => "an RSA",
    };
    if signed_with != cert.key_kind() {
        return refusal(words::handshake_key_kind(signed_with, cert.key_kind()));
    }
    refusal(words::handshake_key_mismatch())
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
    Cert::parse(cert)
        .map(|c| c.x509.public_key().raw.to_vec())
        .ok_or(Error::InvalidCertificate(CertificateError::BadEncoding))
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

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::PrivateKeyDer;
    use rustls::pki_types::pem::PemObject;

    /// A self-signed X.509 v1 certificate for the CN v1.example (P-256), as
    /// `openssl x509 -req -signkey` makes it; valid from 2026-11-26 to 2036-11-23.
    const V1_CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBJDCBywIUfPUHbvm2CRk7MvC5p7/1eWlZyggwCgYIKoZIzj0EAwIwFTETMBEG
A1UEAwwKdjEuZXhhbXBsZTAeFw0yNjExMjYwNzE3MzRaFw0zNjExMjMwNzE3MzRa
MBUxEzARBgNVBAMMCnYxLmV4YW1wbGUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC
AATTgLOfdquCUpz8qkAF7y7VVTUpvET6j2yC9BxJJfxUBhRa0UUcMu/jLeXpKcp4
w0hwc16bw16dioLraPw3pCylMAoGCCqGSM49BAMCA0gAMEUCIQDGqoEA1YMtjr4y
5Te8pwxQT0P/4hRk56xfl76J/GNqWgIgENlLA2jGBhDcwz/Vvps8fKRBHHeI0Leh
AsOwxRPXVks=
-----END CERTIFICATE-----
";
    /// Its key, PKCS#8. A test key: it protects nothing.
    const V1_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgcQw3AG/R1OJqh89a
13FdDtc8+yCHew4gkk+8+HgxzBChRANCAATTgLOfdquCUpz8qkAF7y7VVTUpvET6
j2yC9BxJJfxUBhRa0UUcMu/jLeXpKcp4w0hwc16bw16dioLraPw3pCyl
-----END PRIVATE KEY-----
";

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
        let parts = der::contents(&spki).and_then(der::spki).unwrap();
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
        // The refusal says what is wrong.
        let dss_err = explained(
            Error::InvalidCertificate(CertificateError::BadSignature),
            &cert,
            SignatureScheme::RSA_PSS_SHA256,
        );
        assert_eq!(
            words::error(&dss_err),
            words::handshake_key_kind("an RSA", "an ECDSA")
        );
    }
}
