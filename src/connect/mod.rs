//! The connection layer: the only code that names rumqttc. It turns a validated `ConnSpec` into one
//! running session, MQTT 3.1.1 or 5 behind the same face, and absorbs rumqttc's traps (see
//! shared/notes/rumqttc.md): packet-size limits, panicking setters, reconnect loops without backoff,
//! disconnects that drop unacknowledged messages, and errors that are Debug dumps.

mod common;
mod debug;
mod describe;
mod driver;
mod fallback;
mod probe;
mod spec;
mod tls;
mod url;
mod v4;
mod v5;
mod verify;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use bytes::Bytes;
use tokio::sync::{Notify, mpsc};

pub use common::CONNECT_TIMEOUT;
pub use probe::{Probe, ProbeError, Target, Timings};
pub use spec::{ConnSpec, Endpoint, Protocol, random_u64};
pub use tls::io_reason;

use crate::exit::Failure;

/// A message received from the broker.
#[derive(Debug, Clone)]
pub struct Message {
    /// Valid UTF-8 (checked on receipt).
    pub topic: Bytes,
    pub payload: Bytes,
    pub qos: u8,
    pub retain: bool,
    pub dup: bool,
    pub packet_id: u16,
    /// MQTT 5 properties; `None` on 3.1.1 and when the message carries none.
    pub properties: Option<Box<Properties>>,
}

impl Message {
    pub fn topic(&self) -> &str {
        // Checked when the message was built, so this never falls back.
        std::str::from_utf8(&self.topic).unwrap_or_default()
    }
}

/// MQTT 5 publish properties, in moth's own terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    pub payload_format_indicator: Option<u8>,
    pub message_expiry_interval: Option<u32>,
    pub topic_alias: Option<u16>,
    pub response_topic: Option<String>,
    pub correlation_data: Option<Bytes>,
    pub user_properties: Vec<(String, String)>,
    pub subscription_identifiers: Vec<usize>,
    pub content_type: Option<String>,
}

/// The broker's answer to one filter of a SUBSCRIBE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Granted {
    Qos(u8),
    Refused(String),
}

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
    Unsubscribed,
    /// The broker refused one publish (MQTT 5 reason code), in words.
    PublishRefused(String),
    /// The connection dropped; the session reconnects with backoff (only with `Reconnect::Always`).
    ConnectionLost(String),
    /// DISCONNECT was written after `disconnect()`; the session is over.
    Closed,
    /// The session cannot go on: refused, unreachable, or lost without reconnecting.
    Failed(Failure),
}

/// How many publishes completed at their QoS: written (0), PUBACK (1) or PUBCOMP (2).
#[derive(Default)]
pub(crate) struct Progress {
    delivered: AtomicU64,
    changed: Notify,
}

impl Progress {
    fn add(&self) {
        self.delivered.fetch_add(1, Ordering::Release);
        self.changed.notify_one();
    }
}

/// Publishes completed at their QoS so far (refused ones arrive as events instead).
pub struct Deliveries(Arc<Progress>);

impl Deliveries {
    pub fn count(&self) -> u64 {
        self.0.delivered.load(Ordering::Acquire)
    }

    /// Resolves once the count has grown since the last call returned (no change is missed).
    pub async fn changed(&self) {
        self.0.changed.notified().await
    }
}

/// What to do when an established connection drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reconnect {
    Never,
    Always,
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub filter: String,
    pub qos: u8,
    /// MQTT 5: do not send this client's own publications back to it.
    pub no_local: bool,
    /// MQTT 5: do not send the stale retained messages at subscribe time.
    pub no_stale_retained: bool,
    /// MQTT 5: keep the publisher's retain flag.
    pub retain_as_published: bool,
}

enum Request {
    Subscribe(Vec<Filter>),
    Unsubscribe(Vec<String>),
    Publish(OutgoingPublish),
    Disconnect,
}

pub struct OutgoingPublish {
    pub topic: String,
    pub qos: u8,
    pub retain: bool,
    pub payload: Bytes,
    /// MQTT 5 properties; shared, as a `pub -l` run sends the same ones with every line.
    pub properties: Option<Arc<Properties>>,
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
}

