//! Why a chain was refused, in words. The verdict is made elsewhere (webpki with rules.rs, or
//! narrow.rs); this walks the chain as OpenSSL builds it, each certificate's issuer found by name
//! among what the broker sent and what moth trusts, the one whose key made the signature, and
//! names the first certificate with a problem.

use rustls::pki_types::{CertificateDer, UnixTime};

use super::cert::{Cert, Signature};
use super::constraints;
use super::rules::{self, Reader};
use super::trust::{Origin, Trust};
use super::words::{self, Who};

/// Deeper chains than this are not followed, as webpki does, so a hostile chain cannot loop.
const MAX_DEPTH: usize = 8;

/// A certificate that may issue another: sent by the broker (no origin) or trusted.
struct Candidate<'a> {
    cert: Cert<'a>,
    origin: Option<Origin>,
    root: bool,
}

fn candidates<'a>(trust: &'a Trust, presented: &'a [CertificateDer<'_>]) -> Vec<Candidate<'a>> {
    // Roots first, as webpki tries its anchors before what the broker sent.
    let trusted = |list: &'a [super::trust::Trusted], root: bool| {
        list.iter().filter_map(move |t| {
            Cert::parse(&t.der).map(|cert| Candidate {
                cert,
                origin: Some(t.origin),
                root,
            })
        })
    };
    trusted(&trust.roots, true)
        .chain(presented.iter().filter_map(|der| {
            Cert::parse(der).map(|cert| Candidate {
                cert,
                origin: None,
                root: false,
            })
        }))
        .chain(trusted(&trust.lent, false))
        .collect()
}

