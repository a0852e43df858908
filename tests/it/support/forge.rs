//! Certificates made with OpenSSL's own commands (`openssl req` and `openssl ca`), as
//! mosquitto-tls(7) makes them and as an attacker with a CA key would: any extensions, any dates,
//! X.509 v1 when no extension is given, EC or RSA keys of any size.

use std::path::{Path, PathBuf};

use super::pki::openssl;

/// A certificate and its key, on disk.
#[derive(Clone, Debug)]
pub struct Made {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// As OpenSSL and moth print it, e.g. `CN=Root`.
    pub subject: String,
}

pub struct Forge {
    dir: PathBuf,
}

/// What to make: see `Forge::make`.
pub struct Spec<'a> {
    name: String,
    cn: String,
    issuer: Option<&'a Made>,
    ext: Vec<String>,
    rsa_bits: Option<u32>,
    dates: Option<(&'a str, &'a str)>,
    /// The whole subject, as `-subj` takes it, instead of `/CN=cn`.
    subject: Option<String>,
    /// Another certificate's key instead of a new one.
    key: Option<&'a Made>,
}

impl<'a> Spec<'a> {
    /// `name`: the file name stem; `cn`: the subject's CN. Self-signed unless `by`.
    pub fn new(name: impl Into<String>, cn: impl Into<String>) -> Self {
        Spec {
            name: name.into(),
            cn: cn.into(),
            issuer: None,
            ext: Vec::new(),
            rsa_bits: None,
            dates: None,
            subject: None,
            key: None,
        }
    }
    /// More of a subject than the CN, e.g. `/CN=a.example/emailAddress=ops@a.example`.
    pub fn subject(mut self, subject: &str) -> Self {
        self.subject = Some(subject.to_string());
        self
    }
    /// The same key as `other`: a CA made again under its own name and key.
    pub fn key_of(mut self, other: &'a Made) -> Self {
        self.key = Some(other);
        self
    }
    pub fn by(mut self, issuer: &'a Made) -> Self {
        self.issuer = Some(issuer);
        self
    }
    /// One line of an OpenSSL extension section, e.g. `basicConstraints=critical,CA:TRUE`.
    /// Without any the certificate is X.509 v1.
    pub fn ext(mut self, line: &str) -> Self {
        self.ext.push(line.to_string());
        self
    }
    /// A CA as `-extensions v3_ca` makes one, with keyCertSign.
    pub fn ca(self) -> Self {
        self.ext("basicConstraints=critical,CA:TRUE")
            .ext("keyUsage=critical,keyCertSign,cRLSign")
    }
    pub fn rsa(mut self, bits: u32) -> Self {
        self.rsa_bits = Some(bits);
        self
    }
    /// Validity as `openssl ca` takes it, e.g. `20200101000000Z`.
    pub fn dates(mut self, start: &'a str, end: &'a str) -> Self {
        self.dates = Some((start, end));
        self
    }
}

impl Forge {
    pub fn new(dir: &Path) -> Forge {
        let dir = dir.join("forge");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("ca.cnf"),
            "[ca]\ndefault_ca = forge\n[forge]\ndatabase = index.txt\nnew_certs_dir = .\n\
             rand_serial = yes\ndefault_md = sha256\npolicy = any\nunique_subject = no\n\
             [any]\ncommonName = optional\n",
        )
        .unwrap();
        std::fs::write(dir.join("index.txt"), "").unwrap();
        Forge { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn key(&self, name: &str, rsa_bits: Option<u32>) -> PathBuf {
        let key = format!("{name}.key");
        match rsa_bits {
            Some(bits) => openssl(
                &self.dir,
                &[
                    "genpkey",
                    "-algorithm",
                    "RSA",
                    "-pkeyopt",
                    &format!("rsa_keygen_bits:{bits}"),
                    "-out",
                    &key,
                ],
            ),
            None => openssl(
                &self.dir,
                &[
                    "genpkey",
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-out",
                    &key,
                ],
            ),
        }
        self.dir.join(key)
    }

    pub fn make(&self, spec: Spec<'_>) -> Made {
        let key = match spec.key {
            Some(other) => other.key.clone(),
            None => self.key(&spec.name, spec.rsa_bits),
        };
        let (csr, crt) = (format!("{}.csr", spec.name), format!("{}.pem", spec.name));
        let subject = spec
            .subject
            .clone()
            .unwrap_or_else(|| format!("/CN={}", spec.cn));
        let key_text = key.to_str().unwrap().to_string();
        openssl(
            &self.dir,
            &[
                "req", "-new", "-key", &key_text, "-subj", &subject, "-out", &csr,
            ],
        );
        let mut args: Vec<String> = [
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-notext",
            "-preserveDN",
            "-in",
            &csr,
            "-out",
            &crt,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        match spec.issuer {
            Some(issuer) => args.extend([
                "-cert".into(),
                issuer.cert.to_str().unwrap().into(),
                "-keyfile".into(),
                issuer.key.to_str().unwrap().into(),
            ]),
            None => args.extend(["-selfsign".into(), "-keyfile".into(), key_text.clone()]),
        }
        match spec.dates {
            Some((start, end)) => args.extend([
                "-startdate".into(),
                start.into(),
                "-enddate".into(),
                end.into(),
            ]),
            None => args.extend(["-days".into(), "30".into()]),
        }
        if !spec.ext.is_empty() {
            let ext = format!("{}.ext", spec.name);
            std::fs::write(
                self.dir.join(&ext),
                format!("[e]\n{}\n", spec.ext.join("\n")),
            )
            .unwrap();
            args.extend(["-extfile".into(), ext, "-extensions".into(), "e".into()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        openssl(&self.dir, &args);
        Made {
            cert: self.dir.join(crt),
            key,
            subject: format!("CN={}", spec.cn),
        }
    }

    /// The certificates' PEM, one after the other, in `NAME.pem`.
    pub fn bundle(&self, name: &str, certs: &[&Made]) -> PathBuf {
        let text: String = certs
            .iter()
            .map(|m| std::fs::read_to_string(&m.cert).unwrap())
            .collect();
        let path = self.dir.join(format!("{name}.pem"));
        std::fs::write(&path, text).unwrap();
        path
    }
}
