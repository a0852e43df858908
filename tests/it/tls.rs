//! TLS and mutual TLS against Mosquitto with a PKI generated per test, and every certificate
//! problem named in words.

use std::path::Path;

use crate::support::pki::GuidePki;
use crate::support::tls_front::Front;
use crate::support::{Broker, TlsListener, run, spawn};

fn tls_args(broker: &Broker, host: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "-h".into(),
        host.into(),
        "-p".into(),
        broker.tls_port.to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn moth_tls(
    broker: &Broker,
    subcommand: &str,
    host: &str,
    extra: &[&str],
) -> std::process::Command {
    let mut cmd = crate::support::moth();
    cmd.arg(subcommand).args(tls_args(broker, host, extra));
    cmd
}

#[test]
fn tls_round_trip_by_name_ip_and_url() {
    let broker = Broker::config().tls(TlsListener::Server).start();
    let pki = broker.pki.as_ref().unwrap();
    let ca = pki.ca_cert.to_str().unwrap();
    for (n, host) in ["localhost", "127.0.0.1"].into_iter().enumerate() {
        for version in ["311", "5"] {
            let id = format!("tls-{n}-{version}");
            let sub = spawn(moth_tls(
                &broker,
                "sub",
                host,
                &[
                    "--cafile", ca, "-V", version, "-t", "secure", "-C", "1", "-i", &id,
                ],
            ));
            broker.wait_subscribed(&id, "secure");
            run(
                moth_tls(
                    &broker,
                    "pub",
                    host,
                    &[
                        "--cafile", ca, "-V", version, "-t", "secure", "-m", "over tls", "-q", "1",
                    ],
                ),
                b"",
            )
            .assert_success();
            let out = sub.finish();
            out.assert_success();
            assert_eq!(out.stdout_text(), "over tls\n");
            assert_eq!(out.stderr, "");
        }
    }
    let url = format!("mqtts://localhost:{}/via/url", broker.tls_port);
    let sub = spawn(crate::support::moth().args([
        "sub", "-L", &url, "--cafile", ca, "-C", "1", "-i", "url-sub",
    ]));
    broker.wait_subscribed("url-sub", "via/url");
    run(
        crate::support::moth().args(["pub", "-L", &url, "--cafile", ca, "-m", "by url"]),
        b"",
    )
    .assert_success();
    assert_eq!(sub.finish().stdout_text(), "by url\n");
}

#[test]
fn mutual_tls_with_pkcs8_and_sec1_keys() {
    let broker = Broker::config().tls(TlsListener::Mutual).start();
    let pki = broker.pki.as_ref().unwrap();
    let (ca, cert) = (
        pki.ca_cert.to_str().unwrap(),
        pki.client_cert.to_str().unwrap(),
    );
    for key in [&pki.client_key, &pki.client_key_sec1] {
        let out = run(
            moth_tls(
                &broker,
                "pub",
                "localhost",
                &[
                    "--cafile",
                    ca,
                    "--cert",
                    cert,
                    "--key",
                    key.to_str().unwrap(),
                    "-t",
                    "m",
                    "-m",
                    "x",
                    "-q",
                    "1",
                ],
            ),
            b"",
        );
        out.assert_success();
        assert_eq!(out.stderr, "");
    }
}

#[track_caller]
fn refused(cmd: std::process::Command, stderr: &str) {
    let out = run(cmd, b"");
    out.assert_code(1)
        .assert_stderr(&format!("moth: error: {stderr}"));
}

#[test]
fn client_certificate_problems() {
    let broker = Broker::config().tls(TlsListener::Mutual).start();
    let pki = broker.pki.as_ref().unwrap();
    let p = |path: &std::path::Path| path.to_str().unwrap().to_string();
    let (ca, cert, key) = (p(&pki.ca_cert), p(&pki.client_cert), p(&pki.client_key));
    let port = broker.tls_port;

    // The broker requires a certificate and none is given.
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &["--cafile", &ca, "-t", "m", "-m", "x"],
        ),
        &format!(
            "cannot connect to localhost:{port}: the broker wants a client certificate: pass --cert and --key"
        ),
    );
    // A certificate from a CA the broker does not trust.
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &[
                "--cafile",
                &ca,
                "--cert",
                &p(&pki.stranger_cert),
                "--key",
                &p(&pki.stranger_key),
                "-t",
                "m",
                "-m",
                "x",
            ],
        ),
        &format!(
            "cannot connect to localhost:{port}: the broker rejected the client certificate (--cert): it is not signed by a CA the broker trusts"
        ),
    );
    // The key belongs to another certificate.
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &[
                "--cafile",
                &ca,
                "--cert",
                &cert,
                "--key",
                &p(&pki.stranger_key),
                "-t",
                "m",
                "-m",
                "x",
            ],
        ),
        &format!(
            "the private key in --key {} does not match the certificate in --cert {cert}",
            p(&pki.stranger_key)
        ),
    );
    // Files that are not what they should be.
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &[
                "--cafile", &ca, "--cert", &key, "--key", &key, "-t", "m", "-m", "x",
            ],
        ),
        &format!("--cert {key} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"),
    );
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &[
                "--cafile", &ca, "--cert", &cert, "--key", &cert, "-t", "m", "-m", "x",
            ],
        ),
        &format!("--key {cert} holds no PEM private key (PKCS#1, PKCS#8 or SEC1)"),
    );
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &[
                "--cafile",
                &ca,
                "--cert",
                "/nonexistent.pem",
                "--key",
                &key,
                "-t",
                "m",
                "-m",
                "x",
            ],
        ),
        "cannot read --cert /nonexistent.pem: No such file or directory",
    );
    // Keys under a passphrase, in the traditional format and as PKCS#8.
    let dir = pki.dir();
    crate::support::pki::openssl(
        dir,
        &[
            "ec",
            "-in",
            &key,
            "-aes256",
            "-passout",
            "pass:secret",
            "-out",
            "sec1-enc.key",
        ],
    );
    crate::support::pki::openssl(
        dir,
        &[
            "pkcs8",
            "-topk8",
            "-in",
            &key,
            "-v2",
            "aes256",
            "-passout",
            "pass:secret",
            "-out",
            "pkcs8-enc.key",
        ],
    );
    for (file, how) in [
        ("sec1-enc.key", "Proc-Type: 4,ENCRYPTED"),
        ("pkcs8-enc.key", "ENCRYPTED PRIVATE KEY"),
    ] {
        let encrypted = p(&dir.join(file));
        refused(
            moth_tls(
                &broker,
                "pub",
                "localhost",
                &[
                    "--cafile", &ca, "--cert", &cert, "--key", &encrypted, "-t", "m", "-m", "x",
                ],
            ),
            &format!(
                "--key {encrypted} is encrypted ({how}), and moth cannot ask for its passphrase: decrypt it once with `openssl pkey -in {encrypted} -out PLAIN.key`, keep PLAIN.key private (chmod 600), and pass that"
            ),
        );
    }
}

