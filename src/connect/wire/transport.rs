//! The byte stream under MQTT: TCP, TLS over TCP, a unix socket, or websockets (ws://, wss://),
//! opened to an endpoint whose name was resolved once: every address is tried in turn, as a
//! name that resolves IPv6-first must still reach a broker that listens on IPv4 only.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::path::PathBuf;
use std::pin::Pin;
#[cfg(test)]
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_tungstenite::tokio::TokioAdapter;
use async_tungstenite::tungstenite;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpSocket, TcpStream, UnixStream};
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use ws_stream_tungstenite::WsStream;

use super::super::describe;
use super::super::settings::{ConnSpec, Endpoint};
use super::LinkError;

/// Where connections go: the endpoint resolved once, shared by every connection of a run.
#[derive(Clone)]
pub struct Target {
    place: Place,
    tls: Option<(TlsConnector, ServerName<'static>)>,
}

#[derive(Clone)]
enum Place {
    Tcp(Vec<SocketAddr>),
    Unix(PathBuf),
    WebSocket {
        addrs: Vec<SocketAddr>,
        url: String,
    },
    /// A scripted broker in the same process: each connection is the next stream handed over.
    #[cfg(test)]
    Script(Arc<tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<tokio::io::DuplexStream>>>),
}

/// How long each step of opening a connection took.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    pub tcp: Duration,
    /// Zero without TLS.
    pub tls: Duration,
    /// CONNECT written to CONNACK read.
    pub connack: Duration,
}

impl Target {
    /// Resolve the endpoint's name. An IP literal needs no lookup (and no resolver thread).
    pub async fn resolve(spec: &ConnSpec) -> Result<Target, LinkError> {
        let (place, host) = match &spec.endpoint {
            Endpoint::Tcp { host, port } => (Place::Tcp(lookup(host, *port).await?), host),
            Endpoint::Unix(path) => {
                return Ok(Target {
                    place: Place::Unix(path.clone()),
                    tls: None,
                });
            }
            Endpoint::WebSocket { url, host, port } => (
                Place::WebSocket {
                    addrs: lookup(host, *port).await?,
                    url: url.clone(),
                },
                host,
            ),
        };
        let tls = match &spec.tls {
            None => None,
            Some(config) => {
                let name = ServerName::try_from(host.clone()).map_err(|_| {
                    LinkError::new(format!(
                        "{} is not a host name TLS can check",
                        crate::report::quote(host)
                    ))
                })?;
                Some((TlsConnector::from(config.clone()), name))
            }
        };
        Ok(Target { place, tls })
    }

    /// Open the byte stream, from `source` when given (TCP and TLS only).
    /// The stream, how long each step took, and the TCP socket under it (for `quick_ack`).
    pub(super) async fn open(
        &self,
        source: Option<IpAddr>,
    ) -> Result<(Stream, Timings, Option<RawFd>), LinkError> {
        let mut timings = Timings::default();
        let start = Instant::now();
        let addrs = match &self.place {
            Place::Unix(path) => {
                let unix = UnixStream::connect(path)
                    .await
                    .map_err(|e| LinkError::io(&e))?;
                timings.tcp = start.elapsed();
                return Ok((Stream::Unix(unix), timings, None));
            }
            Place::Tcp(addrs) | Place::WebSocket { addrs, .. } => addrs,
            #[cfg(test)]
            Place::Script(streams) => {
                let stream = streams.lock().await.recv().await;
                return stream
                    .map(|s| (Stream::Duplex(s), timings, None))
                    .ok_or_else(|| LinkError::io(&io::ErrorKind::ConnectionRefused.into()));
            }
        };
        let tcp = connect_any(addrs, source).await?;
        let fd = tcp.as_raw_fd();
        quick_ack(fd);
        timings.tcp = start.elapsed();
        let tls_start = Instant::now();
        let stream = match &self.tls {
            Some((connector, name)) => Stream::Tls(Box::new(
                connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| LinkError::new(describe::cause(&e)).lasting())?,
            )),
            None => Stream::Tcp(tcp),
        };
        if self.tls.is_some() {
            timings.tls = tls_start.elapsed();
        }
        match &self.place {
            Place::WebSocket { url, .. } => Ok((websocket(url, stream).await?, timings, Some(fd))),
            _ => Ok((stream, timings, Some(fd))),
        }
    }
}

async fn lookup(host: &str, port: u16) -> Result<Vec<SocketAddr>, LinkError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    // RFC 6761: localhost is the loopback, whatever a resolver says; and looking it up would
    // start a resolver thread before a one-shot publish.
    if host.eq_ignore_ascii_case("localhost") {
        let v4 = SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), port);
        let v6 = SocketAddr::new(std::net::Ipv6Addr::LOCALHOST.into(), port);
        return Ok(vec![v4, v6]);
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| LinkError::new(describe::io_cause(&e)))?
        .collect();
    if addrs.is_empty() {
        return Err(LinkError::new("the host name resolves to no address"));
    }
    Ok(addrs)
}

/// The first address that takes the connection; the last one's error otherwise.
async fn connect_any(addrs: &[SocketAddr], source: Option<IpAddr>) -> Result<TcpStream, LinkError> {
    let mut last = LinkError::new("the host name resolves to no address");
    for &addr in addrs {
        if source.is_some_and(|ip| ip.is_ipv4() != addr.is_ipv4()) {
            continue;
        }
        let socket = match addr {
            SocketAddr::V4(_) => TcpSocket::new_v4(),
            SocketAddr::V6(_) => TcpSocket::new_v6(),
        }
        .map_err(|e| LinkError::io(&e))?;
        if let Some(ip) = source {
            socket.bind(SocketAddr::new(ip, 0)).map_err(|e| {
                LinkError::new(format!("cannot bind {ip}: {}", describe::io_cause(&e)))
            })?;
        }
        match socket.connect(addr).await {
            Ok(tcp) => {
                // moth writes whole batches itself: Nagle would only hold the tail of one back
                // (a DISCONNECT, a line of `pub -l`) until the broker's delayed ACK.
                let _ = tcp.set_nodelay(true);
                return Ok(tcp);
            }
            Err(e) => last = LinkError::io(&e),
        }
    }
    Err(last)
}

