//! Is the broker's certificate for the host moth connected to? Decided as OpenSSL's
//! X509_check_host and X509_check_ip decide it: a host name against the DNS names of the
//! subjectAltName, or against the CN when it has none; an IP address against its IP addresses
//! only. Wildcards are stricter than OpenSSL's: a whole leftmost label, with two labels after it.

use std::fmt;
use std::net::IpAddr;

use rustls::pki_types::ServerName;

use super::cert::{Cert, Name};

/// Where the name was found, for `-d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    SubjectAltName,
    CommonName,
}

impl fmt::Display for Naming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Naming::SubjectAltName => "host name from subjectAltName",
            Naming::CommonName => "host name from CN",
        })
    }
}

/// The sentence when the certificate is not for `host`.
pub fn check(leaf: &Cert<'_>, host: &ServerName<'_>) -> Result<Naming, String> {
    let names = leaf.alt_names();
    let cns = leaf.common_names();
    match host {
        ServerName::DnsName(host) => {
            let host = host.as_ref();
            let dns: Vec<&str> = names
                .iter()
                .filter_map(|n| match n {
                    Name::Dns(dns) => Some(dns.as_str()),
                    _ => None,
                })
                .collect();
            if !dns.is_empty() {
                if dns.iter().any(|pattern| dns_matches(pattern, host)) {
                    return Ok(Naming::SubjectAltName);
                }
            } else if cns.iter().any(|cn| dns_matches(cn, host)) {
                return Ok(Naming::CommonName);
            }
            Err(mismatch(host, "the host name", &names, &cns, None))
        }
        ServerName::IpAddress(ip) => {
            let ip = IpAddr::from(*ip);
            if names.contains(&Name::Ip(ip)) {
                return Ok(Naming::SubjectAltName);
            }
            let text = ip.to_string();
            let as_text = if names.iter().any(|n| *n == Name::Dns(text.clone())) {
                Some(format!(
                    "it holds DNS name {text}, not IP address {text} (an address must be in subjectAltName as IP:{text})"
                ))
            } else if cns.contains(&text.as_str()) {
                Some(format!(
                    "it holds {text} only in its CN, and an address is looked for in subjectAltName only (as IP:{text})"
                ))
            } else {
                None
            };
            Err(mismatch(&text, "the address", &names, &cns, as_text))
        }
        _ => Err("the broker's host cannot be checked against a certificate".into()),
    }
}

fn mismatch(host: &str, what: &str, names: &[Name], cns: &[&str], why: Option<String>) -> String {
    let why = why.unwrap_or_else(|| {
        let mut listed: Vec<String> = names.iter().map(Name::to_string).collect();
        if !names.iter().any(|n| matches!(n, Name::Dns(_))) {
            listed.extend(cns.iter().map(|cn| format!("CN={cn}")));
        }
        match listed.is_empty() {
            true => "it names no host".to_string(),
            false => format!("it is for: {}", listed.join(", ")),
        }
    });
    format!(
        "the broker's certificate does not match {what} {host} ({why}); connect by a name it lists"
    )
}

/// OpenSSL's equal_nocase and wildcard_match: the host loses one trailing dot, the
/// certificate's name none; a wildcard only as the whole leftmost label (RFC 6125, stricter than
/// OpenSSL's default) of a well-formed name of three labels or more (never `*.com`), standing for
/// one label of letters, digits and hyphens.
pub fn dns_matches(pattern: &str, host: &str) -> bool {
    let host = match host.strip_suffix('.') {
        Some(stripped) if !stripped.is_empty() => stripped,
        _ => host,
    };
    if let Some(rest) = pattern.strip_prefix("*.")
        && wildcard_base(rest)
    {
        return host.split_once('.').is_some_and(|(label, host_rest)| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && host_rest.eq_ignore_ascii_case(rest)
        });
    }
    pattern.eq_ignore_ascii_case(host)
}

/// What may follow `*.` (OpenSSL's valid_star): two labels or more, each of letters, digits and
/// inner hyphens. Anything else makes the `*` a literal character.
fn wildcard_base(rest: &str) -> bool {
    let labels: Vec<&str> = rest.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn names_as_openssl_compares_them() {
        // The certificate's trailing dot is part of its name.
        assert!(!dns_matches("broker.example.", "broker.example"));
        assert!(dns_matches("broker.example.", "broker.example.."));
        assert!(!dns_matches("broker.example", "broker.example.."));
        assert!(!dns_matches("*.example.com.", "a.example.com"));
        // The label a wildcard stands for holds letters, digits and hyphens only.
        assert!(!dns_matches("*.example.com", "a_b.example.com"));
        assert!(dns_matches("*.example.com", "a-b.example.com"));
        assert!(!dns_matches("*.ex_ample.com", "a.ex_ample.com"));
        assert!(!dns_matches("*.-example.com", "a.-example.com"));
    }
}