#[test]
fn server_certificate_problems() {
    let mut broker = Broker::config().tls(TlsListener::Server).start();
    let pki = broker.pki.as_ref().unwrap();
    let p = |path: &std::path::Path| path.to_str().unwrap().to_string();
    let (ca, other_ca) = (p(&pki.ca_cert), p(&pki.other_ca_cert));
    let port = broker.tls_port;

    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &["--cafile", &other_ca, "-t", "m", "-m", "x"],
        ),
        &format!(
            "cannot connect to localhost:{port}: the broker's certificate is issued by CN=moth test CA, which is not a trusted CA (unknown issuer); pass that CA's certificate with --cafile"
        ),
    );
    // Not a certificate at all, and corrupt PEM.
    let not_pem = broker.dir().join("notes.txt");
    std::fs::write(&not_pem, "just some text\n").unwrap();
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &["--cafile", not_pem.to_str().unwrap(), "-t", "m", "-m", "x"],
        ),
        &format!(
            "--cafile {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            not_pem.display()
        ),
    );
    let corrupt = broker.dir().join("corrupt.pem");
    std::fs::write(
        &corrupt,
        "-----BEGIN CERTIFICATE-----\nnot base64!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &["--cafile", corrupt.to_str().unwrap(), "-t", "m", "-m", "x"],
        ),
        &format!(
            "--cafile {} is not valid PEM: the text between BEGIN and END is not valid base64",
            corrupt.display()
        ),
    );
    // Plain MQTT to the TLS port, and TLS to the plain port.
    refused(
        moth_tls(&broker, "pub", "localhost", &["-t", "m", "-m", "x"]),
        &format!(
            "cannot connect to localhost:{port}: the broker closed the connection before CONNACK (if that port expects TLS, add --cafile or use mqtts://)"
        ),
    );
    let mut to_plain = broker.moth("pub", &["--cafile", &ca, "-t", "m", "-m", "x"]);
    to_plain.args(["-h", "localhost"]);
    refused(
        to_plain,
        &format!(
            "cannot connect to localhost:{}: the broker closed the connection before CONNACK (is that port a TLS listener?)",
            broker.port
        ),
    );

    // A certificate for another name: refused, unless --insecure (which warns).
    pki.replace_server_cert(&["other.example"], false);
    broker.restart();
    let pki = broker.pki.as_ref().unwrap();
    let _ = pki;
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &["--cafile", &ca, "-t", "m", "-m", "x"],
        ),
        &format!(
            "cannot connect to localhost:{port}: the broker's certificate does not match the host name localhost (it is for: DNS:other.example); connect by a name it lists"
        ),
    );
    let out = run(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &["--cafile", &ca, "--insecure", "-t", "m", "-m", "x"],
        ),
        b"",
    );
    out.assert_success().assert_stderr(
        "moth: warning: --insecure: the broker's host name is not checked against its certificate",
    );
    let out = run(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &["--insecure", "-t", "m", "-m", "x"],
        ),
        b"",
    );
    out.assert_success().assert_stderr(
        "moth: warning: --insecure without --cafile: the broker's certificate is not verified at all; anyone on the network path can read and change this connection",
    );

    // An expired certificate.
    broker
        .pki
        .as_ref()
        .unwrap()
        .replace_server_cert(&["localhost"], true);
    broker.restart();
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &["--cafile", &ca, "-t", "m", "-m", "x"],
        ),
        &format!(
            "cannot connect to localhost:{port}: the broker's certificate expired on 2021-01-01; the broker needs a new certificate (or this machine's clock is wrong)"
        ),
    );
}

