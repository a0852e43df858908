//! Test PKI, generated in code (rcgen) per test: X.509 v3 certificates, as rustls requires.

use std::path::{Path, PathBuf};

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
        let key = KeyPair::from_pem(&std::fs::read_to_string(&self.server_key).unwrap()).unwrap();
        let mut params = leaf(names, false);
        if expired {
            params.not_before = date_time_ymd(2020, 1, 1);
            params.not_after = date_time_ymd(2021, 1, 1);
        }
        let issuer = self.issuer();
        let cert = params.signed_by(&key, &issuer).unwrap();
        std::fs::write(&self.server_cert, cert.pem()).unwrap();
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
