//! A light MQTT connection for `bench conn`: TCP (optionally from a chosen source address), TLS,
//! CONNECT/CONNACK timed separately, then an idle hold with keep-alive pings. It uses rumqttc's
//! packet encoding but not its event loop, whose buffers (tens of KiB per connection) would make
//! thousands of idle connections measure rumqttc rather than the broker.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::time::Duration;

use bytes::BytesMut;
use rumqttc::tokio_rustls::TlsConnector;
use rumqttc::tokio_rustls::rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio::time::Instant;

use super::common::CONNECT_TIMEOUT;
use super::describe;
use super::spec::{ConnSpec, Endpoint, Protocol};
use super::v5::connack_code as v5_reason_code;

trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// How long each step of connecting took.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    pub tcp: Duration,
    /// Zero without TLS.
    pub tls: Duration,
    /// CONNECT written to CONNACK read.
    pub connack: Duration,
}

/// Why a probe failed, as a short label (for counting) and a sentence.
#[derive(Debug, Clone)]
pub struct ProbeError {
    pub reason: String,
}

impl ProbeError {
    fn new(reason: impl Into<String>) -> Self {
        ProbeError {
            reason: reason.into(),
        }
    }
}

pub struct Probe {
    stream: Pin<Box<dyn Stream>>,
    keep_alive: Duration,
}

/// Where a probe connects: resolved once, shared by every connection.
#[derive(Clone)]
pub struct Target {
    pub(super) addrs: Vec<SocketAddr>,
    pub(super) server_name: Option<ServerName<'static>>,
    pub(super) tls: Option<TlsConnector>,
}

impl Target {
    pub async fn resolve(spec: &ConnSpec) -> Result<Target, ProbeError> {
        let Endpoint::Tcp { host, port } = &spec.endpoint else {
            return Err(ProbeError::new(
                "bench conn connects over TCP or TLS only (not unix sockets or websockets)",
            ));
        };
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), *port))
            .await
            .map_err(|e| ProbeError::new(describe::io_cause(&e)))?
            .collect();
        if addrs.is_empty() {
            return Err(ProbeError::new("the host name resolves to no address"));
        }
        let (server_name, tls) = match &spec.tls {
            None => (None, None),
            Some(config) => {
                let name = ServerName::try_from(host.clone()).map_err(|_| {
                    ProbeError::new(format!("'{host}' is not a valid TLS server name"))
                })?;
                (Some(name), Some(TlsConnector::from(config.clone())))
            }
        };
        Ok(Target {
            addrs,
            server_name,
            tls,
        })
    }
}

impl Probe {
    /// Connect as `client_id`, from `source` when given, and wait for CONNACK.
    pub async fn open(
        spec: &ConnSpec,
        target: &Target,
        client_id: &str,
        source: Option<IpAddr>,
    ) -> Result<(Probe, Timings), ProbeError> {
        let timeout = Duration::from_secs(CONNECT_TIMEOUT);
        match tokio::time::timeout(timeout, Self::open_inner(spec, target, client_id, source)).await
        {
            Ok(result) => result,
            Err(_) => Err(ProbeError::new(format!(
                "no CONNACK within {CONNECT_TIMEOUT} s"
            ))),
        }
    }

    async fn open_inner(
        spec: &ConnSpec,
        target: &Target,
        client_id: &str,
        source: Option<IpAddr>,
    ) -> Result<(Probe, Timings), ProbeError> {
        let mut timings = Timings::default();
        let start = Instant::now();
        let addr = target.addrs[0];
        let socket = match addr {
            SocketAddr::V4(_) => TcpSocket::new_v4(),
            SocketAddr::V6(_) => TcpSocket::new_v6(),
        }
        .map_err(|e| ProbeError::new(describe::io_cause(&e)))?;
        if let Some(ip) = source {
            socket.bind(SocketAddr::new(ip, 0)).map_err(|e| {
                ProbeError::new(format!("cannot bind {ip}: {}", describe::io_cause(&e)))
            })?;
        }
        let _ = socket.set_nodelay(true);
        let tcp = socket
            .connect(addr)
            .await
            .map_err(|e| ProbeError::new(describe::io_cause(&e)))?;
        timings.tcp = start.elapsed();

        let mut stream: Pin<Box<dyn Stream>> = match (&target.tls, &target.server_name) {
            (Some(connector), Some(name)) => {
                let tls_start = Instant::now();
                let tls = connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| ProbeError::new(describe::cause(&e)))?;
                timings.tls = tls_start.elapsed();
                Box::pin(tls)
            }
            _ => Box::pin(tcp),
        };

