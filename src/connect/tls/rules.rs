//! What OpenSSL's X509_verify_cert checks for a TLS server (the sslserver purpose) beyond what
//! webpki checks, one certificate and role at a time. moth refuses every chain OpenSSL refuses:
//! webpki covers signatures, dates, basic and name constraints and extended key usage along the
//! chain it builds; these cover the rest (the root itself, key usage, Netscape certificate types,
//! the CN under name constraints), and everything where webpki cannot look: X.509 v1 and CA:TRUE
//! server certificates, and pinned ones.

use std::net::IpAddr;
use std::time::Duration;

use rustls::pki_types::UnixTime;
use x509_parser::extensions::{GeneralName, GeneralSubtree, ParsedExtension};

use super::cert::{Cert, Name};
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

/// What OpenSSL's NAME_CONSTRAINTS_check and NAME_CONSTRAINTS_check_CN ask of `cert` under
/// `ca`'s constraints that webpki does not: no minimum or maximum in them; a subject
/// emailAddress written as IA5String, and none (nor an SmtpUTF8Mailbox) under email
/// constraints, as moth does not compare those; IP addresses of 4 or 16 bytes; and, for the
/// server's own certificate (`leaf`), the CN when it reads as a host name.
pub fn names_beyond_webpki(cert: &Cert<'_>, ca: &Cert<'_>, leaf: bool) -> Result<(), Problem> {
    let Some(nc) = ca.name_constraints() else {
        return Ok(());
    };
    if ca.constraints_use_min_max() {
        return Err(Problem::ConstraintMinMax { ca: ca.subject() });
    }
    let subtrees = Subtrees::of(
        nc.permitted_subtrees.as_deref(),
        nc.excluded_subtrees.as_deref(),
    );
    let unreadable = |name| {
        Err(Problem::NameUnreadable {
            ca: ca.subject(),
            name,
        })
    };
    let emails = cert.subject_emails();
    if emails.iter().any(|(_, ia5)| !ia5) {
        return unreadable("an emailAddress in its subject that is not an IA5String");
    }
    let names = cert.alt_names();
    let mailbox = names.iter().any(|n| matches!(n, Name::Mailbox(_)));
    if (mailbox || !emails.is_empty())
        && subtrees.constrains(|b| matches!(b, GeneralName::RFC822Name(_)))
    {
        return Err(Problem::ConstraintUnchecked {
            ca: ca.subject(),
            kind: "email",
        });
    }
    let has_address = names
        .iter()
        .any(|n| matches!(n, Name::Ip(_) | Name::BadAddress));
    if has_address {
        if names.contains(&Name::BadAddress)
            && subtrees.constrains(|b| matches!(b, GeneralName::IPAddress(_)))
        {
            return unreadable(
                "an IP address in its subjectAltName that is neither 4 nor 16 bytes",
            );
        }
        if subtrees
            .constrains(|b| matches!(b, GeneralName::IPAddress(r) if ![8, 32].contains(&r.len())))
        {
            return Err(Problem::ConstraintUnchecked {
                ca: ca.subject(),
                kind: "IP address (one range is malformed)",
            });
        }
    }
    match leaf {
        true => cn_within(cert, ca, &subtrees),
        false => Ok(()),
    }
}

/// OpenSSL's NAME_CONSTRAINTS_check_CN: when the server's certificate has no DNS name in its
/// subjectAltName, each CN that reads as a host name must lie within the CA's DNS name
/// constraints. webpki never reads the CN, so it never checks this.
fn cn_within(leaf: &Cert<'_>, ca: &Cert<'_>, subtrees: &Subtrees<'_, '_>) -> Result<(), Problem> {
    if leaf.has_dns_alt_name() {
        return Ok(());
    }
    let cns = leaf.x509.subject().iter_common_name().count();
    let readable = leaf.common_names();
    if readable.len() < cns && subtrees.constrains(|b| matches!(b, GeneralName::DNSName(_))) {
        return Err(Problem::NameUnreadable {
            ca: ca.subject(),
            name: "a CN that is not plain text",
        });
    }
    for cn in readable {
        let cn = cn.trim_end_matches('\0');
        if cn.contains('\0') {
            return Err(Problem::NameUnreadable {
                ca: ca.subject(),
                name: "a CN with a NUL byte inside",
            });
        }
        if reads_as_host(cn) {
            subtrees.dns(cn, ca)?;
        }
    }
    Ok(())
}