/// A running connection. Events arrive through `next`/`try_next`; requests never block the
/// caller, except `Publisher::publish`, which waits for room so that a fast producer cannot
/// outrun the broker.
pub struct Session {
    events: mpsc::Receiver<Event>,
    requests: mpsc::UnboundedSender<Request>,
    publisher: Publisher,
    closing: Arc<AtomicBool>,
    progress: Arc<Progress>,
}

/// The fast path for publishing from a producer task.
#[derive(Clone)]
pub struct Publisher {
    client: Client,
}

impl Publisher {
    /// Queue one publish; waits while rumqttc's request queue is full. Fails only when the session
    /// has ended.
    pub async fn publish(&self, publish: OutgoingPublish) -> Result<(), SessionEnded> {
        match self.client.send(Request::Publish(publish)).await {
            true => Ok(()),
            false => Err(SessionEnded),
        }
    }
}

#[derive(Debug)]
pub struct SessionEnded;

/// How many requests rumqttc buffers between the caller and its event loop. This is the main
/// throughput knob (rumqttc note 2): 10, its example value, costs a context switch per few messages.
const REQUEST_CAPACITY: usize = 1024;
/// Events buffered towards the consumer. Bounded, so a slow stdout slows reading from the socket
/// instead of growing memory.
const EVENT_CAPACITY: usize = 1024;

impl Session {
    /// Start connecting; the outcome arrives as the first event (`Connected` or `Failed`).
    /// Must be called inside a tokio runtime.
    pub fn start(spec: &ConnSpec, reconnect: Reconnect) -> Session {
        let (tx, events) = mpsc::channel(EVENT_CAPACITY);
        let closing = Arc::new(AtomicBool::new(false));
        let progress = Arc::new(Progress::default());
        // One driver per protocol; a macro, as a closure cannot be generic over the event loop.
        macro_rules! drive {
            ($eventloop:expr) => {
                tokio::spawn(driver::run(
                    common::Source::new($eventloop, spec),
                    tx,
                    reconnect,
                    closing.clone(),
                    progress.clone(),
                ))
            };
        }
        let client = match spec.protocol {
            Protocol::V311 => {
                let (client, eventloop) = v4::new(spec, REQUEST_CAPACITY);
                drive!(v4::Loop(eventloop));
                Client::V4(client)
            }
            Protocol::V5 => {
                let (client, eventloop) = v5::new(spec, REQUEST_CAPACITY);
                drive!(v5::Loop(eventloop));
                Client::V5(v5::Client::new(client, &spec.properties))
            }
        };
        let (requests, mut queue) = mpsc::unbounded_channel::<Request>();
        let forwarder = client.clone();
        // Requests from the consumer go through their own task: awaiting rumqttc's bounded queue
        // in the consumer could deadlock against a driver that waits for the consumer to take
        // events (rumqttc note 7).
        tokio::spawn(async move {
            while let Some(request) = queue.recv().await {
                if !forwarder.send(request).await {
                    break;
                }
            }
        });
        Session {
            events,
            requests,
            publisher: Publisher { client },
            closing,
            progress,
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

    /// A handle on the count of completed publishes, usable while `next` is awaited.
    pub fn deliveries(&self) -> Deliveries {
        Deliveries(self.progress.clone())
    }

    pub fn subscribe(&self, filters: Vec<Filter>) {
        let _ = self.requests.send(Request::Subscribe(filters));
    }

    pub fn unsubscribe(&self, filters: Vec<String>) {
        let _ = self.requests.send(Request::Unsubscribe(filters));
    }

    pub fn publish(&self, publish: OutgoingPublish) {
        let _ = self.requests.send(Request::Publish(publish));
    }

    /// Send DISCONNECT after everything queued so far; `Closed` follows once it is written.
    /// rumqttc does not wait for acknowledgements (note 5): callers count them first.
    pub fn disconnect(&self) {
        self.closing.store(true, Ordering::Relaxed);
        let _ = self.requests.send(Request::Disconnect);
    }
}

fn ended<T>(_: T) -> Event {
    Event::Failed(Failure::usage("the connection task ended unexpectedly"))
}