/// The subject of whatever key made `leaf`'s signature, among what the broker sent and what moth
/// trusts, and whether that certificate is a root (self-signed).
pub fn signer(
    trust: &Trust,
    leaf: &Cert<'_>,
    presented: &[CertificateDer<'_>],
) -> Option<(String, bool)> {
    candidates(trust, presented)
        .iter()
        .find(|c| {
            leaf.names_as_issuer(&c.cert)
                && c.cert.signed(leaf.der, &trust.algorithms) == Signature::Valid
        })
        .map(|c| (c.cert.subject(), c.cert.self_issued()))
}

/// The first problem on the way from `leaf` up to a root; None when none is found.
pub fn why(
    trust: &Trust,
    leaf: &Cert<'_>,
    presented: &[CertificateDer<'_>],
    now: UnixTime,
) -> Option<String> {
    let pool = candidates(trust, presented);
    let mut used = vec![false; pool.len()];
    let mut current = leaf;
    let mut current_origin = None;
    let mut cas_below = 0;
    for depth in 0..MAX_DEPTH {
        let who = who_is(current, depth, current_origin);
        if let Err(problem) = own_problems(leaf, current, depth, cas_below, now) {
            return Some(words::problem(
                if problem.of_names() { &Who::Leaf } else { &who },
                &problem,
            ));
        }
        let named: Vec<usize> = (0..pool.len())
            .filter(|&i| !used[i] && current.names_as_issuer(&pool[i].cert))
            .collect();
        let signed = |i: &usize| pool[*i].cert.signed(current.der, &trust.algorithms);
        // OpenSSL takes an issuer only where the authorityKeyIdentifier allows it.
        let signers: Vec<usize> = named
            .iter()
            .copied()
            .filter(|i| signed(i) == Signature::Valid)
            .collect();
        let allowed = signers
            .iter()
            .copied()
            .find(|&i| current.akid_allows(&pool[i].cert));
        if let (None, Some(&i)) = (allowed, signers.first()) {
            let problem = rules::Problem::OtherIssuerKey {
                issuer: pool[i].cert.subject(),
            };
            return Some(words::problem(&who, &problem));
        }
        let Some(next) = allowed else {
            return Some(no_issuer(
                trust,
                current,
                depth,
                current_origin,
                &pool,
                &named,
            ));
        };
        let issuer = &pool[next];
        if issuer.root {
            let name = issuer.cert.subject();
            let origin = issuer.origin.unwrap_or(Origin::System);
            return root_problems(leaf, &issuer.cert, cas_below + usize::from(depth > 0), now)
                .err()
                .map(|problem| match problem {
                    _ if problem.of_names() => words::problem(&Who::Leaf, &problem),
                    _ => words::problem(&Who::Root { name, origin }, &problem),
                });
        }
        used[next] = true;
        if depth > 0 && !current.self_issued() {
            cas_below += 1;
        }
        current = &issuer.cert;
        current_origin = issuer.origin;
    }
    Some(words::chain_too_long())
}

/// How a sentence names the certificate at `depth`: lent from --cafile, or sent by the broker.
fn who_is(cert: &Cert<'_>, depth: usize, origin: Option<Origin>) -> Who {
    match (depth, origin) {
        (0, _) => Who::Leaf,
        (_, Some(origin)) => Who::Root {
            name: cert.subject(),
            origin,
        },
        (_, None) => Who::Intermediate(cert.subject()),
    }
}

/// What is wrong with `cert` itself, as the leaf (depth 0) or an intermediate with `cas_below`
/// intermediate CAs under it.
fn own_problems(
    leaf: &Cert<'_>,
    cert: &Cert<'_>,
    depth: usize,
    cas_below: usize,
    now: UnixTime,
) -> Result<(), rules::Problem> {
    rules::dates(cert, now)?;
    if depth == 0 {
        // Only an X.509 v3, CA:FALSE server certificate goes through webpki.
        let reader = match cert.is_v1() || cert.says_ca() {
            true => Reader::OpenSsl,
            false => Reader::Webpki,
        };
        rules::extensions(cert, reader)?;
        rules::signed_consistently(cert)?;
        return rules::fit_for_server(cert);
    }
    rules::extensions(cert, Reader::OpenSsl)?;
    rules::signed_consistently(cert)?;
    rules::fit_to_issue(cert, false)?;
    rules::path_length(cert, cas_below)?;
    constraints::names_within(leaf, cert)
}

fn root_problems(
    leaf: &Cert<'_>,
    root: &Cert<'_>,
    cas_below: usize,
    now: UnixTime,
) -> Result<(), rules::Problem> {
    rules::dates(root, now)?;
    rules::extensions(root, Reader::OpenSsl)?;
    rules::fit_to_issue(root, true)?;
    rules::path_length(root, cas_below)?;
    constraints::names_within(leaf, root)
}

/// Nothing moth has signed `current`: say why, from what does bear the issuer's name.
fn no_issuer(
    trust: &Trust,
    current: &Cert<'_>,
    depth: usize,
    current_origin: Option<Origin>,
    pool: &[Candidate<'_>],
    named: &[usize],
) -> String {
    let who = who_is(current, depth, current_origin);
    // What bears the issuer's name did not sign: say why.
    if let Some(&i) = named.first() {
        let issuer = &pool[i];
        let issuer_who = match issuer.origin {
            Some(origin) => Who::Root {
                name: issuer.cert.subject(),
                origin,
            },
            None => Who::Intermediate(issuer.cert.subject()),
        };
        if let Some(bits) = issuer.cert.rsa_bits().filter(|bits| *bits < 2048) {
            return words::weak_key(&issuer_who, bits);
        }
        return match issuer.cert.signed(current.der, &trust.algorithms) {
            Signature::Unsupported => words::unsupported_algorithm(&who),
            _ if depth == 0 && current.self_issued() => words::impostor(
                &issuer.cert.subject(),
                issuer.origin.unwrap_or(Origin::System),
            ),
            _ => words::bad_signature(&current.issuer()),
        };
    }
    if depth == 0
        && let Some(origin) = trust.given(current.der)
    {
        return words::pinned_not_self_signed(origin, &current.issuer());
    }
    if let Some(origin) = current_origin {
        return words::not_a_root(&current.subject(), origin, &current.issuer());
    }
    if depth == 0 && current.self_issued() {
        let cas_given = trust
            .roots
            .iter()
            .chain(&trust.lent)
            .any(|t| t.origin.given());
        return words::self_signed_untrusted(&current.subject(), cas_given);
    }
    words::unknown_issuer(&current.issuer())
}
