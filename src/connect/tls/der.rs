//! Just enough DER to find a certificate's signed bytes, its signature and a key's algorithm:
//! webpki's own parser refuses X.509 v1 certificates, and x509-parser does not keep these as raw
//! bytes.

/// (whole element, contents, rest) of the element at the start of `input`, whatever its tag.
pub fn element(input: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    // Tags here are all single-byte (SEQUENCE, BIT STRING, context tags under 31).
    let (&len0, rest) = input.get(1..)?.split_first()?;
    let (len, rest) = match len0 {
        n if n < 0x80 => (n as usize, rest),
        0x81..=0x84 => {
            let n = (len0 & 0x7f) as usize;
            if rest.len() < n {
                return None;
            }
            let len = rest[..n]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | *b as usize);
            (len, &rest[n..])
        }
        _ => return None,
    };
    if rest.len() < len {
        return None;
    }
    let whole = &input[..input.len() - rest.len() + len];
    Some((whole, &rest[..len], &rest[len..]))
}

/// The contents of the element `input` holds (a name or SubjectPublicKeyInfo as webpki keeps
/// them in a trust anchor).
pub fn contents(input: &[u8]) -> Option<&[u8]> {
    element(input).map(|(_, contents, _)| contents)
}

pub struct Signed<'a> {
    /// The whole TBSCertificate element: what the issuer signed.
    pub data: &'a [u8],
    /// The contents of the signatureAlgorithm AlgorithmIdentifier.
    pub algorithm: &'a [u8],
    pub signature: &'a [u8],
}

pub fn signed(cert: &[u8]) -> Option<Signed<'_>> {
    let (_, body, _) = element(cert)?;
    let (data, _, rest) = element(body)?;
    let (_, algorithm, rest) = element(rest)?;
    let (_, bits, _) = element(rest)?;
    // A BIT STRING's first byte counts unused bits; signatures use whole bytes.
    let (&0, signature) = bits.split_first()? else {
        return None;
    };
    Some(Signed {
        data,
        algorithm,
        signature,
    })
}

/// What OpenSSL reads of a certificate's layout that x509-parser smooths over.
pub struct Layout<'a> {
    /// The TBSCertificate's signature AlgorithmIdentifier, whole.
    pub inner_algorithm: &'a [u8],
    /// The outer signatureAlgorithm, whole: it must be the same.
    pub outer_algorithm: &'a [u8],
    /// notBefore and notAfter: (tag, contents).
    pub validity: [(u8, &'a [u8]); 2],
}

pub fn layout(cert: &[u8]) -> Option<Layout<'_>> {
    let (_, body, _) = element(cert)?;
    let (_, tbs, rest) = element(body)?;
    let (outer_algorithm, _, _) = element(rest)?;
    let mut fields = tbs;
    // [0] version, when present.
    if fields.first() == Some(&0xa0) {
        fields = element(fields)?.2;
    }
    let (_, _, fields) = element(fields)?; // serialNumber
    let (inner_algorithm, _, fields) = element(fields)?;
    let (_, _, fields) = element(fields)?; // issuer
    let (_, validity, _) = element(fields)?;
    let (_, not_before, rest) = element(validity)?;
    let (_, not_after, _) = element(rest)?;
    Some(Layout {
        inner_algorithm,
        outer_algorithm,
        validity: [(validity[0], not_before), (rest[0], not_after)],
    })
}

/// (algorithm contents, key bits) of a SubjectPublicKeyInfo's contents.
pub fn spki(contents: &[u8]) -> Option<(&[u8], &[u8])> {
    let (_, algorithm, rest) = element(contents)?;
    let (_, bits, _) = element(rest)?;
    let (&0, key) = bits.split_first()? else {
        return None;
    };
    Some((algorithm, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_short_long_and_truncated() {
        assert_eq!(contents(&[0x30, 0x81, 0x01, 0xaa]), Some(&[0xaa][..]));
        assert_eq!(contents(&[0x30, 0x05, 0x01]), None);
        assert_eq!(contents(&[0x30]), None);
        assert_eq!(contents(&[0x30, 0x85, 0, 0, 0, 0, 1]), None);
    }
}
