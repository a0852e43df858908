//! What OpenSSL's X509_verify_cert checks for a TLS server (the sslserver purpose) beyond what
//! webpki checks, one certificate and role at a time. moth refuses every chain OpenSSL refuses:
//! webpki covers signatures, dates, basic and name constraints and extended key usage along the
//! chain it builds; these cover the rest (the root itself, how a certificate is written, key
//! usage, Netscape certificate types, the key identifiers that link a chain), and everything
//! where webpki cannot look: X.509 v1 and CA:TRUE server certificates, and pinned ones. Names
//! under a CA's constraints are constraints.rs's.

use std::time::Duration;

use rustls::pki_types::UnixTime;
use x509_parser::extensions::ParsedExtension;

use super::cert::Cert;
use super::der;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NotYetValid(UnixTime),
    Expired(UnixTime),
    /// A critical extension the verifier does not process: its name and OID.
    UnknownCriticalExtension(String),
    /// An extension OpenSSL processes that cannot be parsed.
    MalformedExtension(String),
    /// Written in a way OpenSSL refuses to read: what is wrong.
    BadLayout(&'static str),
    /// A proxy certificate (RFC 3820), which OpenSSL refuses unless told to allow them.
    ProxyCertificate,
    /// Its authorityKeyIdentifier names another key or certificate than `issuer`'s.
    OtherIssuerKey {
        issuer: String,
    },
    /// extendedKeyUsage without serverAuth: the purposes it allows.
    NotForServers(Vec<String>),
    /// keyUsage without digitalSignature, keyEncipherment or keyAgreement: what it allows.
    KeyUsageUnfit(Vec<String>),
    /// nsCertType without "SSL server": what it allows.
    NetscapeTypeUnfit(Vec<String>),
    /// Used as a CA, but CA:FALSE (`ca_false`), or nothing in it says it may be one.
    NotACa {
        ca_false: bool,
    },
    /// An X.509 v1 certificate used as an intermediate CA: nothing in it can say it may sign.
    V1Intermediate,
    /// A CA whose keyUsage lacks keyCertSign: what it allows.
    MayNotSign(Vec<String>),
    /// basicConstraints allows `limit` CAs below this one; the chain has `below`.
    PathLength {
        limit: u32,
        below: usize,
    },
    /// `name` lies outside the names `ca` may vouch for.
    NameOutside {
        name: String,
        ca: String,
        permitted: Vec<String>,
        excluded: Vec<String>,
    },
    /// `ca` constrains names of a kind moth does not compare, and the certificate has such a name.
    ConstraintUnchecked {
        ca: String,
        kind: &'static str,
    },
    /// The certificate has a name OpenSSL cannot compare with `ca`'s constraints: what it is.
    NameUnreadable {
        ca: String,
        name: &'static str,
    },
    /// `ca`'s name constraints give a minimum or maximum, which OpenSSL refuses.
    ConstraintMinMax {
        ca: String,
    },
}

impl Problem {
    /// A problem of the server certificate's names under a CA's constraints, found while
    /// looking at that CA.
    pub fn of_names(&self) -> bool {
        matches!(
            self,
            Problem::NameOutside { .. }
                | Problem::NameUnreadable { .. }
                | Problem::ConstraintUnchecked { .. }
        )
    }
}

/// Whose list of understood extensions applies: a certificate with any other extension marked
/// critical is refused by that verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    OpenSsl,
    Webpki,
}

/// OpenSSL 3's X509_supported_extension, by OID.
const OPENSSL_KNOWN: &[&str] = &[
    "2.16.840.1.113730.1.1", // nsCertType
    "2.5.29.15",             // keyUsage
    "2.5.29.17",             // subjectAltName
    "2.5.29.19",             // basicConstraints
    "2.5.29.32",             // certificatePolicies
    "2.5.29.31",             // cRLDistributionPoints
    "2.5.29.37",             // extendedKeyUsage
    "1.3.6.1.5.5.7.1.7",     // sbgp-ipAddrBlock
    "1.3.6.1.5.5.7.1.8",     // sbgp-autonomousSysNum
    "1.3.6.1.5.5.7.48.1.5",  // OCSP noCheck
    "2.5.29.36",             // policyConstraints
    "2.5.29.30",             // nameConstraints
    "2.5.29.33",             // policyMappings
    "2.5.29.54",             // inhibitAnyPolicy
];

/// What webpki processes (cert.rs there): keyUsage, subjectAltName, basicConstraints,
/// nameConstraints, cRLDistributionPoints, extendedKeyUsage.
const WEBPKI_KNOWN: &[&str] = &[
    "2.5.29.15",
    "2.5.29.17",
    "2.5.29.19",
    "2.5.29.30",
    "2.5.29.31",
    "2.5.29.37",
];

/// OpenSSL's own checks on every extension it decodes: these must parse, or the certificate
/// is refused, whatever their criticality. (SKID and AKID are not in the list above, which only
/// says which critical extensions are understood.)
const OPENSSL_DECODES: &[&str] = &["2.5.29.14", "2.5.29.35", PROXY_CERT_INFO];

