//! MQTT 5 through rumqttc's `v5` module.

use std::time::Duration;

use rumqttc::v5::mqttbytes::{Error as MqttError, QoS};
use std::sync::Arc;

use bytes::Bytes;
use rumqttc::v5::mqttbytes::v5::{
    ConnectReturnCode, Filter, LastWill, LastWillProperties, Packet, PubAckReason, PubCompReason,
    PubRecReason, PubRel, Publish, PublishProperties, RetainForwardRule, SubscribeProperties,
    SubscribeReasonCode, UnsubAckReason, UnsubscribeProperties,
};
use rumqttc::v5::{
    AsyncClient, ConnectionError, Event as RawEvent, EventLoop, MqttOptions, Request as RawRequest,
    StateError,
};
use rumqttc::{NetworkOptions, Outgoing};

use super::common::{self, CONNECT_TIMEOUT, outgoing_name};
use super::driver::{Broken, Polled, Step};
use super::outbox::Replay;
use super::spec::{ConnSpec, MAX_PACKET_SIZE};
use super::{Event, Granted, Message, OutgoingPublish, Properties, Request, describe};
use crate::properties::{PropertySets, WillProperties};

fn qos(level: u8) -> QoS {
    match level {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

pub(super) fn new(spec: &ConnSpec, capacity: usize, manual_acks: bool) -> (AsyncClient, EventLoop) {
    let (host, port) = common::address(spec);
    let mut options = MqttOptions::new(spec.client_id.clone(), host, port);
    // set_keep_alive panics below 5 s; ConnSpec has checked that.
    options
        .set_keep_alive(Duration::from_secs(spec.keep_alive.into()))
        .set_clean_start(spec.clean_start)
        .set_max_packet_size(Some(MAX_PACKET_SIZE as u32))
        .set_outgoing_inflight_upper_limit(spec.max_inflight)
        .set_connection_timeout(CONNECT_TIMEOUT)
        .set_manual_acks(manual_acks);
    // Never advertise topic_alias_max: rumqttc hands out aliased messages with an empty topic.
    if let Some(expiry) = spec.session_expiry {
        options.set_session_expiry_interval(Some(expiry));
    }
    let connect = &spec.properties.connect;
    if let Some(max) = connect.maximum_packet_size {
        // Also the largest packet rumqttc will accept from the broker.
        options.set_max_packet_size(Some(max));
    }
    options
        .set_receive_maximum(connect.receive_maximum)
        .set_request_problem_info(connect.request_problem_information)
        .set_request_response_info(connect.request_response_information);
    if !connect.user_properties.is_empty() {
        options.set_user_properties(connect.user_properties.clone());
    }
    options.set_transport(common::transport(spec));
    if let Some(creds) = &spec.credentials {
        let password = creds
            .password
            .as_ref()
            .map(|p| p.0.clone())
            .unwrap_or_default();
        options.set_credentials(creds.username.clone(), password);
    }
    if let Some(will) = &spec.will {
        options.set_last_will(LastWill {
            topic: will.topic.clone().into(),
            message: will.payload.clone(),
            qos: qos(will.qos),
            retain: will.retain,
            properties: will_properties(&spec.properties.will),
        });
    }
    let mut network = NetworkOptions::new();
    network.set_tcp_nodelay(spec.nodelay);
    network.set_connection_timeout(CONNECT_TIMEOUT);
    options.set_network_options(network);
    AsyncClient::new(options, capacity)
}

/// rumqttc's client with the -D properties that go with every SUBSCRIBE and UNSUBSCRIBE.
#[derive(Clone)]
pub(super) struct Client {
    client: AsyncClient,
    subscribe: Option<Arc<SubscribeProperties>>,
    unsubscribe: Option<Arc<UnsubscribeProperties>>,
}

impl Client {
    pub(super) fn new(client: AsyncClient, sets: &PropertySets) -> Client {
        let sub = &sets.subscribe;
        Client {
            client,
            subscribe: (*sub != Default::default()).then(|| {
                Arc::new(SubscribeProperties {
                    id: sub.subscription_identifier,
                    user_properties: sub.user_properties.clone(),
                })
            }),
            unsubscribe: (!sets.unsubscribe.is_empty()).then(|| {
                Arc::new(UnsubscribeProperties {
                    user_properties: sets.unsubscribe.clone(),
                })
            }),
        }
    }

    pub(super) async fn send(&self, request: Request) -> bool {
        let client = &self.client;
        let sent = match request {
            Request::Subscribe(filters) => {
                let filters: Vec<Filter> = filters
                    .into_iter()
                    .map(|f| Filter {
                        path: f.filter,
                        qos: qos(f.qos),
                        nolocal: f.no_local,
                        preserve_retain: f.retain_as_published,
                        retain_forward_rule: if f.no_stale_retained {
                            RetainForwardRule::Never
                        } else {
                            RetainForwardRule::OnEverySubscribe
                        },
                    })
                    .collect();
                match &self.subscribe {
                    None => client.subscribe_many(filters).await,
                    Some(props) => {
                        client
                            .subscribe_many_with_properties(filters, (**props).clone())
                            .await
                    }
                }
            }
            Request::Unsubscribe(filters) => {
                for filter in filters {
                    let sent = match &self.unsubscribe {
                        None => client.unsubscribe(filter).await,
                        Some(props) => {
                            client
                                .unsubscribe_with_properties(filter, (**props).clone())
                                .await
                        }
                    };
                    if sent.is_err() {
                        return false;
                    }
                }
                Ok(())
            }
            Request::Ack {
                qos: level,
                packet_id,
            } => {
                let mut publish = Publish::new("", qos(level), Bytes::new(), None);
                publish.pkid = packet_id;
                client.ack(&publish).await
            }
            Request::Disconnect => client.disconnect().await,
        };
        sent.is_ok()
    }

    pub(super) fn try_publish(&self, p: &OutgoingPublish) -> bool {
        let client = &self.client;
        let sent = match &p.properties {
            None => client.try_publish(p.topic.clone(), qos(p.qos), p.retain, p.payload.clone()),
            Some(props) => client.try_publish_with_properties(
                p.topic.clone(),
                qos(p.qos),
                p.retain,
                p.payload.clone(),
                publish_properties(props),
            ),
        };
        sent.is_ok()
    }
}

fn publish_properties(p: &Properties) -> PublishProperties {
    PublishProperties {
        payload_format_indicator: p.payload_format_indicator,
        message_expiry_interval: p.message_expiry_interval,
        topic_alias: p.topic_alias,
        response_topic: p.response_topic.clone(),
        correlation_data: p.correlation_data.clone(),
        user_properties: p.user_properties.clone(),
        subscription_identifiers: Vec::new(),
        content_type: p.content_type.clone(),
    }
}

fn will_properties(w: &WillProperties) -> Option<LastWillProperties> {
    if *w == WillProperties::default() {
        return None;
    }
    let m = &w.message;
    Some(LastWillProperties {
        delay_interval: w.will_delay_interval,
        payload_format_indicator: m.payload_format_indicator,
        message_expiry_interval: m.message_expiry_interval,
        content_type: m.content_type.clone(),
        response_topic: m.response_topic.clone(),
        correlation_data: m.correlation_data.clone(),
        user_properties: m.user_properties.clone(),
    })
}

/// rumqttc's MQTT 5 event loop.
pub(super) struct Loop(pub(super) EventLoop);

impl common::Adapter for Loop {
    type Raw = RawEvent;

    async fn poll(&mut self) -> Result<RawEvent, Broken> {
        self.0.poll().await.map_err(broken)
    }

    fn translate(&self, event: RawEvent) -> Polled {
        match event {
            RawEvent::Incoming(Packet::ConnAck(ack)) => Polled::Event(Event::Connected {
                session_present: ack.session_present,
            }),
            RawEvent::Incoming(Packet::Publish(p)) => {
                if p.topic.is_empty() || std::str::from_utf8(&p.topic).is_err() {
                    return Polled::Event(Event::Warning(format!(
                        "dropped a message (packet id {}) whose topic is empty or not UTF-8: a broker protocol error",
                        p.pkid
                    )));
                }
                Polled::Event(Event::Message(Message {
                    topic: p.topic,
                    payload: p.payload,
                    qos: p.qos as u8,
                    retain: p.retain,
                    dup: p.dup,
                    packet_id: p.pkid,
                    properties: p.properties.map(properties),
                    connection: 0,
                }))
            }
            RawEvent::Incoming(Packet::SubAck(ack)) => Polled::Event(Event::Subscribed(
                ack.return_codes
                    .iter()
                    .map(|code| match code {
                        SubscribeReasonCode::Success(q) => Granted::Qos(*q as u8),
                        other => {
                            let code = suback_code(*other);
                            Granted::Refused(format!("{} (code {code})", describe::reason(code)))
                        }
                    })
                    .collect(),
            )),
            RawEvent::Incoming(Packet::UnsubAck(ack)) => {
                let refusal = ack.reasons.iter().find_map(|reason| {
                    let code = unsuback_code(*reason);
                    (code >= 0x80).then(|| format!("{} (code {code})", describe::reason(code)))
                });
                Polled::Event(Event::Unsubscribed(refusal))
            }
            RawEvent::Incoming(Packet::PubAck(ack)) => match puback_code(ack.reason) {
                0 | 0x10 => Polled::Step(Step::Acknowledged(ack.pkid)),
                code => refused("PUBACK", ack.pkid, code, false),
            },
            RawEvent::Incoming(Packet::PubRec(rec)) => match pubrec_code(rec.reason) {
                0 | 0x10 => Polled::Step(Step::Received(rec.pkid)),
                // rumqttc frees the packet id but never its place in the in-flight window.
                code => refused("PUBREC", rec.pkid, code, true),
            },
            RawEvent::Incoming(Packet::PubComp(comp)) => Polled::Step(Step::Completed {
                packet_id: comp.pkid,
                // "Packet identifier not found": the broker had the message (it sent PUBREC)
                // and finished it already, before a reconnect made moth send PUBREL again.
                // Delivered; but rumqttc keeps the window place of a PUBCOMP that is not a
                // success.
                stuck: comp.reason == PubCompReason::PacketIdentifierNotFound,
            }),
            RawEvent::Outgoing(Outgoing::Publish(packet_id)) => Polled::Step(Step::Written {
                packet_id,
                held_back: false,
            }),
            RawEvent::Outgoing(Outgoing::AwaitAck(packet_id)) => Polled::Step(Step::Written {
                packet_id,
                held_back: true,
            }),
            RawEvent::Outgoing(Outgoing::Disconnect) => Polled::Closed,
            _ => Polled::Nothing,
        }
    }

    common::state_hooks!(
        RawRequest::Disconnect,
        Publish::new("", QoS::ExactlyOnce, Bytes::new(), None)
    );

    fn replay(&mut self, replays: Vec<Replay>) {
        for replay in replays {
            let request = match replay {
                Replay::Publish(packet_id, p) => {
                    let properties = p.properties.as_deref().map(publish_properties);
                    let mut publish = Publish::new(p.topic, qos(p.qos), p.payload, properties);
                    publish.pkid = packet_id;
                    publish.retain = p.retain;
                    publish.dup = true;
                    RawRequest::Publish(publish)
                }
                Replay::Release(packet_id) => RawRequest::PubRel(PubRel::new(packet_id, None)),
            };
            self.0.pending.push_back(request);
        }
    }

    fn debug_line(&self, event: &RawEvent) -> Option<String> {
        Some(match event {
            RawEvent::Incoming(Packet::ConnAck(ack)) => format!(
                "received CONNACK ({}, session present {})",
                connack_code(ack.code),
                ack.session_present as u8
            ),
            RawEvent::Incoming(Packet::Publish(_)) => return None,
            RawEvent::Incoming(packet) => format!("received {}", packet_name(packet)),
            RawEvent::Outgoing(out) => format!("sending {}", outgoing_name(out)),
        })
    }
}

fn refused(packet: &str, packet_id: u16, code: u8, stuck: bool) -> Polled {
    Polled::Step(Step::Refused {
        packet_id,
        stuck,
        why: format!(
            "the broker refused the message with packet id {packet_id}: {} (code {code}, in {packet})",
            describe::reason(code)
        ),
    })
}

fn properties(p: PublishProperties) -> Box<Properties> {
    Box::new(Properties {
        payload_format_indicator: p.payload_format_indicator,
        message_expiry_interval: p.message_expiry_interval,
        topic_alias: p.topic_alias,
        response_topic: p.response_topic,
        correlation_data: p.correlation_data,
        user_properties: p.user_properties,
        subscription_identifiers: p.subscription_identifiers,
        content_type: p.content_type,
    })
}

fn packet_name(packet: &Packet) -> String {
    match packet {
        Packet::PubAck(p) => format!("PUBACK (m{}, rc{})", p.pkid, puback_code(p.reason)),
        Packet::PubRec(p) => format!("PUBREC (m{}, rc{})", p.pkid, pubrec_code(p.reason)),
        Packet::PubRel(p) => format!("PUBREL (m{})", p.pkid),
        Packet::PubComp(p) => format!("PUBCOMP (m{})", p.pkid),
        Packet::SubAck(p) => {
            let codes: Vec<String> = p
                .return_codes
                .iter()
                .map(|c| suback_code(*c).to_string())
                .collect();
            format!("SUBACK (m{}, {})", p.pkid, codes.join(", "))
        }
        Packet::UnsubAck(p) => format!("UNSUBACK (m{})", p.pkid),
        Packet::PingResp(_) => "PINGRESP".into(),
        Packet::Disconnect(d) => format!("DISCONNECT (rc{})", d.reason_code as u8),
        Packet::Auth(_) => "AUTH".into(),
        _ => "a packet".into(),
    }
}

fn broken(err: ConnectionError) -> Broken {
    match err {
        ConnectionError::ConnectionRefused(code) => {
            Broken::Refused(describe::refused(connack_code(code)))
        }
        ConnectionError::MqttState(StateError::ConnFail { reason }) => {
            Broken::Refused(describe::refused(connack_code(reason)))
        }
        ConnectionError::Timeout(_) => Broken::Lost {
            cause: format!("no CONNACK within {CONNECT_TIMEOUT} s"),
        },
        ConnectionError::MqttState(StateError::ServerDisconnect {
            reason_code,
            reason_string,
        }) => {
            let code = reason_code as u8;
            let detail = reason_string.map(|s| format!(": {s}")).unwrap_or_default();
            let cause = format!(
                "the broker closed the connection: {} (code {code}){detail}",
                describe::reason(code)
            );
            // A refusal of what we sent would only be repeated after reconnecting.
            if refuses_what_was_sent(code) {
                Broken::Refused(crate::exit::Failure::new(crate::exit::REFUSED, cause))
            } else {
                Broken::Lost { cause }
            }
        }
        // rumqttc fails the connection on a reason code outside its tables, such as mosquitto's
        // PUBACK 149 (packet too large, from message_size_limit): it is still the broker's answer.
        ConnectionError::MqttState(StateError::Deserialization(
            MqttError::InvalidConnectReturnCode(code)
            | MqttError::InvalidSubscribeReasonCode(code)
            | MqttError::InvalidReason(code),
        )) => Broken::Refused(crate::exit::Failure::new(
            crate::exit::REFUSED,
            format!(
                "the broker refused: {} (code {code})",
                describe::reason(code)
            ),
        )),
        ConnectionError::MqttState(StateError::OutgoingPacketTooLarge { pkt_size, max }) => {
            Broken::Refused(crate::exit::Failure::new(
                crate::exit::REFUSED,
                format!(
                    "the broker takes packets of at most {max} bytes (its CONNACK said so); this one is {pkt_size}"
                ),
            ))
        }
        ConnectionError::MqttState(StateError::ConnectionAborted) => Broken::Lost {
            cause: describe::CLOSED.into(),
        },
        ConnectionError::MqttState(StateError::AwaitPingResp) => Broken::Lost {
            cause: "the broker stopped answering pings".into(),
        },
        ConnectionError::NotConnAck(packet) => Broken::Lost {
            cause: format!(
                "the broker answered CONNECT with {} instead of CONNACK (if that port serves \
                 websockets, add --ws)",
                packet_name(&packet)
            ),
        },
        other => Broken::Lost {
            cause: describe::cause(&other),
        },
    }
}

/// DISCONNECT reason codes that refuse what this client sent, as opposed to the broker going
/// away or taking the session elsewhere.
fn refuses_what_was_sent(code: u8) -> bool {
    matches!(
        code,
        0x81 | 0x82
            | 0x87
            | 0x8F
            | 0x90
            | 0x93
            | 0x94
            | 0x95
            | 0x96
            | 0x97
            | 0x99
            | 0x9A
            | 0x9B
            | 0x9E
            | 0xA1
            | 0xA2
    )
}

pub(super) fn connack_code(code: ConnectReturnCode) -> u8 {
    use ConnectReturnCode::*;
    match code {
        Success => 0,
        RefusedProtocolVersion => 1,
        BadClientId => 2,
        ServiceUnavailable => 3,
        UnspecifiedError => 128,
        MalformedPacket => 129,
        ProtocolError => 130,
        ImplementationSpecificError => 131,
        UnsupportedProtocolVersion => 132,
        ClientIdentifierNotValid => 133,
        BadUserNamePassword => 134,
        NotAuthorized => 135,
        ServerUnavailable => 136,
        ServerBusy => 137,
        Banned => 138,
        BadAuthenticationMethod => 140,
        TopicNameInvalid => 144,
        PacketTooLarge => 149,
        QuotaExceeded => 151,
        PayloadFormatInvalid => 153,
        RetainNotSupported => 154,
        QoSNotSupported => 155,
        UseAnotherServer => 156,
        ServerMoved => 157,
        ConnectionRateExceeded => 159,
    }
}

pub(super) fn puback_code(reason: PubAckReason) -> u8 {
    use PubAckReason::*;
    match reason {
        Success => 0,
        NoMatchingSubscribers => 0x10,
        UnspecifiedError => 0x80,
        ImplementationSpecificError => 0x83,
        NotAuthorized => 0x87,
        TopicNameInvalid => 0x90,
        PacketIdentifierInUse => 0x91,
        QuotaExceeded => 0x97,
        PayloadFormatInvalid => 0x99,
    }
}

pub(super) fn pubrec_code(reason: PubRecReason) -> u8 {
    use PubRecReason::*;
    match reason {
        Success => 0,
        NoMatchingSubscribers => 0x10,
        UnspecifiedError => 0x80,
        ImplementationSpecificError => 0x83,
        NotAuthorized => 0x87,
        TopicNameInvalid => 0x90,
        PacketIdentifierInUse => 0x91,
        QuotaExceeded => 0x97,
        PayloadFormatInvalid => 0x99,
    }
}

fn unsuback_code(reason: UnsubAckReason) -> u8 {
    use UnsubAckReason::*;
    match reason {
        Success => 0,
        NoSubscriptionExisted => 0x11,
        UnspecifiedError => 0x80,
        ImplementationSpecificError => 0x83,
        NotAuthorized => 0x87,
        TopicFilterInvalid => 0x8F,
        PacketIdentifierInUse => 0x91,
    }
}

pub(super) fn suback_code(reason: SubscribeReasonCode) -> u8 {
    use SubscribeReasonCode::*;
    match reason {
        Success(q) => q as u8,
        Failure | Unspecified => 0x80,
        ImplementationSpecific => 0x83,
        NotAuthorized => 0x87,
        TopicFilterInvalid => 0x8F,
        PkidInUse => 0x91,
        QuotaExceeded => 0x97,
        SharedSubscriptionsNotSupported => 0x9E,
        SubscriptionIdNotSupported => 0xA1,
        WildcardSubscriptionsNotSupported => 0xA2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::common::Adapter;
    use rumqttc::v5::mqttbytes::v5::UnsubAck;

    fn unsuback(reason: UnsubAckReason) -> Option<String> {
        let eventloop = Loop(EventLoop::new(MqttOptions::new("t", "localhost", 1883), 1));
        let ack = UnsubAck {
            pkid: 1,
            reasons: vec![reason],
            properties: None,
        };
        match eventloop.translate(RawEvent::Incoming(Packet::UnsubAck(ack))) {
            Polled::Event(Event::Unsubscribed(refusal)) => refusal,
            _ => panic!("an UNSUBACK is an Unsubscribed event"),
        }
    }

    #[test]
    fn unsuback_refusals_are_in_words_and_success_is_not_one() {
        assert_eq!(unsuback(UnsubAckReason::Success), None);
        assert_eq!(unsuback(UnsubAckReason::NoSubscriptionExisted), None);
        assert_eq!(
            unsuback(UnsubAckReason::NotAuthorized).as_deref(),
            Some("not authorized (code 135)")
        );
    }
}
