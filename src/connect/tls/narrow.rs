//! Server certificates webpki cannot check at all but OpenSSL accepts: a pinned certificate (the
//! very one given with --cafile or --capath, self-signed), and an X.509 v1 certificate (what
//! mosquitto-tls(7)'s `openssl x509 -req` makes) or a CA:TRUE one. moth accepts the last two
//! only where it can check everything OpenSSL would: issued directly by a root given with
//! --cafile or --capath, whose dates, key usage and name constraints (the CN included) are
//! checked as well. Anything else is refused in words.

use rustls::Error;
use rustls::pki_types::{CertificateDer, UnixTime};

use super::cert::{Cert, Signature};
use super::constraints;
use super::explain;
use super::rules::{self, Problem, Reader};
use super::trust::Trust;
use super::words::{self, Who, refusal};

/// The pinned path, when `leaf` is a self-signed certificate given with --cafile or --capath.
/// (One that is not self-signed needs its issuer, as any other certificate.)
pub fn pinned(trust: &Trust, leaf: &Cert<'_>, now: UnixTime) -> Option<Result<String, Error>> {
    let origin = trust.given(leaf.der)?;
    if !leaf.self_issued() {
        return None;
    }
    Some(
        server_problems(leaf, now)
            .map(|()| format!("pinned, the very certificate {}", origin.source()))
            .map_err(|p| refusal(words::problem(&Who::Leaf, &p))),
    )
}

/// An X.509 v1 or CA:TRUE `leaf`, accepted only when issued directly by a root given with
/// --cafile or --capath.
pub fn direct(
    trust: &Trust,
    leaf: &Cert<'_>,
    presented: &[CertificateDer<'_>],
    now: UnixTime,
) -> Result<String, Error> {
    let kind = if leaf.is_v1() {
        "an X.509 v1"
    } else {
        "a CA:TRUE"
    };
    let root = trust
        .roots
        .iter()
        .filter(|t| t.origin.given())
        .filter_map(|t| Cert::parse(&t.der).map(|cert| (cert, t.origin)))
        .find(|(root, _)| {
            leaf.names_as_issuer(root)
                && leaf.akid_allows(root)
                && root.signed(leaf.der, &trust.algorithms) == Signature::Valid
        });
    let Some((root, origin)) = root else {
        // What OpenSSL would refuse the chain for says most; else that moth is stricter here.
        let sentence = explain::why(trust, leaf, presented, now).unwrap_or_else(|| {
            let (issuer, root) =
                explain::signer(trust, leaf, presented).unwrap_or_else(|| (leaf.issuer(), true));
            words::not_direct(kind, &issuer, root)
        });
        return Err(refusal(sentence));
    };
    server_problems(leaf, now).map_err(|p| refusal(words::problem(&Who::Leaf, &p)))?;
    let name = root.subject();
    root_problems(&root, now).map_err(|p| {
        refusal(words::problem(
            &Who::Root {
                name: name.clone(),
                origin,
            },
            &p,
        ))
    })?;
    constraints::names_within(leaf, &root).map_err(|p| refusal(words::problem(&Who::Leaf, &p)))?;
    Ok(format!(
        "{kind} certificate issued directly by {name} {}",
        origin.source()
    ))
}

fn server_problems(leaf: &Cert<'_>, now: UnixTime) -> Result<(), Problem> {
    rules::dates(leaf, now)?;
    rules::extensions(leaf, Reader::OpenSsl)?;
    rules::signed_consistently(leaf)?;
    rules::fit_for_server(leaf)
}

fn root_problems(root: &Cert<'_>, now: UnixTime) -> Result<(), Problem> {
    rules::dates(root, now)?;
    rules::extensions(root, Reader::OpenSsl)?;
    rules::fit_to_issue(root, true)
}
