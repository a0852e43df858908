//! One certificate as moth's own checks see it. x509-parser reads what webpki will not (X.509 v1,
//! names in the CN, every extension), so the checks OpenSSL makes beyond webpki's, and the words
//! that explain a refusal, work on this.

use std::fmt;
use std::net::IpAddr;

use rustls::crypto::WebPkiSupportedAlgorithms;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, NameConstraints, ParsedExtension, X509Extension};
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use super::der;

pub struct Cert<'a> {
    pub der: &'a [u8],
    pub x509: X509Certificate<'a>,
}

/// Whether a key made a certificate's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signature {
    Valid,
    Invalid,
    /// No algorithm rustls accepts pairs this signature with that key (SHA-1, RSA under 2048 bits).
    Unsupported,
}

/// A name a certificate is for, written as `openssl x509 -text` writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Name {
    Dns(String),
    Ip(IpAddr),
    Email(String),
    /// An email address as an otherName (SmtpUTF8Mailbox), which OpenSSL checks as email.
    Mailbox(String),
    Uri(String),
    /// An iPAddress entry of neither 4 nor 16 bytes.
    BadAddress,
    Other,
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Name::Dns(name) => write!(f, "DNS:{name}"),
            Name::Ip(ip) => write!(f, "IP:{ip}"),
            Name::Email(address) => write!(f, "email:{address}"),
            Name::Mailbox(address) => write!(f, "othername:SmtpUTF8Mailbox:{address}"),
            Name::Uri(uri) => write!(f, "URI:{uri}"),
            Name::BadAddress => f.write_str("IP:<malformed>"),
            Name::Other => f.write_str("a name of another kind"),
        }
    }
}

