//! Certificates written in ways OpenSSL reads differently from a forgiving parser: malformed or
//! odd extensions, names with a trailing dot, names OpenSSL compares under constraints that webpki
//! never reads, and a root renewed under its old name and key. Each case is judged by `openssl
//! verify` first (see support/oracle.rs); moth must refuse whatever OpenSSL refuses.

use crate::support::forge::Spec;
use crate::support::oracle::{Case, Host, check_all, forge};

const SAN: &str = "subjectAltName=DNS:broker.example";

#[test]
fn extensions_as_openssl_reads_them() {
    let (_dir, forge) = forge();
    let root = forge.make(Spec::new("root", "Root").ca());
    let mut cases = Vec::new();
    let malformed = |ext: &str| {
        format!(
            "the broker's certificate has a malformed {ext} extension; the broker needs a new certificate"
        )
    };
    let leaves = [
        (
            "keyUsage with eight unused bits",
            "2.5.29.15=critical,DER:03020880",
            malformed("keyUsage, 2.5.29.15"),
        ),
        (
            "keyUsage decipherOnly alone",
            "keyUsage=critical,decipherOnly",
            "the broker's certificate is not meant for TLS servers: its key usage allows decipherOnly, and a server's key needs digitalSignature or keyEncipherment; make it again with keyUsage = digitalSignature, keyEncipherment".into(),
        ),
        (
            "an nsCertType whose server bit is in its second byte",
            "2.16.840.1.113730.1.1=DER:0303000040",
            "the broker's certificate is not meant for TLS servers: its Netscape certificate type is nothing, not server; make it again with nsCertType = server, or without nsCertType".into(),
        ),
        (
            "a CRL distribution point that names nothing",
            "2.5.29.31=DER:30023000",
            malformed("crlDistributionPoints, 2.5.29.31"),
        ),
        (
            "a critical certificate transparency list",
            "1.3.6.1.4.1.11129.2.4.2=critical,DER:0400",
            "the broker's certificate has a critical extension moth does not process (ctSCTList, 1.3.6.1.4.1.11129.2.4.2), so it cannot be trusted; the broker needs a new certificate without it".into(),
        ),
        (
            "proxyCertInfo",
            "proxyCertInfo=critical,language:id-ppl-anyLanguage",
            "the broker's certificate is a proxy certificate (it has a proxyCertInfo extension), which OpenSSL refuses for TLS; the broker needs a new certificate without it".into(),
        ),
    ];
    for (n, (what, ext, sentence)) in leaves.into_iter().enumerate() {
        let leaf = forge.make(
            Spec::new(format!("ext{n}"), "broker.example")
                .by(&root)
                .ext(ext)
                .ext(SAN),
        );
        cases.push(
            Case::new(
                format!("a leaf with {what}"),
                &[&leaf],
                &[&root],
                Host::Name("broker.example"),
            )
            .refused(sentence),
        );
    }
    // An authorityKeyIdentifier that names another key than the issuer's: no issuer for OpenSSL.
    let keyed_root = forge.make(
        Spec::new("keyedroot", "Keyed Root")
            .ca()
            .ext("subjectKeyIdentifier=hash"),
    );
    let other_key = forge.make(
        Spec::new("otherkey", "broker.example")
            .by(&keyed_root)
            .ext("2.5.29.35=DER:301680140102030405060708090A0B0C0D0E0F1011121314")
            .ext(SAN),
    );
    cases.push(
        Case::new(
            "a leaf whose authorityKeyIdentifier names another key",
            &[&other_key],
            &[&keyed_root],
            Host::Name("broker.example"),
        )
        .refused(
            "the broker's certificate says it was issued by another key or certificate than that of CN=Keyed Root (its authorityKeyIdentifier does not match), so that CA does not vouch for it; pass the CA certificate that issued it with --cafile",
        ),
    );
    // An intermediate whose (non-critical) keyUsage lacks keyCertSign.
    let no_sign = forge.make(
        Spec::new("nosign", "Signs Nothing")
            .by(&root)
            .ext("basicConstraints=critical,CA:TRUE")
            .ext("keyUsage=digitalSignature"),
    );
    let under_no_sign = forge.make(
        Spec::new("undernosign", "broker.example")
            .by(&no_sign)
            .ext(SAN),
    );
    cases.push(
        Case::new(
            "a leaf under an intermediate with keyUsage digitalSignature only",
            &[&under_no_sign, &no_sign],
            &[&root],
            Host::Name("broker.example"),
        )
        .refused(
            "the intermediate CA certificate CN=Signs Nothing in the broker's chain may not sign certificates: its key usage allows digitalSignature, not keyCertSign; that CA must be made again with keyUsage = keyCertSign, cRLSign",
        ),
    );
    check_all(&forge, &cases);
}