#[test]
fn tls_versions() {
    // A server that speaks one version only (Mosquitto's tls_version is a minimum), in front of
    // a plain broker: the version asked for is the one used, or the handshake fails in words.
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let pki = crate::support::Pki::generate(dir.path());
    let ca = p(&pki.ca_cert);
    for server in ["tlsv1.2", "tlsv1.3"] {
        let front = Front::start(&pki.server_cert, &pki.server_key, Some(server), broker.port);
        for client in ["tlsv1.2", "tlsv1.3"] {
            let out = run(
                crate::support::moth().args([
                    "pub",
                    "-h",
                    "localhost",
                    "-p",
                    &front.port.to_string(),
                    "--cafile",
                    &ca,
                    "--tls-version",
                    client,
                    "-t",
                    "v",
                    "-m",
                    "x",
                    "-q",
                    "1",
                ]),
                b"",
            );
            if client == server {
                out.assert_success();
                assert_eq!(out.stderr, "");
            } else {
                out.assert_code(1).assert_stderr(&format!(
                    "moth: error: cannot connect to localhost:{}: the broker does not accept the TLS version offered; change or drop --tls-version",
                    front.port
                ));
            }
        }
    }
    let mut old_version = crate::support::moth();
    old_version.args([
        "pub",
        "-p",
        &broker.port.to_string(),
        "--cafile",
        &ca,
        "--tls-version",
        "tlsv1.1",
        "-t",
        "v",
        "-m",
        "x",
    ]);
    refused(
        old_version,
        "--tls-version tlsv1.1 is not supported: it is insecure and rustls refuses it; use tlsv1.2 or tlsv1.3",
    );
}

#[test]
fn websockets_over_tls() {
    let broker = Broker::config()
        .tls(TlsListener::Server)
        .websockets()
        .start();
    let ca = broker
        .pki
        .as_ref()
        .unwrap()
        .ca_cert
        .to_str()
        .unwrap()
        .to_string();
    let url = format!("wss://localhost:{}/mqtt", broker.wss_port);
    let sub = spawn(crate::support::moth().args([
        "sub", "-L", &url, "--cafile", &ca, "-t", "w", "-C", "1", "-i", "wss-sub",
    ]));
    broker.wait_subscribed("wss-sub", "w");
    run(
        crate::support::moth().args([
            "pub", "-L", &url, "--cafile", &ca, "-t", "w", "-m", "over wss", "-V", "5",
        ]),
        b"",
    )
    .assert_success();
    let out = sub.finish();
    out.assert_success();
    assert_eq!(out.stdout_text(), "over wss\n");
}

