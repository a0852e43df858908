//! TLS failures in words: what is wrong, with which certificate, and what to do about it. A
//! refusal worded here travels inside rustls's error (`refusal`), so that the walk down an error
//! chain (describe.rs) finds it wherever the transport wraps it. No sentence ever advises trusting
//! what the broker presented.

use std::error::Error as StdError;
use std::sync::atomic::Ordering;

use rustls::pki_types::UnixTime;
use rustls::{AlertDescription, CertificateError};

use super::client_cert::CLIENT_CERT_MISSING;
use super::rules::Problem;
use super::trust::Origin;

/// A certificate, as a sentence names it.
pub enum Who {
    Leaf,
    Intermediate(String),
    Root { name: String, origin: Origin },
}

impl Who {
    fn text(&self) -> String {
        match self {
            Who::Leaf => "the broker's certificate".into(),
            Who::Intermediate(name) => {
                format!("the intermediate CA certificate {name} in the broker's chain")
            }
            Who::Root { name, origin } => format!("the certificate {name} {}", origin.source()),
        }
    }

    /// What fixes a certificate of this kind.
    fn remake(&self) -> &'static str {
        match self {
            Who::Leaf => "the broker needs a new certificate",
            Who::Intermediate(_) | Who::Root { .. } => "that CA must be made again",
        }
    }
}

/// A certificate refusal worded by moth. It rides in rustls's error as `Other`.
#[derive(Debug)]
pub struct Refusal(String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Refusal {}

pub fn refusal(sentence: String) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(
        std::sync::Arc::new(Refusal(sentence)),
    )))
}

fn list(names: &[String]) -> String {
    match names {
        [] => "nothing".into(),
        names => names.join(", "),
    }
}

pub fn problem(who: &Who, problem: &Problem) -> String {
    let it = who.text();
    match problem {
        Problem::NotYetValid(at) => match who {
            Who::Leaf => format!(
                "{it} is not valid until {}; check this machine's clock, or give the broker a certificate valid now",
                date(*at)
            ),
            _ => format!(
                "{it} is not valid until {}; check this machine's clock",
                date(*at)
            ),
        },
        Problem::Expired(at) => match who {
            Who::Leaf => format!(
                "{it} expired on {}; the broker needs a new certificate (or this machine's clock is wrong)",
                date(*at)
            ),
            Who::Intermediate(_) => format!(
                "{it} expired on {}; the broker needs a chain with a current intermediate (or this machine's clock is wrong)",
                date(*at)
            ),
            Who::Root { .. } => format!(
                "{it} expired on {}, so it vouches for nothing now; use a current copy of that CA (or check this machine's clock)",
                date(*at)
            ),
        },
        Problem::UnknownCriticalExtension(ext) => format!(
            "{it} has a critical extension moth does not process ({ext}), so it cannot be trusted; {} without it",
            who.remake()
        ),
        Problem::MalformedExtension(ext) => {
            format!("{it} has a malformed {ext} extension; {}", who.remake())
        }
        Problem::NotForServers(purposes) => match who {
            Who::Leaf => format!(
                "{it} is not meant for TLS servers: its extended key usage allows {}, not serverAuth; make it again with extendedKeyUsage = serverAuth",
                list(purposes)
            ),
            _ => format!(
                "{it} may only vouch for {}, not for TLS servers (its extended key usage lacks serverAuth); the broker needs a chain whose CAs allow serverAuth",
                list(purposes)
            ),
        },
        Problem::KeyUsageUnfit(usages) => format!(
            "{it} is not meant for TLS servers: its key usage allows {}, and a server's key needs digitalSignature or keyEncipherment; make it again with keyUsage = digitalSignature, keyEncipherment",
            list(usages)
        ),
        Problem::NetscapeTypeUnfit(types) => format!(
            "{it} is not meant for TLS servers: its Netscape certificate type is {}, not server; make it again with nsCertType = server, or without nsCertType",
            list(types)
        ),
        Problem::NotACa { ca_false: true } => match who {
            Who::Root { .. } => format!(
                "{it} is not a CA (CA:FALSE), so it cannot vouch for other certificates; pass the CA that issued the broker's certificate with --cafile"
            ),
            _ => format!(
                "{it} is used as a CA, but it is not one (CA:FALSE); the broker's certfile must hold the real chain"
            ),
        },
        Problem::NotACa { ca_false: false } => match who {
            Who::Intermediate(_) => format!(
                "{it} does not say it is a CA: an intermediate needs basicConstraints CA:TRUE, so it cannot vouch for other certificates; that CA must be made again with `-extensions v3_ca`"
            ),
            _ => format!(
                "{it} does not say it is a CA (it has neither basicConstraints CA:TRUE nor keyUsage keyCertSign), so it cannot vouch for other certificates; {} with `-extensions v3_ca`",
                who.remake()
            ),
        },
        Problem::V1Intermediate => format!(
            "{it} is an X.509 v1 certificate, and a v1 certificate cannot say it may sign, so it cannot be an intermediate CA; make it again with `-extensions v3_ca`"
        ),
        Problem::MayNotSign(usages) => format!(
            "{it} may not sign certificates: its key usage allows {}, not keyCertSign; {} with keyUsage = keyCertSign, cRLSign",
            list(usages),
            who.remake()
        ),
        Problem::PathLength { limit, below } => format!(
            "{it} allows {limit} intermediate CA(s) below it (pathlen:{limit}), but the broker's chain has {below}; the broker needs a chain that CA allows"
        ),
        Problem::NameOutside {
            name,
            ca,
            permitted,
            excluded,
        } => {
            let mut limits = Vec::new();
            if !permitted.is_empty() {
                limits.push(format!("permitted: {}", permitted.join(", ")));
            }
            if !excluded.is_empty() {
                limits.push(format!("excluded: {}", excluded.join(", ")));
            }
            format!(
                "the broker's certificate is for {name}, a name the CA {ca} may not vouch for ({}); the broker needs a certificate for a name that CA allows",
                limits.join("; ")
            )
        }
        Problem::ConstraintUnchecked { ca, kind } => format!(
            "the CA {ca} limits the {kind} names it may vouch for, and moth does not check names of that kind, so it refuses {it} rather than trust it unchecked"
        ),
        Problem::NameUnreadable { ca, name } => format!(
            "{it} has {name}, which cannot be checked against the names the CA {ca} may vouch for (OpenSSL refuses it too); {} without it",
            who.remake()
        ),
        Problem::ConstraintMinMax { ca } => format!(
            "the CA {ca} gives a minimum or maximum in its name constraints, which OpenSSL refuses and moth does not read; that CA must be made again without them"
        ),
        Problem::BadLayout(what) => format!(
            "{it} is malformed: {what} (OpenSSL refuses it too); {}",
            who.remake()
        ),
        Problem::ProxyCertificate => format!(
            "{it} is a proxy certificate (it has a proxyCertInfo extension), which OpenSSL refuses for TLS; {} without it",
            who.remake()
        ),
        Problem::OtherIssuerKey { issuer } => format!(
            "{it} says it was issued by another key or certificate than that of {issuer} (its authorityKeyIdentifier does not match), so that CA does not vouch for it; pass the CA certificate that issued it with --cafile"
        ),
    }
}

