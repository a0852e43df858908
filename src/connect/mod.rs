//! The connection layer: the only code that names rumqttc. It turns a validated `ConnSpec` into one
//! running session, MQTT 3.1.1 or 5 behind the same face, and absorbs rumqttc's traps: packet-size
//! limits, panicking setters, reconnect loops without backoff, disconnects that drop
//! unacknowledged messages, sessions resumed without their messages, and errors that are Debug
//! dumps. Each workaround says why where it is made.

mod common;
mod debug;
mod describe;
mod driver;
mod lean;
mod options;
mod outbox;
mod probe;
mod spec;
mod tls;
mod url;
mod v4;
mod v5;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use tokio::sync::mpsc;

pub use common::CONNECT_TIMEOUT;
pub use lean::{Attempt, Connected, Incoming, Lean, LinkError, reason_words};
pub use options::ConnOptions;
use outbox::Outbox;
pub use outbox::{Counts, LIMIT as OUTBOX_LIMIT};
pub use probe::{Probe, Target};
pub use spec::{ConnSpec, Endpoint, Protocol};

use crate::exit::Failure;
pub use crate::message::{Filter, Granted, Message, OutgoingPublish, Properties, Receipt};

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
    /// The broker refused one publish (MQTT 5 reason code), in words.
    PublishRefused(String),
    /// The connection dropped; the session reconnects with backoff (only with `Reconnect::Always`).
    ConnectionLost(String),
    /// Something the user should hear about that does not stop the session, in words.
    Warning(String),
    /// DISCONNECT was written after `disconnect()`; the session is over.
    Closed,
    /// The session cannot go on: refused, unreachable, or lost without reconnecting.
    Failed(Failure),
}

/// Messages given to a session that were delivered or refused so far.
pub struct Deliveries(Arc<Outbox>);

impl Deliveries {
    /// Delivered at their QoS (written at 0, PUBACK at 1, PUBCOMP at 2) or refused by the broker.
    pub fn settled(&self) -> u64 {
        self.0.settled()
    }

    pub fn counts(&self) -> Counts {
        self.0.counts()
    }

    /// Resolves once the counts may have changed; register before checking, or use in a loop.
    pub async fn changed(&self) {
        self.0.changed().await
    }
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
    /// On receipt, by rumqttc (load tests, where output is not the point).
    OnReceipt,
    /// Only when the caller says so with `Session::acknowledge`, after it has written the
    /// message out: a message received but not printed stays the broker's to deliver again.
    Manual,
}

enum Request {
    Subscribe(Vec<Filter>),
    Unsubscribe(Vec<String>),
    /// PUBACK (QoS 1) or PUBREC (QoS 2) for a received message.
    Ack {
        qos: u8,
        packet_id: u16,
    },
    Disconnect,
}

#[derive(Clone)]
enum Client {
    V4(rumqttc::AsyncClient),
    V5(v5::Client),
}

impl Client {
    async fn send(&self, request: Request) -> bool {
        match self {
            Client::V4(client) => v4::send(client, request).await,
            Client::V5(client) => client.send(request).await,
        }
    }

    /// Put a publish in rumqttc's request queue if there is room now.
    fn try_publish(&self, publish: &OutgoingPublish) -> bool {
        match self {
            Client::V4(client) => v4::try_publish(client, publish),
            Client::V5(client) => client.try_publish(publish),
        }
    }
}

/// A running connection. Events arrive through `next`/`try_next`; requests never block the
/// caller, except `Publisher::publish`, which waits for room so that a fast producer cannot
/// outrun the broker.
pub struct Session {
    events: mpsc::Receiver<Event>,
    requests: mpsc::UnboundedSender<Queued>,
    publisher: Publisher,
    closing: Arc<AtomicBool>,
}

/// A request and the connection it belongs to (0: whichever is current).
struct Queued(Request, u32);

/// The fast path for publishing from a producer task.
#[derive(Clone)]
pub struct Publisher {
    client: Client,
    outbox: Arc<Outbox>,
}

impl Publisher {
    /// Hand one publish to the session, which keeps it until the broker has acknowledged it and
    /// sends it again after a reconnect. Waits while the session holds `outbox::LIMIT`
    /// unconfirmed messages; a QoS 0 message offered while the broker is unreachable and the
    /// buffer is full is dropped and counted instead (see `Counts::dropped`).
    pub async fn publish(&self, publish: OutgoingPublish) -> Result<(), SessionEnded> {
        let mut publish = Some(publish);
        loop {
            let room = self.outbox.room();
            let mut room = std::pin::pin!(room);
            // Register for the wake-up before checking, so none is missed.
            room.as_mut().enable();
            let offered = self
                .outbox
                .offer(publish.take().expect("offered once per turn"), |p| {
                    self.client.try_publish(p)
                });
            match offered {
                outbox::Offered::Held | outbox::Offered::Dropped => return Ok(()),
                outbox::Offered::Full(back) => publish = Some(back),
                outbox::Offered::Closed => return Err(SessionEnded),
            }
            room.await;
        }
    }
}

#[derive(Debug)]
pub struct SessionEnded;

