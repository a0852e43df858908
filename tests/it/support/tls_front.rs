//! A TLS server that presents any chain with any key and any TLS version, for what Mosquitto will
//! not serve (it refuses to start with a key that does not match its certificate). It stands in
//! front of a real broker: after the handshake it forwards the bytes to a plain Mosquitto
//! listener, so an accepted handshake ends in a real MQTT session.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

pub struct Front {
    pub port: u16,
    /// Dropping it stops the server.
    _runtime: Option<tokio::runtime::Runtime>,
    /// `openssl s_server`, for keys rustls cannot sign with.
    child: Option<std::process::Child>,
}

impl Drop for Front {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[derive(Debug)]
struct Fixed(Arc<CertifiedKey>);

impl ResolvesServerCert for Fixed {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

impl Front {
    /// Serve the certificates in `chain` (PEM, the server's first) signed for with `key`, over
    /// `version` (`tlsv1.2`, `tlsv1.3`, or either for None), forwarding to `backend`.
    pub fn start(chain: &Path, key: &Path, version: Option<&str>, backend: u16) -> Front {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(chain)
            .unwrap()
            .map(|c| c.unwrap())
            .collect();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let signing = provider
            .key_provider
            .load_private_key(PrivateKeyDer::from_pem_file(key).unwrap())
            .unwrap();
        let versions: &[&rustls::SupportedProtocolVersion] = match version {
            Some("tlsv1.2") => &[&rustls::version::TLS12],
            Some("tlsv1.3") => &[&rustls::version::TLS13],
            _ => &[&rustls::version::TLS13, &rustls::version::TLS12],
        };
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Fixed(Arc::new(CertifiedKey::new(certs, signing)))));
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut plain) =
                        tokio::net::TcpStream::connect(("127.0.0.1", backend)).await
                    else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        Front {
            port,
            _runtime: Some(runtime),
            child: None,
        }
    }

    /// `openssl s_server` serving `cert` and `key` at any security level, for a key ring will not
    /// sign with (RSA under 2048 bits). It answers the handshake only: for refusals.
    pub fn openssl(cert: &Path, key: &Path) -> Front {
        let port = super::free_port();
        let child = std::process::Command::new("openssl")
            .args([
                "s_server",
                "-quiet",
                "-cipher",
                "DEFAULT:@SECLEVEL=0",
                "-accept",
            ])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(cert)
            .arg("-key")
            .arg(key)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect(super::pki::OPENSSL_HINT);
        let front = Front {
            port,
            _runtime: None,
            child: Some(child),
        };
        let deadline = std::time::Instant::now() + super::PROCESS_TIMEOUT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "openssl s_server did not listen on {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        front
    }
}
