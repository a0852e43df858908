//! One MQTT connection on the wire: the byte stream (transport.rs), moth's packets on
//! rumqttc's encoders (codec.rs), and batched I/O. Everything queued since the last write goes
//! out in one write, and everything readable is parsed in one pass, which is what keeps moth's
//! cost to the broker low. The link keeps no message state: the session (or a bench worker) owns
//! packet ids and the in-flight window, so that a message can be timed and sent again after a
//! reconnect. It answers on its own only what needs no decision: PUBCOMP for PUBREL, PUBREL for
//! an accepting PUBREC, keep-alive pings, and (with `auto_ack`) PUBACK/PUBREC for messages.

pub mod codec;
mod transport;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::time::Instant;

use codec::{Codec, Malformed};
pub use codec::{ConnAck, Incoming, PublishPacket, Terms};
use transport::Stream;
pub use transport::{Target, Timings};

use super::describe;
use super::settings::ConnSpec;
use crate::message::Filter;
use crate::properties::DisconnectProperties;

/// Seconds allowed for TCP, TLS and CONNACK together.
pub const CONNECT_TIMEOUT: u64 = 10;
/// Reads take at least this much room, so that a burst is parsed in one pass.
const READ_CHUNK: usize = 64 * 1024;
/// What is left of the read buffer before it grows again.
const READ_LOW: usize = 4 * 1024;
/// What connecting needs: a CONNECT without a will, a CONNACK (both grow when larger).
const CONNECT_BUFFER: usize = 256;

/// Why a connection could not be opened, or ended.
#[derive(Debug, Clone)]
pub struct LinkError {
    /// A short sentence, also the label failures are counted under.
    pub reason: String,
    /// The CONNACK code when the broker refused the connection: retrying will not help.
    pub refused: Option<u8>,
    /// MQTT 5: the reason code of the broker's DISCONNECT.
    pub disconnect: Option<u8>,
    /// Waiting will not help: the server is not an MQTT broker as asked, or its certificate is
    /// refused.
    pub lasting: bool,
}

impl LinkError {
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        LinkError {
            reason: reason.into(),
            refused: None,
            disconnect: None,
            lasting: false,
        }
    }

    pub(crate) fn lasting(mut self) -> Self {
        self.lasting = true;
        self
    }

    /// An io error, or the TLS error inside one (TLS 1.3 reports a refused client certificate
    /// only on the first read after the handshake).
    fn io(e: &io::Error) -> Self {
        LinkError::new(describe::cause(e))
    }

    /// The refusal as moth's usual exit code and sentence.
    pub fn failure(&self) -> crate::exit::Failure {
        match self.refused {
            Some(code) => describe::refused(code),
            None => crate::exit::Failure::usage(self.reason.clone()),
        }
    }
}

/// One connection attempt.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub client_id: &'a str,
    pub clean: bool,
    /// MQTT 5: keep the session this long after a drop.
    pub session_expiry: Option<u32>,
    /// Local address to connect from (bench's `--ifaddr`).
    pub source: Option<std::net::IpAddr>,
    /// Acknowledge received QoS 1/2 messages at once (PUBACK, PUBREC) as they are parsed.
    pub auto_ack: bool,
}

/// What one `io` call did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Activity {
    /// Some of the queue went out.
    pub wrote: bool,
    /// Bytes came in: call `parse`.
    pub read: bool,
}

pub struct Link {
    stream: Stream,
    codec: Codec,
    rbuf: BytesMut,
    wbuf: BytesMut,
    /// Bytes ever handed to the stream, and ever on the wire (past rustls's and the websocket
    /// layer's buffers): a caller that noted `queued_end` after queuing a packet knows it is on
    /// the wire once `written_end` reaches it.
    written_total: u64,
    wired_total: u64,
    keep_alive: Duration,
    last_write: Instant,
    /// When a PINGREQ went out that has not been answered.
    ping_sent: Option<Instant>,
    /// TLS and websockets: records written into the layer but not yet to the socket.
    unflushed: bool,
    auto_ack: bool,
    /// Bytes were read and nothing has been written since to carry their ACK.
    ack_owed: bool,
    /// Bytes that came in the same read as the CONNACK (a kept session's queued messages) and
    /// that the first `io` reports as read, or they would wait for the broker's next bytes.
    read_with_connack: bool,
    /// The TCP socket under the stream, if there is one.
    socket: Option<std::os::fd::RawFd>,
}

