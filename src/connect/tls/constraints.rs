//! A CA's name constraints as OpenSSL applies them: what webpki checks on the path it builds
//! leaves out the CN, subject email addresses, SmtpUTF8Mailbox names, malformed addresses and
//! constraints with a minimum or maximum; a certificate webpki never sees (v1, CA:TRUE) needs
//! every name checked here.

use std::net::IpAddr;

use x509_parser::extensions::{GeneralName, GeneralSubtree};

use super::cert::{Cert, Name};
use super::rules::Problem;

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
