//! One MQTT session behind one face, whatever the protocol version and transport: `Session`
//! for events and requests, `Publisher` for handing it messages, `Deliveries` for what became of
//! them. A task of its own (driver.rs) does the work; the state it keeps is plain data with
//! tests of its own (outbox.rs, inflight.rs, incoming.rs).

mod backoff;
mod driver;
mod incoming;
pub(crate) mod inflight;
mod outbox;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use tokio::sync::mpsc;

pub use backoff::Backoff;
use driver::{Driver, Request, Shared};
use outbox::Offered;
pub use outbox::{Counts, LIMIT as OUTBOX_LIMIT};

use super::settings::ConnSpec;
use crate::exit::Failure;
use crate::message::{Filter, Granted, Message, OutgoingPublish, Receipt};

/// What happens on the connection, in order.
#[derive(Debug)]
pub enum Event {
    /// CONNACK accepted. `session_present` false means the broker holds no state for us (any
    /// subscriptions are gone).
    Connected {
        session_present: bool,
    },
    Message(Message),
    Subscribed(Vec<Granted>),
    /// UNSUBACK for one filter (moth unsubscribes one filter per packet, in the order given):
    /// the refusal in words, if the broker refused (MQTT 5).
    Unsubscribed(Option<String>),
    /// The broker refused one publish (MQTT 5 reason code, or too large for it), in words.
    PublishRefused(String),
    /// The connection dropped; the session reconnects with backoff (with `Reconnect::Always`).
    ConnectionLost(String),
    /// DISCONNECT was written after `disconnect()`; the session is over.
    Closed,
    /// The session cannot go on: refused, unreachable, or lost without reconnecting.
    Failed(Failure),
}

/// What to do when an established connection drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reconnect {
    Never,
    Always,
}

/// When a received QoS 1/2 message is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acks {
    /// As soon as it is read (a publisher, which prints nothing).
    OnReceipt,
    /// Only when the owner says so with `Session::acknowledge`, after it has written the message
    /// out: a message received but not printed stays the broker's to deliver again.
    Manual,
}

/// Events buffered towards the owner. Bounded, so a slow stdout slows reading from the socket
/// instead of growing memory.
const EVENT_CAPACITY: usize = 1024;

/// A running session. Events arrive through `next`/`try_next`; requests never block the caller,
/// except `Publisher::publish`, which waits for room so that a fast producer cannot outrun the
/// broker.
pub struct Session {
    events: mpsc::Receiver<Event>,
    requests: mpsc::UnboundedSender<Request>,
    publisher: Publisher,
}

/// The fast path for publishing from a producer task.
#[derive(Clone)]
pub struct Publisher {
    shared: Arc<Shared>,
}

#[derive(Debug)]
pub struct SessionEnded;

impl Publisher {
    /// Hand one publish to the session, which keeps it until it is delivered and sends it again
    /// after a reconnect. Waits while the session holds `OUTBOX_LIMIT` unconfirmed messages; a
    /// QoS 0 message offered while the broker is unreachable and the buffer is full is dropped
    /// and counted instead (see `Counts::dropped`).
    pub async fn publish(&self, publish: OutgoingPublish) -> Result<(), SessionEnded> {
        let mut publish = Some(publish);
        loop {
            let room = self.shared.room.notified();
            let mut room = std::pin::pin!(room);
            // Register for the wake-up before offering, so none is missed.
            room.as_mut().enable();
            let offered = self
                .shared
                .outbox()
                .offer(publish.take().expect("offered once per turn"));
            match offered {
                Offered::Held => {
                    self.shared.work.notify_one();
                    return Ok(());
                }
                Offered::Dropped => {
                    self.shared.changed.notify_one();
                    return Ok(());
                }
                Offered::Full(back) => publish = Some(back),
                Offered::Closed => return Err(SessionEnded),
            }
            room.await;
        }
    }

