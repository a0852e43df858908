//! The task behind a `Session`: one connection at a time on the wire (`Link`), reconnecting with
//! one backoff policy; the outbox's messages put on it as the in-flight window allows, and sent
//! again after a reconnect; what arrives turned into events; keep-alive; `-d` lines. It stops
//! for good on a refusal that reconnecting cannot mend, and on a message the broker hangs up on
//! every time it is sent.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use super::backoff::Backoff;
use super::incoming::{Arrival, Incoming};
use super::inflight::{PUBLISH_IDS, Resend};
use super::outbox::{Held, Outbox};
use super::{Acks, Event, Reconnect};
use crate::connect::settings::{ConnSpec, Protocol};
use crate::connect::wire::{Attempt, ConnAck, Link, LinkError, PublishPacket, Target, Terms};
use crate::connect::{debug, describe};
use crate::exit::{self, Failure};
use crate::message::{Filter, Granted, OutgoingPublish};

mod connecting;
mod reading;

/// What the driver shares with the session's handles.
pub(crate) struct Shared {
    outbox: Mutex<Outbox>,
    /// Producers waiting for room in the outbox.
    pub room: Notify,
    /// Anyone waiting for the counts to change.
    pub changed: Notify,
    /// New messages for the driver to send, or the owner's wish to disconnect.
    pub work: Notify,
    /// The owner wants to disconnect once everything given is delivered.
    closing: std::sync::atomic::AtomicBool,
}