impl Link {
    /// Connect and wait for an accepting CONNACK (within `CONNECT_TIMEOUT`).
    pub async fn open(
        spec: &ConnSpec,
        target: &Target,
        attempt: Attempt<'_>,
    ) -> Result<(Link, ConnAck, Timings), LinkError> {
        let timeout = Duration::from_secs(CONNECT_TIMEOUT);
        match tokio::time::timeout(timeout, Self::open_inner(spec, target, attempt)).await {
            Ok(result) => result,
            Err(_) => Err(LinkError::new(format!(
                "no CONNACK within {CONNECT_TIMEOUT} s (is that an MQTT broker's port?)"
            ))),
        }
    }

    async fn open_inner(
        spec: &ConnSpec,
        target: &Target,
        attempt: Attempt<'_>,
    ) -> Result<(Link, ConnAck, Timings), LinkError> {
        let (stream, mut timings, socket) = target.open(attempt.source).await?;
        let codec = Codec(spec.protocol);
        let mut link = Link {
            stream,
            codec,
            // Small until connected: `bench conn` opens thousands at once, and what a peak of
            // connecting costs stays in the heap while they are held.
            rbuf: BytesMut::with_capacity(CONNECT_BUFFER),
            wbuf: BytesMut::with_capacity(CONNECT_BUFFER),
            written_total: 0,
            wired_total: 0,
            keep_alive: Duration::from_secs(spec.keep_alive.into()),
            last_write: Instant::now(),
            ping_sent: None,
            unflushed: false,
            auto_ack: attempt.auto_ack,
            ack_owed: false,
            read_with_connack: false,
            socket,
        };
        codec.connect(
            spec,
            attempt.client_id,
            attempt.clean,
            attempt.session_expiry,
            &mut link.wbuf,
        );
        let sent = Instant::now();
        link.write_all().await?;
        loop {
            // A web server's answer would read as some packet: catch it first.
            if link.rbuf.starts_with(b"HTTP/") {
                return Err(LinkError::new(not_mqtt(&link.rbuf)).lasting());
            }
            match codec.read(&mut link.rbuf) {
                Ok(Incoming::ConnAck(ack)) => {
                    timings.connack = sent.elapsed();
                    if ack.code != 0 {
                        return Err(LinkError {
                            reason: format!(
                                "refused: {} (code {})",
                                describe::connack_reason(ack.code),
                                ack.code
                            ),
                            refused: Some(ack.code),
                            disconnect: None,
                            lasting: true,
                        });
                    }
                    // MQTT 5: the broker may set the keep-alive for us.
                    if let Some(seconds) = ack.terms.server_keep_alive {
                        link.keep_alive = Duration::from_secs(seconds.into());
                    }
                    link.read_with_connack = !link.rbuf.is_empty();
                    return Ok((link, ack, timings));
                }
                Ok(Incoming::Disconnect { reason, .. }) => {
                    return Err(LinkError {
                        reason: format!(
                            "the broker refused the connection: {} (code {reason})",
                            describe::reason(reason)
                        ),
                        refused: Some(reason),
                        disconnect: Some(reason),
                        lasting: true,
                    });
                }
                Ok(_) => {
                    return Err(LinkError::new(
                        "the broker answered CONNECT with something other than CONNACK",
                    )
                    .lasting());
                }
                Err(Malformed::Bad(_)) => {
                    return Err(LinkError::new(not_mqtt(&link.rbuf)).lasting());
                }
                Err(Malformed::Incomplete) => link.fill().await?,
            }
        }
    }

