//! moth's own check of a broker's certificate, used only when webpki refuses one for a reason
//! OpenSSL (and so mosquitto's clients) accepts: an X.509 v1 certificate (what mosquitto-tls(7)'s
//! `openssl x509 -req` makes with OpenSSL 3), a host name only in the CN, or a self-signed
//! certificate given as --cafile. It checks what OpenSSL checks: the signatures up to a trusted CA,
//! the validity dates, the extended key usage and the host name.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use rustls::{CertificateError, Error};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use super::describe;

/// Deeper chains than this are refused, as webpki does, so a hostile chain cannot loop.
const MAX_DEPTH: usize = 8;

/// What the fallback trusts: the same anchors as webpki, plus the exact certificates given with
/// --cafile or --capath, which OpenSSL trusts as they are even when they are not CAs.
#[derive(Debug)]
pub struct Trust {
    pub anchors: Vec<TrustAnchor<'static>>,
    pub pinned: Vec<CertificateDer<'static>>,
    pub algorithms: WebPkiSupportedAlgorithms,
}

/// How the host name was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    SubjectAltName,
    CommonName,
    NotChecked,
}

/// Why the fallback accepted a certificate, for `-d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    pub v1: bool,
    pub pinned: bool,
    pub naming: Naming,
}

impl fmt::Display for Accepted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.v1 {
            write!(f, "X.509 v1 certificate, ")?;
        }
        if self.pinned {
            write!(
                f,
                "pinned (it is one of the --cafile/--capath certificates), "
            )?;
        }
        match self.naming {
            Naming::SubjectAltName => write!(f, "host name from subjectAltName"),
            Naming::CommonName => write!(f, "host name from CN"),
            Naming::NotChecked => write!(f, "host name not checked (--insecure)"),
        }
    }
}

/// True when webpki's refusal is one the fallback may overturn.
pub fn may_overturn(err: &Error, end_entity: &CertificateDer<'_>) -> bool {
    match err {
        Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => {
            // webpki never reads the CN; OpenSSL does, but only when there is no subjectAltName.
            X509Certificate::from_der(end_entity)
                .is_ok_and(|(_, cert)| matches!(cert.subject_alternative_name(), Ok(None)))
        }
        Error::InvalidCertificate(CertificateError::Other(other)) => matches!(
            other.0.downcast_ref::<webpki::Error>(),
            Some(webpki::Error::UnsupportedCertVersion | webpki::Error::CaUsedAsEndEntity)
        ),
        _ => false,
    }
}

/// Verify `end_entity` as OpenSSL would. `name` is None under --insecure.
pub fn verify(
    trust: &Trust,
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    name: Option<&ServerName<'_>>,
    now: UnixTime,
) -> Result<Accepted, Error> {
    let leaf = parse(end_entity)?;
    let pinned = trust
        .pinned
        .iter()
        .any(|p| p.as_ref() == end_entity.as_ref());
    if !pinned && leaf.is_ca() {
        return Err(describe::refusal(describe::ca_as_end_entity()));
    }
    check_dates(&leaf, now, None)?;
    check_critical_extensions(&leaf)?;
    if !pinned {
        check_chain(trust, end_entity, &leaf, intermediates, now)?;
        check_purpose(&leaf)?;
    }
    let naming = match name {
        Some(name) => check_name(&leaf, name)?,
        None => Naming::NotChecked,
    };
    Ok(Accepted {
        v1: leaf.version().0 == 0,
        pinned,
        naming,
    })
}

/// The issuer named by the topmost certificate the broker sent: the CA moth would need.
pub fn missing_issuer(
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
) -> String {
    let Ok((_, mut top)) = X509Certificate::from_der(end_entity) else {
        return "an unreadable name".into();
    };
    let parsed: Vec<X509Certificate<'_>> = intermediates
        .iter()
        .filter_map(|c| X509Certificate::from_der(c).ok().map(|(_, c)| c))
        .collect();
    for _ in 0..parsed.len() {
        let issued_by = |c: &&X509Certificate<'_>| {
            c.subject().as_raw() == top.issuer().as_raw()
                && c.subject().as_raw() != c.issuer().as_raw()
        };
        match parsed.iter().find(issued_by) {
            Some(next) => top = next.clone(),
            None => break,
        }
    }
    name_text(top.issuer())
}

