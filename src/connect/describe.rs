//! rumqttc, io and rustls errors → short sentences that say what went wrong and what to try.
//! rumqttc reports nested Debug shapes such as `Tls(Io(Custom { .. InvalidCertificate(..) }))`;
//! users should never see those.

use std::error::Error as StdError;
use std::io;

use rustls::pki_types::UnixTime;
use rustls::{AlertDescription, CertificateError};

/// The cause when the broker hung up; the driver adds a hint when this happens before CONNACK.
pub(super) const CLOSED: &str = "the broker closed the connection";

/// Walk an error chain for the most telling cause: a rustls error, else an io error, else the
/// outermost message.
pub(super) fn cause(err: &(dyn StdError + 'static)) -> String {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    let mut io_seen: Option<&io::Error> = None;
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return tls_cause(tls);
        }
        if let Some(io) = e.downcast_ref::<io::Error>() {
            // io::Error::source() skips the wrapped error itself, so look inside explicitly.
            if let Some(tls) = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            {
                return tls_cause(tls);
            }
            io_seen.get_or_insert(io);
        }
        current = e.source();
    }
    match io_seen {
        Some(io) => io_cause(io),
        None => err.to_string(),
    }
}

pub(super) fn io_cause(err: &io::Error) -> String {
    use io::ErrorKind::*;
    let text = err.to_string();
    match err.kind() {
        ConnectionRefused => {
            "connection refused (is the broker running and listening there?)".into()
        }
        NotFound => "no such socket file".into(),
        PermissionDenied => "permission denied".into(),
        TimedOut => "timed out".into(),
        UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe => CLOSED.into(),
        _ if text.contains("bytes remaining on stream") => CLOSED.into(),
        _ if text.contains("failed to lookup address") => {
            "cannot resolve the host name (check -h)".into()
        }
        _ => crate::report::io_reason(err),
    }
}

pub(super) fn tls_cause(err: &rustls::Error) -> String {
    match err {
        rustls::Error::InvalidCertificate(cert) => certificate_cause(cert),
        rustls::Error::AlertReceived(alert) => alert_cause(*alert),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "the broker did not answer with TLS (is that port a TLS listener?)".into()
        }
        rustls::Error::NoApplicationProtocol => {
            "the broker accepted none of the ALPN protocols offered (--tls-alpn)".into()
        }
        rustls::Error::PeerIncompatible(_) => {
            "the broker's TLS settings share no TLS version, cipher suite or signature scheme with moth's; check the broker's tls_version and ciphers, and --tls-version".into()
        }
        rustls::Error::PeerMisbehaved(_) => {
            "the broker broke the TLS protocol during the handshake; check its TLS settings and log".into()
        }
        rustls::Error::NoCertificatesPresented => {
            "the broker sent no certificate; check the certfile and keyfile of its listener".into()
        }
        rustls::Error::DecryptError => {
            "TLS failed: a record from the broker could not be decrypted (is something rewriting the connection?)".into()
        }
        _ => "the TLS handshake with the broker failed; try -d, and check the broker's log".into(),
    }
}

/// A certificate refusal worded by moth itself (with names and dates rustls's errors lack). It
/// travels inside rustls's error, so that `cause` finds it wherever rumqttc wraps it.
#[derive(Debug)]
pub(super) struct Refusal(String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Refusal {}

pub(super) fn refusal(sentence: String) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(
        std::sync::Arc::new(Refusal(sentence)),
    )))
}

pub(super) fn unknown_issuer(issuer: &str) -> String {
    format!(
        "the broker's certificate is issued by {issuer}, which is not a trusted CA (unknown issuer); pass that CA's certificate with --cafile"
    )
}

pub(super) fn bad_signature(issuer: &str) -> String {
    format!(
        "the broker's certificate names {issuer} as its issuer, but that CA's key did not sign it (bad signature; was the CA made again?); pass the CA that signed it with --cafile"
    )
}

pub(super) fn ca_as_end_entity() -> String {
    "the broker's certificate is a CA certificate (CA:TRUE), not a server certificate; pass that very certificate with --cafile to trust it alone, or give the broker a server certificate signed by the CA".into()
}

