//! A lean MQTT connection for `moth bench pub/sub/pubsub`: one tokio socket (TCP, or TLS with
//! moth's own rustls settings), rumqttc's packet encoding, and batched I/O. rumqttc's event loop
//! writes and flushes once per request and arms a timer each time, which made moth cost the
//! broker's CPU again over; here everything a worker queued goes out in one write, and
//! everything readable is parsed, and acknowledged, in one pass.
//!
//! The connection keeps no message state: the caller owns packet ids and the in-flight window
//! (the bench's ack matcher), so that a message can be timed and sent again after a reconnect.
//! It answers on its own only what needs no decision: PUBACK/PUBREC for received messages,
//! PUBCOMP for PUBREL, PUBREL for PUBREC, and keep-alive pings.

mod codec;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rumqttc::tokio_rustls::client::TlsStream;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

pub use codec::Incoming;
use codec::{Codec, Malformed};

use super::common::CONNECT_TIMEOUT;
use super::describe;
use super::probe::Target;
use super::spec::ConnSpec;

/// Reads take at least this much room, so that a burst is parsed in one pass.
const READ_CHUNK: usize = 64 * 1024;
/// What is left of the read buffer before it grows again.
const READ_LOW: usize = 4 * 1024;

enum Stream {
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// An MQTT 5 reason code (PUBACK, SUBACK, ...) in words.
pub fn reason_words(code: u8) -> &'static str {
    describe::reason(code)
}

/// Why a lean connection could not be opened or ended.
#[derive(Debug, Clone)]
pub struct LinkError {
    /// A short sentence, also the label failures are counted under.
    pub reason: String,
    /// The CONNACK code when the broker refused the connection: retrying will not help.
    pub refused: Option<u8>,
}

impl LinkError {
    fn new(reason: impl Into<String>) -> Self {
        LinkError {
            reason: reason.into(),
            refused: None,
        }
    }

    fn io(e: &io::Error) -> Self {
        LinkError::new(describe::io_cause(e))
    }

    /// The refusal as moth's usual exit code and sentence.
    pub fn failure(&self) -> crate::exit::Failure {
        match self.refused {
            Some(code) => describe::refused(code),
            None => crate::exit::Failure::usage(self.reason.clone()),
        }
    }
}

/// What CONNACK said.
#[derive(Debug, Clone, Copy)]
pub struct Connected {
    pub session_present: bool,
    /// MQTT 5: the broker's receive maximum, when it gave one.
    pub receive_max: Option<u16>,
}

/// Options for one connection attempt.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub client_id: &'a str,
    pub clean: bool,
    /// MQTT 5: keep the session this long after a drop.
    pub session_expiry: Option<u32>,
    /// Local address to connect from (`--ifaddr`).
    pub source: Option<std::net::IpAddr>,
}

pub struct Lean {
    stream: Stream,
    codec: Codec,
    rbuf: BytesMut,
    wbuf: BytesMut,
    keep_alive: Duration,
    last_write: Instant,
    /// When a PINGREQ went out that has not been answered.
    ping_sent: Option<Instant>,
    /// TLS: records written into rustls but not yet to the socket.
    unflushed: bool,
}

/// What one `io` call did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Activity {
    /// Some of the queue went out (`queued` says whether all of it did).
    pub wrote: bool,
    /// Bytes came in: call `parse`.
    pub read: bool,
}

impl Lean {
    /// Connect and wait for an accepting CONNACK (within moth's connect timeout).
    pub async fn open(
        spec: &ConnSpec,
        target: &Target,
        attempt: Attempt<'_>,
    ) -> Result<(Lean, Connected), LinkError> {
        let timeout = Duration::from_secs(CONNECT_TIMEOUT);
        match tokio::time::timeout(timeout, Self::open_inner(spec, target, attempt)).await {
            Ok(result) => result,
            Err(_) => Err(LinkError::new(format!(
                "no CONNACK within {CONNECT_TIMEOUT} s"
            ))),
        }
    }