#[test]
fn ca_directory_and_os_trust_store() {
    let broker = Broker::config().tls(TlsListener::Server).start();
    let pki = broker.pki.as_ref().unwrap();
    // --capath: a directory as `openssl rehash` prepares it, here holding the test CA among
    // others. Files under other names are not read, as OpenSSL never reads them.
    let dir = broker.dir().join("cas");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(&pki.other_ca_cert, dir.join("other.pem")).unwrap();
    std::fs::copy(&pki.ca_cert, dir.join("test-ca.pem")).unwrap();
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &["--capath", dir.to_str().unwrap(), "-t", "c", "-m", "x"],
        ),
        &format!(
            "--capath {dir} holds no PEM CA certificate under an OpenSSL hash name (such as 1a2b3c4d.0); run `openssl rehash {dir}` first, or pass a file with --cafile",
            dir = dir.display()
        ),
    );
    crate::support::pki::openssl(&dir, &["rehash", "."]);
    let out = run(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &[
                "--capath",
                dir.to_str().unwrap(),
                "-d",
                "-t",
                "c",
                "-m",
                "x",
            ],
        ),
        b"",
    );
    out.assert_success();
    assert_debug_line(
        &out,
        "TLS: certificate accepted: chain verified up to CN=moth test CA given with --capath; host name from subjectAltName",
    );
    let empty = broker.dir().join("empty");
    std::fs::create_dir(&empty).unwrap();
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &["--capath", empty.to_str().unwrap(), "-t", "c", "-m", "x"],
        ),
        &format!(
            "--capath {dir} holds no PEM CA certificate under an OpenSSL hash name (such as 1a2b3c4d.0); run `openssl rehash {dir}` first, or pass a file with --cafile",
            dir = empty.display()
        ),
    );
    // The system's trust store does not know the test CA.
    let port = broker.tls_port;
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &["--tls-use-os-certs", "-t", "c", "-m", "x"],
        ),
        &format!(
            "cannot connect to localhost:{port}: the broker's certificate is issued by CN=moth test CA, which is not a trusted CA (unknown issuer); pass that CA's certificate with --cafile"
        ),
    );
}

fn p(path: &Path) -> String {
    path.to_str().unwrap().to_string()
}

/// A broker serving the certificates mosquitto-tls(7)'s commands make (X.509 v1, CN only).
fn guide_broker(mode: TlsListener) -> (Broker, GuidePki) {
    let mut broker = Broker::config().tls(mode).start();
    let guide = GuidePki::generate(broker.dir(), "guide", "Mosquitto guide CA", "localhost");
    guide.install(
        broker.pki.as_ref().unwrap(),
        &guide.server_cert,
        &guide.server_key,
    );
    broker.restart();
    (broker, guide)
}

#[track_caller]
fn assert_debug_line(out: &crate::support::Output, line: &str) {
    assert!(
        out.stderr.lines().any(|l| l == line),
        "no line {line:?} in:\n{}",
        out.stderr
    );
}

