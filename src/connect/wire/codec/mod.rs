//! MQTT 3.1.1 and 5 packets in moth's terms, encoded and read with rumqttc's packet types
//! (`rumqttc::mqttbytes`, `rumqttc::v5::mqttbytes`). Only what rumqttc reads wrongly is read
//! here by hand: the MQTT 5 acknowledgements and DISCONNECT, whose reason codes rumqttc's tables
//! do not all know (Mosquitto's PUBACK 149 would fail the whole connection) and whose short
//! forms it mis-parses.

use bytes::{Buf, Bytes, BytesMut};
use rumqttc::mqttbytes::v4;
use rumqttc::v5::mqttbytes::v5;

use crate::connect::settings::{ConnSpec, Protocol};
use crate::limits::MAX_PACKET_SIZE;
use crate::message::{Filter, Message, OutgoingPublish, Properties};
use crate::properties::{DisconnectProperties, PropertySets, WillProperties};

mod read;
use read::{read4, read5};

/// What the broker's CONNACK said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnAck {
    /// 0 accepted; MQTT 3.1.1 codes 1-5, MQTT 5 reason codes from 128.
    pub code: u8,
    pub session_present: bool,
    /// MQTT 5 properties: what the broker allows this session.
    pub terms: Terms,
}

/// The MQTT 5 CONNACK properties that bind a client, and the informative ones `-d` prints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Terms {
    pub receive_max: Option<u16>,
    pub max_packet_size: Option<u32>,
    pub topic_alias_max: Option<u16>,
    pub max_qos: Option<u8>,
    pub retain_available: Option<u8>,
    pub wildcard_available: Option<u8>,
    pub subscription_ids_available: Option<u8>,
    pub shared_available: Option<u8>,
    pub server_keep_alive: Option<u16>,
    pub session_expiry: Option<u32>,
    pub assigned_client_id: Option<String>,
    pub reason_string: Option<String>,
    pub server_reference: Option<String>,
}

/// A packet from the broker.
#[derive(Debug)]
pub enum Incoming {
    ConnAck(ConnAck),
    /// `connection` is left 0; the session sets it.
    Publish(Message),
    /// PUBACK (QoS 1); a `reason` from 0x80 is a refusal (MQTT 5).
    PubAck {
        pkid: u16,
        reason: u8,
    },
    /// PUBREC (QoS 2); a `reason` from 0x80 is a refusal and ends the exchange.
    PubRec {
        pkid: u16,
        reason: u8,
    },
    PubRel {
        pkid: u16,
    },
    PubComp {
        pkid: u16,
        reason: u8,
    },
    /// One code per filter: the granted QoS, or from 0x80 a refusal.
    SubAck {
        pkid: u16,
        codes: Vec<u8>,
    },
    /// MQTT 5: one code per filter; 3.1.1 has none.
    UnsubAck {
        pkid: u16,
        codes: Vec<u8>,
    },
    PingResp,
    /// The broker ends the connection (MQTT 5: with a reason, and perhaps why in words).
    Disconnect {
        reason: u8,
        reason_string: Option<String>,
        server_reference: Option<String>,
    },
}

