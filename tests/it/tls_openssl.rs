//! moth refuses every chain OpenSSL 3 refuses. Each case is made with OpenSSL's own commands,
//! judged first by `openssl verify -purpose sslserver` with the host name or address (the oracle:
//! what OpenSSL decides), then served by a TLS front that presents exactly that chain and key in
//! front of a real Mosquitto; moth's verdict is asserted, a refusal with its sentence. A case
//! moth refuses where OpenSSL accepts says why in its description.

use crate::support::forge::Spec;
use crate::support::oracle::{Case, Host, check_all, forge, three_leaves};

/// moth checks a v1 certificate only against the root that signed it; OpenSSL goes further.
fn not_direct_v1(intermediate: &str) -> String {
    format!(
        "the broker's certificate is an X.509 v1 certificate issued by {intermediate}, which is not a root CA, and moth checks such a certificate only when a root CA given with --cafile or --capath signed it directly; make the certificate again as X.509 v3 with a subjectAltName (`-extfile` with subjectAltName = DNS:HOST)"
    )
}

#[test]
fn name_constraints_cover_the_cn() {
    let (_dir, forge) = forge();
    let root = forge.make(Spec::new("root", "Root").ca());
    let constrained = forge.make(
        Spec::new("nc", "Good Only")
            .by(&root)
            .ca()
            .ext("nameConstraints=critical,permitted;DNS:.good.example"),
    );
    let constrained_root = forge.make(
        Spec::new("ncroot", "Good Root")
            .ca()
            .ext("nameConstraints=critical,permitted;DNS:.good.example"),
    );
    let mut cases = Vec::new();
    let outside = |ca: &str| {
        format!(
            "the broker's certificate is for other.example, a name the CA CN={ca} may not vouch for (permitted: .good.example); the broker needs a certificate for a name that CA allows"
        )
    };
    for (kind, leaf) in three_leaves(&forge, "other", "other.example", &constrained) {
        let case = Case::new(
            format!("{kind} other.example under an intermediate permitted .good.example"),
            &[&leaf, &constrained],
            &[&root],
            Host::Name("other.example"),
        );
        cases.push(case.refused(outside("Good Only")));
    }
    for (kind, leaf) in three_leaves(&forge, "inside", "broker.good.example", &constrained) {
        let case = Case::new(
            format!("{kind} broker.good.example under the same intermediate"),
            &[&leaf, &constrained],
            &[&root],
            Host::Name("broker.good.example"),
        );
        cases.push(match kind {
            // OpenSSL accepts; moth checks a v1 certificate only against the root that signed it.
            "v1" => case.stricter(not_direct_v1("CN=Good Only")),
            _ => case.accepted(),
        });
    }
    for (kind, leaf) in three_leaves(&forge, "rootother", "other.example", &constrained_root) {
        cases.push(
            Case::new(
                format!("{kind} other.example issued by a root permitted .good.example"),
                &[&leaf],
                &[&constrained_root],
                Host::Name("other.example"),
            )
            .refused(outside("Good Root")),
        );
    }
    for (kind, leaf) in three_leaves(&forge, "rootin", "broker.good.example", &constrained_root) {
        cases.push(
            Case::new(
                format!("{kind} broker.good.example issued by that root"),
                &[&leaf],
                &[&constrained_root],
                Host::Name("broker.good.example"),
            )
            .accepted(),
        );
    }
    // A one-label CN is no host name to OpenSSL, so no DNS constraint covers it.
    let local = forge.make(
        Spec::new("local", "localhost")
            .by(&constrained)
            .ext("basicConstraints=CA:FALSE"),
    );
    cases.push(
        Case::new(
            "CN-only localhost under that intermediate",
            &[&local, &constrained],
            &[&root],
            Host::Name("localhost"),
        )
        .accepted(),
    );
    // The CN is checked under constraints even when the name used is an IP address.
    let by_ip = forge.make(
        Spec::new("byip", "other.example")
            .by(&constrained)
            .ext("subjectAltName=IP:127.0.0.1"),
    );
    cases.push(
        Case::new(
            "IP-only SAN with CN other.example under that intermediate, by address",
            &[&by_ip, &constrained],
            &[&root],
            Host::Loopback,
        )
        .refused(outside("Good Only")),
    );
    check_all(&forge, &cases);
}

