//! Test PKI, generated per test: X.509 v3 certificates in code (rcgen), and the X.509 v1
//! certificates that mosquitto-tls(7)'s OpenSSL commands make, which rcgen cannot.

use std::path::{Path, PathBuf};
use std::process::Command;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, date_time_ymd,
};

pub struct Pki {
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    /// The client key as PKCS#8.
    pub client_key: PathBuf,
    /// The same client key as SEC1 ("EC PRIVATE KEY").
    pub client_key_sec1: PathBuf,
    /// A CA that signed nothing the broker uses.
    pub other_ca_cert: PathBuf,
    /// A client certificate and key signed by the other CA.
    pub stranger_cert: PathBuf,
    pub stranger_key: PathBuf,
    dir: PathBuf,
    ca_params: CertificateParams,
    ca_key_pem: String,
}

fn ca(name: &str) -> (CertificateParams, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    (params, key)
}

fn leaf(names: &[&str], client: bool) -> CertificateParams {
    let mut params =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().copied().unwrap_or("client"),
    );
    params.extended_key_usages = vec![if client {
        ExtendedKeyUsagePurpose::ClientAuth
    } else {
        ExtendedKeyUsagePurpose::ServerAuth
    }];
    params
}

impl Pki {
    pub fn generate(dir: &Path) -> Pki {
        let dir = dir.join("pki");
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, text: String| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path
        };

        let (ca_params, ca_key) = ca("moth test CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let ca_key_pem = ca_key.serialize_pem();
        let issuer = Issuer::new(ca_params.clone(), ca_key);

        let server_key = KeyPair::generate().unwrap();
        let server_cert = leaf(&["localhost", "127.0.0.1"], false)
            .signed_by(&server_key, &issuer)
            .unwrap();

        let client_key = KeyPair::generate().unwrap();
        let client_cert = leaf(&["moth-client"], true)
            .signed_by(&client_key, &issuer)
            .unwrap();

        let (other_params, other_key) = ca("some other CA");
        let other_cert = other_params.self_signed(&other_key).unwrap();
        let other_issuer = Issuer::new(other_params, other_key);
        let stranger_key = KeyPair::generate().unwrap();
        let stranger_cert = leaf(&["stranger"], true)
            .signed_by(&stranger_key, &other_issuer)
            .unwrap();

        Pki {
            ca_cert: write("ca.pem", ca_cert.pem()),
            server_cert: write("server.pem", server_cert.pem()),
            server_key: write("server.key", server_key.serialize_pem()),
            client_cert: write("client.pem", client_cert.pem()),
            client_key: write("client.key", client_key.serialize_pem()),
            client_key_sec1: write("client-sec1.key", sec1_pem(&client_key.serialize_der())),
            other_ca_cert: write("other-ca.pem", other_cert.pem()),
            stranger_cert: write("stranger.pem", stranger_cert.pem()),
            stranger_key: write("stranger.key", stranger_key.serialize_pem()),
            dir,
            ca_params,
            ca_key_pem,
        }
    }

    /// A server certificate for other names only, or already expired, signed by the test CA; it
    /// replaces the broker's certificate (restart the broker to use it).
    pub fn replace_server_cert(&self, names: &[&str], expired: bool) {
        self.replace_server_cert_with(names, |params| {
            if expired {
                params.not_before = date_time_ymd(2020, 1, 1);
                params.not_after = date_time_ymd(2021, 1, 1);
            }
        });
    }

    /// A server certificate for `names` changed by `tweak`, signed by the test CA, in place of
    /// the broker's (restart the broker to use it).
    pub fn replace_server_cert_with(
        &self,
        names: &[&str],
        tweak: impl FnOnce(&mut CertificateParams),
    ) {
        let mut params = leaf(names, false);
        tweak(&mut params);
        let cert = params
            .signed_by(&self.server_keypair(), &self.issuer())
            .unwrap();
        std::fs::write(&self.server_cert, cert.pem()).unwrap();
    }

    /// A server certificate that names the test CA as its issuer but is signed by another key (a
    /// CA made again under the same name), in place of the broker's.
    pub fn replace_server_cert_signed_by_impostor(&self, names: &[&str]) {
        let impostor = Issuer::new(self.ca_params.clone(), KeyPair::generate().unwrap());
        let cert = leaf(names, false)
            .signed_by(&self.server_keypair(), &impostor)
            .unwrap();
        std::fs::write(&self.server_cert, cert.pem()).unwrap();
    }

    /// A client certificate and key signed by the test CA, changed by `tweak`.
    pub fn client_cert_with(
        &self,
        name: &str,
        tweak: impl FnOnce(&mut CertificateParams),
    ) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate().unwrap();
        let mut params = leaf(&[name], true);
        tweak(&mut params);
        let cert = params.signed_by(&key, &self.issuer()).unwrap();
        let (cert_path, key_path) = (
            self.dir.join(format!("{name}.pem")),
            self.dir.join(format!("{name}.key")),
        );
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        (cert_path, key_path)
    }

    fn server_keypair(&self) -> KeyPair {
        KeyPair::from_pem(&std::fs::read_to_string(&self.server_key).unwrap()).unwrap()
    }

    fn issuer(&self) -> Issuer<'static, KeyPair> {
        Issuer::new(
            self.ca_params.clone(),
            KeyPair::from_pem(&self.ca_key_pem).unwrap(),
        )
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