/// Acknowledge at once what was just read. Mosquitto leaves Nagle's algorithm on, so a second
/// small packet it sends (the retained message right after a SUBACK, the next message of a slow
/// stream) waits for the ACK of the first, and Linux delays that ACK by up to 40 ms. Quick-ack
/// mode does not last, so it is asked for again each time a connection goes idle with bytes
/// read and not yet acknowledged (asking after every read cost a busy publisher a system call
/// and an extra packet per read).
pub(super) fn quick_ack(fd: RawFd) {
    #[cfg(target_os = "linux")]
    {
        let on: libc::c_int = 1;
        // SAFETY: `fd` is a TCP socket the caller's stream owns and keeps open; the option value
        // is a c_int that outlives the call.
        unsafe {
            libc::setsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_QUICKACK,
                (&on as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = fd;
}

/// Let the kernel hold at most about `bytes` (it doubles the figure) of what is written and
/// not yet sent.
pub(super) fn cap_send_buffer(fd: RawFd, bytes: usize) {
    let size = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    // SAFETY: `fd` is a TCP socket the caller's stream owns and keeps open; the option value
    // is a c_int that outlives the call.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            (&size as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// The websocket handshake, asking for the `mqtt` subprotocol as MQTT over websockets wants.
async fn websocket(url: &str, stream: Stream) -> Result<Stream, LinkError> {
    use tungstenite::client::IntoClientRequest;
    let mut request = url
        .into_client_request()
        .map_err(|_| LinkError::new("the websocket URL cannot be used"))?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        tungstenite::http::HeaderValue::from_static("mqtt"),
    );
    let (ws, response) = async_tungstenite::tokio::client_async(request, stream)
        .await
        .map_err(|e| match e {
            tungstenite::Error::Io(ref io) if !closed_at_once(io) => {
                LinkError::new(handshake_failure(&e))
            }
            _ => LinkError::new(handshake_failure(&e)).lasting(),
        })?;
    let agreed = response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"mqtt"));
    if !agreed {
        return Err(LinkError::new(
            "the websocket server did not agree to speak MQTT (no `mqtt` subprotocol); is it an MQTT broker's websocket listener?",
        ));
    }
    Ok(Stream::Ws(Box::new(WsStream::new(ws))))
}

/// A server that took the connection and hung up on the websocket request: a plain MQTT
/// listener reads `GET` as a malformed packet and closes.
fn closed_at_once(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
    )
}

fn handshake_failure(err: &tungstenite::Error) -> String {
    use tungstenite::Error;
    match err {
        Error::Io(e) if closed_at_once(e) => NOT_A_WEBSOCKET.into(),
        Error::ConnectionClosed | Error::AlreadyClosed => NOT_A_WEBSOCKET.into(),
        Error::Io(e) => describe::io_cause(e),
        Error::Tls(_) => describe::cause(err),
        Error::Http(response) => format!(
            "the websocket server answered HTTP {} instead of switching to websockets (is the path right?)",
            response.status().as_u16()
        ),
        Error::Protocol(_) | Error::Capacity(_) => NOT_A_WEBSOCKET.into(),
        _ => "the websocket handshake failed".into(),
    }
}

const NOT_A_WEBSOCKET: &str = "the server did not answer as a websocket server (is that port a plain MQTT listener? use mqtt:// or drop --ws)";

/// The byte stream of one connection.
pub(super) enum Stream {
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    Unix(UnixStream),
    Ws(Box<WsStream<TokioAdapter<Stream>>>),
    #[cfg(test)]
    Duplex(tokio::io::DuplexStream),
}

impl Stream {
    /// Records rustls holds until flushed.
    pub(super) fn buffers_writes(&self) -> bool {
        matches!(self, Stream::Tls(_) | Stream::Ws(_))
    }
}

macro_rules! each {
    ($self:ident, $s:ident => $e:expr) => {
        match $self.get_mut() {
            Stream::Tcp($s) => {
                let $s = Pin::new($s);
                $e
            }
            Stream::Tls($s) => {
                let $s = Pin::new($s.as_mut());
                $e
            }
            Stream::Unix($s) => {
                let $s = Pin::new($s);
                $e
            }
            Stream::Ws($s) => {
                let $s = Pin::new($s.as_mut());
                $e
            }
            #[cfg(test)]
            Stream::Duplex($s) => {
                let $s = Pin::new($s);
                $e
            }
        }
    };
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        each!(self, s => s.poll_read(cx, buf))
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        each!(self, s => s.poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, s => s.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, s => s.poll_shutdown(cx))
    }
}

#[cfg(test)]
impl Target {
    /// A target whose connections are the streams sent on the returned channel: the broker's
    /// ends of `tokio::io::duplex` pairs, played by a test.
    pub fn scripted() -> (
        Target,
        tokio::sync::mpsc::UnboundedSender<tokio::io::DuplexStream>,
    ) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let target = Target {
            place: Place::Script(Arc::new(tokio::sync::Mutex::new(rx))),
            tls: None,
        };
        (target, tx)
    }
}
