//! The oracle behind the TLS verdict tests: each case is judged first by `openssl verify
//! -purpose sslserver` with the host name or address (what OpenSSL decides), then served by a TLS
//! front that presents exactly that chain and key in front of a real Mosquitto; moth's verdict is
//! compared, a refusal with its sentence.

use std::path::PathBuf;
use std::process::Command;

use super::forge::{Forge, Made, Spec};
use super::tls_front::Front;
use super::{Broker, moth, run};

pub enum Host {
    /// Checked as a host name (--tls-server-name; `openssl verify -verify_hostname`).
    Name(&'static str),
    /// -h 127.0.0.1 (`openssl verify -verify_ip`).
    Loopback,
}

pub struct Case {
    pub what: String,
    /// What the broker presents, its own certificate first.
    pub chain: Vec<Made>,
    /// The key the broker signs the handshake with: the first certificate's unless given.
    pub key: Option<PathBuf>,
    /// --cafile.
    pub trusted: Vec<Made>,
    pub host: Host,
    /// `openssl verify`'s verdict; None where it cannot judge (the handshake's key).
    pub openssl: Option<bool>,
    /// Accepted, or refused with this sentence.
    pub moth: Result<(), String>,
    /// Served by `openssl s_server` (for a key rustls will not sign with) instead of the front.
    pub by_openssl: bool,
}

impl Case {
    pub fn new(what: impl Into<String>, chain: &[&Made], trusted: &[&Made], host: Host) -> Case {
        Case {
            what: what.into(),
            chain: chain.iter().map(|m| (*m).clone()).collect(),
            key: None,
            trusted: trusted.iter().map(|m| (*m).clone()).collect(),
            host,
            openssl: Some(false),
            moth: Ok(()),
            by_openssl: false,
        }
    }
    /// OpenSSL and moth both refuse; moth with this sentence.
    pub fn refused(mut self, sentence: impl Into<String>) -> Case {
        self.openssl = Some(false);
        self.moth = Err(sentence.into());
        self
    }
    pub fn accepted(mut self) -> Case {
        self.openssl = Some(true);
        self.moth = Ok(());
        self
    }
    /// OpenSSL accepts, moth refuses: stricter on purpose (the description says why).
    pub fn stricter(mut self, sentence: impl Into<String>) -> Case {
        self.openssl = Some(true);
        self.moth = Err(sentence.into());
        self
    }
    /// The chain is sound to OpenSSL; the broker's handshake is signed with `key`, and moth
    /// refuses with this sentence.
    pub fn signed_with(mut self, key: &std::path::Path, sentence: impl Into<String>) -> Case {
        self.key = Some(key.to_path_buf());
        self.openssl = Some(true);
        self.moth = Err(sentence.into());
        self
    }
}

/// Each case's mismatch, or nothing; all cases run, so one run shows every difference.
pub fn check_all(forge: &Forge, cases: &[Case]) {
    let broker = Broker::start();
    let failures: Vec<String> = cases
        .iter()
        .enumerate()
        .filter_map(|(n, case)| check(forge, &broker, n, case).err())
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

fn check(forge: &Forge, broker: &Broker, n: usize, case: &Case) -> Result<(), String> {
    let leaf = &case.chain[0];
    let bundle = |what: &str, certs: &[Made]| {
        forge.bundle(
            &format!("case{n}-{what}"),
            &certs.iter().collect::<Vec<_>>(),
        )
    };
    let cafile = bundle("trusted", &case.trusted);
    let served = bundle("served", &case.chain);
    if let Some(accepts) = case.openssl {
        let mut verify = Command::new("openssl");
        verify.args(["verify", "-purpose", "sslserver", "-CAfile"]);
        verify.arg(&cafile);
        if case.chain.len() > 1 {
            verify
                .arg("-untrusted")
                .arg(bundle("untrusted", &case.chain[1..]));
        }
        match case.host {
            Host::Name(name) => verify.args(["-verify_hostname", name]),
            Host::Loopback => verify.args(["-verify_ip", "127.0.0.1"]),
        };
        let out = verify
            .arg(&leaf.cert)
            .output()
            .expect(crate::support::pki::OPENSSL_HINT);
        if out.status.success() != accepts {
            return Err(format!(
                "{}: the case is wrong, `openssl verify` {}: {}{}",
                case.what,
                if accepts { "refuses it" } else { "accepts it" },
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let key = case.key.as_ref().unwrap_or(&leaf.key);
    let front = match case.by_openssl {
        true => Front::openssl(&served, key),
        false => Front::start(&served, key, None, broker.port),
    };
    let mut cmd = moth();
    cmd.args([
        "pub",
        "-h",
        "127.0.0.1",
        "-p",
        &front.port.to_string(),
        "--cafile",
    ])
    .arg(&cafile)
    .args(["-t", "tls/case", "-m", "x", "-q", "1"]);
    if let Host::Name(name) = case.host {
        cmd.args(["--tls-server-name", name]);
    }
    let out = run(cmd, b"");
    let expected = match &case.moth {
        Ok(()) => (0, String::new()),
        Err(sentence) => (
            1,
            format!(
                "moth: error: cannot connect to 127.0.0.1:{}: {sentence}\n",
                front.port
            ),
        ),
    };
    if (out.code(), out.stderr.clone()) != expected {
        return Err(format!(
            "{}:\n  expected exit {} {:?}\n  got      exit {} {:?}",
            case.what,
            expected.0,
            expected.1,
            out.code(),
            out.stderr
        ));
    }
    Ok(())
}

/// The same name as X.509 v1, CN-only v3 and v3 with a subjectAltName, issued by `by`.
pub fn three_leaves(forge: &Forge, stem: &str, cn: &str, by: &Made) -> [(&'static str, Made); 3] {
    let spec = |kind: &str| format!("{stem}-{kind}");
    [
        ("v1", forge.make(Spec::new(spec("v1"), cn).by(by))),
        (
            "CN-only v3",
            forge.make(
                Spec::new(spec("cn"), cn)
                    .by(by)
                    .ext("basicConstraints=CA:FALSE"),
            ),
        ),
        (
            "SAN v3",
            forge.make(
                Spec::new(spec("san"), cn)
                    .by(by)
                    .ext(&format!("subjectAltName=DNS:{cn}")),
            ),
        ),
    ]
}

pub fn forge() -> (tempfile::TempDir, Forge) {
    let dir = tempfile::tempdir().unwrap();
    let forge = Forge::new(dir.path());
    (dir, forge)
}