        let connect_start = Instant::now();
        let mut buf = BytesMut::with_capacity(128);
        encode_connect(spec, client_id, &mut buf)?;
        stream
            .write_all(&buf)
            .await
            .map_err(|e| ProbeError::new(describe::io_cause(&e)))?;
        let code = read_connack(&mut stream, spec.protocol).await?;
        if code != 0 {
            return Err(ProbeError::new(format!(
                "refused: {} (code {code})",
                describe::connack_reason(code)
            )));
        }
        timings.connack = connect_start.elapsed();
        Ok((
            Probe {
                stream,
                keep_alive: Duration::from_secs(spec.keep_alive.into()),
            },
            timings,
        ))
    }

    /// Stay connected, pinging every keep-alive period, until `stop` resolves; then DISCONNECT.
    /// Returns why the connection ended early, if it did.
    pub async fn hold(
        mut self,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<(), ProbeError> {
        let mut stop = std::pin::pin!(stop);
        let mut ping = tokio::time::interval(self.keep_alive);
        ping.tick().await;
        let mut scratch = [0u8; 64];
        loop {
            tokio::select! {
                _ = &mut stop => {
                    let _ = self.stream.write_all(&[0xe0, 0x00]).await;
                    let _ = self.stream.shutdown().await;
                    return Ok(());
                }
                _ = ping.tick() => {
                    self.stream
                        .write_all(&[0xc0, 0x00])
                        .await
                        .map_err(|e| ProbeError::new(describe::io_cause(&e)))?;
                }
                read = self.stream.read(&mut scratch) => match read {
                    // PINGRESP and anything else the broker sends are only drained.
                    Ok(0) => return Err(ProbeError::new(describe::CLOSED)),
                    Ok(_) => {}
                    Err(e) => return Err(ProbeError::new(describe::io_cause(&e))),
                },
            }
        }
    }
}

fn encode_connect(spec: &ConnSpec, client_id: &str, buf: &mut BytesMut) -> Result<(), ProbeError> {
    let (user, pass) = match &spec.credentials {
        Some(c) => (
            c.username.clone(),
            c.password.as_ref().map(|p| p.0.clone()).unwrap_or_default(),
        ),
        None => (String::new(), String::new()),
    };
    let encoded = match spec.protocol {
        Protocol::V311 => {
            use rumqttc::mqttbytes::v4::{Connect, Login, Packet};
            let mut connect = Connect::new(client_id);
            connect.keep_alive = spec.keep_alive;
            connect.clean_session = spec.clean_start;
            if spec.credentials.is_some() {
                connect.login = Some(Login::new(user, pass));
            }
            Packet::Connect(connect)
                .write(buf, usize::MAX)
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        Protocol::V5 => {
            use rumqttc::v5::mqttbytes::v5::{Connect, Login, Packet};
            let connect = Connect {
                keep_alive: spec.keep_alive,
                client_id: client_id.to_string(),
                clean_start: spec.clean_start,
                properties: None,
            };
            let login = spec.credentials.is_some().then(|| Login::new(user, pass));
            Packet::Connect(connect, None, login)
                .write(buf, None)
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    };
    encoded.map_err(|e| ProbeError::new(format!("cannot encode CONNECT: {e}")))
}

/// Read until a whole CONNACK is in; return its return/reason code.
async fn read_connack(
    stream: &mut Pin<Box<dyn Stream>>,
    protocol: Protocol,
) -> Result<u8, ProbeError> {
    let mut buf = BytesMut::with_capacity(64);
    loop {
        let parsed = match protocol {
            Protocol::V311 => match rumqttc::mqttbytes::v4::Packet::read(&mut buf, 1 << 16) {
                Ok(rumqttc::mqttbytes::v4::Packet::ConnAck(ack)) => Some(Ok(ack.code as u8)),
                Ok(_) => Some(Err(())),
                Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => None,
                Err(_) => Some(Err(())),
            },
            Protocol::V5 => match rumqttc::v5::mqttbytes::v5::Packet::read(&mut buf, Some(1 << 16))
            {
                Ok(rumqttc::v5::mqttbytes::v5::Packet::ConnAck(ack)) => {
                    Some(Ok(v5_reason_code(ack.code)))
                }
                Ok(_) => Some(Err(())),
                Err(rumqttc::v5::mqttbytes::Error::InsufficientBytes(_)) => None,
                Err(_) => Some(Err(())),
            },
        };
        match parsed {
            Some(Ok(code)) => return Ok(code),
            Some(Err(())) => {
                return Err(ProbeError::new(
                    "the broker answered CONNECT with something other than CONNACK",
                ));
            }
            None => {}
        }
        let read = stream
            .read_buf(&mut buf)
            .await
            .map_err(|e| ProbeError::new(describe::io_cause(&e)))?;
        if read == 0 {
            return Err(ProbeError::new(describe::CLOSED));
        }
    }
}

impl From<io::Error> for ProbeError {
    fn from(e: io::Error) -> Self {
        ProbeError::new(describe::io_cause(&e))
    }
}