/// Why reading a packet failed.
#[derive(Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Not a whole packet yet.
    Incomplete,
    Bad(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Codec(pub Protocol);

fn qos4(q: u8) -> rumqttc::mqttbytes::QoS {
    use rumqttc::mqttbytes::QoS;
    match q {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

fn qos5(q: u8) -> rumqttc::v5::mqttbytes::QoS {
    use rumqttc::v5::mqttbytes::QoS;
    match q {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

/// Encode into `buf`. What moth sends was checked before it connected (topics, strings, sizes),
/// so the encoders' errors cannot happen here.
fn w4(packet: v4::Packet, buf: &mut BytesMut) {
    let _ = packet.write(buf, usize::MAX);
}

fn w5(packet: v5::Packet, buf: &mut BytesMut) {
    let _ = packet.write(buf, None);
}

/// One PUBLISH, as the session or a bench worker has it.
pub struct PublishPacket<'a> {
    pub topic: &'a str,
    pub qos: u8,
    pub retain: bool,
    pub dup: bool,
    pub pkid: u16,
    pub payload: Bytes,
    pub properties: Option<&'a Properties>,
}

impl<'a> PublishPacket<'a> {
    pub fn of(p: &'a OutgoingPublish, dup: bool, pkid: u16) -> Self {
        PublishPacket {
            topic: &p.topic,
            qos: p.qos,
            retain: p.retain,
            dup,
            pkid,
            payload: p.payload.clone(),
            properties: p.properties.as_deref(),
        }
    }
}

impl Codec {
    /// CONNECT as `client_id`, with the spec's credentials, will and -D connect properties.
    /// `session_expiry` (MQTT 5) keeps the session across a drop.
    pub fn connect(
        self,
        spec: &ConnSpec,
        client_id: &str,
        clean: bool,
        session_expiry: Option<u32>,
        buf: &mut BytesMut,
    ) {
        let (user, pass) = match &spec.credentials {
            Some(c) => (
                c.username.clone(),
                c.password.as_ref().map(|p| p.0.clone()).unwrap_or_default(),
            ),
            None => (String::new(), String::new()),
        };
        match self.0 {
            Protocol::V311 => {
                let mut connect = v4::Connect::new(client_id);
                connect.keep_alive = spec.keep_alive;
                connect.clean_session = clean;
                if spec.credentials.is_some() {
                    connect.login = Some(v4::Login::new(user, pass));
                }
                connect.last_will = spec.will.as_ref().map(|w| v4::LastWill {
                    topic: w.topic.clone(),
                    message: w.payload.clone(),
                    qos: qos4(w.qos),
                    retain: w.retain,
                });
                w4(v4::Packet::Connect(connect), buf);
            }
            Protocol::V5 => {
                let given = &spec.properties.connect;
                let properties = v5::ConnectProperties {
                    session_expiry_interval: session_expiry,
                    receive_maximum: given.receive_maximum,
                    // Unless told otherwise, the largest MQTT allows: a message must never be
                    // too large for moth to read.
                    max_packet_size: Some(
                        given.maximum_packet_size.unwrap_or(MAX_PACKET_SIZE as u32),
                    ),
                    topic_alias_max: given.topic_alias_maximum,
                    request_response_info: given.request_response_information,
                    request_problem_info: given.request_problem_information,
                    user_properties: given.user_properties.clone(),
                    authentication_method: None,
                    authentication_data: None,
                };
                let connect = v5::Connect {
                    keep_alive: spec.keep_alive,
                    client_id: client_id.to_string(),
                    clean_start: clean,
                    properties: Some(properties),
                };
                let will = spec.will.as_ref().map(|w| v5::LastWill {
                    topic: Bytes::copy_from_slice(w.topic.as_bytes()),
                    message: w.payload.clone(),
                    qos: qos5(w.qos),
                    retain: w.retain,
                    properties: will_properties(&spec.properties.will),
                });
                let login = spec
                    .credentials
                    .is_some()
                    .then(|| v5::Login::new(user, pass));
                w5(v5::Packet::Connect(connect, will, login), buf);
            }
        }
    }

    pub fn publish(self, p: PublishPacket<'_>, buf: &mut BytesMut) {
        match self.0 {
            Protocol::V311 => {
                let publish = v4::Publish {
                    dup: p.dup,
                    qos: qos4(p.qos),
                    retain: p.retain,
                    topic: p.topic.to_string(),
                    pkid: p.pkid,
                    payload: p.payload,
                };
                w4(v4::Packet::Publish(publish), buf);
            }
            Protocol::V5 => {
                let publish = v5::Publish {
                    dup: p.dup,
                    qos: qos5(p.qos),
                    retain: p.retain,
                    topic: Bytes::copy_from_slice(p.topic.as_bytes()),
                    pkid: p.pkid,
                    payload: p.payload,
                    properties: p.properties.map(publish_properties),
                };
                w5(v5::Packet::Publish(publish), buf);
            }
        }
    }

    pub fn puback(self, pkid: u16, buf: &mut BytesMut) {
        match self.0 {
            Protocol::V311 => w4(v4::Packet::PubAck(v4::PubAck::new(pkid)), buf),
            Protocol::V5 => w5(v5::Packet::PubAck(v5::PubAck::new(pkid, None)), buf),
        };
    }

    pub fn pubrec(self, pkid: u16, buf: &mut BytesMut) {
        match self.0 {
            Protocol::V311 => w4(v4::Packet::PubRec(v4::PubRec::new(pkid)), buf),
            Protocol::V5 => w5(v5::Packet::PubRec(v5::PubRec::new(pkid, None)), buf),
        };
    }

    pub fn pubrel(self, pkid: u16, buf: &mut BytesMut) {
        match self.0 {
            Protocol::V311 => w4(v4::Packet::PubRel(v4::PubRel::new(pkid)), buf),
            Protocol::V5 => w5(v5::Packet::PubRel(v5::PubRel::new(pkid, None)), buf),
        };
    }

    pub fn pubcomp(self, pkid: u16, buf: &mut BytesMut) {
        match self.0 {
            Protocol::V311 => w4(v4::Packet::PubComp(v4::PubComp::new(pkid)), buf),
            Protocol::V5 => w5(v5::Packet::PubComp(v5::PubComp::new(pkid, None)), buf),
        };
    }

    /// SUBSCRIBE with the -D subscribe properties (MQTT 5).
    pub fn subscribe(self, pkid: u16, filters: &[Filter], sets: &PropertySets, buf: &mut BytesMut) {
        match self.0 {
            Protocol::V311 => {
                let subscribe = v4::Subscribe {
                    pkid,
                    filters: filters
                        .iter()
                        .map(|f| v4::SubscribeFilter::new(f.filter.clone(), qos4(f.qos)))
                        .collect(),
                };
                w4(v4::Packet::Subscribe(subscribe), buf)
            }
            Protocol::V5 => {
                let given = &sets.subscribe;
                let properties = (given.subscription_identifier.is_some()
                    || !given.user_properties.is_empty())
                .then(|| v5::SubscribeProperties {
                    id: given.subscription_identifier,
                    user_properties: given.user_properties.clone(),
                });
                let subscribe = v5::Subscribe {
                    pkid,
                    filters: filters
                        .iter()
                        .map(|f| v5::Filter {
                            path: f.filter.clone(),
                            qos: qos5(f.qos),
                            nolocal: f.no_local,
                            preserve_retain: f.retain_as_published,
                            retain_forward_rule: if f.no_stale_retained {
                                v5::RetainForwardRule::Never
                            } else {
                                v5::RetainForwardRule::OnEverySubscribe
                            },
                        })
                        .collect(),
                    properties,
                };
                w5(v5::Packet::Subscribe(subscribe), buf)
            }
        };
    }

    /// UNSUBSCRIBE with the -D unsubscribe properties (MQTT 5).
    pub fn unsubscribe(
        self,
        pkid: u16,
        filters: &[String],
        sets: &PropertySets,
        buf: &mut BytesMut,
    ) {
        match self.0 {
            Protocol::V311 => {
                let unsubscribe = v4::Unsubscribe {
                    pkid,
                    topics: filters.to_vec(),
                };
                w4(v4::Packet::Unsubscribe(unsubscribe), buf)
            }
            Protocol::V5 => {
                let unsubscribe = v5::Unsubscribe {
                    pkid,
                    filters: filters.to_vec(),
                    properties: (!sets.unsubscribe.is_empty()).then(|| v5::UnsubscribeProperties {
                        user_properties: sets.unsubscribe.clone(),
                    }),
                };
                w5(v5::Packet::Unsubscribe(unsubscribe), buf)
            }
        };
    }

    pub fn pingreq(self, buf: &mut BytesMut) {
        match self.0 {
            Protocol::V311 => w4(v4::Packet::PingReq, buf),
            Protocol::V5 => w5(v5::Packet::PingReq(v5::PingReq), buf),
        };
    }

    /// DISCONNECT: normal, with the -D disconnect properties (MQTT 5).
    pub fn disconnect(self, properties: &DisconnectProperties, buf: &mut BytesMut) {
        match self.0 {
            Protocol::V311 => w4(v4::Packet::Disconnect, buf),
            Protocol::V5 => {
                let properties = (*properties != DisconnectProperties::default()).then(|| {
                    v5::DisconnectProperties {
                        session_expiry_interval: properties.session_expiry_interval,
                        reason_string: properties.reason_string.clone(),
                        user_properties: properties.user_properties.clone(),
                        server_reference: None,
                    }
                });
                w5(
                    v5::Packet::Disconnect(v5::Disconnect {
                        reason_code: v5::DisconnectReasonCode::NormalDisconnection,
                        properties,
                    }),
                    buf,
                )
            }
        };
    }

    /// Take one whole packet off the front of `buf`.
    pub fn read(self, buf: &mut BytesMut) -> Result<Incoming, Malformed> {
        match self.0 {
            Protocol::V311 => read4(buf),
            Protocol::V5 => read5(buf),
        }
    }
}

fn publish_properties(p: &Properties) -> v5::PublishProperties {
    v5::PublishProperties {
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

fn will_properties(w: &WillProperties) -> Option<v5::LastWillProperties> {
    if *w == WillProperties::default() {
        return None;
    }
    let m = &w.message;
    Some(v5::LastWillProperties {
        delay_interval: w.will_delay_interval,
        payload_format_indicator: m.payload_format_indicator,
        message_expiry_interval: m.message_expiry_interval,
        content_type: m.content_type.clone(),
        response_topic: m.response_topic.clone(),
        correlation_data: m.correlation_data.clone(),
        user_properties: m.user_properties.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(protocol: Protocol) -> Codec {
        Codec(protocol)
    }

    #[test]
    fn what_moth_writes_reads_back_on_both_versions() {
        for protocol in [Protocol::V311, Protocol::V5] {
            let codec = packet(protocol);
            let mut buf = BytesMut::new();
            codec.puback(7, &mut buf);
            codec.pubrec(8, &mut buf);
            codec.pubcomp(9, &mut buf);
            codec.pubrel(10, &mut buf);
            let mut got = Vec::new();
            loop {
                match codec.read(&mut buf) {
                    Ok(p) => got.push(format!("{p:?}")),
                    Err(Malformed::Incomplete) => break,
                    Err(Malformed::Bad(why)) => panic!("{why}"),
                }
            }
            assert_eq!(
                got,
                [
                    "PubAck { pkid: 7, reason: 0 }",
                    "PubRec { pkid: 8, reason: 0 }",
                    "PubComp { pkid: 9, reason: 0 }",
                    "PubRel { pkid: 10 }"
                ],
                "{protocol:?}"
            );
        }
    }

    #[test]
    fn v5_acknowledgements_keep_every_reason_code() {
        let codec = packet(Protocol::V5);
        // PUBACK 149 (packet too large), which rumqttc's table does not know.
        let mut buf = BytesMut::from(&[0x40, 0x03, 0x00, 0x05, 149][..]);
        assert!(matches!(
            codec.read(&mut buf),
            Ok(Incoming::PubAck {
                pkid: 5,
                reason: 149
            })
        ));
        // SUBACK: empty properties, two codes.
        let mut buf = BytesMut::from(&[0x90, 0x05, 0x00, 0x01, 0x00, 0x01, 0x87][..]);
        assert!(matches!(
            codec.read(&mut buf),
            Ok(Incoming::SubAck { pkid: 1, codes }) if codes == [1, 0x87]
        ));
    }

    #[test]
    fn short_and_long_v5_disconnects_are_read() {
        let codec = packet(Protocol::V5);
        let mut buf = BytesMut::from(&[0xe0, 0x01, 0x8e][..]);
        assert!(matches!(
            codec.read(&mut buf),
            Ok(Incoming::Disconnect {
                reason: 0x8e,
                reason_string: None,
                ..
            })
        ));
        let mut buf = BytesMut::from(&[0xe0, 0x00][..]);
        assert!(matches!(
            codec.read(&mut buf),
            Ok(Incoming::Disconnect { reason: 0, .. })
        ));
        // Reason 0x95 with the reason string "big".
        let mut buf =
            BytesMut::from(&[0xe0, 0x08, 0x95, 0x06, 0x1f, 0x00, 0x03, b'b', b'i', b'g'][..]);
        assert!(matches!(
            codec.read(&mut buf),
            Ok(Incoming::Disconnect { reason: 0x95, reason_string: Some(s), .. }) if s == "big"
        ));
        let mut buf = BytesMut::from(&[0xe0][..]);
        assert_eq!(codec.read(&mut buf).unwrap_err(), Malformed::Incomplete);
    }
}
