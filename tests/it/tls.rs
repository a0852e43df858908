//! TLS and mutual TLS against Mosquitto with a PKI generated per test, and every certificate
//! problem named in words.

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
        &format!(
            "--key {cert} holds no PEM private key (PKCS#1, PKCS#8 or SEC1); an encrypted key must be decrypted first"
        ),
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
            "cannot connect to localhost:{port}: the broker's certificate is not signed by a trusted CA (unknown issuer); pass its CA with --cafile"
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
            "cannot connect to localhost:{port}: the broker's certificate does not match the host name localhost (it is for: other.example); connect by a name it lists, or use --insecure to skip the check"
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
            "cannot connect to localhost:{port}: the broker's certificate expired on 2021-01-01"
        ),
    );
}

#[test]
fn tls_versions() {
    let broker = Broker::config().tls(TlsListener::Server).start();
    let ca = broker
        .pki
        .as_ref()
        .unwrap()
        .ca_cert
        .to_str()
        .unwrap()
        .to_string();
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
                    "-t",
                    "v",
                    "-m",
                    "x",
                ],
            ),
            b"",
        );
        out.assert_success();
    }
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &[
                "--cafile",
                &ca,
                "--tls-version",
                "tlsv1.1",
                "-t",
                "v",
                "-m",
                "x",
            ],
        ),
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
    // --capath: a directory of PEM files, here holding the test CA among others.
    let dir = broker.dir().join("cas");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(&pki.other_ca_cert, dir.join("other.pem")).unwrap();
    std::fs::copy(&pki.ca_cert, dir.join("test-ca.pem")).unwrap();
    let out = run(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &["--capath", dir.to_str().unwrap(), "-t", "c", "-m", "x"],
        ),
        b"",
    );
    out.assert_success();
    let empty = broker.dir().join("empty");
    std::fs::create_dir(&empty).unwrap();
    refused(
        moth_tls(
            &broker,
            "pub",
            "localhost",
            &["--capath", empty.to_str().unwrap(), "-t", "c", "-m", "x"],
        ),
        &format!("--capath {} holds no PEM CA certificate", empty.display()),
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
            "cannot connect to localhost:{port}: the broker's certificate is not signed by a trusted CA (unknown issuer); pass its CA with --cafile"
        ),
    );
}