    async fn open_inner(
        spec: &ConnSpec,
        target: &Target,
        attempt: Attempt<'_>,
    ) -> Result<(Lean, Connected), LinkError> {
        let addr = target.addrs[0];
        let socket = match addr {
            std::net::SocketAddr::V4(_) => TcpSocket::new_v4(),
            std::net::SocketAddr::V6(_) => TcpSocket::new_v6(),
        }
        .map_err(|e| LinkError::io(&e))?;
        if let Some(ip) = attempt.source {
            socket.bind(std::net::SocketAddr::new(ip, 0)).map_err(|e| {
                LinkError::new(format!("cannot bind {ip}: {}", describe::io_cause(&e)))
            })?;
        }
        let tcp = socket.connect(addr).await.map_err(|e| LinkError::io(&e))?;
        // Batches are written whole; Nagle would only hold the last part of one back.
        let _ = tcp.set_nodelay(true);
        let stream = match (&target.tls, &target.server_name) {
            (Some(connector), Some(name)) => Stream::Tls(Box::new(
                connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| LinkError::new(describe::cause(&e)))?,
            )),
            _ => Stream::Tcp(tcp),
        };
        let codec = Codec(spec.protocol);
        let mut lean = Lean {
            stream,
            codec,
            rbuf: BytesMut::with_capacity(READ_LOW),
            wbuf: BytesMut::with_capacity(READ_LOW),
            keep_alive: Duration::from_secs(spec.keep_alive.into()),
            last_write: Instant::now(),
            ping_sent: None,
            unflushed: false,
        };
        codec
            .connect(
                spec,
                attempt.client_id,
                attempt.clean,
                attempt.session_expiry,
                &mut lean.wbuf,
            )
            .map_err(LinkError::new)?;
        lean.write_all().await?;
        loop {
            match codec.read(&mut lean.rbuf) {
                Ok(Incoming::ConnAck {
                    code,
                    session_present,
                    receive_max,
                }) => {
                    if code != 0 {
                        return Err(LinkError {
                            reason: format!(
                                "refused: {} (code {code})",
                                describe::connack_reason(code)
                            ),
                            refused: Some(code),
                        });
                    }
                    return Ok((
                        lean,
                        Connected {
                            session_present,
                            receive_max,
                        },
                    ));
                }
                Ok(_) => {
                    return Err(LinkError::new(
                        "the broker answered CONNECT with something other than CONNACK",
                    ));
                }
                Err(Malformed::Bad(why)) => return Err(LinkError::new(why)),
                Err(Malformed::Incomplete) => lean.fill().await?,
            }
        }
    }

    pub fn publish(
        &mut self,
        topic: &str,
        qos: u8,
        retain: bool,
        dup: bool,
        pkid: u16,
        payload: Bytes,
    ) {
        self.codec
            .publish(topic, qos, retain, dup, pkid, payload, &mut self.wbuf);
    }

    pub fn pubrel(&mut self, pkid: u16) {
        self.codec.pubrel(pkid, &mut self.wbuf);
    }

    pub fn subscribe(&mut self, filter: &str, qos: u8) {
        self.codec.subscribe(1, filter, qos, &mut self.wbuf);
    }

    pub fn unsubscribe(&mut self, filter: &str) {
        self.codec.unsubscribe(2, filter, &mut self.wbuf);
    }

    /// Bytes queued and not yet written.
    pub fn queued(&self) -> usize {
        self.wbuf.len()
    }

    pub fn wants_write(&self) -> bool {
        !self.wbuf.is_empty()
    }

    /// Write what is queued, in one write, and read what is there, in one read: whichever the
    /// socket allows first (both, when it allows both). Cancel-safe: dropping the future loses
    /// nothing. One call per wake-up keeps a worker's writes batched: everything it queued
    /// since the last call goes out together.
    pub async fn io(&mut self) -> Result<Activity, LinkError> {
        std::future::poll_fn(|cx| self.poll_io(cx)).await
    }

    fn poll_io(&mut self, cx: &mut Context<'_>) -> Poll<Result<Activity, LinkError>> {
        use std::future::Future;
        let mut progress = Activity::default();
        if !self.wbuf.is_empty() {
            let write = std::pin::pin!(self.stream.write(&self.wbuf));
            match write.poll(cx) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(LinkError::new(describe::CLOSED))),
                Poll::Ready(Ok(n)) => {
                    let _ = self.wbuf.split_to(n);
                    self.last_write = Instant::now();
                    self.unflushed = matches!(self.stream, Stream::Tls(_));
                    progress.wrote = true;
                    if self.wbuf.is_empty() && self.wbuf.capacity() > 4 * READ_CHUNK {
                        // One burst must not pin a large buffer for the rest of the run.
                        self.wbuf = BytesMut::with_capacity(READ_LOW);
                    }
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(LinkError::io(&e))),
                Poll::Pending => {}
            }
        }
        if self.unflushed {
            // rustls holds records until flushed.
            match Pin::new(&mut self.stream).poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(LinkError::io(&e))),
                Poll::Pending => {}
            }
        }
        if self.rbuf.capacity() - self.rbuf.len() < READ_LOW {
            self.rbuf.reserve(READ_CHUNK);
        }
        let read = std::pin::pin!(self.stream.read_buf(&mut self.rbuf));
        match read.poll(cx) {
            Poll::Ready(Ok(0)) => return Poll::Ready(Err(LinkError::new(describe::CLOSED))),
            Poll::Ready(Ok(_)) => progress.read = true,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(LinkError::io(&e))),
            Poll::Pending => {}
        }
        if progress.wrote || progress.read {
            Poll::Ready(Ok(progress))
        } else {
            Poll::Pending
        }
    }

    /// Wait for bytes from the broker (while connecting). Cancel-safe.
    async fn fill(&mut self) -> Result<(), LinkError> {
        if self.rbuf.capacity() - self.rbuf.len() < READ_LOW {
            self.rbuf.reserve(READ_CHUNK);
        }
        let n = self
            .stream
            .read_buf(&mut self.rbuf)
            .await
            .map_err(|e| LinkError::io(&e))?;
        if n == 0 {
            return Err(LinkError::new(describe::CLOSED));
        }
        Ok(())
    }

    /// Write everything queued (while connecting and closing).
    async fn write_all(&mut self) -> Result<(), LinkError> {
        self.stream
            .write_all(&self.wbuf)
            .await
            .map_err(|e| LinkError::io(&e))?;
        self.wbuf.clear();
        self.stream.flush().await.map_err(|e| LinkError::io(&e))?;
        self.last_write = Instant::now();
        Ok(())
    }

    /// Parse every whole packet read so far, answer what needs no decision, and hand the rest
    /// to `on`. A DISCONNECT from the broker or a malformed packet ends the connection.
    pub fn parse(&mut self, mut on: impl FnMut(&mut Self, Incoming)) -> Result<(), LinkError> {
        loop {
            let packet = match self.codec.read(&mut self.rbuf) {
                Ok(packet) => packet,
                Err(Malformed::Incomplete) => return Ok(()),
                Err(Malformed::Bad(why)) => {
                    return Err(LinkError::new(format!("malformed packet: {why}")));
                }
            };
            match &packet {
                Incoming::Publish { qos: 1, pkid, .. } => self.codec.puback(*pkid, &mut self.wbuf),
                Incoming::Publish { qos: 2, pkid, .. } => self.codec.pubrec(*pkid, &mut self.wbuf),
                Incoming::PubRel { pkid } => self.codec.pubcomp(*pkid, &mut self.wbuf),
                Incoming::PubRec { pkid, reason } if *reason < 0x80 => {
                    self.codec.pubrel(*pkid, &mut self.wbuf)
                }
                Incoming::PingResp => {
                    self.ping_sent = None;
                    continue;
                }
                Incoming::Disconnect { reason } => {
                    return Err(LinkError::new(if *reason == 0 {
                        describe::CLOSED.to_string()
                    } else {
                        format!(
                            "the broker disconnected: {} (code {reason})",
                            describe::reason(*reason)
                        )
                    }));
                }
                _ => {}
            }
            on(self, packet);
        }
    }

    /// When the keep-alive needs attention: a ping due, or an unanswered one overdue.
    pub fn keep_alive_at(&self) -> Option<Instant> {
        if self.keep_alive.is_zero() {
            return None;
        }
        Some(match self.ping_sent {
            Some(sent) => sent + self.keep_alive,
            None => self.last_write + self.keep_alive,
        })
    }

    /// At `keep_alive_at`: ping, or give up on a broker that did not answer the last ping.
    pub fn keep_alive(&mut self) -> Result<(), LinkError> {
        let now = Instant::now();
        match self.ping_sent {
            Some(sent) if now >= sent + self.keep_alive => Err(LinkError::new(format!(
                "no answer to a keep-alive ping within {} s",
                self.keep_alive.as_secs()
            ))),
            Some(_) => Ok(()),
            None if now >= self.last_write + self.keep_alive => {
                self.codec.pingreq(&mut self.wbuf);
                self.ping_sent = Some(now);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// DISCONNECT after everything queued, written within `within`, then close.
    pub async fn close(mut self, within: Duration) {
        self.codec.disconnect(&mut self.wbuf);
        let _ = tokio::time::timeout(within, async {
            if self.write_all().await.is_ok() {
                let _ = self.stream.shutdown().await;
            }
        })
        .await;
    }
}