pub fn unknown_issuer(issuer: &str) -> String {
    format!(
        "the broker's certificate is issued by {issuer}, which is not a trusted CA (unknown issuer); pass that CA's certificate with --cafile"
    )
}

pub fn bad_signature(issuer: &str) -> String {
    format!(
        "the broker's certificate names {issuer} as its issuer, but that CA's key did not sign it (bad signature; was the CA made again?); pass the CA that signed it with --cafile"
    )
}

/// A self-signed certificate that is not one moth was told to trust: someone else's, perhaps an
/// interceptor's, so never "trust it".
pub fn self_signed_untrusted(name: &str, cas_given: bool) -> String {
    if cas_given {
        format!(
            "the broker's certificate ({name}) is self-signed and is not a certificate given with --cafile or --capath, so nothing vouches for it; if the broker's certificate did not change, something may be intercepting the connection"
        )
    } else {
        format!(
            "the broker's certificate ({name}) is self-signed, and no CA in the operating system's trust store vouches for it; get the broker's CA (or its certificate) from whoever runs the broker and pass it with --cafile"
        )
    }
}

/// The broker's self-signed certificate shares its subject with one given, but is another.
pub fn impostor(name: &str, origin: Origin) -> String {
    format!(
        "the broker's certificate bears the subject of the certificate {name} {}, but is not that certificate (another key signed it); if the broker's certificate did not change, something may be intercepting the connection",
        origin.source()
    )
}

pub fn weak_key(who: &Who, bits: usize) -> String {
    format!(
        "{} has a {bits}-bit RSA key, which rustls refuses as too weak (it needs 2048 bits or more); {} with a larger key",
        who.text(),
        who.remake()
    )
}

pub fn unsupported_algorithm(who: &Who) -> String {
    format!(
        "{} is signed with an algorithm rustls refuses (such as SHA-1); {}, signed with SHA-256",
        who.text(),
        who.remake()
    )
}

pub fn chain_too_long() -> String {
    "the broker's certificate chain is too long to verify; pass the CA that signed the broker's certificate with --cafile".into()
}

/// A chain that ends at a certificate given that is not self-signed: OpenSSL needs its issuer.
pub fn not_a_root(name: &str, origin: Origin, issuer: &str) -> String {
    format!(
        "the broker's chain ends at {name} {}, which is not a root CA (it is issued by {issuer}); moth, like OpenSSL, needs the root too: add {issuer}'s certificate to --cafile",
        origin.source()
    )
}

pub fn pinned_not_self_signed(origin: Origin, issuer: &str) -> String {
    format!(
        "the broker's certificate is the one {}, but it is not self-signed (it is issued by {issuer}), so it cannot be trusted on its own; add {issuer}'s certificate to --cafile",
        origin.source()
    )
}