#[test]
fn host_names_exactly_as_openssl_compares_them() {
    let (_dir, forge) = forge();
    let root = forge.make(Spec::new("root", "Root").ca());
    let dotted_san = forge.make(
        Spec::new("dottedsan", "dotted")
            .by(&root)
            .ext("subjectAltName=DNS:broker.example."),
    );
    let dotted_cn = forge.make(
        Spec::new("dottedcn", "broker.example.")
            .by(&root)
            .ext("basicConstraints=CA:FALSE"),
    );
    let star = forge.make(
        Spec::new("star", "star")
            .by(&root)
            .ext("subjectAltName=DNS:*.good.example"),
    );
    let cases = vec![
        Case::new(
            "DNS:broker.example. for broker.example",
            &[&dotted_san],
            &[&root],
            Host::Name("broker.example"),
        )
        .refused(
            "the broker's certificate does not match the host name broker.example (it is for: DNS:broker.example.); connect by a name it lists",
        ),
        Case::new(
            "CN=broker.example. for broker.example",
            &[&dotted_cn],
            &[&root],
            Host::Name("broker.example"),
        )
        .refused(
            "the broker's certificate does not match the host name broker.example (it is for: CN=broker.example.); connect by a name it lists",
        ),
        Case::new(
            "DNS:*.good.example for a_b.good.example",
            &[&star],
            &[&root],
            Host::Name("a_b.good.example"),
        )
        .refused(
            "the broker's certificate does not match the host name a_b.good.example (it is for: DNS:*.good.example); connect by a name it lists",
        ),
    ];
    check_all(&forge, &cases);
}

#[test]
fn names_under_constraints_webpki_does_not_read() {
    let (_dir, forge) = forge();
    let root = forge.make(Spec::new("root", "Root").ca());
    let mail_only = forge.make(
        Spec::new("mailonly", "Mail Good Only")
            .by(&root)
            .ca()
            .ext("nameConstraints=critical,permitted;email:good.example"),
    );
    let ip_only = forge.make(
        Spec::new("iponly", "Ten Only")
            .by(&root)
            .ca()
            .ext("nameConstraints=critical,permitted;IP:10.0.0.0/255.0.0.0"),
    );
    let min_max = forge.make(
        Spec::new("minmax", "Min One")
            .by(&root)
            .ca()
            .ext("2.5.29.30=critical,DER:3016A0143012820D2E676F6F642E6578616D706C65800101"),
    );
    let good = "subjectAltName=DNS:broker.good.example";
    let emailed = |name: &str, address: &str| {
        forge.make(
            Spec::new(name, "broker.good.example")
                .subject(&format!("/CN=broker.good.example/emailAddress={address}"))
                .by(&mail_only)
                .ext(good),
        )
    };
    let outside_mail = emailed("outsidemail", "ops@other.example");
    let inside_mail = emailed("insidemail", "ops@good.example");
    let mailbox = forge.make(
        Spec::new("mailbox", "broker.good.example")
            .by(&mail_only)
            .ext(&format!(
                "{good},otherName:1.3.6.1.5.5.7.8.9;UTF8:ops@other.example"
            )),
    );
    let short_address = forge.make(
        Spec::new("shortip", "broker.good.example")
            .by(&ip_only)
            .ext("2.5.29.17=DER:301A821362726F6B65722E676F6F642E6578616D706C6587030A0001"),
    );
    let under_min = forge.make(
        Spec::new("undermin", "broker.good.example")
            .by(&min_max)
            .ext(good),
    );
    let unchecked_mail = "the CA CN=Mail Good Only limits the email names it may vouch for, and moth does not check names of that kind, so it refuses the broker's certificate rather than trust it unchecked";
    let host = || Host::Name("broker.good.example");
    let cases = vec![
        Case::new(
            "a subject emailAddress outside an intermediate's email constraints",
            &[&outside_mail, &mail_only],
            &[&root],
            host(),
        )
        .refused(unchecked_mail),
        // OpenSSL accepts; moth does not compare email addresses, so it refuses.
        Case::new(
            "a subject emailAddress inside an intermediate's email constraints",
            &[&inside_mail, &mail_only],
            &[&root],
            host(),
        )
        .stricter(unchecked_mail),
        Case::new(
            "an SmtpUTF8Mailbox outside an intermediate's email constraints",
            &[&mailbox, &mail_only],
            &[&root],
            host(),
        )
        .refused(unchecked_mail),
        Case::new(
            "a 3-byte IP address under an intermediate's IP constraints",
            &[&short_address, &ip_only],
            &[&root],
            host(),
        )
        .refused(
            "the broker's certificate has an IP address in its subjectAltName that is neither 4 nor 16 bytes, which cannot be checked against the names the CA CN=Ten Only may vouch for (OpenSSL refuses it too); the broker needs a new certificate without it",
        ),
        Case::new(
            "a name constraint with a minimum",
            &[&under_min, &min_max],
            &[&root],
            host(),
        )
        .refused(
            "the CA CN=Min One gives a minimum or maximum in its name constraints, which OpenSSL refuses and moth does not read; that CA must be made again without them",
        ),
    ];
    check_all(&forge, &cases);
}

#[test]
fn a_root_renewed_under_its_own_name_and_key() {
    let (_dir, forge) = forge();
    let expired = forge.make(
        Spec::new("expired", "Twin Root")
            .ca()
            .dates("20200101000000Z", "20210101000000Z"),
    );
    let current = forge.make(Spec::new("current", "Twin Root").ca().key_of(&expired));
    let leaf = forge.make(Spec::new("leaf", "broker.example").by(&current).ext(SAN));
    let cases = vec![
        Case::new(
            "the expired twin given first",
            &[&leaf],
            &[&expired, &current],
            Host::Name("broker.example"),
        )
        .accepted(),
        Case::new(
            "the current twin given first",
            &[&leaf],
            &[&current, &expired],
            Host::Name("broker.example"),
        )
        .accepted(),
    ];
    check_all(&forge, &cases);
}