pub const OPENSSL_HINT: &str = "openssl is not installed: run `apt-get install -y openssl` (the tests make certificates with it as mosquitto-tls(7) does)";

/// Run `openssl ARGS` in `dir`; the test fails with its stderr when it does.
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{OPENSSL_HINT} ({e})"));
    assert!(
        out.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, server and client made with mosquitto-tls(7)'s commands, word for word, with `-subj`
/// and `-nodes` only to answer its prompts. With OpenSSL 3 the server and client certificates
/// are X.509 v1, with the host name only in the CN.
pub struct GuidePki {
    pub ca_cert: PathBuf,
    pub ca_key: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    dir: PathBuf,
}

impl GuidePki {
    /// In `dir/name`: a CA with subject `/O=moth tests/CN={ca_cn}`, a server certificate for the
    /// CN `server_cn` and a client certificate for the CN `guide-client`.
    pub fn generate(dir: &Path, name: &str, ca_cn: &str, server_cn: &str) -> GuidePki {
        let dir = dir.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let ca_subject = format!("/O=moth tests/CN={ca_cn}");
        openssl(
            &dir,
            &[
                "req",
                "-new",
                "-x509",
                "-days",
                "365",
                "-extensions",
                "v3_ca",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-nodes",
                "-subj",
                &ca_subject,
            ],
        );
        let guide = GuidePki {
            ca_cert: dir.join("ca.crt"),
            ca_key: dir.join("ca.key"),
            server_cert: dir.join("server.crt"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("client.crt"),
            client_key: dir.join("client.key"),
            dir,
        };
        guide.sign("server", server_cn, &guide.ca_cert, &guide.ca_key);
        guide.sign("client", "guide-client", &guide.ca_cert, &guide.ca_key);
        guide
    }

    /// `NAME.key` and `NAME.crt` for the CN `cn`, signed by `ca_cert`/`ca_key` with the guide's
    /// commands (`openssl x509 -req`: an X.509 v1 certificate).
    pub fn sign(&self, name: &str, cn: &str, ca_cert: &Path, ca_key: &Path) -> (PathBuf, PathBuf) {
        let (key, csr, crt) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
        );
        let subject = format!("/O=moth tests/CN={cn}");
        openssl(&self.dir, &["genrsa", "-out", &key, "2048"]);
        openssl(
            &self.dir,
            &["req", "-out", &csr, "-key", &key, "-new", "-subj", &subject],
        );
        openssl(
            &self.dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                ca_cert.to_str().unwrap(),
                "-CAkey",
                ca_key.to_str().unwrap(),
                "-CAcreateserial",
                "-out",
                &crt,
                "-days",
                "365",
            ],
        );
        (self.dir.join(crt), self.dir.join(key))
    }

    /// A self-signed certificate as plain `openssl req -x509` makes it (X.509 v3, CA:TRUE), for
    /// the CN `cn`.
    pub fn self_signed(&self, name: &str, cn: &str) -> (PathBuf, PathBuf) {
        let (key, crt) = (format!("{name}.key"), format!("{name}.crt"));
        openssl(
            &self.dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &key,
                "-out",
                &crt,
                "-days",
                "365",
                "-subj",
                &format!("/CN={cn}"),
            ],
        );
        (self.dir.join(crt), self.dir.join(key))
    }

    /// Make the broker serve `cert` (with any chain after it) and `key`, and trust this CA for
    /// client certificates (restart the broker to use them).
    pub fn install(&self, pki: &Pki, cert: &Path, key: &Path) {
        std::fs::copy(&self.ca_cert, &pki.ca_cert).unwrap();
        std::fs::copy(cert, &pki.server_cert).unwrap();
        std::fs::copy(key, &pki.server_key).unwrap();
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// PKCS#8 → SEC1: the private key inside a PKCS#8 PrivateKeyInfo is the SEC1 ECPrivateKey.
fn sec1_pem(pkcs8: &[u8]) -> String {
    // PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm SEQUENCE, privateKey OCTET STRING }
    let (_, body) = der_element(pkcs8, 0x30);
    let (rest, _) = der_element(body, 0x02);
    let (rest, _) = der_element(rest, 0x30);
    let (_, sec1) = der_element(rest, 0x04);
    pem("EC PRIVATE KEY", sec1)
}

fn der_element(input: &[u8], tag: u8) -> (&[u8], &[u8]) {
    assert_eq!(input[0], tag, "unexpected DER tag");
    let (len, header) = match input[1] {
        n if n < 0x80 => (n as usize, 2),
        0x81 => (input[2] as usize, 3),
        0x82 => (((input[2] as usize) << 8) | input[3] as usize, 4),
        _ => panic!("DER length too long"),
    };
    (&input[header + len..], &input[header..header + len])
}

fn pem(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let n = chunk.iter().fold(0u32, |acc, b| (acc << 8) | *b as u32) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}
