//! The task that owns rumqttc's event loop: polls it, turns its events into moth's, backs off
//! between reconnects, and stops polling once the session is over (polling again would reconnect).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use super::outbox::{Outbox, Replay, Settled};
use super::{Client, Event, Reconnect};
use crate::exit::Failure;

/// One poll of a protocol's event loop, already translated.
pub(super) enum Polled {
    Event(Event),
    /// A step in the life of one of the session's own publishes.
    Step(Step),
    /// Nothing the session needs to hear about (pings, acks we send, ...).
    Nothing,
    /// Our DISCONNECT is on the wire.
    Closed,
}

/// What rumqttc did with, or heard about, one of our publishes. rumqttc writes publishes in the
/// order they were queued, so `Written` always refers to the oldest one not yet written.
pub(super) enum Step {
    /// Written with this packet id (0 at QoS 0); `held_back` when rumqttc holds it until the
    /// packet id is free again.
    Written { packet_id: u16, held_back: bool },
    /// PUBACK (QoS 1).
    Acknowledged(u16),
    /// PUBREC (QoS 2).
    Received(u16),
    /// PUBCOMP (QoS 2). `stuck`: rumqttc kept the message's place in its in-flight window.
    Completed { packet_id: u16, stuck: bool },
    /// A refusal (MQTT 5 reason code), in words. `stuck` as for `Completed`.
    Refused {
        packet_id: u16,
        why: String,
        stuck: bool,
    },
}

/// Why a poll failed.
pub(super) enum Broken {
    /// The broker refused the connection (CONNACK); reconnecting cannot help.
    Refused(Failure),
    /// The connection could not be made or was lost; `cause` says why, in words.
    Lost { cause: String },
}

/// What the driver shares with the session's other handles.
pub(super) struct Shared {
    pub events: mpsc::Sender<Event>,
    /// Read the socket at most once per `COALESCE` while messages keep coming (see there).
    pub coalesce: bool,
    pub reconnect: Reconnect,
    pub closing: Arc<AtomicBool>,
    pub outbox: Arc<Outbox>,
    pub client: Client,
    pub connection: Arc<AtomicU32>,
}

pub(super) trait Polling {
    /// Where we connect to, for messages.
    fn endpoint(&self) -> String;
    fn uses_tls(&self) -> bool;
    async fn poll(&mut self) -> Result<Polled, Broken>;
    /// After a lost connection: what rumqttc had already read or queued as events, translated,
    /// with its own resend queue emptied of what the outbox resends itself.
    fn salvage(&mut self) -> Vec<Polled>;
    /// The broker resumed an earlier session (before any of its packets is read).
    fn resume(&mut self);
    /// Events already read from the socket are waiting: the next poll does not read.
    fn buffered(&self) -> bool;
    /// Send these first on the resumed session.
    fn replay(&mut self, replays: Vec<Replay>);
}

/// With `coalesce`, once a read has drained the socket, the next read waits until this long after
/// the previous one. A message after a quiet spell is read at once; in a stream, one read and one
/// stdout write carry everything that came in the last millisecond instead of a read and a write
/// per message, which is most of a subscriber's cost. A person never notices 1 ms.
const COALESCE: Duration = Duration::from_millis(1);
/// rumqttc hands out at most this many packets from one pass over the socket; a pass that
/// yielded fewer events found the socket empty, so waiting a moment cannot delay data that was
/// already there.
const READ_PASS: usize = 9;

/// How long to wait for the broker to close the connection after our DISCONNECT.
const DRAIN: Duration = Duration::from_secs(2);

const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// A connection must last this long before the backoff starts again from the beginning; otherwise
/// two clients with the same id would take the session from each other four times a second.
const STABLE: Duration = Duration::from_secs(10);

pub(super) async fn run<S: Polling>(mut source: S, shared: Shared) {
    drive(&mut source, &shared).await;
    shared.outbox.close();
}

