//! The connection layer: the only code that speaks MQTT. It reads as its layers: `settings`
//! (flags → a validated `ConnSpec`), `tls` (rustls, and a verifier that refuses what OpenSSL
//! refuses), `wire` (one connection: transports, packets on rumqttc's encoders, batched I/O) and
//! `session` (one task per session: reconnects, resends, acknowledgements, behind the
//! `Session`/`Event`/`Publisher`/`Deliveries` face every command uses). bench's workers use the
//! wire and the session's in-flight state directly, to time each message.

mod debug;
mod describe;
mod session;
mod settings;
mod tls;
mod wire;

pub use describe::reason as reason_words;
pub use session::inflight::{Inflight, Resend};
pub use session::{
    Acks, Backoff, Counts, Deliveries, Event, OUTBOX_LIMIT, Publisher, Reconnect, Session,
};
pub use settings::{ConnOptions, ConnSpec, Endpoint, Protocol};
pub use wire::{
    Attempt, CONNECT_TIMEOUT, ConnAck, Incoming, Link, LinkError, PublishPacket, Target,
};

pub use crate::message::{Filter, Granted, Message, OutgoingPublish, Properties, Receipt};