#[test]
fn what_an_intermediate_may_not_do() {
    let (_dir, forge) = forge();
    let root = forge.make(Spec::new("root", "Root").ca());
    let mut cases = Vec::new();
    let restricted = [
        (
            "clientAuth",
            "extendedKeyUsage=clientAuth",
            "the intermediate CA certificate CN=Client Only in the broker's chain may only vouch for clientAuth, not for TLS servers (its extended key usage lacks serverAuth); the broker needs a chain whose CAs allow serverAuth",
            "Client Only",
        ),
        (
            "emailProtection",
            "extendedKeyUsage=emailProtection",
            "the intermediate CA certificate CN=Mail Only in the broker's chain may only vouch for emailProtection, not for TLS servers (its extended key usage lacks serverAuth); the broker needs a chain whose CAs allow serverAuth",
            "Mail Only",
        ),
        (
            "an unknown critical extension",
            "1.2.3.4.5=critical,ASN1:UTF8String:restricted",
            "the intermediate CA certificate CN=Odd Extension in the broker's chain has a critical extension moth does not process (1.2.3.4.5), so it cannot be trusted; that CA must be made again without it",
            "Odd Extension",
        ),
        (
            "keyUsage without keyCertSign",
            "keyUsage=critical,digitalSignature,cRLSign",
            "the intermediate CA certificate CN=No Cert Sign in the broker's chain may not sign certificates: its key usage allows digitalSignature, cRLSign, not keyCertSign; that CA must be made again with keyUsage = keyCertSign, cRLSign",
            "No Cert Sign",
        ),
    ];
    for (n, (what, ext, sentence, cn)) in restricted.iter().enumerate() {
        let stem = format!("int{n}");
        let mut spec = Spec::new(stem, *cn)
            .by(&root)
            .ext("basicConstraints=critical,CA:TRUE");
        if !ext.starts_with("keyUsage") {
            spec = spec.ext("keyUsage=critical,keyCertSign,cRLSign");
        }
        let intermediate = forge.make(spec.ext(ext));
        for (kind, leaf) in
            three_leaves(&forge, &format!("leaf{n}"), "broker.example", &intermediate)
        {
            let case = Case::new(
                format!("{kind} leaf under an intermediate with {what}"),
                &[&leaf, &intermediate],
                &[&root],
                Host::Name("broker.example"),
            );
            cases.push(case.refused(*sentence));
        }
    }

    // pathlen:0, then another CA below it.
    let zero = forge.make(
        Spec::new("zero", "Path Zero")
            .by(&root)
            .ext("basicConstraints=critical,CA:TRUE,pathlen:0")
            .ext("keyUsage=critical,keyCertSign,cRLSign"),
    );
    let below = forge.make(Spec::new("below", "Below Zero").by(&zero).ca());
    for (kind, leaf) in three_leaves(&forge, "deep", "broker.example", &below) {
        let case = Case::new(
            format!("{kind} leaf two CAs below a pathlen:0 intermediate"),
            &[&leaf, &below, &zero],
            &[&root],
            Host::Name("broker.example"),
        );
        cases.push(case.refused(
            "the intermediate CA certificate CN=Path Zero in the broker's chain allows 0 intermediate CA(s) below it (pathlen:0), but the broker's chain has 1; the broker needs a chain that CA allows",
        ));
    }

    // An expired intermediate is named, not blamed on the broker's own certificate.
    let old = forge.make(
        Spec::new("old", "Old Intermediate")
            .by(&root)
            .ca()
            .dates("20200101000000Z", "20210101000000Z"),
    );
    let under_old = forge.make(
        Spec::new("underold", "broker.example")
            .by(&old)
            .ext("subjectAltName=DNS:broker.example"),
    );
    cases.push(
        Case::new(
            "SAN leaf under an expired intermediate",
            &[&under_old, &old],
            &[&root],
            Host::Name("broker.example"),
        )
        .refused(
            "the intermediate CA certificate CN=Old Intermediate in the broker's chain expired on 2021-01-01; the broker needs a chain with a current intermediate (or this machine's clock is wrong)",
        ),
    );

    // One unrelated X.509 v1 certificate among what the broker sends changes nothing.
    let odd = forge.make(
        Spec::new("odd", "Odd Extension Again")
            .by(&root)
            .ca()
            .ext("1.2.3.4.5=critical,ASN1:UTF8String:restricted"),
    );
    let under_odd = forge.make(
        Spec::new("underodd", "broker.example")
            .by(&odd)
            .ext("subjectAltName=DNS:broker.example"),
    );
    let stray = forge.make(Spec::new("stray", "Stray V1").by(&root));
    for (what, chain) in [
        ("alone", vec![&under_odd, &odd]),
        (
            "with a stray v1 certificate",
            vec![&under_odd, &odd, &stray],
        ),
    ] {
        cases.push(
            Case::new(
                format!("SAN leaf under an intermediate with an unknown critical extension, {what}"),
                &chain,
                &[&root],
                Host::Name("broker.example"),
            )
            .refused(
                "the intermediate CA certificate CN=Odd Extension Again in the broker's chain has a critical extension moth does not process (1.2.3.4.5), so it cannot be trusted; that CA must be made again without it",
            ),
        );
    }
    check_all(&forge, &cases);
}

