//! What the MQTT 3.1.1 and 5 adapters share: the broker address and transport in rumqttc's terms,
//! and the polling wrapper that prints `-d` lines.

use rumqttc::{Outgoing, TlsConfiguration, Transport};

use super::driver::{self, Broken, Polled};
use super::outbox::Replay;
use super::spec::{ConnSpec, Endpoint};
use super::{Event, debug};

/// Seconds allowed for TCP, TLS and CONNACK together.
pub const CONNECT_TIMEOUT: u64 = 10;

/// The host and port rumqttc wants: it formats "{host}:{port}" for the lookup, so an IPv6 literal
/// needs brackets; for websockets rumqttc takes the whole URL as the host and ignores the port.
pub(super) fn address(spec: &ConnSpec) -> (String, u16) {
    match &spec.endpoint {
        Endpoint::Tcp { host, port } if host.contains(':') && spec.tls.is_none() => {
            (format!("[{host}]"), *port)
        }
        Endpoint::Tcp { host, port } => (host.clone(), *port),
        Endpoint::Unix(path) => (path.to_string_lossy().into_owned(), 0),
        Endpoint::WebSocket { url, port, .. } => (url.clone(), *port),
    }
}

pub(super) fn transport(spec: &ConnSpec) -> Transport {
    let tls = spec.tls.clone().map(TlsConfiguration::Rustls);
    match (&spec.endpoint, tls) {
        (Endpoint::Unix(_), _) => Transport::Unix,
        (Endpoint::WebSocket { .. }, None) => Transport::Ws,
        (Endpoint::WebSocket { .. }, Some(tls)) => Transport::Wss(tls),
        (Endpoint::Tcp { .. }, None) => Transport::Tcp,
        (Endpoint::Tcp { .. }, Some(tls)) => Transport::Tls(tls),
    }
}

/// The `Adapter` methods that read the same for rumqttc's two event loops, whose types differ
/// and share no trait. Used inside `impl Adapter for Loop`; `$disconnect` is the pattern of a
/// DISCONNECT request, `$marker` a QoS 2 `Publish` with no topic.
macro_rules! state_hooks {
    ($disconnect:pat, $marker:expr) => {
        fn salvage(&mut self) -> Vec<RawEvent> {
            let leftovers = self.0.state.events.drain(..).collect();
            // Also empties the request queue of anything handed after the failure.
            self.0.clean();
            self.0.state.collision = None;
            self.0.pending.retain(|request| {
                matches!(
                    request,
                    RawRequest::Subscribe(_) | RawRequest::Unsubscribe(_) | $disconnect
                )
            });
            leftovers
        }

        fn buffered(&self) -> bool {
            !self.0.state.events.is_empty()
        }

        fn resume(&mut self) {
            // The broker may open a resumed session with PUBREL for QoS 2 messages received on
            // an earlier connection (or by an earlier run), and rumqttc treats a PUBREL for a
            // packet id it does not know as a protocol error: the connection would drop and come
            // back to the same PUBREL forever. Marking every packet id as received makes it
            // answer each PUBREL with PUBCOMP, which is what MQTT asks of a receiver anyway.
            let state = &mut self.0.state;
            let before = state.events.len();
            let mut marker = $marker;
            for packet_id in 1..=u16::MAX {
                marker.pkid = packet_id;
                let _ = state.handle_incoming_packet(Packet::Publish(marker.clone()));
            }
            state.events.truncate(before);
        }
    };
}
pub(super) use state_hooks;

/// One protocol version's event loop.
pub(super) trait Adapter {
    type Raw;
    async fn poll(&mut self) -> Result<Self::Raw, Broken>;
    fn translate(&self, raw: Self::Raw) -> Polled;
    /// The `-d` line for an event, except incoming PUBLISH, which is printed from the message.
    fn debug_line(&self, raw: &Self::Raw) -> Option<String>;
    /// After a lost connection: take the events rumqttc queued but never returned, and empty
    /// its resend queue of publishes, releases and acknowledgements (the outbox resends
    /// publishes itself; the broker redelivers what was not acknowledged).
    fn salvage(&mut self) -> Vec<Self::Raw>;
    /// The broker resumed an earlier session.
    fn resume(&mut self);
    /// rumqttc holds events already read from the socket: the next poll reads nothing.
    fn buffered(&self) -> bool;
    /// Queue these ahead of everything else for the resumed session.
    fn replay(&mut self, replays: Vec<Replay>);
}

/// A protocol's event loop with what the driver and `-d` need around it.
pub(super) struct Link<P> {
    protocol: P,
    endpoint: String,
    tls: bool,
    client_id: String,
    spec_for_debug: Option<ConnSpec>,
    connecting: bool,
}

impl<P: Adapter> Link<P> {
    pub(super) fn new(protocol: P, spec: &ConnSpec) -> Self {
        Link {
            protocol,
            endpoint: spec.endpoint.to_string(),
            tls: spec.tls.is_some(),
            client_id: spec.client_id.clone(),
            spec_for_debug: spec.debug.then(|| spec.clone()),
            connecting: true,
        }
    }
}

impl<P: Adapter> driver::Polling for Link<P> {
    fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    fn uses_tls(&self) -> bool {
        self.tls
    }

    async fn poll(&mut self) -> Result<Polled, Broken> {
        let debug = self.spec_for_debug.is_some();
        if self.connecting
            && let Some(spec) = &self.spec_for_debug
        {
            debug::connect(spec);
        }
        let raw = self.protocol.poll().await;
        self.connecting = raw.is_err();
        let raw = raw?;
        if debug && let Some(line) = self.protocol.debug_line(&raw) {
            debug::line(&self.client_id, &line);
        }
        let polled = self.protocol.translate(raw);
        if debug && let Polled::Event(Event::Message(message)) = &polled {
            debug::received_publish(&self.client_id, message);
        }
        Ok(polled)
    }

    fn salvage(&mut self) -> Vec<Polled> {
        let raws = self.protocol.salvage();
        raws.into_iter()
            .map(|raw| self.protocol.translate(raw))
            .collect()
    }

    fn resume(&mut self) {
        self.protocol.resume();
    }

    fn buffered(&self) -> bool {
        self.protocol.buffered()
    }

    fn replay(&mut self, replays: Vec<Replay>) {
        if !replays.is_empty() {
            self.protocol.replay(replays);
        }
    }
}

pub(super) fn outgoing_name(out: &Outgoing) -> String {
    match out {
        Outgoing::Publish(m) => format!("PUBLISH (m{m})"),
        Outgoing::Subscribe(m) => format!("SUBSCRIBE (m{m})"),
        Outgoing::Unsubscribe(m) => format!("UNSUBSCRIBE (m{m})"),
        Outgoing::PubAck(m) => format!("PUBACK (m{m})"),
        Outgoing::PubRec(m) => format!("PUBREC (m{m})"),
        Outgoing::PubRel(m) => format!("PUBREL (m{m})"),
        Outgoing::PubComp(m) => format!("PUBCOMP (m{m})"),
        Outgoing::PingReq => "PINGREQ".into(),
        Outgoing::PingResp => "PINGRESP".into(),
        Outgoing::Disconnect => "DISCONNECT".into(),
        Outgoing::AwaitAck(m) => format!("nothing: waiting for the ack of m{m}"),
    }
}