pub(super) fn v1_intermediate(ca: &str) -> String {
    format!(
        "the broker's chain uses {ca}, an X.509 v1 certificate, as an intermediate CA, and a v1 certificate cannot say it may sign; pass it with --cafile, or make it again with `-extensions v3_ca`"
    )
}

pub(super) fn not_a_ca(ca: &str) -> String {
    format!(
        "the broker's chain uses {ca} as a CA, but that certificate is not a CA (no CA:TRUE); pass the real CA with --cafile, or fix the chain in the broker's certfile"
    )
}

pub(super) fn chain_too_long() -> String {
    "the broker's certificate chain is too long to verify; pass the CA that signed the broker's certificate with --cafile".into()
}

pub(super) fn unsupported_signature_algorithm() -> String {
    "the broker's certificate is signed with an algorithm rustls refuses (such as SHA-1, or RSA under 2048 bits); make it again with SHA-256 and a 2048-bit or larger key".into()
}

pub(super) fn wrong_purpose(allowed: &[String]) -> String {
    let allowed = match allowed {
        [] => "no purpose moth knows".to_string(),
        names => names.join(", "),
    };
    format!(
        "the broker's certificate is not meant for TLS servers: its extended key usage allows {allowed}, not serverAuth; make it again with extendedKeyUsage = serverAuth"
    )
}

/// The dates of a CA certificate in the broker's chain (not of the broker's own certificate).
pub(super) fn ca_dates(ca: &str, problem: &CertificateError) -> String {
    match problem {
        CertificateError::NotValidYetContext { not_before, .. } => format!(
            "the CA certificate {ca} in the broker's chain is not valid until {}; check this machine's clock",
            date(*not_before)
        ),
        CertificateError::ExpiredContext { not_after, .. } => format!(
            "the CA certificate {ca} in the broker's chain expired on {}; the broker needs a chain with a current CA certificate",
            date(*not_after)
        ),
        _ => format!("the CA certificate {ca} in the broker's chain is not valid now"),
    }
}

const NAME_FIX: &str = "connect by a name it lists, or use --insecure to skip the check";

fn certificate_cause(err: &CertificateError) -> String {
    match err {
        CertificateError::UnknownIssuer => {
            "the broker's certificate is not signed by a trusted CA (unknown issuer); pass its CA with --cafile".into()
        }
        CertificateError::NotValidForName => {
            format!("the broker's certificate does not match the host name; {NAME_FIX}")
        }
        CertificateError::NotValidForNameContext { expected, presented } => format!(
            "the broker's certificate does not match the host name {} (it is for: {}); {NAME_FIX}",
            expected.to_str(),
            if presented.is_empty() {
                "no names".to_string()
            } else {
                presented.iter().map(|n| plain_name(n)).collect::<Vec<_>>().join(", ")
            }
        ),
        CertificateError::Expired => {
            "the broker's certificate has expired; the broker needs a new certificate (or this machine's clock is wrong)".into()
        }
        CertificateError::ExpiredContext { not_after, .. } => format!(
            "the broker's certificate expired on {}; the broker needs a new certificate (or this machine's clock is wrong)",
            date(*not_after)
        ),
        CertificateError::NotValidYet => {
            "the broker's certificate is not valid yet; check this machine's clock".into()
        }
        CertificateError::NotValidYetContext { not_before, .. } => format!(
            "the broker's certificate is not valid until {}; check this machine's clock, or give the broker a certificate valid now",
            date(*not_before)
        ),
        CertificateError::BadEncoding => {
            "the broker sent a certificate that cannot be parsed; check the certfile of its listener".into()
        }
        CertificateError::Revoked => "the broker's certificate has been revoked".into(),
        CertificateError::BadSignature => {
            "the broker's certificate has a signature its CA's key did not make (bad signature); pass the CA that signed it with --cafile".into()
        }
        CertificateError::UnhandledCriticalExtension => {
            "the broker's certificate has a critical extension moth does not know, so it cannot be trusted; make it again without that extension".into()
        }
        CertificateError::InvalidPurposeContext { presented, .. } => wrong_purpose(
            &presented
                .iter()
                .map(|p| match p {
                    rustls::ExtendedKeyPurpose::ClientAuth => "clientAuth".to_string(),
                    rustls::ExtendedKeyPurpose::ServerAuth => "serverAuth".to_string(),
                    other => other.to_string().replace(", ", "."),
                })
                .collect::<Vec<_>>(),
        ),
        CertificateError::InvalidPurpose => wrong_purpose(&[]),
        CertificateError::Other(other) => {
            if let Some(refusal) = other.0.downcast_ref::<Refusal>() {
                refusal.to_string()
            } else if let Some(webpki) = other.0.downcast_ref::<webpki::Error>() {
                webpki_cause(webpki)
            } else {
                "the broker's certificate was rejected; check it with `openssl x509 -text -noout -in CERTFILE`".into()
            }
        }
        #[allow(deprecated)]
        CertificateError::UnsupportedSignatureAlgorithm
        | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            unsupported_signature_algorithm()
        }
        _ => "the broker's certificate was rejected; check it with `openssl x509 -text -noout -in CERTFILE`".into(),
    }
}