#[test]
fn mosquitto_guide_server_certificate_is_verified() {
    let (broker, guide) = guide_broker(TlsListener::Server);
    let ca = p(&guide.ca_cert);
    let port = broker.tls_port;
    // The fixture is what mosquitto's own client accepts.
    let oracle = run(
        crate::support::mosquitto_client("mosquitto_pub").args([
            "-h",
            "localhost",
            "-p",
            &port.to_string(),
            "--cafile",
            &ca,
            "-t",
            "g",
            "-m",
            "x",
        ]),
        b"",
    );
    oracle.assert_success();

    // The handshake signature is made with the v1 certificate's key, on both TLS versions.
    for version in ["tlsv1.2", "tlsv1.3"] {
        let out = run(
            moth_tls(
                &broker,
                "pub",
                "localhost",
                &[
                    "--cafile",
                    &ca,
                    "--tls-version",
                    version,
                    "-d",
                    "-t",
                    "g",
                    "-m",
                    "x",
                    "-q",
                    "1",
                ],
            ),
            b"",
        );
        out.assert_success();
        assert_debug_line(
            &out,
            "TLS: certificate accepted: an X.509 v1 certificate issued directly by O=moth tests, CN=Mosquitto guide CA given with --cafile; host name from CN",
        );
        // --insecure without a CA still checks the handshake signature with that key.
        let out = run(
            moth_tls(
                &broker,
                "pub",
                "127.0.0.1",
                &["--insecure", "--tls-version", version, "-t", "g", "-m", "x"],
            ),
            b"",
        );
        out.assert_success();
    }

    // The CN is checked as OpenSSL checks it.
    refused(
        moth_tls(
            &broker,
            "pub",
            "127.0.0.1",
            &["--cafile", &ca, "-t", "g", "-m", "x"],
        ),
        &format!(
            "cannot connect to 127.0.0.1:{port}: the broker's certificate does not match the address 127.0.0.1 (it is for: CN=localhost); connect by a name it lists"
        ),
    );
    let out = run(
        moth_tls(
            &broker,
            "pub",
            "127.0.0.1",
            &["--cafile", &ca, "--insecure", "-d", "-t", "g", "-m", "x"],
        ),
        b"",
    );
    out.assert_success();
    assert_debug_line(
        &out,
        "TLS: certificate accepted: an X.509 v1 certificate issued directly by O=moth tests, CN=Mosquitto guide CA given with --cafile; host name not checked (--insecure)",
    );

    // Another CA: the fallback names the issuer it could not find.
    let other_ca = p(&broker.pki.as_ref().unwrap().other_ca_cert);
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &["--cafile", &other_ca, "-t", "g", "-m", "x"],
        ),
        &format!(
            "cannot connect to localhost:{port}: the broker's certificate is issued by O=moth tests, CN=Mosquitto guide CA, which is not a trusted CA (unknown issuer); pass that CA's certificate with --cafile"
        ),
    );
    // A CA made again under the same name: the signature does not verify.
    let again = GuidePki::generate(broker.dir(), "again", "Mosquitto guide CA", "localhost");
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &["--cafile", &p(&again.ca_cert), "-t", "g", "-m", "x"],
        ),
        &format!(
            "cannot connect to localhost:{port}: the broker's certificate names O=moth tests, CN=Mosquitto guide CA as its issuer, but that CA's key did not sign it (bad signature; was the CA made again?); pass the CA that signed it with --cafile"
        ),
    );
}

#[test]
fn mosquitto_guide_client_certificate_is_sent_as_given() {
    let (broker, guide) = guide_broker(TlsListener::Mutual);
    let (ca, cert, key) = (
        p(&guide.ca_cert),
        p(&guide.client_cert),
        p(&guide.client_key),
    );
    let port = broker.tls_port;
    for version in ["tlsv1.2", "tlsv1.3"] {
        let out = run(
            moth_tls(
                &broker,
                "pub",
                "localhost",
                &[
                    "--cafile",
                    &ca,
                    "--cert",
                    &cert,
                    "--key",
                    &key,
                    "--tls-version",
                    version,
                    "-t",
                    "c",
                    "-m",
                    "x",
                    "-q",
                    "1",
                ],
            ),
            b"",
        );
        out.assert_success();
        assert_eq!(out.stderr, "");
        // Without a certificate, on both versions (TLS 1.2 has no alert of its own for this).
        refused(
            moth_tls(
                &broker,
                "pub",
                "localhost",
                &[
                    "--cafile",
                    &ca,
                    "--tls-version",
                    version,
                    "-t",
                    "c",
                    "-m",
                    "x",
                ],
            ),
            &format!(
                "cannot connect to localhost:{port}: the broker wants a client certificate: pass --cert and --key"
            ),
        );
    }
    // The key must still belong to the certificate.
    let server_key = p(&guide.server_key);
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &[
                "--cafile",
                &ca,
                "--cert",
                &cert,
                "--key",
                &server_key,
                "-t",
                "c",
                "-m",
                "x",
            ],
        ),
        &format!(
            "the private key in --key {server_key} does not match the certificate in --cert {cert}"
        ),
    );
}