pub fn name_text(name: &X509Name<'_>) -> String {
    match name.to_string_with_registry(x509_parser::objects::oid_registry()) {
        Ok(text) if !text.is_empty() => text,
        _ => "an unreadable name".into(),
    }
}

fn parse<'a>(der: &'a CertificateDer<'_>) -> Result<X509Certificate<'a>, Error> {
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Ok(cert),
        _ => Err(Error::InvalidCertificate(CertificateError::BadEncoding)),
    }
}

/// `ca` names the CA certificate when the dates checked are not the broker's own certificate's.
fn check_dates(cert: &X509Certificate<'_>, now: UnixTime, ca: Option<&str>) -> Result<(), Error> {
    let secs = |t: i64| UnixTime::since_unix_epoch(Duration::from_secs(t.max(0) as u64));
    let not_before = cert.validity().not_before.timestamp();
    let not_after = cert.validity().not_after.timestamp();
    let now_secs = now.as_secs() as i64;
    let problem = if now_secs < not_before {
        CertificateError::NotValidYetContext {
            time: now,
            not_before: secs(not_before),
        }
    } else if now_secs > not_after {
        CertificateError::ExpiredContext {
            time: now,
            not_after: secs(not_after),
        }
    } else {
        return Ok(());
    };
    Err(match ca {
        None => Error::InvalidCertificate(problem),
        Some(ca) => describe::refusal(describe::ca_dates(ca, &problem)),
    })
}

fn check_critical_extensions(cert: &X509Certificate<'_>) -> Result<(), Error> {
    let unknown = cert.extensions().iter().any(|ext| {
        ext.critical
            && matches!(
                ext.parsed_extension(),
                ParsedExtension::UnsupportedExtension { .. } | ParsedExtension::ParseError { .. }
            )
    });
    match unknown {
        true => Err(Error::InvalidCertificate(
            CertificateError::UnhandledCriticalExtension,
        )),
        false => Ok(()),
    }
}