/// How many requests rumqttc buffers between the caller and its event loop. This is the main
/// throughput knob: its example value, 10, costs a context switch per few messages. It must
/// exceed `outbox::LIMIT`, so that every held message fits.
const REQUEST_CAPACITY: usize = 1024;
/// Events buffered towards the consumer. Bounded, so a slow stdout slows reading from the socket
/// instead of growing memory.
const EVENT_CAPACITY: usize = 1024;

impl Session {
    /// Start connecting; the outcome arrives as the first event (`Connected` or `Failed`).
    /// Must be called inside a tokio runtime.
    pub fn start(spec: &ConnSpec, reconnect: Reconnect, acks: Acks) -> Session {
        let (tx, events) = mpsc::channel(EVENT_CAPACITY);
        let closing = Arc::new(AtomicBool::new(false));
        let outbox = Arc::new(Outbox::new());
        // Which connection of this session is current (counts CONNACKs), so acknowledgements of
        // messages from an earlier connection are not sent on a later one.
        let connection = Arc::new(AtomicU32::new(0));
        let manual = acks == Acks::Manual;
        // One driver per protocol; a macro, as the driver's future is `Send` only for concrete
        // event loops.
        macro_rules! drive {
            ($client:expr, $eventloop:expr) => {{
                let client = $client;
                let shared = driver::Shared {
                    events: tx,
                    // Sessions that print what they receive; a load test measures latency
                    // and must not wait.
                    coalesce: acks == Acks::Manual,
                    reconnect,
                    closing: closing.clone(),
                    outbox: outbox.clone(),
                    client: client.clone(),
                    connection: connection.clone(),
                };
                tokio::spawn(driver::run(common::Link::new($eventloop, spec), shared));
                client
            }};
        }
        let client = match spec.protocol {
            Protocol::V311 => {
                let (client, eventloop) = v4::new(spec, REQUEST_CAPACITY, manual);
                drive!(Client::V4(client), v4::Loop(eventloop))
            }
            Protocol::V5 => {
                let (client, eventloop) = v5::new(spec, REQUEST_CAPACITY, manual);
                drive!(
                    Client::V5(v5::Client::new(client, &spec.properties)),
                    v5::Loop(eventloop)
                )
            }
        };
        let (requests, mut queue) = mpsc::unbounded_channel::<Queued>();
        let forwarder = client.clone();
        let current = connection.clone();
        // Requests from the consumer go through their own task: awaiting rumqttc's bounded queue
        // in the consumer could deadlock against a driver that waits for the consumer to take
        // events.
        tokio::spawn(async move {
            while let Some(Queued(request, for_connection)) = queue.recv().await {
                if for_connection != 0 && for_connection != current.load(Ordering::Acquire) {
                    // An acknowledgement for a message of a connection that is gone: the broker
                    // sends that message again, and it is acknowledged then.
                    continue;
                }
                if !forwarder.send(request).await {
                    break;
                }
            }
        });
        Session {
            events,
            requests,
            publisher: Publisher { client, outbox },
            closing,
        }
    }

    pub fn publisher(&self) -> Publisher {
        self.publisher.clone()
    }

    /// The next event; `Failed` once the session has ended without `Closed`.
    pub async fn next(&mut self) -> Event {
        self.events.recv().await.unwrap_or_else(|| ended(()))
    }

    /// The next event if one is already waiting.
    pub fn try_next(&mut self) -> Option<Event> {
        match self.events.try_recv() {
            Ok(event) => Some(event),
            Err(mpsc::error::TryRecvError::Empty) => None,
            Err(mpsc::error::TryRecvError::Disconnected) => Some(ended(())),
        }
    }

    /// A handle on the counts of delivered publishes, usable while `next` is awaited.
    pub fn deliveries(&self) -> Deliveries {
        Deliveries(self.publisher.outbox.clone())
    }

    pub fn subscribe(&self, filters: Vec<Filter>) {
        self.request(Request::Subscribe(filters), 0);
    }

    pub fn unsubscribe(&self, filters: Vec<String>) {
        self.request(Request::Unsubscribe(filters), 0);
    }

    /// Queue a publish without waiting; the session keeps it until it is acknowledged.
    pub fn publish(&self, publish: OutgoingPublish) {
        let publisher = self.publisher.clone();
        tokio::spawn(async move { publisher.publish(publish).await });
    }

    /// Acknowledge a received message (with `Acks::Manual`): PUBACK at QoS 1, PUBREC at QoS 2.
    /// Call in the order the messages arrived, as MQTT wants acknowledgements in order.
    pub fn acknowledge(&self, receipt: Receipt) {
        let ack = Request::Ack {
            qos: receipt.qos,
            packet_id: receipt.packet_id,
        };
        self.request(ack, receipt.connection);
    }

    /// Send DISCONNECT after everything queued so far; `Closed` follows once it is written.
    /// rumqttc does not wait for acknowledgements: callers wait for `deliveries` first.
    pub fn disconnect(&self) {
        self.closing.store(true, Ordering::Relaxed);
        self.request(Request::Disconnect, 0);
    }

    fn request(&self, request: Request, connection: u32) {
        let _ = self.requests.send(Queued(request, connection));
    }
}

fn ended<T>(_: T) -> Event {
    Event::Failed(Failure::usage("the connection task ended unexpectedly"))
}