#[test]
fn self_signed_certificate_given_as_cafile_is_pinned() {
    let mut broker = Broker::config().tls(TlsListener::Server).start();
    let guide = GuidePki::generate(broker.dir(), "guide", "Mosquitto guide CA", "localhost");
    let (cert, key) = guide.self_signed("self", "localhost");
    guide.install(broker.pki.as_ref().unwrap(), &cert, &key);
    broker.restart();
    let port = broker.tls_port;
    let out = run(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &["--cafile", &p(&cert), "-d", "-t", "s", "-m", "x"],
        ),
        b"",
    );
    out.assert_success();
    assert_debug_line(
        &out,
        "TLS: certificate accepted: pinned, the very certificate given with --cafile; host name from CN",
    );
    refused(
        moth_tls(
            &broker,
            "pub",
            "127.0.0.1",
            &["--cafile", &p(&cert), "-t", "s", "-m", "x"],
        ),
        &format!(
            "cannot connect to 127.0.0.1:{port}: the broker's certificate does not match the address 127.0.0.1 (it is for: CN=localhost); connect by a name it lists"
        ),
    );
    // Another self-signed certificate for the same name is not the one given.
    let (other, _) = guide.self_signed("other", "localhost");
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &["--cafile", &p(&other), "-t", "s", "-m", "x"],
        ),
        &format!(
            "cannot connect to localhost:{port}: the broker's certificate bears the subject of the certificate CN=localhost given with --cafile, but is not that certificate (another key signed it); if the broker's certificate did not change, something may be intercepting the connection"
        ),
    );
}

#[test]
fn v1_intermediate_ca_is_refused() {
    let mut broker = Broker::config().tls(TlsListener::Server).start();
    let guide = GuidePki::generate(broker.dir(), "guide", "Mosquitto guide CA", "localhost");
    let (intermediate, intermediate_key) = guide.sign(
        "intermediate",
        "v1 intermediate",
        &guide.ca_cert,
        &guide.ca_key,
    );
    let (leaf, leaf_key) = guide.sign("leaf", "localhost", &intermediate, &intermediate_key);
    let chain = guide.dir().join("chain.crt");
    let text =
        std::fs::read_to_string(&leaf).unwrap() + &std::fs::read_to_string(&intermediate).unwrap();
    std::fs::write(&chain, text).unwrap();
    guide.install(broker.pki.as_ref().unwrap(), &chain, &leaf_key);
    broker.restart();
    let port = broker.tls_port;
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &["--cafile", &p(&guide.ca_cert), "-t", "i", "-m", "x"],
        ),
        &format!(
            "cannot connect to localhost:{port}: the intermediate CA certificate O=moth tests, CN=v1 intermediate in the broker's chain is an X.509 v1 certificate, and a v1 certificate cannot say it may sign, so it cannot be an intermediate CA; make it again with `-extensions v3_ca`"
        ),
    );
    // Given with --cafile it is still no CA (OpenSSL refuses this too, as it is not self-signed).
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &["--cafile", &p(&intermediate), "-t", "i", "-m", "x"],
        ),
        &format!(
            "cannot connect to localhost:{port}: the intermediate CA certificate O=moth tests, CN=v1 intermediate in the broker's chain is an X.509 v1 certificate, and a v1 certificate cannot say it may sign, so it cannot be an intermediate CA; make it again with `-extensions v3_ca`"
        ),
    );
}

#[test]
fn certificate_problems_in_words() {
    let mut broker = Broker::config().tls(TlsListener::Server).start();
    let ca = p(&broker.pki.as_ref().unwrap().ca_cert);
    let port = broker.tls_port;
    let pub_localhost = |broker: &Broker| {
        moth_tls(
            broker,
            "pub",
            "localhost",
            &["--cafile", &ca, "-t", "w", "-m", "x"],
        )
    };
    type MakeCert = Box<dyn Fn(&crate::support::Pki)>;
    let cases: [(&str, MakeCert); 3] = [
        (
            "the broker's certificate is not valid until 2099-01-01; check this machine's clock, or give the broker a certificate valid now",
            Box::new(|pki| {
                pki.replace_server_cert_with(&["localhost"], |params| {
                    params.not_before = rcgen::date_time_ymd(2099, 1, 1);
                })
            }),
        ),
        (
            "the broker's certificate is not meant for TLS servers: its extended key usage allows clientAuth, not serverAuth; make it again with extendedKeyUsage = serverAuth",
            Box::new(|pki| {
                pki.replace_server_cert_with(&["localhost"], |params| {
                    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
                })
            }),
        ),
        (
            "the broker's certificate names CN=moth test CA as its issuer, but that CA's key did not sign it (bad signature; was the CA made again?); pass the CA that signed it with --cafile",
            Box::new(|pki| pki.replace_server_cert_signed_by_impostor(&["localhost"])),
        ),
    ];
    for (sentence, make) in &cases {
        make(broker.pki.as_ref().unwrap());
        broker.restart();
        refused(
            pub_localhost(&broker),
            &format!("cannot connect to localhost:{port}: {sentence}"),
        );
    }
    // A CA:TRUE server certificate from the CA given: OpenSSL takes it, and so does moth.
    broker
        .pki
        .as_ref()
        .unwrap()
        .replace_server_cert_with(&["localhost"], |params| {
            params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        });
    broker.restart();
    run(pub_localhost(&broker), b"").assert_success();
}