/// A v1 or CA:TRUE server certificate whose issuer is not a root given with --cafile/--capath.
/// `root`: the issuer is self-signed, so passing it would do.
pub fn not_direct(kind: &str, issuer: &str, root: bool) -> String {
    let fix = match kind {
        "an X.509 v1" => {
            "make the certificate again as X.509 v3 with a subjectAltName (`-extfile` with subjectAltName = DNS:HOST)"
        }
        _ => "give the broker a certificate with CA:FALSE",
    };
    match root {
        true => format!(
            "the broker's certificate is {kind} certificate issued by {issuer}, and moth checks such a certificate only against the root CA that signed it, given with --cafile or --capath; pass that root with --cafile, or {fix}"
        ),
        false => format!(
            "the broker's certificate is {kind} certificate issued by {issuer}, which is not a root CA, and moth checks such a certificate only when a root CA given with --cafile or --capath signed it directly; {fix}"
        ),
    }
}

pub fn handshake_key_mismatch() -> String {
    "the broker's TLS handshake signature does not verify with the key in its certificate: the broker's keyfile does not belong to its certfile (or something is impersonating the broker)".into()
}

pub fn handshake_key_kind(signed_with: &str, holds: &str) -> String {
    format!(
        "the broker signed the TLS handshake with {signed_with} key, but its certificate holds {holds} key: the broker's keyfile does not belong to its certfile (or something is impersonating the broker)"
    )
}

/// Any rustls error, in words.
pub fn error(err: &rustls::Error) -> String {
    match err {
        rustls::Error::InvalidCertificate(cert) => certificate(cert),
        rustls::Error::AlertReceived(alert) => alert_received(*alert),
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

const NAME_FIX: &str = "connect by a name it lists";

fn certificate(err: &CertificateError) -> String {
    match err {
        CertificateError::Other(other) => match other.0.downcast_ref::<Refusal>() {
            Some(refusal) => refusal.to_string(),
            None => "the broker's certificate was rejected; check it with `openssl x509 -text -noout -in CERTFILE`".into(),
        },
        CertificateError::UnknownIssuer => {
            "the broker's certificate is not signed by a trusted CA (unknown issuer); pass its CA with --cafile".into()
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!("the broker's certificate does not match the host name; {NAME_FIX}")
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "the broker's certificate has expired; the broker needs a new certificate (or this machine's clock is wrong)".into()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "the broker's certificate is not valid yet; check this machine's clock".into()
        }
        CertificateError::BadEncoding => {
            "the broker sent a certificate that cannot be parsed; check the certfile of its listener".into()
        }
        CertificateError::Revoked => "the broker's certificate has been revoked".into(),
        CertificateError::BadSignature => handshake_key_mismatch(),
        _ => "the broker's certificate was rejected; check it with `openssl x509 -text -noout -in CERTFILE`".into(),
    }
}

/// webpki's refusal, when nothing more telling was found in the chain.
pub fn webpki(err: &webpki::Error) -> String {
    use webpki::Error::*;
    match err {
        UnknownIssuer => certificate(&CertificateError::UnknownIssuer),
        CertExpired { .. } => certificate(&CertificateError::Expired),
        CertNotValidYet { .. } => certificate(&CertificateError::NotValidYet),
        EndEntityUsedAsCa => {
            "the broker's chain uses a certificate that is not a CA (no CA:TRUE) as a CA; fix the chain in the broker's certfile".into()
        }
        PathLenConstraintViolated | NameConstraintViolation => {
            "the broker's certificate is outside what its CA may sign (path length or name constraints); ask whoever runs that CA".into()
        }
        MaximumPathDepthExceeded | MaximumPathBuildCallsExceeded | MaximumSignatureChecksExceeded => {
            chain_too_long()
        }
        UnsupportedCriticalExtension => {
            "a certificate in the broker's chain has a critical extension moth does not process, so it cannot be trusted".into()
        }
        RequiredEkuNotFoundContext(_) => {
            "a certificate in the broker's chain is not meant for TLS servers (its extended key usage lacks serverAuth)".into()
        }
        _ => "the broker's certificate is malformed; check it with `openssl x509 -text -noout -in CERTFILE`".into(),
    }
}

fn alert_received(alert: AlertDescription) -> String {
    const WANTS_CERT: &str = "the broker wants a client certificate: pass --cert and --key";
    match alert {
        AlertDescription::CertificateRequired => WANTS_CERT.into(),
        // TLS 1.2 has no alert for a missing client certificate: mosquitto says handshake_failure.
        AlertDescription::HandshakeFailure if CLIENT_CERT_MISSING.load(Ordering::Relaxed) => {
            WANTS_CERT.into()
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

/// A certificate time as a calendar date (UTC).
pub fn date(time: UnixTime) -> String {
    i64::try_from(time.as_secs())
        .ok()
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .map(|at| at.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "a date out of range".into())
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
    fn purposes_are_named() {
        let sentence = problem(
            &Who::Intermediate("CN=Mail CA".into()),
            &Problem::NotForServers(vec!["emailProtection".into()]),
        );
        assert_eq!(
            sentence,
            "the intermediate CA certificate CN=Mail CA in the broker's chain may only vouch for emailProtection, not for TLS servers (its extended key usage lacks serverAuth); the broker needs a chain whose CAs allow serverAuth"
        );
    }
}
