//! X.509 v3 server certificates: webpki builds and checks the path to a root, then the checks
//! OpenSSL makes and webpki does not (rules.rs) are applied to that path. A path that fails them
//! is refused, and webpki goes on to the next one it can build.

use std::cell::RefCell;

use rustls::Error;
use rustls::pki_types::{CertificateDer, UnixTime};

use super::cert::Cert;
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

/// OpenSSL's checks on a path webpki verified: the root's own (dates, critical extensions, may it
/// be a CA, key usage, purpose, path length), key usage of each intermediate, and the CN under
/// every CA's name constraints.
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
    let below = cas.iter().filter(|ca| !ca.self_issued()).count();
    let root_who = Who::Root {
        name: root.subject(),
        origin: trusted.origin,
    };
    let say = |who: &Who, problem| words::problem(who, &problem);
    rules::dates(&root, now).map_err(|p| say(&root_who, p))?;
    rules::extensions(&root, Reader::OpenSsl).map_err(|p| say(&root_who, p))?;
    rules::fit_to_issue(&root, true).map_err(|p| say(&root_who, p))?;
    rules::path_length(&root, below).map_err(|p| say(&root_who, p))?;
    for ca in &cas {
        rules::fit_to_issue(ca, false).map_err(|p| say(&Who::Intermediate(ca.subject()), p))?;
    }
    for ca in cas.iter().chain(std::iter::once(&root)) {
        rules::cn_within(leaf, ca).map_err(|p| say(&Who::Leaf, p))?;
    }
    Ok(())
}