#[test]
fn what_a_root_given_may_not_do() {
    let (_dir, forge) = forge();
    let mut cases = Vec::new();
    let roots = [
        (
            "an expired root",
            forge.make(
                Spec::new("expired", "Expired Root")
                    .ca()
                    .dates("20200101000000Z", "20210101000000Z"),
            ),
            "the certificate CN=Expired Root given with --cafile expired on 2021-01-01, so it vouches for nothing now; use a current copy of that CA (or check this machine's clock)",
        ),
        (
            "a root whose keyUsage lacks keyCertSign",
            forge.make(
                Spec::new("nosign", "No Sign Root")
                    .ext("basicConstraints=critical,CA:TRUE")
                    .ext("keyUsage=critical,digitalSignature"),
            ),
            "the certificate CN=No Sign Root given with --cafile may not sign certificates: its key usage allows digitalSignature, not keyCertSign; that CA must be made again with keyUsage = keyCertSign, cRLSign",
        ),
        (
            "a v3 root that does not say it is a CA",
            forge.make(Spec::new("plain", "Plain Root").ext("subjectKeyIdentifier=hash")),
            "the certificate CN=Plain Root given with --cafile does not say it is a CA (it has neither basicConstraints CA:TRUE nor keyUsage keyCertSign), so it cannot vouch for other certificates; that CA must be made again with `-extensions v3_ca`",
        ),
        (
            "a root for clientAuth only",
            forge.make(
                Spec::new("clientroot", "Client Root")
                    .ca()
                    .ext("extendedKeyUsage=clientAuth"),
            ),
            "the certificate CN=Client Root given with --cafile may only vouch for clientAuth, not for TLS servers (its extended key usage lacks serverAuth); the broker needs a chain whose CAs allow serverAuth",
        ),
        (
            "a pinned self-signed CA:FALSE server certificate",
            forge.make(
                Spec::new("pinnedfalse", "pinned.example")
                    .ext("basicConstraints=CA:FALSE")
                    .ext("subjectAltName=DNS:pinned.example"),
            ),
            "the certificate CN=pinned.example given with --cafile is not a CA (CA:FALSE), so it cannot vouch for other certificates; pass the CA that issued the broker's certificate with --cafile",
        ),
    ];
    for (n, (what, root, sentence)) in roots.iter().enumerate() {
        for (kind, leaf) in three_leaves(&forge, &format!("by{n}"), "broker.example", root) {
            cases.push(
                Case::new(
                    format!("{kind} leaf issued by {what}"),
                    &[&leaf],
                    &[root],
                    Host::Name("broker.example"),
                )
                .refused(*sentence),
            );
        }
    }
    // pathlen:0 on the root itself, with an intermediate below.
    let zero = forge.make(
        Spec::new("rootzero", "Root Zero")
            .ext("basicConstraints=critical,CA:TRUE,pathlen:0")
            .ext("keyUsage=critical,keyCertSign,cRLSign"),
    );
    let intermediate = forge.make(Spec::new("mid", "Middle").by(&zero).ca());
    for (kind, leaf) in three_leaves(&forge, "underzero", "broker.example", &intermediate) {
        let case = Case::new(
            format!("{kind} leaf under an intermediate below a pathlen:0 root"),
            &[&leaf, &intermediate],
            &[&zero],
            Host::Name("broker.example"),
        );
        cases.push(case.refused(
            "the certificate CN=Root Zero given with --cafile allows 0 intermediate CA(s) below it (pathlen:0), but the broker's chain has 1; the broker needs a chain that CA allows",
        ));
    }
    // An intermediate alone in --cafile ends no chain: OpenSSL needs the root too.
    let root = forge.make(Spec::new("realroot", "Real Root").ca());
    let given_intermediate = forge.make(Spec::new("given", "Given Intermediate").by(&root).ca());
    let leaf = forge.make(
        Spec::new("undergiven", "broker.example")
            .by(&given_intermediate)
            .ext("subjectAltName=DNS:broker.example"),
    );
    cases.push(
        Case::new(
            "SAN leaf whose intermediate alone is given",
            &[&leaf],
            &[&given_intermediate],
            Host::Name("broker.example"),
        )
        .refused(
            "the broker's chain ends at CN=Given Intermediate given with --cafile, which is not a root CA (it is issued by CN=Real Root); moth, like OpenSSL, needs the root too: add CN=Real Root's certificate to --cafile",
        ),
    );
    cases.push(
        Case::new(
            "SAN leaf whose intermediate and root are given, the broker sending only its own",
            &[&leaf],
            &[&given_intermediate, &root],
            Host::Name("broker.example"),
        )
        .accepted(),
    );
    check_all(&forge, &cases);
}