fn check_chain(
    trust: &Trust,
    end_entity: &[u8],
    leaf: &X509Certificate<'_>,
    intermediates: &[CertificateDer<'_>],
    now: UnixTime,
) -> Result<(), Error> {
    let presented: Vec<Option<X509Certificate<'_>>> = intermediates
        .iter()
        .map(|der| X509Certificate::from_der(der).ok().map(|(_, c)| c))
        .collect();
    let mut used = vec![false; presented.len()];
    let mut current_der = end_entity;
    let mut current = leaf.clone();
    for _ in 0..MAX_DEPTH {
        let issuer = der::contents(current.issuer().as_raw()).unwrap_or_default();
        let mut wrong_key = false;
        let mut unsupported = false;
        for anchor in &trust.anchors {
            if anchor.subject.as_ref() != issuer {
                continue;
            }
            match signed_by(
                current_der,
                &anchor.subject_public_key_info,
                &trust.algorithms,
            ) {
                Signature::Valid => return Ok(()),
                Signature::Invalid => wrong_key = true,
                Signature::Unsupported => unsupported = true,
            }
        }
        let mut next = None;
        for (i, candidate) in presented.iter().enumerate() {
            let Some(candidate) = candidate else { continue };
            if used[i] || candidate.subject().as_raw() != current.issuer().as_raw() {
                continue;
            }
            let spki = der::contents(candidate.public_key().raw).unwrap_or_default();
            match signed_by(current_der, spki, &trust.algorithms) {
                Signature::Valid => {
                    next = Some((i, candidate.clone()));
                    break;
                }
                Signature::Invalid => wrong_key = true,
                Signature::Unsupported => unsupported = true,
            }
        }
        let Some((i, ca)) = next else {
            let issuer = name_text(current.issuer());
            return Err(describe::refusal(if wrong_key {
                describe::bad_signature(&issuer)
            } else if unsupported {
                describe::unsupported_signature_algorithm()
            } else {
                describe::unknown_issuer(&issuer)
            }));
        };
        used[i] = true;
        let ca_name = name_text(ca.subject());
        // A v1 certificate has no basicConstraints: OpenSSL trusts one as a root, never as an
        // intermediate, since nothing says it may sign.
        if ca.version().0 == 0 {
            return Err(describe::refusal(describe::v1_intermediate(&ca_name)));
        }
        if !ca.is_ca() {
            return Err(describe::refusal(describe::not_a_ca(&ca_name)));
        }
        check_dates(&ca, now, Some(&ca_name))?;
        current_der = intermediates[i].as_ref();
        current = ca;
    }
    Err(describe::refusal(describe::chain_too_long()))
}

enum Signature {
    Valid,
    Invalid,
    Unsupported,
}

/// Check `cert`'s signature with the issuer's key (`spki`: the SubjectPublicKeyInfo's contents),
/// using the same algorithms, and so the same refusals (no SHA-1, no small RSA keys), as webpki.
fn signed_by(cert: &[u8], spki: &[u8], algorithms: &WebPkiSupportedAlgorithms) -> Signature {
    let (Some(signed), Some((key_alg, key))) = (der::signed(cert), der::spki(spki)) else {
        return Signature::Invalid;
    };
    let mut result = Signature::Unsupported;
    for alg in algorithms.all {
        if alg.signature_alg_id().as_ref() != signed.algorithm
            || alg.public_key_alg_id().as_ref() != key_alg
        {
            continue;
        }
        if alg
            .verify_signature(key, signed.data, signed.signature)
            .is_ok()
        {
            return Signature::Valid;
        }
        result = Signature::Invalid;
    }
    result
}

fn check_purpose(leaf: &X509Certificate<'_>) -> Result<(), Error> {
    let eku = match leaf.extended_key_usage() {
        Ok(Some(eku)) => eku.value,
        Ok(None) => return Ok(()),
        Err(_) => return Err(Error::InvalidCertificate(CertificateError::BadEncoding)),
    };
    if eku.server_auth || eku.any {
        return Ok(());
    }
    let mut allowed: Vec<String> = [
        (eku.client_auth, "clientAuth"),
        (eku.code_signing, "codeSigning"),
        (eku.email_protection, "emailProtection"),
        (eku.time_stamping, "timeStamping"),
        (eku.ocsp_signing, "OCSPSigning"),
    ]
    .iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| name.to_string())
    .collect();
    allowed.extend(eku.other.iter().map(|oid| oid.to_id_string()));
    Err(describe::refusal(describe::wrong_purpose(&allowed)))
}

fn check_name(leaf: &X509Certificate<'_>, name: &ServerName<'_>) -> Result<Naming, Error> {
    let san = leaf
        .subject_alternative_name()
        .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))?;
    let (presented, naming): (Vec<Presented<'_>>, Naming) = match san {
        Some(san) => (
            san.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    GeneralName::DNSName(dns) => Some(Presented::Dns(dns)),
                    GeneralName::IPAddress(bytes) => ip_from(bytes).map(Presented::Ip),
                    _ => None,
                })
                .collect(),
            Naming::SubjectAltName,
        ),
        // No subjectAltName: the CN, as OpenSSL and mosquitto fall back to, an IP address too.
        None => (
            leaf.subject()
                .iter_common_name()
                .filter_map(|cn| cn.as_str().ok())
                .map(|cn| match cn.parse::<IpAddr>() {
                    Ok(ip) => Presented::Ip(ip),
                    Err(_) => Presented::Dns(cn),
                })
                .collect(),
            Naming::CommonName,
        ),
    };
    let matched = presented.iter().any(|p| match (p, name) {
        (Presented::Dns(pattern), ServerName::DnsName(host)) => dns_matches(pattern, host.as_ref()),
        (Presented::Ip(ip), ServerName::IpAddress(host)) => *ip == IpAddr::from(*host),
        _ => false,
    });
    if matched {
        return Ok(naming);
    }
    Err(Error::InvalidCertificate(
        CertificateError::NotValidForNameContext {
            expected: name.to_owned(),
            presented: presented.iter().map(|p| p.to_string()).collect(),
        },
    ))
}