impl<'a> Cert<'a> {
    /// None unless `der` is exactly one certificate.
    pub fn parse(der: &'a [u8]) -> Option<Cert<'a>> {
        match X509Certificate::from_der(der) {
            Ok(([], x509)) => Some(Cert { der, x509 }),
            _ => None,
        }
    }

    pub fn subject(&self) -> String {
        name_text(self.x509.subject())
    }

    pub fn issuer(&self) -> String {
        name_text(self.x509.issuer())
    }

    pub fn is_v1(&self) -> bool {
        self.x509.version().0 == 0
    }

    /// Whether `issuer`'s subject is the name this certificate gives as its issuer.
    pub fn names_as_issuer(&self, issuer: &Cert<'_>) -> bool {
        self.x509.issuer().as_raw() == issuer.x509.subject().as_raw()
    }

    /// OpenSSL's "self-signed": issued under its own name, by its own key as far as its
    /// authorityKeyIdentifier says, with a signature algorithm for its own kind of key. Only
    /// such a certificate ends a chain for OpenSSL; any other trusted one needs its issuer too.
    pub fn self_issued(&self) -> bool {
        self.x509.subject().as_raw() == self.x509.issuer().as_raw()
            && self.akid_allows(self)
            && self.signature_fits_own_key()
    }

    /// OpenSSL's X509_check_akid: whatever this certificate's authorityKeyIdentifier says of its
    /// issuer (key identifier, issuer name and serial) must hold of `issuer`.
    pub fn akid_allows(&self, issuer: &Cert<'_>) -> bool {
        let Some(akid) = self
            .x509
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(akid) => Some(akid),
                _ => None,
            })
        else {
            return true;
        };
        if let (Some(wanted), Some(own)) = (&akid.key_identifier, issuer.subject_key_id())
            && wanted.0 != own
        {
            return false;
        }
        if let Some(serial) = akid.authority_cert_serial
            && serial != issuer.x509.raw_serial()
        {
            return false;
        }
        if let Some(names) = &akid.authority_cert_issuer {
            let named = names.iter().any(|n| match n {
                GeneralName::DirectoryName(name) => name.as_raw() == issuer.x509.issuer().as_raw(),
                _ => false,
            });
            if !named {
                return false;
            }
        }
        true
    }

    fn subject_key_id(&self) -> Option<&[u8]> {
        self.x509
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0),
                _ => None,
            })
    }

    /// The signature algorithm is one for the certificate's own kind of key.
    fn signature_fits_own_key(&self) -> bool {
        let signature = self.x509.signature_algorithm.algorithm.to_id_string();
        let key = self.x509.public_key().algorithm.algorithm.to_id_string();
        match key.as_str() {
            RSA_ENCRYPTION => signature.starts_with("1.2.840.113549.1.1."),
            EC_PUBLIC_KEY => signature.starts_with("1.2.840.10045.4."),
            ED25519 => signature == ED25519,
            _ => true,
        }
    }

    fn extension(&self, wanted: fn(&ParsedExtension<'a>) -> bool) -> Option<&X509Extension<'a>> {
        self.x509
            .extensions()
            .iter()
            .find(|ext| wanted(ext.parsed_extension()))
    }

    /// basicConstraints as (CA, path length limit), if the certificate has it.
    pub fn basic_constraints(&self) -> Option<(bool, Option<u32>)> {
        match self
            .extension(|e| matches!(e, ParsedExtension::BasicConstraints(_)))?
            .parsed_extension()
        {
            ParsedExtension::BasicConstraints(bc) => Some((bc.ca, bc.path_len_constraint)),
            _ => None,
        }
    }

    pub fn says_ca(&self) -> bool {
        matches!(self.basic_constraints(), Some((true, _)))
    }

    /// Within its validity dates by this machine's clock.
    pub fn valid_now(&self) -> bool {
        self.x509.validity().is_valid()
    }

    /// keyUsage as OpenSSL reads it: the BIT STRING's bits (unused ones cleared), first byte
    /// low, second byte high. `Err` when the extension is not a BIT STRING.
    pub fn key_usage_bits(&self) -> Result<Option<u16>, ()> {
        let Some(bits) = self.bit_string(KEY_USAGE)? else {
            return Ok(None);
        };
        let low = u16::from(bits.first().copied().unwrap_or(0));
        let high = u16::from(bits.get(1).copied().unwrap_or(0));
        Ok(Some(low | high << 8))
    }

    /// nsCertType's first byte, as OpenSSL reads it.
    pub fn netscape_bits(&self) -> Result<Option<u8>, ()> {
        Ok(self
            .bit_string(NS_CERT_TYPE)?
            .map(|bits| bits.first().copied().unwrap_or(0)))
    }

    fn bit_string(&self, oid: &str) -> Result<Option<Vec<u8>>, ()> {
        let Some(ext) = self
            .x509
            .extensions()
            .iter()
            .find(|e| e.oid.to_id_string() == oid)
        else {
            return Ok(None);
        };
        let value = ext.value;
        if value.first() != Some(&0x03) {
            return Err(());
        }
        let (_, contents, _) = der::element(value).ok_or(())?;
        let (&unused, data) = contents.split_first().ok_or(())?;
        if unused > 7 || (data.is_empty() && unused != 0) {
            return Err(());
        }
        let mut data = data.to_vec();
        if let Some(last) = data.last_mut() {
            *last &= 0xffu8 << unused;
        }
        Ok(Some(data))
    }

    /// Whether the nameConstraints use minimum or maximum, which OpenSSL refuses (and moth
    /// does not read).
    pub fn constraints_use_min_max(&self) -> bool {
        let Some(ext) = self
            .x509
            .extensions()
            .iter()
            .find(|e| e.oid.to_id_string() == NAME_CONSTRAINTS)
        else {
            return false;
        };
        let Some((_, mut groups, _)) = der::element(ext.value) else {
            return false;
        };
        while let Some((_, subtrees, rest)) = der::element(groups) {
            groups = rest;
            let mut subtrees = subtrees;
            while let Some((_, subtree, rest)) = der::element(subtrees) {
                subtrees = rest;
                let Some((_, _, after_base)) = der::element(subtree) else {
                    return true;
                };
                // Only a minimum of 0 may follow the base (DER would leave even that out).
                if !after_base.is_empty() && after_base != [0x80, 0x01, 0x00] {
                    return true;
                }
            }
        }
        false
    }

    pub fn name_constraints(&self) -> Option<&NameConstraints<'a>> {
        match self
            .extension(|e| matches!(e, ParsedExtension::NameConstraints(_)))?
            .parsed_extension()
        {
            ParsedExtension::NameConstraints(nc) => Some(nc),
            _ => None,
        }
    }

    /// The purposes extendedKeyUsage allows, by name; None without the extension.
    pub fn purposes(&self) -> Option<Vec<String>> {
        let ext = self.extension(|e| matches!(e, ParsedExtension::ExtendedKeyUsage(_)))?;
        let ParsedExtension::ExtendedKeyUsage(eku) = ext.parsed_extension() else {
            return None;
        };
        let mut names: Vec<String> = [
            (eku.server_auth, "serverAuth"),
            (eku.client_auth, "clientAuth"),
            (eku.code_signing, "codeSigning"),
            (eku.email_protection, "emailProtection"),
            (eku.time_stamping, "timeStamping"),
            (eku.ocsp_signing, "OCSPSigning"),
            (eku.any, "anyExtendedKeyUsage"),
        ]
        .iter()
        .filter(|(set, _)| *set)
        .map(|(_, name)| name.to_string())
        .collect();
        names.extend(
            eku.other
                .iter()
                .map(|oid| match oid.to_id_string().as_str() {
                    // Server Gated Crypto (Netscape, Microsoft): OpenSSL takes either for serverAuth.
                    SGC_NETSCAPE | SGC_MICROSOFT => "serverGatedCrypto".to_string(),
                    other => other.to_string(),
                }),
        );
        Some(names)
    }

    /// The subjectAltName's names, in order; empty without the extension.
    pub fn alt_names(&self) -> Vec<Name> {
        let Some(ext) = self.extension(|e| matches!(e, ParsedExtension::SubjectAlternativeName(_)))
        else {
            return Vec::new();
        };
        let ParsedExtension::SubjectAlternativeName(san) = ext.parsed_extension() else {
            return Vec::new();
        };
        san.general_names
            .iter()
            .map(|name| match name {
                GeneralName::DNSName(dns) => Name::Dns(dns.to_string()),
                GeneralName::IPAddress(bytes) => ip_from(bytes).map_or(Name::BadAddress, Name::Ip),
                GeneralName::RFC822Name(address) => Name::Email(address.to_string()),
                GeneralName::OtherName(oid, value) if oid.to_id_string() == SMTP_UTF8_MAILBOX => {
                    Name::Mailbox(String::from_utf8_lossy(value).into_owned())
                }
                GeneralName::URI(uri) => Name::Uri(uri.to_string()),
                _ => Name::Other,
            })
            .collect()
    }

    pub fn has_dns_alt_name(&self) -> bool {
        self.alt_names().iter().any(|n| matches!(n, Name::Dns(_)))
    }

    /// The subject's CNs that can be read as text.
    pub fn common_names(&self) -> Vec<&str> {
        self.x509
            .subject()
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok())
            .collect()
    }

    /// The subject's emailAddress attributes: (as text, written as IA5String as OpenSSL wants).
    pub fn subject_emails(&self) -> Vec<(String, bool)> {
        self.x509
            .subject()
            .iter_email()
            .map(|a| {
                (
                    String::from_utf8_lossy(a.as_slice()).into_owned(),
                    a.attr_value().tag() == x509_parser::der_parser::asn1_rs::Tag::Ia5String,
                )
            })
            .collect()
    }

    /// The size of an RSA key in bits; None for other keys.
    pub fn rsa_bits(&self) -> Option<usize> {
        let spki = self.x509.public_key();
        if spki.algorithm.algorithm.to_id_string() != RSA_ENCRYPTION {
            return None;
        }
        match spki.parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
                let modulus: Vec<u8> = rsa
                    .modulus
                    .iter()
                    .copied()
                    .skip_while(|b| *b == 0)
                    .collect();
                let top = modulus
                    .first()
                    .map_or(0, |b| 8 - b.leading_zeros() as usize);
                Some(modulus.len().saturating_sub(1) * 8 + top)
            }
            _ => None,
        }
    }

    /// The kind of key the certificate holds, as "an RSA", "an ECDSA" ...
    pub fn key_kind(&self) -> &'static str {
        match self
            .x509
            .public_key()
            .algorithm
            .algorithm
            .to_id_string()
            .as_str()
        {
            RSA_ENCRYPTION => "an RSA",
            EC_PUBLIC_KEY => "an ECDSA",
            ED25519 => "an Ed25519",
            _ => "another kind of",
        }
    }

    /// The SubjectPublicKeyInfo's contents, as webpki keeps a trust anchor's key.
    pub fn spki_contents(&self) -> &[u8] {
        der::contents(self.x509.public_key().raw).unwrap_or_default()
    }

    /// Did this certificate's key make `child`'s signature? Checked with the same algorithms, and
    /// so the same refusals (no SHA-1, no small RSA keys), as webpki.
    pub fn signed(&self, child: &[u8], algorithms: &WebPkiSupportedAlgorithms) -> Signature {
        signed_with(child, self.spki_contents(), algorithms)
    }
}

