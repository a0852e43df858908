//! What OpenSSL's X509_verify_cert checks for a TLS server (the sslserver purpose) beyond what
//! webpki checks, one certificate and role at a time. moth refuses every chain OpenSSL refuses:
//! webpki covers signatures, dates, basic and name constraints and extended key usage along the
//! chain it builds; these cover the rest (the root itself, key usage, Netscape certificate types,
//! the CN under name constraints), and everything where webpki cannot look: X.509 v1 and CA:TRUE
//! server certificates, and pinned ones.

use std::net::IpAddr;
use std::time::Duration;

use rustls::pki_types::UnixTime;
use x509_parser::extensions::{GeneralName, GeneralSubtree, KeyUsage, NSCertType, ParsedExtension};

use super::cert::{Cert, Name};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NotYetValid(UnixTime),
    Expired(UnixTime),
    /// A critical extension the verifier does not process: its name and OID.
    UnknownCriticalExtension(String),
    /// An extension OpenSSL processes that cannot be parsed.
    MalformedExtension(String),
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

pub fn dates(cert: &Cert<'_>, now: UnixTime) -> Result<(), Problem> {
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

/// Every critical extension must be one `reader` processes, and every extension OpenSSL
/// processes must parse.
pub fn extensions(cert: &Cert<'_>, reader: Reader) -> Result<(), Problem> {
    for ext in cert.x509.extensions() {
        let oid = ext.oid.to_id_string();
        let openssl_knows = OPENSSL_KNOWN.contains(&oid.as_str());
        if openssl_knows && matches!(ext.parsed_extension(), ParsedExtension::ParseError { .. }) {
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
    Ok(())
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

/// OpenSSL's check_purpose_ssl_server for the server's own certificate.
pub fn fit_for_server(cert: &Cert<'_>) -> Result<(), Problem> {
    if let Some(purposes) = cert.purposes()
        && !serves_tls(&purposes)
    {
        return Err(Problem::NotForServers(purposes));
    }
    if let Some(types) = cert.ns_cert_type()
        && !types.ssl_server()
    {
        return Err(Problem::NetscapeTypeUnfit(netscape_names(types)));
    }
    if let Some(usage) = cert.key_usage()
        && !(usage.digital_signature() || usage.key_encipherment() || usage.key_agreement())
    {
        return Err(Problem::KeyUsageUnfit(usage_names(usage)));
    }
    Ok(())
}

/// OpenSSL's check_ca and check_ssl_ca: may this certificate vouch for TLS servers below it?
/// `top`: it ends the chain, where OpenSSL also takes, without basicConstraints, a self-signed
/// X.509 v1 certificate or one whose keyUsage or Netscape type makes it a CA.
pub fn fit_to_issue(cert: &Cert<'_>, top: bool) -> Result<(), Problem> {
    if let Some(usage) = cert.key_usage()
        && !usage.key_cert_sign()
    {
        return Err(Problem::MayNotSign(usage_names(usage)));
    }
    match cert.basic_constraints() {
        Some((true, _)) => {}
        Some((false, _)) => return Err(Problem::NotACa { ca_false: true }),
        None if !top && cert.is_v1() => return Err(Problem::V1Intermediate),
        None if !top => return Err(Problem::NotACa { ca_false: false }),
        None => {
            let v1_root = cert.is_v1() && cert.self_issued();
            let netscape_ca = cert.ns_cert_type().is_some_and(|t| t.ssl_ca());
            if !(v1_root || cert.key_usage().is_some() || netscape_ca) {
                return Err(Problem::NotACa { ca_false: false });
            }
        }
    }
    match cert.purposes() {
        Some(purposes) if !serves_tls(&purposes) => Err(Problem::NotForServers(purposes)),
        _ => Ok(()),
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

/// OpenSSL's NAME_CONSTRAINTS_check_CN: when the server's certificate has no DNS name in its
/// subjectAltName, each CN that reads as a host name must lie within the CA's DNS name
/// constraints. webpki never reads the CN, so it never checks this.
pub fn cn_within(leaf: &Cert<'_>, ca: &Cert<'_>) -> Result<(), Problem> {
    let Some(nc) = ca.name_constraints() else {
        return Ok(());
    };
    if leaf.has_dns_alt_name() {
        return Ok(());
    }
    let subtrees = Subtrees::of(
        nc.permitted_subtrees.as_deref(),
        nc.excluded_subtrees.as_deref(),
    );
    let cns = leaf.x509.subject().iter_common_name().count();
    let readable = leaf.common_names();
    if readable.len() < cns && subtrees.constrains(|b| matches!(b, GeneralName::DNSName(_))) {
        return Err(Problem::ConstraintUnchecked {
            ca: ca.subject(),
            kind: "DNS name (the CN is not plain text)",
        });
    }
    for cn in readable.into_iter().filter(|cn| reads_as_host(cn)) {
        subtrees.dns(cn, ca)?;
    }
    Ok(())
}

/// Every name of a certificate webpki never saw (a v1 or CA:TRUE one) against `ca`'s name
/// constraints: DNS names and IP addresses in the subjectAltName, and the CN as `cn_within` has
/// it. A constraint on names of another kind (directory names, email, URIs) refuses a certificate
/// that has such a name, as webpki does: moth does not compare them.
pub fn names_within(leaf: &Cert<'_>, ca: &Cert<'_>) -> Result<(), Problem> {
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
    let has_email = names.iter().any(|n| matches!(n, Name::Email(_)))
        || leaf.x509.subject().iter_email().next().is_some();
    if has_email && subtrees.constrains(|b| matches!(b, GeneralName::RFC822Name(_))) {
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
    cn_within(leaf, ca)
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

fn usage_names(usage: KeyUsage) -> Vec<String> {
    [
        (usage.digital_signature(), "digitalSignature"),
        (usage.non_repudiation(), "nonRepudiation"),
        (usage.key_encipherment(), "keyEncipherment"),
        (usage.data_encipherment(), "dataEncipherment"),
        (usage.key_agreement(), "keyAgreement"),
        (usage.key_cert_sign(), "keyCertSign"),
        (usage.crl_sign(), "cRLSign"),
        (usage.encipher_only(), "encipherOnly"),
        (usage.decipher_only(), "decipherOnly"),
    ]
    .iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| name.to_string())
    .collect()
}

fn netscape_names(types: NSCertType) -> Vec<String> {
    [
        (types.ssl_client(), "client"),
        (types.ssl_server(), "server"),
        (types.smime(), "email"),
        (types.object_signing(), "objsign"),
        (types.ssl_ca(), "sslCA"),
        (types.smime_ca(), "emailCA"),
        (types.object_signing_ca(), "objCA"),
    ]
    .iter()
    .filter(|(set, _)| *set)
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