    pub fn publish(&mut self, packet: PublishPacket<'_>) {
        self.codec.publish(packet, &mut self.wbuf);
    }

    pub fn puback(&mut self, pkid: u16) {
        self.codec.puback(pkid, &mut self.wbuf);
    }

    pub fn pubrec(&mut self, pkid: u16) {
        self.codec.pubrec(pkid, &mut self.wbuf);
    }

    pub fn pubrel(&mut self, pkid: u16) {
        self.codec.pubrel(pkid, &mut self.wbuf);
    }

    pub fn subscribe(&mut self, pkid: u16, filters: &[Filter], spec: &ConnSpec) {
        self.codec
            .subscribe(pkid, filters, &spec.properties, &mut self.wbuf);
    }

    pub fn unsubscribe(&mut self, pkid: u16, filters: &[String], spec: &ConnSpec) {
        self.codec
            .unsubscribe(pkid, filters, &spec.properties, &mut self.wbuf);
    }

    pub fn disconnect(&mut self, properties: &DisconnectProperties) {
        self.codec.disconnect(properties, &mut self.wbuf);
    }

    /// Bytes queued and not yet written.
    pub fn queued(&self) -> usize {
        self.wbuf.len()
    }

    pub fn wants_write(&self) -> bool {
        !self.wbuf.is_empty() || self.unflushed
    }

    /// The stream offset just past everything queued so far (see `written_end`).
    pub fn queued_end(&self) -> u64 {
        self.written_total + self.wbuf.len() as u64
    }

    /// The stream offset up to which bytes have gone to the socket.
    pub fn written_end(&self) -> u64 {
        self.wired_total
    }

    /// Write what is queued, in one write, and (with `read`) read what is there, in one read:
    /// whichever the socket allows first. Cancel-safe: dropping the future loses nothing. One
    /// call per wake-up keeps writes batched: everything queued since the last call goes out
    /// together.
    pub async fn io(&mut self, read: bool) -> Result<Activity, LinkError> {
        std::future::poll_fn(|cx| self.poll_io(cx, read)).await
    }