#[test]
fn handshake_failures_in_words() {
    // rustls offers only AEAD suites (mosquitto's tls_version is a minimum, and `ciphers` covers
    // TLS 1.2 only, hence --tls-version).
    for (listener, sentence) in [
        (
            "ciphers ECDHE-ECDSA-AES128-SHA256",
            "the broker refused the TLS handshake: it shares no cipher suite or key exchange with moth; check the ciphers setting of its listener",
        ),
        (
            "tls_version tlsv1.3",
            "the broker does not accept the TLS version offered; change or drop --tls-version",
        ),
    ] {
        let broker = Broker::config()
            .tls(TlsListener::Server)
            .line(listener)
            .start();
        let ca = p(&broker.pki.as_ref().unwrap().ca_cert);
        let args = [
            "--cafile",
            &ca,
            "--tls-version",
            "tlsv1.2",
            "-t",
            "h",
            "-m",
            "x",
        ];
        refused(
            moth_tls(&broker, "pub", "localhost", &args),
            &format!(
                "cannot connect to localhost:{}: {sentence}",
                broker.tls_port
            ),
        );
    }
}

#[test]
fn expired_client_certificate_is_rejected_in_words() {
    let broker = Broker::config().tls(TlsListener::Mutual).start();
    let pki = broker.pki.as_ref().unwrap();
    let (cert, key) = pki.client_cert_with("expired-client", |params| {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    });
    for version in ["tlsv1.2", "tlsv1.3"] {
        refused(
            moth_tls(
                &broker,
                "pub",
                "localhost",
                &[
                    "--cafile",
                    &p(&pki.ca_cert),
                    "--cert",
                    &p(&cert),
                    "--key",
                    &p(&key),
                    "--tls-version",
                    version,
                    "-t",
                    "e",
                    "-m",
                    "x",
                    "-q",
                    "1",
                ],
            ),
            &format!(
                "cannot connect to localhost:{}: the broker rejected the client certificate (--cert): it has expired or is not valid yet; renew it",
                broker.tls_port
            ),
        );
    }
}

#[test]
fn tls_server_name_is_the_name_checked() {
    let broker = Broker::config().tls(TlsListener::Server).start();
    let ca = p(&broker.pki.as_ref().unwrap().ca_cert);
    let port = broker.tls_port;
    let with_name = |name: &str| {
        moth_tls(
            &broker,
            "pub",
            "127.0.0.1",
            &[
                "--cafile",
                &ca,
                "--tls-server-name",
                name,
                "-t",
                "n",
                "-m",
                "x",
            ],
        )
    };
    let mut debug = with_name("localhost");
    debug.arg("-d");
    let out = run(debug, b"");
    out.assert_success();
    assert_debug_line(
        &out,
        "TLS: certificate accepted: chain verified up to CN=moth test CA given with --cafile; host name from subjectAltName",
    );
    refused(
        with_name("other.example"),
        &format!(
            "cannot connect to 127.0.0.1:{port}: the broker's certificate does not match the host name other.example (it is for: DNS:localhost, IP:127.0.0.1); connect by a name it lists"
        ),
    );
    refused(
        with_name("bad name!"),
        "invalid --tls-server-name 'bad name!': give a host name or an IP address",
    );
    refused(
        broker.moth(
            "pub",
            &["--tls-server-name", "localhost", "-t", "n", "-m", "x"],
        ),
        "--tls-alpn, --tls-version, --tls-keylog and --tls-server-name need TLS: add --cafile, --capath or --tls-use-os-certs",
    );
}