const PROXY_CERT_INFO: &str = "1.3.6.1.5.5.7.1.14";
const CRL_DISTRIBUTION_POINTS: &str = "2.5.29.31";
const KEY_USAGE: &str = "2.5.29.15";
const NS_CERT_TYPE: &str = "2.16.840.1.113730.1.1";

pub fn dates(cert: &Cert<'_>, now: UnixTime) -> Result<(), Problem> {
    let layout = der::layout(cert.der).ok_or(Problem::BadLayout("it cannot be read"))?;
    if !layout
        .validity
        .iter()
        .all(|(tag, time)| time_as_openssl_reads(*tag, time))
    {
        return Err(Problem::BadLayout(
            "its validity dates are not written as YYMMDDHHMMSSZ (UTCTime) or YYYYMMDDHHMMSSZ (GeneralizedTime)",
        ));
    }
    let at = |t: i64| UnixTime::since_unix_epoch(Duration::from_secs(t.max(0) as u64));
    let not_before = cert.x509.validity().not_before.timestamp();
    let not_after = cert.x509.validity().not_after.timestamp();
    let now_secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    if now_secs < not_before {
        return Err(Problem::NotYetValid(at(not_before)));
    }
    if now_secs > not_after {
        return Err(Problem::Expired(at(not_after)));
    }
    Ok(())
}

/// OpenSSL's X509_cmp_time takes only these: 13 bytes of UTCTime or 15 of GeneralizedTime,
/// digits ending in Z.
fn time_as_openssl_reads(tag: u8, time: &[u8]) -> bool {
    let digits = match tag {
        0x17 => 12,
        0x18 => 14,
        _ => return false,
    };
    time.len() == digits + 1
        && time[..digits].iter().all(u8::is_ascii_digit)
        && time[digits] == b'Z'
}

/// OpenSSL's X509_verify: the algorithm the issuer signed with is named the same, byte for
/// byte, inside and outside the signed part.
pub fn signed_consistently(cert: &Cert<'_>) -> Result<(), Problem> {
    match der::layout(cert.der) {
        Some(layout) if layout.inner_algorithm == layout.outer_algorithm => Ok(()),
        Some(_) => Err(Problem::BadLayout(
            "its signed part and its signature name different signature algorithms",
        )),
        None => Err(Problem::BadLayout("it cannot be read")),
    }
}

/// Every critical extension must be one `reader` processes, every extension OpenSSL decodes
/// must parse as OpenSSL parses it, and no proxy certificate is taken.
pub fn extensions(cert: &Cert<'_>, reader: Reader) -> Result<(), Problem> {
    for ext in cert.x509.extensions() {
        let oid = ext.oid.to_id_string();
        if oid == PROXY_CERT_INFO {
            return Err(Problem::ProxyCertificate);
        }
        let openssl_knows = OPENSSL_KNOWN.contains(&oid.as_str());
        let decoded = openssl_knows || OPENSSL_DECODES.contains(&oid.as_str());
        if decoded && !parses(ext) {
            return Err(Problem::MalformedExtension(extension_name(&ext.oid)));
        }
        let known = match reader {
            Reader::OpenSsl => openssl_knows,
            Reader::Webpki => WEBPKI_KNOWN.contains(&oid.as_str()),
        };
        if ext.critical && !known {
            return Err(Problem::UnknownCriticalExtension(extension_name(&ext.oid)));
        }
    }
    if cert.key_usage_bits().is_err() {
        return Err(Problem::MalformedExtension(format!(
            "keyUsage, {KEY_USAGE}"
        )));
    }
    if cert.netscape_bits().is_err() {
        return Err(Problem::MalformedExtension(format!(
            "nsCertType, {NS_CERT_TYPE}"
        )));
    }
    Ok(())
}

/// x509-parser's reading, and OpenSSL's setup_dp: each CRL distribution point names a place or
/// the CRL's issuer.
fn parses(ext: &x509_parser::extensions::X509Extension<'_>) -> bool {
    match ext.parsed_extension() {
        ParsedExtension::ParseError { .. } => false,
        ParsedExtension::CRLDistributionPoints(points) => points.iter().all(|point| {
            point.distribution_point.is_some()
                || point
                    .crl_issuer
                    .as_ref()
                    .is_some_and(|names| !names.is_empty())
        }),
        _ => ext.oid.to_id_string() != CRL_DISTRIBUTION_POINTS,
    }
}

fn extension_name(oid: &x509_parser::der_parser::oid::Oid<'_>) -> String {
    match x509_parser::objects::oid_registry().get(oid) {
        Some(entry) => format!("{}, {}", entry.sn(), oid.to_id_string()),
        None => oid.to_id_string(),
    }
}

fn serves_tls(purposes: &[String]) -> bool {
    purposes
        .iter()
        .any(|p| p == "serverAuth" || p == "serverGatedCrypto")
}