    fn poll_io(&mut self, cx: &mut Context<'_>, read: bool) -> Poll<Result<Activity, LinkError>> {
        let mut progress = Activity::default();
        let wired_before = self.wired_total;
        if read && std::mem::take(&mut self.read_with_connack) {
            progress.read = true;
        }
        if !self.wbuf.is_empty() {
            match Pin::new(&mut self.stream).poll_write(cx, &self.wbuf) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(LinkError::new(describe::CLOSED))),
                Poll::Ready(Ok(n)) => {
                    let _ = self.wbuf.split_to(n);
                    self.written_total += n as u64;
                    self.last_write = Instant::now();
                    self.unflushed = self.stream.buffers_writes();
                    if !self.unflushed {
                        self.wired_total = self.written_total;
                    }
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
            match Pin::new(&mut self.stream).poll_flush(cx) {
                Poll::Ready(Ok(())) => {
                    self.unflushed = false;
                    self.wired_total = self.written_total;
                    progress.wrote = true;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(LinkError::io(&e))),
                Poll::Pending => {}
            }
        }
        if self.wired_total != wired_before {
            // Whatever reached the socket carried the ACK of what was read before (bytes still
            // in rustls's or the websocket layer's buffer carry nothing yet).
            self.ack_owed = false;
        }
        if read {
            if self.rbuf.capacity() - self.rbuf.len() < READ_LOW {
                self.rbuf.reserve(READ_CHUNK);
            }
            let spare = self.rbuf.spare_capacity_mut();
            let mut buf = ReadBuf::uninit(spare);
            match Pin::new(&mut self.stream).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => {
                    return Poll::Ready(Err(LinkError::new(describe::CLOSED)));
                }
                Poll::Ready(Ok(())) => {
                    let n = buf.filled().len();
                    // SAFETY: poll_read initialised `n` bytes of the spare capacity.
                    unsafe { self.rbuf.set_len(self.rbuf.len() + n) };
                    progress.read = true;
                    self.ack_owed = true;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(LinkError::io(&e))),
                Poll::Pending => {}
            }
        }
        if progress.wrote || progress.read {
            Poll::Ready(Ok(progress))
        } else {
            // Going idle with what was read unacknowledged: ACK it now rather than after the
            // kernel's delay (a busy publisher's next write carries it for free instead).
            if std::mem::take(&mut self.ack_owed) {
                self.quick_ack();
            }
            Poll::Pending
        }
    }

    /// Wait for bytes from the broker (while connecting). Cancel-safe.
    async fn fill(&mut self) -> Result<(), LinkError> {
        if self.rbuf.capacity() == self.rbuf.len() {
            self.rbuf.reserve(CONNECT_BUFFER);
        }
        let n = self
            .stream
            .read_buf(&mut self.rbuf)
            .await
            .map_err(|e| LinkError::io(&e))?;
        if n == 0 {
            return Err(LinkError::new(describe::CLOSED));
        }
        self.quick_ack();
        Ok(())
    }

    /// Keep the kernel's send queue small, so that what was written is close to what was sent.
    pub fn cap_send_buffer(&self, bytes: usize) {
        if let Some(fd) = self.socket {
            transport::cap_send_buffer(fd, bytes);
        }
    }

    fn quick_ack(&self) {
        if let Some(fd) = self.socket {
            transport::quick_ack(fd);
        }
    }

    /// Write everything queued (while connecting and closing).
    async fn write_all(&mut self) -> Result<(), LinkError> {
        self.stream
            .write_all(&self.wbuf)
            .await
            .map_err(|e| LinkError::io(&e))?;
        self.written_total += self.wbuf.len() as u64;
        self.wbuf.clear();
        self.stream.flush().await.map_err(|e| LinkError::io(&e))?;
        self.unflushed = false;
        self.wired_total = self.written_total;
        self.last_write = Instant::now();
        Ok(())
    }

    /// Parse every whole packet read so far, answer what needs no decision, and hand each to
    /// `on`. A DISCONNECT from the broker or a malformed packet ends the connection.
    pub fn parse(&mut self, mut on: impl FnMut(&mut Self, Incoming)) -> Result<(), LinkError> {
        loop {
            let packet = match self.codec.read(&mut self.rbuf) {
                Ok(packet) => packet,
                Err(Malformed::Incomplete) => return Ok(()),
                Err(Malformed::Bad(why)) => {
                    return Err(LinkError::new(format!(
                        "the broker sent a malformed packet ({why})"
                    )));
                }
            };
            match &packet {
                Incoming::Publish(m) if self.auto_ack && m.qos == 1 => {
                    self.codec.puback(m.packet_id, &mut self.wbuf)
                }
                Incoming::Publish(m) if self.auto_ack && m.qos == 2 => {
                    self.codec.pubrec(m.packet_id, &mut self.wbuf)
                }
                // MQTT asks a receiver to answer every PUBREL, known or not (a resumed session
                // may release a message an earlier run received).
                Incoming::PubRel { pkid } => self.codec.pubcomp(*pkid, &mut self.wbuf),
                Incoming::PubRec { pkid, reason } if *reason < 0x80 => {
                    self.codec.pubrel(*pkid, &mut self.wbuf)
                }
                Incoming::PingResp => self.ping_sent = None,
                Incoming::Disconnect {
                    reason,
                    reason_string,
                    server_reference,
                } => {
                    let mut error = LinkError::new(disconnect_words(
                        *reason,
                        reason_string.as_deref(),
                        server_reference.as_deref(),
                    ));
                    error.disconnect = Some(*reason);
                    return Err(error);
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

    /// DISCONNECT after everything queued, all of it written within `within`; then, with
    /// `linger`, read until the broker closes (a socket closed with unread data sends RST, and a
    /// broker that gets RST may drop what it had not read yet, such as acknowledgements written
    /// just before the DISCONNECT). Returns whether the DISCONNECT was written.
    pub async fn close(
        mut self,
        properties: &DisconnectProperties,
        within: Duration,
        linger: bool,
    ) -> bool {
        self.disconnect(properties);
        let deadline = Instant::now() + within;
        let written = tokio::time::timeout_at(deadline, self.write_all())
            .await
            .is_ok_and(|r| r.is_ok());
        if written && linger {
            let _ = tokio::time::timeout_at(deadline, async {
                // On the heap: an array here would sit in the state of every future that can
                // close, such as each of the thousands of connections `bench conn` holds.
                let mut scratch = vec![0u8; 4096];
                while matches!(self.stream.read(&mut scratch).await, Ok(n) if n > 0) {}
            })
            .await;
        }
        if written {
            let _ = tokio::time::timeout_at(deadline, self.stream.shutdown()).await;
        }
        written
    }

    /// Stay connected doing nothing but keep-alive until `stop` resolves; then DISCONNECT. The
    /// read and write buffers are given back first, so an idle connection (bench conn holds
    /// thousands) costs little more than its socket. Returns why it ended early, if it did.
    pub async fn hold(
        mut self,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<(), LinkError> {
        self.rbuf = BytesMut::new();
        self.wbuf = BytesMut::new();
        let mut stop = std::pin::pin!(stop);
        let mut scratch = [0u8; 64];
        loop {
            let far = Instant::now() + Duration::from_secs(3600);
            let at = self.keep_alive_at();
            tokio::select! {
                _ = &mut stop => {
                    // Boxed: closing takes more state than holding, and is needed only once.
                    let properties = DisconnectProperties::default();
                    Box::pin(self.close(&properties, Duration::from_secs(2), false)).await;
                    return Ok(());
                }
                _ = tokio::time::sleep_until(at.unwrap_or(far)), if at.is_some() => {
                    self.keep_alive()?;
                    self.write_all().await?;
                    self.wbuf = BytesMut::new();
                }
                read = self.stream.read(&mut scratch) => match read {
                    // PINGRESP is all an idle client hears; anything else is only drained.
                    Ok(0) => return Err(LinkError::new(describe::CLOSED)),
                    Ok(_) => self.ping_sent = None,
                    Err(e) => return Err(LinkError::io(&e)),
                },
            }
        }
    }

    /// Drop what the broker sent that is waiting to be read, without waiting for more, so that
    /// closing sends FIN rather than RST.
    pub fn discard_readable(&mut self) {
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut scratch = [0u8; 4096];
        loop {
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut self.stream).poll_read(&mut cx, &mut buf) {
                Poll::Ready(Ok(())) if !buf.filled().is_empty() => continue,
                _ => break,
            }
        }
    }
}

/// The broker's DISCONNECT, in words.
pub fn disconnect_words(reason: u8, why: Option<&str>, moved: Option<&str>) -> String {
    let mut words = match reason {
        0 => describe::CLOSED.to_string(),
        code => format!(
            "the broker disconnected: {} (code {code})",
            describe::reason(code)
        ),
    };
    if let Some(why) = why.filter(|w| !w.is_empty()) {
        words.push_str(&format!(": {}", crate::report::quote(why)));
    }
    if let Some(moved) = moved.filter(|m| !m.is_empty()) {
        words.push_str(&format!("; it points to {}", crate::report::quote(moved)));
    }
    words
}

/// What answered CONNECT, when it was no MQTT.
fn not_mqtt(read: &[u8]) -> String {
    if read.starts_with(b"HTTP/") {
        "the server answered in HTTP, not MQTT (a websockets port? add --ws, or use ws://)".into()
    } else {
        "the server answered CONNECT with something that is not MQTT (is that an MQTT port?)".into()
    }
}