async fn drive<S: Polling>(source: &mut S, shared: &Shared) {
    let Shared {
        events,
        coalesce,
        reconnect,
        closing,
        outbox,
        client,
        connection,
    } = shared;
    let hand = |p: &super::OutgoingPublish| client.try_publish(p);
    let mut ever_connected = false;
    let mut reconnecting = false;
    let mut backoff = FIRST_BACKOFF;
    let mut connected_at: Option<tokio::time::Instant> = None;
    let mut pass_started = tokio::time::Instant::now();
    let mut pass_events = 0usize;
    // Places in rumqttc's in-flight window that refusals left taken (see `Step::Completed`).
    let mut stuck = false;
    loop {
        if !source.buffered() {
            pass_started = tokio::time::Instant::now();
            pass_events = 0;
        }
        let polled = source.poll().await;
        pass_events += 1;
        let event = match polled {
            Ok(Polled::Event(Event::Connected { session_present })) => {
                ever_connected = true;
                reconnecting = false;
                connected_at = Some(tokio::time::Instant::now());
                connection.fetch_add(1, Ordering::AcqRel);
                if session_present {
                    source.resume();
                }
                let replays = outbox.connected(session_present, hand);
                source.replay(replays);
                Event::Connected { session_present }
            }
            Ok(Polled::Event(Event::Message(mut message))) => {
                message.connection = connection.load(Ordering::Acquire);
                if *coalesce && !source.buffered() && pass_events < READ_PASS {
                    if events.send(Event::Message(message)).await.is_err() {
                        return;
                    }
                    outbox.hand(hand);
                    tokio::time::sleep_until(pass_started + COALESCE).await;
                    continue;
                }
                Event::Message(message)
            }
            Ok(Polled::Event(event)) => event,
            Ok(Polled::Step(step)) => {
                stuck |= matches!(
                    step,
                    Step::Completed { stuck: true, .. } | Step::Refused { stuck: true, .. }
                );
                let event = apply(outbox, step);
                if stuck && !source.buffered() {
                    // Enough refusals would close rumqttc's window for good; only a new
                    // connection frees those places. Once per pass over the socket.
                    stuck = false;
                    if let Some(event) = event
                        && events.send(event).await.is_err()
                    {
                        return;
                    }
                    if !salvage(source, shared).await {
                        return;
                    }
                    // The refusals themselves are reported; the reconnect is moth's business
                    // (unconfirmed messages go out again as after any lost connection).
                    connected_at = None;
                    continue;
                }
                match event {
                    Some(event) => event,
                    None => {
                        outbox.hand(hand);
                        continue;
                    }
                }
            }
            Ok(Polled::Nothing) => {
                outbox.hand(hand);
                continue;
            }
            Ok(Polled::Closed) => {
                // Read on until the broker closes: a socket closed with unread data in it sends
                // RST, and a broker that gets RST may drop what it had not read yet, such as
                // the acknowledgements written just before DISCONNECT. rumqttc reads only while
                // polled; the broker closes at once after DISCONNECT, and the poll after that
                // error is never made (it would reconnect).
                let drain = async { while source.poll().await.is_ok() {} };
                let _ = tokio::time::timeout(DRAIN, drain).await;
                Event::Closed
            }
            // The caller asked to close only after counting every acknowledgement it needed.
            Err(_) if closing.load(Ordering::Relaxed) => Event::Closed,
            Err(Broken::Refused(failure)) => Event::Failed(failure),
            Err(Broken::Lost { cause }) if !ever_connected => {
                let hint = match (cause == super::describe::CLOSED, source.uses_tls()) {
                    (false, _) => "",
                    (true, true) => " before CONNACK (is that port a TLS listener?)",
                    (true, false) => {
                        " before CONNACK (if that port expects TLS, add --cafile or use mqtts://)"
                    }
                };
                Event::Failed(Failure::usage(format!(
                    "cannot connect to {}: {cause}{hint}",
                    source.endpoint()
                )))
            }
            Err(Broken::Lost { cause }) => {
                // First failure after a working connection: account for what it carried.
                if connected_at.is_some() && !salvage(source, shared).await {
                    return;
                }
                if *reconnect == Reconnect::Never {
                    let _ = events
                        .send(Event::Failed(Failure::new(
                            crate::exit::UNCONFIRMED,
                            format!("connection to {} lost: {cause}", source.endpoint()),
                        )))
                        .await;
                    return;
                }
                // Report the loss once; failed attempts while reconnecting only lengthen the
                // sleep. rumqttc would otherwise reconnect in a hot loop.
                if connected_at.take().is_some_and(|at| at.elapsed() >= STABLE) {
                    backoff = FIRST_BACKOFF;
                }
                if !reconnecting {
                    reconnecting = true;
                    let lost = format!(
                        "connection to {} lost: {cause}; reconnecting",
                        source.endpoint()
                    );
                    if events.send(Event::ConnectionLost(lost)).await.is_err() {
                        return;
                    }
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        outbox.hand(hand);
        let last = matches!(event, Event::Closed | Event::Failed(_));
        if events.send(event).await.is_err() || last {
            return;
        }
    }
}

/// After a lost (or dropped) connection: account for everything rumqttc had read or queued, and
/// set the outbox to send what is unconfirmed again. False once the consumer is gone.
async fn salvage<S: Polling>(source: &mut S, shared: &Shared) -> bool {
    let Shared {
        events,
        outbox,
        connection,
        ..
    } = shared;
    // First, so that no producer hands rumqttc a message between the salvage below emptying its
    // queue and the outbox taking stock.
    outbox.disconnect();
    // Acknowledgements of this connection's messages must not go out on the next one, even if
    // they are made before its CONNACK.
    let ended = connection.fetch_add(1, Ordering::AcqRel);
    for polled in source.salvage() {
        let event = match polled {
            Polled::Step(step) => apply(outbox, step),
            // Read before the failure: printed all the same, acknowledged never (the broker
            // sends them again if it kept the session).
            Polled::Event(Event::Message(mut message)) => {
                message.connection = ended;
                Some(Event::Message(message))
            }
            Polled::Event(event @ (Event::Subscribed(_) | Event::Unsubscribed(_))) => Some(event),
            _ => None,
        };
        if let Some(event) = event
            && events.send(event).await.is_err()
        {
            return false;
        }
    }
    outbox.lost();
    true
}

/// Record one step of a publish; a refusal becomes an event for the caller.
fn apply(outbox: &Outbox, step: Step) -> Option<Event> {
    match step {
        Step::Written {
            packet_id,
            held_back,
        } => {
            outbox.written(packet_id, held_back);
            None
        }
        Step::Acknowledged(packet_id) => {
            outbox.acknowledged(packet_id, false);
            None
        }
        Step::Completed { packet_id, .. } => {
            outbox.acknowledged(packet_id, true);
            None
        }
        Step::Received(packet_id) => {
            outbox.received(packet_id);
            None
        }
        Step::Refused { packet_id, why, .. } => {
            (outbox.refused(packet_id) != Settled::Unknown).then_some(Event::PublishRefused(why))
        }
    }
}