/// Did the key whose SubjectPublicKeyInfo contents are `spki` make `cert`'s signature?
pub fn signed_with(cert: &[u8], spki: &[u8], algorithms: &WebPkiSupportedAlgorithms) -> Signature {
    let (Some(signed), Some((key_alg, key))) = (der::signed(cert), der::spki(spki)) else {
        return Signature::Invalid;
    };
    let mut result = Signature::Unsupported;
    for alg in algorithms.all {
        if alg.signature_alg_id().as_ref() != signed.algorithm
            || alg.public_key_alg_id().as_ref() != key_alg
        {
            continue;
        }
        if alg
            .verify_signature(key, signed.data, signed.signature)
            .is_ok()
        {
            return Signature::Valid;
        }
        result = Signature::Invalid;
    }
    result
}

const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const ED25519: &str = "1.3.101.112";
const SGC_NETSCAPE: &str = "2.16.840.1.113730.4.1";
const KEY_USAGE: &str = "2.5.29.15";
const NS_CERT_TYPE: &str = "2.16.840.1.113730.1.1";
const NAME_CONSTRAINTS: &str = "2.5.29.30";
const SMTP_UTF8_MAILBOX: &str = "1.3.6.1.5.5.7.8.9";
const SGC_MICROSOFT: &str = "1.3.6.1.4.1.311.10.3.3";

pub fn name_text(name: &X509Name<'_>) -> String {
    match name.to_string_with_registry(x509_parser::objects::oid_registry()) {
        Ok(text) if !text.is_empty() => text,
        _ => "an unreadable name".into(),
    }
}

pub fn ip_from(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}