enum Presented<'a> {
    Dns(&'a str),
    Ip(IpAddr),
}

impl fmt::Display for Presented<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Presented::Dns(name) => write!(f, "{name}"),
            Presented::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

fn ip_from(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// Case-insensitive, with a wildcard allowed only as the whole leftmost label (RFC 6125).
fn dns_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(rest) => host.split_once('.').is_some_and(|(label, host_rest)| {
            !label.is_empty() && host_rest == rest && rest.contains('.')
        }),
        None => pattern == host,
    }
}

/// Just enough DER to find the signed bytes, the signature and a key's algorithm: webpki's own
/// parser refuses v1 certificates, and x509-parser does not keep these as raw bytes.
pub(super) mod der {
    /// (whole element, contents, rest) of the element at the start of `input`, whatever its tag.
    fn element(input: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
        // Tags here are all single-byte (SEQUENCE, BIT STRING, context tags under 31).
        let (&len0, rest) = input.get(1..)?.split_first()?;
        let (len, rest) = match len0 {
            n if n < 0x80 => (n as usize, rest),
            0x81..=0x84 => {
                let n = (len0 & 0x7f) as usize;
                if rest.len() < n {
                    return None;
                }
                let len = rest[..n]
                    .iter()
                    .fold(0usize, |acc, b| (acc << 8) | *b as usize);
                (len, &rest[n..])
            }
            _ => return None,
        };
        if rest.len() < len {
            return None;
        }
        let whole = &input[..input.len() - rest.len() + len];
        Some((whole, &rest[..len], &rest[len..]))
    }

    /// The contents of the element `input` holds (a name or SubjectPublicKeyInfo as webpki keeps
    /// them in a trust anchor).
    pub fn contents(input: &[u8]) -> Option<&[u8]> {
        element(input).map(|(_, contents, _)| contents)
    }