/// webpki's errors that rustls passes on wrapped, in words.
fn webpki_cause(err: &webpki::Error) -> String {
    use webpki::Error::*;
    match err {
        CaUsedAsEndEntity => ca_as_end_entity(),
        UnsupportedCertVersion => {
            "the broker's certificate has an X.509 version moth cannot read; make it again as X.509 v3".into()
        }
        EndEntityUsedAsCa => {
            "the broker's chain uses a certificate that is not a CA (no CA:TRUE) as a CA; fix the chain in the broker's certfile".into()
        }
        PathLenConstraintViolated | NameConstraintViolation => {
            "the broker's certificate is outside what its CA may sign (path length or name constraints); ask whoever runs that CA".into()
        }
        MaximumPathDepthExceeded | MaximumPathBuildCallsExceeded | MaximumSignatureChecksExceeded => chain_too_long(),
        UnsupportedCriticalExtension => certificate_cause(&CertificateError::UnhandledCriticalExtension),
        _ => "the broker's certificate is malformed; check it with `openssl x509 -text -noout -in CERTFILE`".into(),
    }
}

/// rustls lists presented names as `DnsName("a.example")` or `IpAddress(10.0.0.1)`.
fn plain_name(presented: &str) -> &str {
    let inner = presented
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(presented);
    inner.trim_matches('"')
}

fn alert_cause(alert: AlertDescription) -> String {
    match alert {
        AlertDescription::CertificateRequired => {
            "the broker wants a client certificate: pass --cert and --key".into()
        }
        // TLS 1.2 has no alert for a missing client certificate: mosquitto says handshake_failure.
        AlertDescription::HandshakeFailure
            if super::tls::CLIENT_CERT_MISSING.load(std::sync::atomic::Ordering::Relaxed) =>
        {
            "the broker wants a client certificate: pass --cert and --key".into()
        }
        AlertDescription::HandshakeFailure | AlertDescription::InsufficientSecurity => {
            "the broker refused the TLS handshake: it shares no cipher suite or key exchange with moth; check the ciphers setting of its listener".into()
        }
        AlertDescription::UnknownCA => {
            "the broker rejected the client certificate (--cert): it is not signed by a CA the broker trusts".into()
        }
        AlertDescription::BadCertificate
        | AlertDescription::UnsupportedCertificate
        | AlertDescription::CertificateUnknown => {
            "the broker rejected the client certificate (--cert); its log says why (wrong CA, key usage or name)".into()
        }
        AlertDescription::CertificateExpired => {
            "the broker rejected the client certificate (--cert): it has expired or is not valid yet; renew it".into()
        }
        AlertDescription::CertificateRevoked => {
            "the broker rejected the client certificate (--cert): it has been revoked".into()
        }
        AlertDescription::AccessDenied => {
            "the broker denied access to this client certificate (--cert)".into()
        }
        AlertDescription::ProtocolVersion => {
            "the broker does not accept the TLS version offered; change or drop --tls-version".into()
        }
        AlertDescription::NoApplicationProtocol => {
            "the broker accepted none of the ALPN protocols offered (--tls-alpn)".into()
        }
        AlertDescription::DecryptError => {
            "the broker could not verify the client certificate's signature: does --key belong to --cert?".into()
        }
        AlertDescription::UnrecognisedName => {
            "the broker does not serve the host name given (-h); connect by the name its certificate is for".into()
        }
        other => format!(
            "the broker ended the TLS handshake (alert {}); its log says why",
            u8::from(other)
        ),
    }
}