/// Every name of a certificate webpki never saw (a v1 or CA:TRUE one) against `ca`'s name
/// constraints: what `names_beyond_webpki` checks, and DNS names and IP addresses in the
/// subjectAltName. A constraint on names of another kind (directory names, email, URIs) refuses
/// a certificate that has such a name, as webpki does: moth does not compare them.
pub fn names_within(leaf: &Cert<'_>, ca: &Cert<'_>) -> Result<(), Problem> {
    names_beyond_webpki(leaf, ca, true)?;
    let Some(nc) = ca.name_constraints() else {
        return Ok(());
    };
    let subtrees = Subtrees::of(
        nc.permitted_subtrees.as_deref(),
        nc.excluded_subtrees.as_deref(),
    );
    let names = leaf.alt_names();
    let unchecked = |kind| {
        Err(Problem::ConstraintUnchecked {
            ca: ca.subject(),
            kind,
        })
    };
    if subtrees.constrains(|b| matches!(b, GeneralName::DirectoryName(_)))
        && leaf.x509.subject().iter().next().is_some()
    {
        return unchecked("directory name");
    }
    if names.iter().any(|n| matches!(n, Name::Email(_)))
        && subtrees.constrains(|b| matches!(b, GeneralName::RFC822Name(_)))
    {
        return unchecked("email");
    }
    if names.iter().any(|n| matches!(n, Name::Uri(_)))
        && subtrees.constrains(|b| matches!(b, GeneralName::URI(_)))
    {
        return unchecked("URI");
    }
    let other_kind = |b: &GeneralName<'_>| {
        !matches!(
            b,
            GeneralName::DNSName(_)
                | GeneralName::IPAddress(_)
                | GeneralName::DirectoryName(_)
                | GeneralName::RFC822Name(_)
                | GeneralName::URI(_)
        )
    };
    if names.iter().any(|n| matches!(n, Name::Other)) && subtrees.constrains(other_kind) {
        return unchecked("other");
    }
    for name in &names {
        match name {
            Name::Dns(dns) => subtrees.dns(dns, ca)?,
            Name::Ip(ip) => subtrees.ip(*ip, ca)?,
            _ => {}
        }
    }
    Ok(())
}

/// A CA's permitted and excluded subtrees.
struct Subtrees<'s, 'a> {
    permitted: &'s [GeneralSubtree<'a>],
    excluded: &'s [GeneralSubtree<'a>],
}

impl<'s, 'a> Subtrees<'s, 'a> {
    fn of(
        permitted: Option<&'s [GeneralSubtree<'a>]>,
        excluded: Option<&'s [GeneralSubtree<'a>]>,
    ) -> Self {
        Subtrees {
            permitted: permitted.unwrap_or_default(),
            excluded: excluded.unwrap_or_default(),
        }
    }

    fn constrains(&self, kind: impl Fn(&GeneralName<'a>) -> bool) -> bool {
        self.permitted
            .iter()
            .chain(self.excluded)
            .any(|s| kind(&s.base))
    }

    /// OpenSSL's nc_match: where subtrees of the name's kind are permitted, one must hold it; no
    /// excluded one may.
    fn check<T>(
        &self,
        name: String,
        ca: &Cert<'_>,
        base: impl Fn(&GeneralName<'a>) -> Option<T>,
        holds: impl Fn(&T) -> bool,
        show: impl Fn(&T) -> String,
    ) -> Result<(), Problem> {
        let permitted: Vec<T> = self
            .permitted
            .iter()
            .filter_map(|s| base(&s.base))
            .collect();
        let excluded: Vec<T> = self.excluded.iter().filter_map(|s| base(&s.base)).collect();
        let outside =
            (!permitted.is_empty() && !permitted.iter().any(&holds)) || excluded.iter().any(&holds);
        if !outside {
            return Ok(());
        }
        Err(Problem::NameOutside {
            name,
            ca: ca.subject(),
            permitted: permitted.iter().map(&show).collect(),
            excluded: excluded.iter().map(&show).collect(),
        })
    }

    fn dns(&self, name: &str, ca: &Cert<'_>) -> Result<(), Problem> {
        self.check(
            name.to_string(),
            ca,
            |b| match b {
                GeneralName::DNSName(base) => Some(*base),
                _ => None,
            },
            |base| dns_within(name, base),
            |base| base.to_string(),
        )
    }

    fn ip(&self, ip: IpAddr, ca: &Cert<'_>) -> Result<(), Problem> {
        self.check(
            ip.to_string(),
            ca,
            |b| match b {
                GeneralName::IPAddress(base) => Some(*base),
                _ => None,
            },
            |base| ip_within(ip, base),
            |base| ip_range(base),
        )
    }
}

/// OpenSSL's nc_dns: `base` matches itself and any name that adds labels on the left; a base
/// beginning with a dot only the names below it.
fn dns_within(name: &str, base: &str) -> bool {
    if base.is_empty() {
        return true;
    }
    let Some(start) = name.len().checked_sub(base.len()) else {
        return false;
    };
    if !name.is_char_boundary(start) {
        return false;
    }
    if start > 0 && !base.starts_with('.') && name.as_bytes()[start - 1] != b'.' {
        return false;
    }
    name[start..].eq_ignore_ascii_case(base)
}

/// OpenSSL's nc_ip: an address and a mask of the same family.
fn ip_within(ip: IpAddr, base: &[u8]) -> bool {
    let addr: Vec<u8> = match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    };
    if base.len() != addr.len() * 2 {
        return false;
    }
    let (net, mask) = base.split_at(addr.len());
    addr.iter()
        .zip(net)
        .zip(mask)
        .all(|((a, n), m)| a & m == n & m)
}