    pub struct Signed<'a> {
        /// The whole TBSCertificate element: what the issuer signed.
        pub data: &'a [u8],
        /// The contents of the signatureAlgorithm AlgorithmIdentifier.
        pub algorithm: &'a [u8],
        pub signature: &'a [u8],
    }

    pub fn signed(cert: &[u8]) -> Option<Signed<'_>> {
        let (_, body, _) = element(cert)?;
        let (data, _, rest) = element(body)?;
        let (_, algorithm, rest) = element(rest)?;
        let (_, bits, _) = element(rest)?;
        // A BIT STRING's first byte counts unused bits; signatures use whole bytes.
        let (&0, signature) = bits.split_first()? else {
            return None;
        };
        Some(Signed {
            data,
            algorithm,
            signature,
        })
    }

    /// (algorithm contents, key bits) of a SubjectPublicKeyInfo's contents.
    pub fn spki(contents: &[u8]) -> Option<(&[u8], &[u8])> {
        let (_, algorithm, rest) = element(contents)?;
        let (_, bits, _) = element(rest)?;
        let (&0, key) = bits.split_first()? else {
            return None;
        };
        Some((algorithm, key))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use rustls::pki_types::pem::PemObject;

    /// A self-signed X.509 v1 certificate for the CN v1.example (P-256), as
    /// `openssl x509 -req -signkey` makes it; valid from 2026-11-26 to 2036-11-23.
    pub const V1_CERT: &str = "-----BEGIN CERTIFICATE-----
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
    pub const V1_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgcQw3AG/R1OJqh89a
13FdDtc8+yCHew4gkk+8+HgxzBChRANCAATTgLOfdquCUpz8qkAF7y7VVTUpvET6
j2yC9BxJJfxUBhRa0UUcMu/jLeXpKcp4w0hwc16bw16dioLraPw3pCyl
-----END PRIVATE KEY-----
";

    fn at(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }

    /// 2030-01-01, inside the certificate's validity.
    const NOW: u64 = 1_893_456_000;

    fn trust(cert: &CertificateDer<'static>, pinned: bool) -> Trust {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert.clone()).unwrap();
        Trust {
            anchors: roots.roots,
            pinned: if pinned { vec![cert.clone()] } else { vec![] },
            algorithms: rustls::crypto::ring::default_provider().signature_verification_algorithms,
        }
    }

    #[test]
    fn a_v1_certificate_chains_to_its_anchor_and_is_named_by_its_cn() {
        let cert = CertificateDer::from_pem_slice(V1_CERT.as_bytes()).unwrap();
        let name = ServerName::try_from("V1.example").unwrap();
        for pinned in [false, true] {
            assert_eq!(
                verify(&trust(&cert, pinned), &cert, &[], Some(&name), at(NOW)),
                Ok(Accepted {
                    v1: true,
                    pinned,
                    naming: Naming::CommonName
                })
            );
        }
        let other = ServerName::try_from("other.example").unwrap();
        assert_eq!(
            verify(&trust(&cert, false), &cert, &[], Some(&other), at(NOW)),
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForNameContext {
                    expected: other.to_owned(),
                    presented: vec!["v1.example".into()],
                }
            ))
        );
        assert!(matches!(
            verify(&trust(&cert, false), &cert, &[], None, at(2_200_000_000)),
            Err(Error::InvalidCertificate(
                CertificateError::ExpiredContext { .. }
            ))
        ));
        // No anchor: the issuer is named.
        let empty = Trust {
            anchors: vec![],
            pinned: vec![],
            algorithms: rustls::crypto::ring::default_provider().signature_verification_algorithms,
        };
        let err = verify(&empty, &cert, &[], None, at(NOW)).unwrap_err();
        assert_eq!(
            crate::connect::describe::tls_cause(&err),
            describe::unknown_issuer("CN=v1.example")
        );
    }

    #[test]
    fn der_pieces_of_a_certificate() {
        let cert = CertificateDer::from_pem_slice(V1_CERT.as_bytes()).unwrap();
        let signed = der::signed(&cert).unwrap();
        // ecdsa-with-SHA256, and a DER ECDSA signature.
        assert_eq!(signed.algorithm, [6, 8, 42, 134, 72, 206, 61, 4, 3, 2]);
        assert_eq!(signed.signature[0], 0x30);
        assert_eq!(der::contents(&[0x30, 0x81, 0x01, 0xaa]), Some(&[0xaa][..]));
        assert_eq!(der::contents(&[0x30, 0x05, 0x01]), None);
        assert_eq!(der::contents(&[0x30]), None);
    }

    #[test]
    fn wildcards_cover_one_label_only() {
        assert!(dns_matches("broker.example", "BROKER.example."));
        assert!(dns_matches("*.example.com", "a.example.com"));
        assert!(!dns_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_matches("*.example.com", "example.com"));
        assert!(!dns_matches("*.com", "example.com"));
        assert!(!dns_matches("b*.example.com", "broker.example.com"));
    }

    #[test]
    fn acceptance_is_described() {
        let accepted = Accepted {
            v1: true,
            pinned: false,
            naming: Naming::CommonName,
        };
        assert_eq!(
            accepted.to_string(),
            "X.509 v1 certificate, host name from CN"
        );
    }
}