/// A certificate time as a calendar date (UTC), without a date crate.
fn date(time: UnixTime) -> String {
    i64::try_from(time.as_secs())
        .ok()
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .map(|at| at.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "a date out of range".into())
}

/// CONNACK refusal in words: MQTT 3.1.1 codes 1-5, MQTT 5 reason codes from 128.
pub(super) fn connack_reason(code: u8) -> &'static str {
    match code {
        1 => "unacceptable protocol version",
        2 => "client identifier rejected",
        3 => "server unavailable",
        4 => "bad user name or password",
        5 => "not authorized",
        _ => reason(code),
    }
}

/// An MQTT 5 reason code in words (one table serves CONNACK, PUBACK, SUBACK, DISCONNECT ...).
pub(super) fn reason(code: u8) -> &'static str {
    match code {
        0x10 => "no matching subscribers",
        0x11 => "no subscription existed",
        0x80 => "unspecified error",
        0x81 => "malformed packet",
        0x82 => "protocol error",
        0x83 => "implementation specific error",
        0x84 => "unsupported protocol version",
        0x85 => "client identifier not valid",
        0x86 => "bad user name or password",
        0x87 => "not authorized",
        0x88 => "server unavailable",
        0x89 => "server busy",
        0x8A => "banned",
        0x8B => "server shutting down",
        0x8C => "bad authentication method",
        0x8D => "keep-alive timeout",
        0x8E => "session taken over by another client with the same id",
        0x8F => "topic filter invalid",
        0x90 => "topic name invalid",
        0x91 => "packet identifier in use",
        0x92 => "packet identifier not found",
        0x93 => "receive maximum exceeded",
        0x94 => "topic alias invalid",
        0x95 => "packet too large",
        0x96 => "message rate too high",
        0x97 => "quota exceeded",
        0x98 => "administrative action",
        0x99 => "payload format invalid",
        0x9A => "retain not supported",
        0x9B => "QoS not supported",
        0x9C => "use another server",
        0x9D => "server moved",
        0x9E => "shared subscriptions not supported",
        0x9F => "connection rate exceeded",
        0xA0 => "maximum connect time",
        0xA1 => "subscription identifiers not supported",
        0xA2 => "wildcard subscriptions not supported",
        _ => "unknown reason",
    }
}

pub(super) fn refused(code: u8) -> crate::exit::Failure {
    let hint = match code {
        4 | 134 => "; check -u and -P",
        5 | 135 => "; check -u and -P, and the broker's access rules",
        1 | 132 => "; try another -V",
        2 | 133 => "; try another -i",
        _ => "",
    };
    crate::exit::Failure::new(
        code,
        format!(
            "the broker refused the connection: {} (code {code}){hint}",
            connack_reason(code)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            date(UnixTime::since_unix_epoch(std::time::Duration::ZERO)),
            "1970-01-01"
        );
        assert_eq!(
            date(UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                1_795_000_000
            ))),
            "2026-11-18"
        );
    }

    #[test]
    fn presented_names_lose_their_wrapping() {
        assert_eq!(plain_name("DnsName(\"a.example\")"), "a.example");
        assert_eq!(plain_name("IpAddress(10.0.0.1)"), "10.0.0.1");
        assert_eq!(plain_name("plain"), "plain");
    }

    #[test]
    fn tls_errors_inside_io_errors_are_found() {
        let inner = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let io = io::Error::new(io::ErrorKind::InvalidData, inner);
        assert!(cause(&io).contains("unknown issuer"), "{}", cause(&io));
    }
}