impl Shared {
    pub fn new(window: u16) -> Shared {
        Shared {
            outbox: Mutex::new(Outbox::new(window)),
            room: Notify::new(),
            changed: Notify::new(),
            work: Notify::new(),
            closing: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// No more messages: DISCONNECT once everything given is delivered (or, with QoS 0 messages
    /// still to write, right behind them, in the same write).
    pub fn close(&self) {
        self.closing.store(true, Ordering::Release);
        self.work.notify_one();
    }

    fn closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    pub fn outbox(&self) -> MutexGuard<'_, Outbox> {
        // A panic while holding the lock already ended the run; the counts are still good.
        self.outbox.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wake whoever waits on the counts or for room.
    fn settled(&self) {
        self.room.notify_waiters();
        // One permit is kept for a waiter that has not started waiting yet.
        self.changed.notify_one();
    }
}

/// What the session's owner asks of the connection.
pub(crate) enum Request {
    Subscribe(Vec<Filter>),
    Unsubscribe(Vec<String>),
    /// PUBACK (QoS 1) or PUBREC (QoS 2) for a received message of connection `connection`.
    Ack {
        qos: u8,
        packet_id: u16,
        connection: u32,
    },
}

/// With `Acks::Manual` (output to print), once a read that brought messages has been handled, the
/// next read waits until this long after it: a message after a quiet spell is read at once, and
/// in a stream one read and one stdout write carry everything that came in the last
/// millisecond, instead of a read and a write per message. A person never notices 1 ms.
const COALESCE: Duration = Duration::from_millis(1);
/// How long the DISCONNECT may take, and the broker's close after it.
const CLOSE_WITHIN: Duration = Duration::from_secs(2);
/// Connections in a row the broker closes after moth sent something, without acknowledging
/// anything: the broker will not take what moth sends first.
const POISON_LIMIT: u32 = 3;

/// SUBSCRIBE and UNSUBSCRIBE awaiting their acknowledgement, by packet id.
enum Awaited {
    Subscribe(Vec<Filter>),
    Unsubscribe(String),
}

pub(crate) struct Driver {
    spec: Arc<ConnSpec>,
    reconnect: Reconnect,
    acks: Acks,
    shared: Arc<Shared>,
    events: mpsc::Sender<Event>,
    requests: mpsc::UnboundedReceiver<Request>,
    /// Which connection of the session is current (counts CONNACKs).
    connection: u32,
    target: Option<Target>,
    backoff: Backoff,
    incoming: Incoming,
    awaited: VecDeque<(u16, Awaited)>,
    next_sub_id: u16,
    terms: Terms,
    /// Whether the broker kept the session at the last CONNACK.
    session_present: bool,
    ever_connected: bool,
    /// `--retry`: until when the first connection is tried again, and whether the user was told.
    start_retry: Option<Instant>,
    told_waiting: bool,
    /// Connections in a row lost without any acknowledgement while something awaited one.
    poison_streak: u32,
    /// Anything acknowledged on this connection.
    progress: bool,
    events_out: Vec<Event>,
}

/// How serving one connection ended.
enum Served {
    /// The owner asked to disconnect.
    Closing,
    Lost(LinkError),
    /// The session cannot go on.
    Failed(Failure),
    /// The owner is gone (the Session was dropped).
    Gone,
}

impl Driver {
    pub fn new(
        spec: Arc<ConnSpec>,
        reconnect: Reconnect,
        acks: Acks,
        shared: Arc<Shared>,
        events: mpsc::Sender<Event>,
        requests: mpsc::UnboundedReceiver<Request>,
        target: Option<Target>,
    ) -> Driver {
        let alias_max = spec.properties.connect.topic_alias_maximum.unwrap_or(0);
        let start_retry = spec.start_retry.map(|wait| Instant::now() + wait);
        Driver {
            spec,
            reconnect,
            acks,
            shared,
            events,
            requests,
            connection: 0,
            target,
            backoff: Backoff::new(),
            incoming: Incoming::new(alias_max),
            awaited: VecDeque::new(),
            next_sub_id: PUBLISH_IDS + 1,
            terms: Terms::default(),
            session_present: false,
            ever_connected: false,
            start_retry,
            told_waiting: false,
            poison_streak: 0,
            progress: false,
            events_out: Vec::new(),
        }
    }

    pub async fn run(mut self) {
        let last = self.drive().await;
        self.shared.outbox().close();
        self.shared.settled();
        self.shared.room.notify_waiters();
        if let Some(event) = last {
            let _ = self.events.send(event).await;
        }
    }

    /// A -d line, made only with -d (acknowledging a message must not cost an allocation).
    fn debug(&self, what: impl FnOnce() -> String) {
        if self.spec.debug {
            debug::line(&self.spec.client_id, &what());
        }
    }

    /// Connections, one after another, until the session ends; its last event.
    async fn drive(&mut self) -> Option<Event> {
        loop {
            let mut link = match self.connect().await {
                Ok(link) => link,
                Err(last) => return last,
            };
            match self.serve(&mut link).await {
                Served::Closing => {
                    if self.spec.debug {
                        debug::line(&self.spec.client_id, "sending DISCONNECT");
                    }
                    // Received messages acknowledged just before must reach the broker: read until
                    // it closes. A publisher has nothing left to hear.
                    let linger = self.acks == Acks::Manual;
                    if !linger {
                        link.discard_readable();
                    }
                    if link
                        .close(&self.spec.properties.disconnect, CLOSE_WITHIN, linger)
                        .await
                    {
                        // Everything queued went out with the DISCONNECT.
                        self.shared.outbox().written(u64::MAX);
                        self.shared.settled();
                    }
                    return Some(Event::Closed);
                }
                Served::Gone => return None,
                Served::Failed(failure) => return Some(Event::Failed(failure)),
                Served::Lost(error) => {
                    drop(link);
                    if let Some(failure) = self.lost(&error) {
                        return Some(Event::Failed(failure));
                    }
                    // Once per connection lost: failed attempts while reconnecting only lengthen
                    // the wait.
                    let lost = format!(
                        "connection to {} lost: {}; reconnecting",
                        self.spec.endpoint, error.reason
                    );
                    if self.events.send(Event::ConnectionLost(lost)).await.is_err() {
                        return None;
                    }
                }
            }
        }
    }

    /// Serve one connection until it ends.
    async fn serve(&mut self, link: &mut Link) -> Served {
        let window = self
            .spec
            .max_inflight
            .min(self.terms.receive_max.unwrap_or(u16::MAX));
        let resends = self.shared.outbox().connected(self.session_present, window);
        self.resend(link, resends);
        let mut read_after: Option<Instant> = None;
        loop {
            // Requests already made go first: a DISCONNECT asked for right after a message then
            // leaves in the same write.
            loop {
                match self.requests.try_recv() {
                    Ok(request) => self.request(link, request),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => return Served::Gone,
                }
            }
            self.send_pending(link);
            if let Some(served) = self.flush_events().await {
                return served;
            }
            // Once nothing awaits an acknowledgement, DISCONNECT goes out behind what is queued.
            if self.shared.closing() && !self.shared.outbox().owes_acknowledgement() {
                return Served::Closing;
            }
            let now = Instant::now();
            let read = read_after.is_none_or(|at| now >= at);
            let keep_alive = link.keep_alive_at();
            let far = now + Duration::from_secs(3600);
            tokio::select! {
                biased;
                io = link.io(read) => match io {
                    Ok(activity) => {
                        if activity.wrote {
                            let delivered = self.shared.outbox().written(link.written_end());
                            if delivered > 0 {
                                self.progress = true;
                                self.shared.settled();
                            }
                        }
                        if activity.read {
                            let started = Instant::now();
                            let messages = match self.parse(link) {
                                Ok(messages) => messages,
                                Err(served) => return served,
                            };
                            if self.acks == Acks::Manual && messages > 0 {
                                read_after = Some(started + COALESCE);
                            }
                        }
                    }
                    Err(error) => return Served::Lost(error),
                },
                request = self.requests.recv() => match request {
                    None => return Served::Gone,
                    Some(request) => self.request(link, request),
                },
                _ = self.shared.work.notified() => {}
                _ = tokio::time::sleep_until(keep_alive.unwrap_or(far)), if keep_alive.is_some() => {
                    let pinging = link.keep_alive_at().is_some_and(|at| at <= Instant::now());
                    if let Err(error) = link.keep_alive() {
                        return Served::Lost(error);
                    }
                    if pinging && link.wants_write() {
                        self.debug(|| "sending PINGREQ".into());
                    }
                }
                _ = tokio::time::sleep_until(read_after.unwrap_or(far)), if !read => {
                    read_after = None;
                }
            }
        }
    }

    /// Messages in flight when a kept session resumed: again, with DUP, or their PUBREL.
    fn resend(&mut self, link: &mut Link, resends: Vec<Resend>) {
        let outbox = self.shared.outbox();
        for resend in resends {
            match resend {
                Resend::Publish(pkid) => {
                    let Some(held) = outbox.in_flight(pkid) else {
                        continue;
                    };
                    if self.spec.debug {
                        debug::sent_publish(&self.spec.client_id, &held.publish, pkid, true);
                    }
                    link.publish(PublishPacket::of(&held.publish, true, pkid));
                }
                Resend::Release(pkid) => {
                    if self.spec.debug {
                        debug::line(&self.spec.client_id, &format!("sending PUBREL (m{pkid})"));
                    }
                    link.pubrel(pkid);
                }
            }
        }
    }

    /// Put what the outbox has on the link, as the window allows.
    fn send_pending(&mut self, link: &mut Link) {
        let limit = self.terms.max_packet_size;
        let protocol = self.spec.protocol;
        let debug = self.spec.debug.then_some(self.spec.client_id.as_str());
        let mut refused: Vec<String> = Vec::new();
        let mut outbox = self.shared.outbox();
        if !outbox.has_sendable() {
            return;
        }
        outbox.send(
            |p| limit.is_none_or(|max| packet_size(p, protocol) <= max as usize),
            |m| {
                if let Some(id) = debug {
                    debug::sent_publish(id, m.publish, m.pkid, m.dup);
                }
                link.publish(PublishPacket::of(m.publish, m.dup, m.pkid));
                link.queued_end()
            },
            |held| refused.push(too_large(held, limit.unwrap_or(0), protocol)),
        );
        drop(outbox);
        if !refused.is_empty() {
            self.shared.settled();
        }
        self.events_out
            .extend(refused.into_iter().map(Event::PublishRefused));
    }

    /// A request of the owner's, on the wire.
    fn request(&mut self, link: &mut Link, request: Request) {
        let v5 = self.spec.protocol == Protocol::V5;
        match request {
            Request::Subscribe(filters) => {
                let pkid = self.sub_id();
                if self.spec.debug {
                    debug::subscribe(&self.spec.client_id, pkid, &filters, v5);
                }
                link.subscribe(pkid, &filters, &self.spec);
                self.awaited.push_back((pkid, Awaited::Subscribe(filters)));
            }
            Request::Unsubscribe(filters) => {
                // One filter per UNSUBSCRIBE: each answer says what became of its filter.
                for filter in filters {
                    let pkid = self.sub_id();
                    self.debug(|| {
                        format!(
                            "sending UNSUBSCRIBE (m{pkid}, {})",
                            crate::report::quote(&filter)
                        )
                    });
                    link.unsubscribe(pkid, std::slice::from_ref(&filter), &self.spec);
                    self.awaited.push_back((pkid, Awaited::Unsubscribe(filter)));
                }
            }
            Request::Ack {
                qos,
                packet_id,
                connection,
            } => {
                // A message of an earlier connection: the broker sends it again, and it is
                // acknowledged then.
                if connection != self.connection {
                    return;
                }
                if qos == 1 {
                    self.debug(|| format!("sending PUBACK (m{packet_id})"));
                    link.puback(packet_id);
                } else {
                    self.debug(|| format!("sending PUBREC (m{packet_id})"));
                    link.pubrec(packet_id);
                    self.incoming.taken(packet_id);
                }
            }
        }
    }

    fn sub_id(&mut self) -> u16 {
        let id = self.next_sub_id;
        self.next_sub_id = match id {
            u16::MAX => PUBLISH_IDS + 1,
            _ => id + 1,
        };
        id
    }

    /// Hand the events gathered so far to the owner; `Gone` once it stopped listening.
    async fn flush_events(&mut self) -> Option<Served> {
        for event in self.events_out.drain(..) {
            if self.events.send(event).await.is_err() {
                return Some(Served::Gone);
            }
        }
        None
    }
}

/// The size of a PUBLISH on the wire, for the broker's maximum packet size (MQTT 5).
fn packet_size(p: &OutgoingPublish, protocol: Protocol) -> usize {
    use crate::limits::{properties_len, publish_size, varint_len};
    let properties =
        (protocol == Protocol::V5).then(|| p.properties.as_deref().map_or(0, properties_len));
    let remaining = publish_size(p.topic.len(), p.qos, properties, p.payload.len());
    1 + varint_len(remaining) + remaining
}

fn granted(code: u8, v5: bool) -> Granted {
    match code {
        0..=2 => Granted::Qos(code),
        _ if !v5 => Granted::Refused(format!("refused (code {code})")),
        _ => Granted::Refused(format!("{} (code {code})", describe::reason(code))),
    }
}

fn too_large(held: &Held, max: u32, protocol: Protocol) -> String {
    format!(
        "the broker takes packets of at most {max} bytes (its CONNACK said so), and message {} (topic {}) makes one of {} bytes",
        held.seq,
        crate::report::quote(&held.publish.topic),
        packet_size(&held.publish, protocol)
    )
}
