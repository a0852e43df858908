//! What moth trusts, kept as whole certificates, since OpenSSL's checks read more of a trusted
//! certificate than webpki's trust anchors keep (its dates, key usage, constraints, issuer). As in
//! OpenSSL, only a self-signed certificate ends a chain; any other certificate given is lent to
//! chains as an intermediate, still needing its issuer.

use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, TrustAnchor};

use super::cert::Cert;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    CaFile,
    CaPath,
    System,
}

impl Origin {
    /// Where a certificate came from, as the end of "given with ...".
    pub fn source(self) -> &'static str {
        match self {
            Origin::CaFile => "given with --cafile",
            Origin::CaPath => "given with --capath",
            Origin::System => "in the operating system's trust store",
        }
    }

    pub fn given(self) -> bool {
        self != Origin::System
    }
}

#[derive(Debug)]
pub struct Trusted {
    pub der: CertificateDer<'static>,
    pub origin: Origin,
}

#[derive(Debug)]
pub struct Trust {
    /// Self-signed certificates: where a chain may end.
    pub roots: Vec<Trusted>,
    /// `roots` as webpki takes them, in the same order.
    pub anchors: Vec<TrustAnchor<'static>>,
    /// Trusted certificates that are not self-signed.
    pub lent: Vec<Trusted>,
    pub algorithms: WebPkiSupportedAlgorithms,
}

impl Trust {
    pub fn new(algorithms: WebPkiSupportedAlgorithms) -> Trust {
        Trust {
            roots: Vec::new(),
            anchors: Vec::new(),
            lent: Vec::new(),
            algorithms,
        }
    }

    /// False when `der` is not a certificate moth can read.
    pub fn add(&mut self, der: CertificateDer<'static>, origin: Origin) -> bool {
        let Some(cert) = Cert::parse(&der) else {
            return false;
        };
        if !cert.self_issued() {
            self.lent.push(Trusted { der, origin });
            return true;
        }
        let Ok(anchor) = webpki::anchor_from_trusted_cert(&der).map(|a| a.to_owned()) else {
            return false;
        };
        // webpki cannot tell apart two roots of the same name and key (a CA renewed in place),
        // so keep one: the first valid now, as OpenSSL picks the current one of such twins.
        let twin = self.anchors.iter().position(|a| {
            a.subject == anchor.subject
                && a.subject_public_key_info == anchor.subject_public_key_info
        });
        if let Some(i) = twin {
            let kept_current = Cert::parse(&self.roots[i].der).is_some_and(|c| c.valid_now());
            if !kept_current && cert.valid_now() {
                self.roots[i] = Trusted { der, origin };
            }
            return true;
        }
        self.anchors.push(anchor);
        self.roots.push(Trusted { der, origin });
        true
    }

    /// The root webpki ended a chain at.
    pub fn root_of(&self, anchor: &TrustAnchor<'_>) -> Option<&Trusted> {
        self.anchors
            .iter()
            .position(|a| {
                a.subject == anchor.subject
                    && a.subject_public_key_info == anchor.subject_public_key_info
            })
            .map(|i| &self.roots[i])
    }

    /// Where `der` was given, if it is exactly a certificate given with --cafile or --capath.
    pub fn given(&self, der: &[u8]) -> Option<Origin> {
        self.roots
            .iter()
            .chain(&self.lent)
            .find(|t| t.origin.given() && t.der.as_ref() == der)
            .map(|t| t.origin)
    }
}