// keyUsage and nsCertType bits as OpenSSL numbers them (x509v3.h).
const KU_DIGITAL_SIGNATURE: u16 = 0x80;
const KU_KEY_ENCIPHERMENT: u16 = 0x20;
const KU_KEY_AGREEMENT: u16 = 0x08;
const KU_KEY_CERT_SIGN: u16 = 0x04;
const NS_SSL_SERVER: u8 = 0x40;
const NS_SSL_CA: u8 = 0x04;
const NS_ANY_CA: u8 = 0x07;

/// OpenSSL's check_purpose_ssl_server for the server's own certificate.
pub fn fit_for_server(cert: &Cert<'_>) -> Result<(), Problem> {
    if let Some(purposes) = cert.purposes()
        && !serves_tls(&purposes)
    {
        return Err(Problem::NotForServers(purposes));
    }
    if let Some(types) = netscape(cert)?
        && types & NS_SSL_SERVER == 0
    {
        return Err(Problem::NetscapeTypeUnfit(netscape_names(types)));
    }
    if let Some(usage) = key_usage(cert)?
        && usage & (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT) == 0
    {
        return Err(Problem::KeyUsageUnfit(usage_names(usage)));
    }
    Ok(())
}

fn key_usage(cert: &Cert<'_>) -> Result<Option<u16>, Problem> {
    cert.key_usage_bits()
        .map_err(|()| Problem::MalformedExtension(format!("keyUsage, {KEY_USAGE}")))
}

fn netscape(cert: &Cert<'_>) -> Result<Option<u8>, Problem> {
    cert.netscape_bits()
        .map_err(|()| Problem::MalformedExtension(format!("nsCertType, {NS_CERT_TYPE}")))
}

/// OpenSSL's check_ca and check_ssl_ca: may this certificate vouch for TLS servers below it?
/// `top`: it ends the chain, where OpenSSL also takes, without basicConstraints, a self-signed
/// X.509 v1 certificate or one whose keyUsage or Netscape type makes it a CA.
pub fn fit_to_issue(cert: &Cert<'_>, top: bool) -> Result<(), Problem> {
    let usage = key_usage(cert)?;
    if let Some(usage) = usage
        && usage & KU_KEY_CERT_SIGN == 0
    {
        return Err(Problem::MayNotSign(usage_names(usage)));
    }
    let types = netscape(cert)?;
    match cert.basic_constraints() {
        Some((true, _)) => {}
        Some((false, _)) => return Err(Problem::NotACa { ca_false: true }),
        None if !top && cert.is_v1() => return Err(Problem::V1Intermediate),
        None if !top => return Err(Problem::NotACa { ca_false: false }),
        None => {
            let v1_root = cert.is_v1() && cert.self_issued();
            // check_ssl_ca: a CA only by its Netscape type must be an SSL CA by it.
            let netscape_ca = types.is_some_and(|t| t & NS_ANY_CA != 0 && t & NS_SSL_CA != 0);
            if !(v1_root || usage.is_some() || netscape_ca) {
                return Err(Problem::NotACa { ca_false: false });
            }
        }
    }
    match cert.purposes() {
        Some(purposes) if !serves_tls(&purposes) => Err(Problem::NotForServers(purposes)),
        _ => Ok(()),
    }
}

/// OpenSSL's X509_check_akid between a certificate and the CA above it on the path.
pub fn issued_by_key_of(cert: &Cert<'_>, issuer: &Cert<'_>) -> Result<(), Problem> {
    match cert.akid_allows(issuer) {
        true => Ok(()),
        false => Err(Problem::OtherIssuerKey {
            issuer: issuer.subject(),
        }),
    }
}

/// basicConstraints' pathlen against the CAs below (`below`, self-issued ones not counted).
pub fn path_length(cert: &Cert<'_>, below: usize) -> Result<(), Problem> {
    match cert.basic_constraints() {
        Some((_, Some(limit))) if below > limit as usize => {
            Err(Problem::PathLength { limit, below })
        }
        _ => Ok(()),
    }
}

fn usage_names(usage: u16) -> Vec<String> {
    [
        (0x80, "digitalSignature"),
        (0x40, "nonRepudiation"),
        (0x20, "keyEncipherment"),
        (0x10, "dataEncipherment"),
        (0x08, "keyAgreement"),
        (0x04, "keyCertSign"),
        (0x02, "cRLSign"),
        (0x01, "encipherOnly"),
        (0x8000, "decipherOnly"),
    ]
    .iter()
    .filter(|(bit, _)| usage & bit != 0)
    .map(|(_, name)| name.to_string())
    .collect()
}

fn netscape_names(types: u8) -> Vec<String> {
    [
        (0x80, "client"),
        (0x40, "server"),
        (0x20, "email"),
        (0x10, "objsign"),
        (0x04, "sslCA"),
        (0x02, "emailCA"),
        (0x01, "objCA"),
    ]
    .iter()
    .filter(|(bit, _)| types & bit != 0)
    .map(|(_, name)| name.to_string())
    .collect()
}