    /// No more messages: the session disconnects once everything given is delivered (a last
    /// QoS 0 message and the DISCONNECT leave in one write).
    pub fn close(&self) {
        self.shared.close();
    }
}

/// Messages given to a session that were delivered or refused so far.
pub struct Deliveries(Arc<Shared>);

impl Deliveries {
    /// Delivered at their QoS (written at 0, PUBACK at 1, PUBCOMP at 2) or refused by the broker.
    pub fn settled(&self) -> u64 {
        let counts = self.0.outbox().counts();
        counts.delivered + counts.refused
    }

    pub fn counts(&self) -> Counts {
        self.0.outbox().counts()
    }

    /// Resolves once the counts may have changed; register before checking, or use in a loop.
    pub async fn changed(&self) {
        self.0.changed.notified().await
    }
}

impl Session {
    /// Start connecting; the outcome arrives as the first event (`Connected` or `Failed`).
    /// Must be called inside a tokio runtime.
    pub fn start(spec: &ConnSpec, reconnect: Reconnect, acks: Acks) -> Session {
        Session::start_at(spec, None, reconnect, acks)
    }

    /// With `target` given, no name is resolved (tests play the broker in the process).
    fn start_at(
        spec: &ConnSpec,
        target: Option<super::wire::Target>,
        reconnect: Reconnect,
        acks: Acks,
    ) -> Session {
        let (events_tx, events) = mpsc::channel(EVENT_CAPACITY);
        let (requests, requests_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::new(spec.max_inflight));
        let driver = Driver::new(
            Arc::new(spec.clone()),
            reconnect,
            acks,
            shared.clone(),
            events_tx,
            requests_rx,
            target,
        );
        tokio::spawn(driver.run());
        Session {
            events,
            requests,
            publisher: Publisher { shared },
        }
    }

    pub fn publisher(&self) -> Publisher {
        self.publisher.clone()
    }

    /// The next event; `Failed` once the session has ended without `Closed`.
    pub async fn next(&mut self) -> Event {
        self.events.recv().await.unwrap_or_else(ended)
    }

    /// The next event if one is already waiting.
    pub fn try_next(&mut self) -> Option<Event> {
        match self.events.try_recv() {
            Ok(event) => Some(event),
            Err(mpsc::error::TryRecvError::Empty) => None,
            Err(mpsc::error::TryRecvError::Disconnected) => Some(ended()),
        }
    }

    /// A handle on the counts of delivered publishes, usable while `next` is awaited.
    pub fn deliveries(&self) -> Deliveries {
        Deliveries(self.publisher.shared.clone())
    }

    pub fn subscribe(&self, filters: Vec<Filter>) {
        let _ = self.requests.send(Request::Subscribe(filters));
    }

    pub fn unsubscribe(&self, filters: Vec<String>) {
        let _ = self.requests.send(Request::Unsubscribe(filters));
    }

    /// Queue a publish without waiting; the session keeps it until it is delivered.
    pub fn publish(&self, publish: OutgoingPublish) {
        let publisher = self.publisher.clone();
        tokio::spawn(async move { publisher.publish(publish).await });
    }

    /// Acknowledge a received message (with `Acks::Manual`): PUBACK at QoS 1, PUBREC at QoS 2.
    /// Call in the order the messages arrived, as MQTT wants acknowledgements in order.
    pub fn acknowledge(&self, receipt: Receipt) {
        let _ = self.requests.send(Request::Ack {
            qos: receipt.qos,
            packet_id: receipt.packet_id,
            connection: receipt.connection,
        });
    }

    /// Send DISCONNECT once everything given to the session is delivered or refused; `Closed`
    /// follows once it is written. Owners that give up sooner stop waiting for `Closed`.
    pub fn disconnect(&self) {
        self.publisher.shared.close();
    }
}

fn ended() -> Event {
    Event::Failed(Failure::usage("the connection task ended unexpectedly"))
}
