//! X.509 v3 server certificates: webpki builds and checks the path to a root, then the checks
//! OpenSSL makes and webpki does not (rules.rs) are applied to that path. A path that fails them
//! is refused, and webpki goes on to the next one it can build.

use std::cell::RefCell;

use rustls::Error;
use rustls::pki_types::{CertificateDer, UnixTime};

use super::cert::Cert;
use super::constraints;
use super::explain;
use super::rules::{self, Reader};
use super::trust::Trust;
use super::words::{self, Who, refusal};

pub fn verify(
    trust: &Trust,
    leaf: &Cert<'_>,
    presented: &[CertificateDer<'_>],
    now: UnixTime,
) -> Result<String, Error> {
    // What OpenSSL asks of the server's own certificate beyond webpki: key usage, Netscape type.
    rules::fit_for_server(leaf).map_err(|p| refusal(words::problem(&Who::Leaf, &p)))?;
    let der = CertificateDer::from(leaf.der);
    let end_entity = webpki::EndEntityCert::try_from(&der).map_err(|e| {
        refusal(explain::why(trust, leaf, presented, now).unwrap_or_else(|| words::webpki(&e)))
    })?;
    // OpenSSL looks a certificate's issuer up among the trusted certificates too.
    let intermediates: Vec<CertificateDer<'_>> = presented
        .iter()
        .cloned()
        .chain(trust.lent.iter().map(|t| t.der.clone()))
        .collect();
    let refused = RefCell::new(None);
    let openssl = |path: &webpki::VerifiedPath<'_>| {
        openssl_checks(trust, leaf, path, now).map_err(|sentence| {
            refused.borrow_mut().get_or_insert(sentence);
            webpki::Error::UnknownIssuer
        })
    };
    let verified = end_entity.verify_for_usage(
        trust.algorithms.all,
        &trust.anchors,
        &intermediates,
        now,
        webpki::KeyUsage::server_auth(),
        None,
        Some(&openssl),
    );
    match verified {
        Ok(path) => Ok(
            match trust
                .root_of(path.anchor())
                .and_then(|r| Cert::parse(&r.der).map(|c| (c.subject(), r.origin)))
            {
                Some((name, origin)) => format!("chain verified up to {name} {}", origin.source()),
                None => "chain verified".into(),
            },
        ),
        Err(err) => {
            // A path that passed webpki and then failed OpenSSL's checks says the most.
            let sentence = refused
                .into_inner()
                .or_else(|| explain::why(trust, leaf, presented, now))
                .unwrap_or_else(|| words::webpki(&err));
            Err(refusal(sentence))
        }
    }
}

/// OpenSSL's checks on a path webpki verified: of every certificate, how it is written
/// (extensions, dates, signature algorithm fields) and that its authorityKeyIdentifier names the
/// next one up; the root's own dates and fitness to be a CA, key usage and purpose, path
/// length; that each intermediate may issue; and the names webpki does not compare against every
/// CA's name constraints above them.
fn openssl_checks(
    trust: &Trust,
    leaf: &Cert<'_>,
    path: &webpki::VerifiedPath<'_>,
    now: UnixTime,
) -> Result<(), String> {
    let trusted = trust
        .root_of(path.anchor())
        .ok_or_else(|| "the broker's chain ends at a CA moth cannot find again".to_string())?;
    let root = Cert::parse(&trusted.der)
        .ok_or_else(|| "a trusted CA certificate cannot be parsed".to_string())?;
    let ders: Vec<CertificateDer<'_>> = path.intermediate_certificates().map(|c| c.der()).collect();
    let cas: Vec<Cert<'_>> = ders.iter().filter_map(|der| Cert::parse(der)).collect();
    if cas.len() != ders.len() {
        return Err(
            "an intermediate CA certificate in the broker's chain cannot be parsed".to_string(),
        );
    }
    let root_who = Who::Root {
        name: root.subject(),
        origin: trusted.origin,
    };
    let who = |at: usize| match at {
        0 => Who::Leaf,
        n if n <= cas.len() => Who::Intermediate(cas[n - 1].subject()),
        _ => Who::Root {
            name: root.subject(),
            origin: trusted.origin,
        },
    };
    let say = |at: usize, problem| words::problem(&who(at), &problem);
    // The path from the server's certificate up: leaf, intermediates, root.
    let chain: Vec<&Cert<'_>> = std::iter::once(leaf)
        .chain(&cas)
        .chain(std::iter::once(&root))
        .collect();
    let root_at = chain.len() - 1;
    for (at, cert) in chain.iter().enumerate() {
        rules::extensions(cert, Reader::OpenSsl).map_err(|p| say(at, p))?;
        rules::dates(cert, now).map_err(|p| say(at, p))?;
        if at < root_at {
            rules::signed_consistently(cert).map_err(|p| say(at, p))?;
            rules::issued_by_key_of(cert, chain[at + 1]).map_err(|p| say(at, p))?;
        }
        if at > 0 && at < root_at {
            rules::fit_to_issue(cert, false).map_err(|p| say(at, p))?;
        }
    }
    let below = cas.iter().filter(|ca| !ca.self_issued()).count();
    rules::fit_to_issue(&root, true).map_err(|p| words::problem(&root_who, &p))?;
    rules::path_length(&root, below).map_err(|p| words::problem(&root_who, &p))?;
    for (at, cert) in chain.iter().enumerate().take(root_at) {
        // OpenSSL leaves out self-issued intermediates, as RFC 5280 does.
        if at > 0 && cert.self_issued() {
            continue;
        }
        for ca in &chain[at + 1..] {
            constraints::names_beyond_webpki(cert, ca, at == 0).map_err(|p| say(at, p))?;
        }
    }
    Ok(())
}