#[test]
fn pinned_certificates_and_impostors() {
    let (_dir, forge) = forge();
    let mut cases = Vec::new();
    // What `openssl req -x509` makes (CA:TRUE), and a self-signed CA:FALSE server certificate.
    let ca_true = forge.make(
        Spec::new("selfca", "self.example")
            .ext("basicConstraints=critical,CA:TRUE")
            .ext("subjectAltName=DNS:self.example"),
    );
    let ca_false = forge.make(
        Spec::new("selffalse", "self.example")
            .ext("basicConstraints=CA:FALSE")
            .ext("subjectAltName=DNS:self.example"),
    );
    let v1 = forge.make(Spec::new("selfv1", "self.example"));
    for (what, pinned) in [("CA:TRUE", &ca_true), ("CA:FALSE", &ca_false), ("v1", &v1)] {
        cases.push(
            Case::new(
                format!("a pinned self-signed {what} certificate"),
                &[pinned],
                &[pinned],
                Host::Name("self.example"),
            )
            .accepted(),
        );
    }
    let client_only = forge.make(
        Spec::new("selfclient", "self.example")
            .ext("basicConstraints=CA:FALSE")
            .ext("subjectAltName=DNS:self.example")
            .ext("extendedKeyUsage=clientAuth"),
    );
    cases.push(
        Case::new(
            "a pinned certificate for clientAuth only",
            &[&client_only],
            &[&client_only],
            Host::Name("self.example"),
        )
        .refused(
            "the broker's certificate is not meant for TLS servers: its extended key usage allows clientAuth, not serverAuth; make it again with extendedKeyUsage = serverAuth",
        ),
    );
    // A leaf alone in --cafile that is not self-signed is not trusted on its own.
    let root = forge.make(Spec::new("root", "Root").ca());
    for (kind, leaf) in three_leaves(&forge, "alone", "broker.example", &root) {
        cases.push(
            Case::new(
                format!("a {kind} leaf alone in --cafile, not self-signed"),
                &[&leaf],
                &[&leaf],
                Host::Name("broker.example"),
            )
            .refused(
                "the broker's certificate is the one given with --cafile, but it is not self-signed (it is issued by CN=Root), so it cannot be trusted on its own; add CN=Root's certificate to --cafile",
            ),
        );
    }
    // Someone else's self-signed certificate, where the CA given should have signed.
    let mitm = forge.make(
        Spec::new("mitm", "broker.example")
            .ext("basicConstraints=critical,CA:TRUE")
            .ext("subjectAltName=DNS:broker.example"),
    );
    cases.push(
        Case::new(
            "a self-signed CA:TRUE certificate where the CA given should vouch",
            &[&mitm],
            &[&root],
            Host::Name("broker.example"),
        )
        .refused(
            "the broker's certificate (CN=broker.example) is self-signed and is not a certificate given with --cafile or --capath, so nothing vouches for it; if the broker's certificate did not change, something may be intercepting the connection",
        ),
    );
    // Another certificate with the pinned one's subject.
    for (what, pinned, other) in [
        ("CA:TRUE", &ca_true, "selfca2"),
        ("CA:FALSE", &ca_false, "selffalse2"),
    ] {
        let impostor = forge.make(
            Spec::new(other, "self.example")
                .ext(if what == "CA:TRUE" {
                    "basicConstraints=critical,CA:TRUE"
                } else {
                    "basicConstraints=CA:FALSE"
                })
                .ext("subjectAltName=DNS:self.example"),
        );
        cases.push(
            Case::new(
                format!("another {what} certificate with the pinned one's subject"),
                &[&impostor],
                &[pinned],
                Host::Name("self.example"),
            )
            .refused(
                "the broker's certificate bears the subject of the certificate CN=self.example given with --cafile, but is not that certificate (another key signed it); if the broker's certificate did not change, something may be intercepting the connection",
            ),
        );
    }
    check_all(&forge, &cases);
}