fn ip_range(base: &[u8]) -> String {
    let (net, mask) = base.split_at(base.len() / 2);
    match super::cert::ip_from(net) {
        Some(net) => format!("{net}/{}", mask.iter().map(|b| b.count_ones()).sum::<u32>()),
        None => "a malformed address range".into(),
    }
}

/// OpenSSL's cn2dnsid: letters, digits, `_`, inner `-` and `.`, and at least two labels. A
/// one-label CN such as `localhost` is not read as a host name, so no constraint covers it.
fn reads_as_host(cn: &str) -> bool {
    let bytes = cn.trim_end_matches('\0').as_bytes();
    let mut host = false;
    for (i, &c) in bytes.iter().enumerate() {
        if c.is_ascii_alphanumeric() || c == b'_' {
            continue;
        }
        let inner = i > 0 && i + 1 < bytes.len();
        if inner && c == b'-' {
            continue;
        }
        if inner
            && c == b'.'
            && bytes[i + 1] != b'.'
            && bytes[i - 1] != b'-'
            && bytes[i + 1] != b'-'
        {
            host = true;
            continue;
        }
        return false;
    }
    host
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_constraints_as_openssl_reads_them() {
        assert!(dns_within("broker.good.example", ".good.example"));
        assert!(!dns_within("good.example", ".good.example"));
        assert!(dns_within("good.example", "good.example"));
        assert!(dns_within("a.GOOD.example", "good.example"));
        assert!(!dns_within("notgood.example", "good.example"));
        assert!(!dns_within("other.example", ".good.example"));
        assert!(dns_within("anything", ""));
    }

    #[test]
    fn ip_constraints() {
        let ten = [10, 0, 0, 0, 255, 0, 0, 0];
        assert!(ip_within("10.1.2.3".parse().unwrap(), &ten));
        assert!(!ip_within("11.1.2.3".parse().unwrap(), &ten));
        assert!(!ip_within("::1".parse().unwrap(), &ten));
        assert_eq!(ip_range(&ten), "10.0.0.0/8");
    }

    #[test]
    fn which_cns_read_as_host_names() {
        assert!(reads_as_host("other.example"));
        assert!(reads_as_host("127.0.0.1"));
        assert!(reads_as_host("a_b.example"));
        assert!(!reads_as_host("localhost"));
        assert!(!reads_as_host("-a.example"));
        assert!(!reads_as_host("a..example"));
        assert!(!reads_as_host("a-.example"));
        assert!(!reads_as_host("moth test CA"));
    }
}

#[cfg(test)]
mod cn_tests {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, DnValue, GeneralSubtree, IsCa, KeyPair,
        NameConstraints,
    };

    use super::*;

    fn made(params: CertificateParams) -> Vec<u8> {
        let key = KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    fn with_cn(cn: &str) -> Vec<u8> {
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, DnValue::Utf8String(cn.into()));
        made(params)
    }

    /// OpenSSL's cn2dnsid refuses a CN with a NUL inside under any name constraints, and drops
    /// NULs at its end.
    #[test]
    fn a_nul_inside_the_cn_is_refused_under_constraints() {
        let mut ca = CertificateParams::default();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.name_constraints = Some(NameConstraints {
            permitted_subtrees: vec![GeneralSubtree::DnsName(".good.example".into())],
            excluded_subtrees: vec![],
        });
        let ca = made(ca);
        let ca = Cert::parse(&ca).unwrap();
        let inside = with_cn("broker.good.example\0.other.example");
        let result = names_beyond_webpki(&Cert::parse(&inside).unwrap(), &ca, true);
        assert!(
            matches!(result, Err(Problem::NameUnreadable { name, .. }) if name.contains("NUL")),
            "{result:?}"
        );
        let at_end = with_cn("broker.good.example\0");
        assert_eq!(
            names_beyond_webpki(&Cert::parse(&at_end).unwrap(), &ca, true),
            Ok(())
        );
        let outside_at_end = with_cn("other.example\0");
        assert!(matches!(
            names_beyond_webpki(&Cert::parse(&outside_at_end).unwrap(), &ca, true),
            Err(Problem::NameOutside { .. })
        ));
    }
}