#[test]
fn what_the_servers_own_certificate_must_allow() {
    let (_dir, forge) = forge();
    let root = forge.make(Spec::new("root", "Root").ca());
    let mut cases = Vec::new();
    for (n, (what, ext, sentence)) in [
        (
            "keyUsage cRLSign only",
            "keyUsage=cRLSign",
            "the broker's certificate is not meant for TLS servers: its key usage allows cRLSign, and a server's key needs digitalSignature or keyEncipherment; make it again with keyUsage = digitalSignature, keyEncipherment",
        ),
        (
            "nsCertType client",
            "nsCertType=client",
            "the broker's certificate is not meant for TLS servers: its Netscape certificate type is client, not server; make it again with nsCertType = server, or without nsCertType",
        ),
        (
            "extendedKeyUsage emailProtection",
            "extendedKeyUsage=emailProtection",
            "the broker's certificate is not meant for TLS servers: its extended key usage allows emailProtection, not serverAuth; make it again with extendedKeyUsage = serverAuth",
        ),
        (
            "an unknown critical extension",
            "1.2.3.4.5=critical,ASN1:UTF8String:x",
            "the broker's certificate has a critical extension moth does not process (1.2.3.4.5), so it cannot be trusted; the broker needs a new certificate without it",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        for (kind, san) in [("CN-only v3", None), ("SAN v3", Some("subjectAltName=DNS:broker.example"))] {
            let mut spec = Spec::new(format!("u{n}{}", san.is_some() as u8), "broker.example")
                .by(&root)
                .ext(ext);
            if let Some(san) = san {
                spec = spec.ext(san);
            }
            let leaf = forge.make(spec);
            cases.push(
                Case::new(
                    format!("{kind} leaf with {what}"),
                    &[&leaf],
                    &[&root],
                    Host::Name("broker.example"),
                )
                .refused(sentence),
            );
        }
    }
    // A CA:TRUE server certificate from a trusted CA: OpenSSL takes it, so does moth.
    let ca_leaf = forge.make(
        Spec::new("caleaf", "broker.example")
            .by(&root)
            .ext("basicConstraints=critical,CA:TRUE")
            .ext("subjectAltName=DNS:broker.example"),
    );
    cases.push(
        Case::new(
            "a CA:TRUE server certificate issued by the root given",
            &[&ca_leaf],
            &[&root],
            Host::Name("broker.example"),
        )
        .accepted(),
    );
    // ... but not one whose key usage is a CA's only.
    let ca_usage = forge.make(
        Spec::new("causage", "broker.example")
            .by(&root)
            .ca()
            .ext("subjectAltName=DNS:broker.example"),
    );
    cases.push(
        Case::new(
            "a CA:TRUE server certificate with keyUsage keyCertSign, cRLSign",
            &[&ca_usage],
            &[&root],
            Host::Name("broker.example"),
        )
        .refused(
            "the broker's certificate is not meant for TLS servers: its key usage allows keyCertSign, cRLSign, and a server's key needs digitalSignature or keyEncipherment; make it again with keyUsage = digitalSignature, keyEncipherment",
        ),
    );
    check_all(&forge, &cases);
}

#[test]
fn names_as_openssl_checks_them() {
    let (_dir, forge) = forge();
    let root = forge.make(Spec::new("root", "Root").ca());
    let leaf = |name: &str, cn: &str, ext: Option<&str>| {
        let mut spec = Spec::new(name, cn).by(&root);
        if let Some(ext) = ext {
            spec = spec.ext(ext);
        }
        forge.make(spec)
    };
    let ip_only = leaf("iponly", "ip.example", Some("subjectAltName=IP:10.0.0.1"));
    let email_only = leaf(
        "emailonly",
        "mail.example",
        Some("subjectAltName=email:ops@mail.example"),
    );
    let dns_ip = leaf("dnsip", "127.0.0.1", Some("subjectAltName=DNS:127.0.0.1"));
    let cn_ip = leaf("cnip", "127.0.0.1", None);
    let star_com = leaf("starcom", "star", Some("subjectAltName=DNS:*.com"));
    let star = leaf("star", "star", Some("subjectAltName=DNS:*.good.example"));
    let cases = vec![
        // Where the subjectAltName holds no DNS name, OpenSSL reads the CN for a host name.
        Case::new(
            "an IP-only subjectAltName, by the CN's name",
            &[&ip_only],
            &[&root],
            Host::Name("ip.example"),
        )
        .accepted(),
        Case::new(
            "an email-only subjectAltName, by the CN's name",
            &[&email_only],
            &[&root],
            Host::Name("mail.example"),
        )
        .accepted(),
        Case::new(
            "an email-only subjectAltName, by another name",
            &[&email_only],
            &[&root],
            Host::Name("other.example"),
        )
        .refused(
            "the broker's certificate does not match the host name other.example (it is for: email:ops@mail.example, CN=mail.example); connect by a name it lists",
        ),
        // An address is looked for among IP addresses only (mosquitto_pub also takes these).
        Case::new(
            "DNS:127.0.0.1, by address",
            &[&dns_ip],
            &[&root],
            Host::Loopback,
        )
        .refused(
            "the broker's certificate does not match the address 127.0.0.1 (it holds DNS name 127.0.0.1, not IP address 127.0.0.1 (an address must be in subjectAltName as IP:127.0.0.1)); connect by a name it lists",
        ),
        Case::new("a v1 CN=127.0.0.1, by address", &[&cn_ip], &[&root], Host::Loopback).refused(
            "the broker's certificate does not match the address 127.0.0.1 (it holds 127.0.0.1 only in its CN, and an address is looked for in subjectAltName only (as IP:127.0.0.1)); connect by a name it lists",
        ),
        Case::new(
            "DNS:*.com for example.com",
            &[&star_com],
            &[&root],
            Host::Name("example.com"),
        )
        .refused(
            "the broker's certificate does not match the host name example.com (it is for: DNS:*.com); connect by a name it lists",
        ),
        Case::new(
            "DNS:*.good.example for broker.good.example",
            &[&star],
            &[&root],
            Host::Name("broker.good.example"),
        )
        .accepted(),
    ];
    check_all(&forge, &cases);
}

#[test]
fn keys_the_handshake_cannot_trust() {
    let (_dir, forge) = forge();
    let root = forge.make(Spec::new("root", "Root").ca());
    let san = "subjectAltName=DNS:broker.example";
    let ec_leaf = forge.make(Spec::new("ec", "broker.example").by(&root).ext(san));
    let v1_leaf = forge.make(Spec::new("v1", "broker.example").by(&root));
    let rsa_leaf = forge.make(
        Spec::new("rsa", "broker.example")
            .by(&root)
            .ext(san)
            .rsa(2048),
    );
    let weak_leaf = forge.make(
        Spec::new("weak", "broker.example")
            .by(&root)
            .ext(san)
            .rsa(1024),
    );
    let weak_root = forge.make(Spec::new("weakroot", "Weak Root").ca().rsa(1024));
    let under_weak = forge.make(
        Spec::new("underweak", "broker.example")
            .by(&weak_root)
            .ext(san),
    );
    let other_ec = forge.key("otherec", None);
    let name = Host::Name("broker.example");
    let mismatch = "the broker's TLS handshake signature does not verify with the key in its certificate: the broker's keyfile does not belong to its certfile (or something is impersonating the broker)";
    let cases = vec![
        Case::new("another EC key than the certificate's", &[&ec_leaf], &[&root], Host::Name("broker.example"))
            .signed_with(&other_ec, mismatch),
        Case::new("another EC key than a v1 certificate's", &[&v1_leaf], &[&root], Host::Name("broker.example"))
            .signed_with(&other_ec, mismatch),
        Case::new("an EC key under an RSA certificate", &[&rsa_leaf], &[&root], Host::Name("broker.example"))
            .signed_with(
                &other_ec,
                "the broker signed the TLS handshake with an ECDSA key, but its certificate holds an RSA key: the broker's keyfile does not belong to its certfile (or something is impersonating the broker)",
            ),
        // Served by OpenSSL at security level 0 (Debian's level 2 refuses this key too).
        Case {
            by_openssl: true,
            ..Case::new("a 1024-bit RSA server key", &[&weak_leaf], &[&root], name)
                .signed_with(
                    &weak_leaf.key,
                    "the broker's certificate has a 1024-bit RSA key, which rustls refuses as too weak (it needs 2048 bits or more); the broker needs a new certificate with a larger key",
                )
        },
        Case::new("a 1024-bit RSA root", &[&under_weak], &[&weak_root], Host::Name("broker.example"))
            .stricter(
                "the certificate CN=Weak Root given with --cafile has a 1024-bit RSA key, which rustls refuses as too weak (it needs 2048 bits or more); that CA must be made again with a larger key",
            ),
    ];
    check_all(&forge, &cases);
}
