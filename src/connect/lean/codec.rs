//! MQTT 3.1.1 and 5 packets for the lean connection, through rumqttc's own packet types and
//! encoders (`rumqttc::mqttbytes`, `rumqttc::v5::mqttbytes`): moth writes no codec of its own,
//! it only chooses what to send and reads what came back in its own terms.

use bytes::{Bytes, BytesMut};
use rumqttc::mqttbytes::v4;
use rumqttc::v5::mqttbytes::v5;

use super::super::spec::{ConnSpec, Protocol};
use super::super::v5::{connack_code, puback_code, pubrec_code, suback_code};
use crate::limits::MAX_PACKET_SIZE;

/// A packet from the broker, in moth's terms.
#[derive(Debug)]
pub enum Incoming {
    ConnAck {
        /// 0 accepted; MQTT 3.1.1 codes 1-5, MQTT 5 reason codes from 128.
        code: u8,
        session_present: bool,
        /// MQTT 5: how many QoS 1/2 messages the broker takes in flight.
        receive_max: Option<u16>,
    },
    Publish {
        qos: u8,
        pkid: u16,
        payload: Bytes,
    },
    /// PUBACK (QoS 1); `reason` from 0x80 is a refusal (MQTT 5).
    PubAck {
        pkid: u16,
        reason: u8,
    },
    /// PUBREC (QoS 2); `reason` from 0x80 is a refusal and ends the exchange.
    PubRec {
        pkid: u16,
        reason: u8,
    },
    PubRel {
        pkid: u16,
    },
    PubComp {
        pkid: u16,
    },
    /// One code per filter: the granted QoS, or from 0x80 a refusal.
    SubAck {
        codes: Vec<u8>,
    },
    UnsubAck,
    PingResp,
    /// The broker ended the connection (MQTT 5 DISCONNECT, with its reason).
    Disconnect {
        reason: u8,
    },
}

/// Why reading a packet failed.
#[derive(Debug)]
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

/// Encode into `buf`. What moth sends was checked before the run (topics, sizes), so the
/// encoders' errors cannot happen here.
fn w4(packet: v4::Packet, buf: &mut BytesMut) {
    let _ = packet.write(buf, usize::MAX);
}

fn w5(packet: v5::Packet, buf: &mut BytesMut) {
    let _ = packet.write(buf, None);
}

impl Codec {
    /// CONNECT as `client_id`. `session_expiry` (MQTT 5) keeps the session across a drop.
    pub fn connect(
        self,
        spec: &ConnSpec,
        client_id: &str,
        clean: bool,
        session_expiry: Option<u32>,
        buf: &mut BytesMut,
    ) -> Result<(), String> {
        let (user, pass) = match &spec.credentials {
            Some(c) => (
                c.username.clone(),
                c.password.as_ref().map(|p| p.0.clone()).unwrap_or_default(),
            ),
            None => (String::new(), String::new()),
        };
        let written = match self.0 {
            Protocol::V311 => {
                let mut connect = v4::Connect::new(client_id);
                connect.keep_alive = spec.keep_alive;
                connect.clean_session = clean;
                if spec.credentials.is_some() {
                    connect.login = Some(v4::Login::new(user, pass));
                }
                v4::Packet::Connect(connect)
                    .write(buf, usize::MAX)
                    .map_err(|e| e.to_string())
            }
            Protocol::V5 => {
                let properties = v5::ConnectProperties {
                    session_expiry_interval: session_expiry,
                    // rumqttc cannot read a packet over its own limit; the broker must know
                    // that moth takes the largest MQTT allows.
                    max_packet_size: Some(MAX_PACKET_SIZE as u32),
                    ..v5::ConnectProperties::new()
                };
                let connect = v5::Connect {
                    keep_alive: spec.keep_alive,
                    client_id: client_id.to_string(),
                    clean_start: clean,
                    properties: Some(properties),
                };
                let login = spec
                    .credentials
                    .is_some()
                    .then(|| v5::Login::new(user, pass));
                v5::Packet::Connect(connect, None, login)
                    .write(buf, None)
                    .map_err(|e| e.to_string())
            }
        };
        written
            .map(|_| ())
            .map_err(|e| format!("cannot encode CONNECT: {e}"))
    }

    /// PUBLISH; `pkid` 0 at QoS 0.
    #[allow(clippy::too_many_arguments)]
    pub fn publish(
        self,
        topic: &str,
        qos: u8,
        retain: bool,
        dup: bool,
        pkid: u16,
        payload: Bytes,
        buf: &mut BytesMut,
    ) {
        // Topic and size were checked before the run (topic::validate_topic, limits), so the
        // encoders' only errors cannot happen here.
        match self.0 {
            Protocol::V311 => {
                let publish = v4::Publish {
                    dup,
                    qos: qos4(qos),
                    retain,
                    topic: topic.to_string(),
                    pkid,
                    payload,
                };
                w4(v4::Packet::Publish(publish), buf);
            }
            Protocol::V5 => {
                let publish = v5::Publish {
                    dup,
                    qos: qos5(qos),
                    retain,
                    topic: Bytes::copy_from_slice(topic.as_bytes()),
                    pkid,
                    payload,
                    properties: None,
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

    pub fn subscribe(self, pkid: u16, filter: &str, qos: u8, buf: &mut BytesMut) {
        match self.0 {
            Protocol::V311 => {
                let mut subscribe = v4::Subscribe::new(filter, qos4(qos));
                subscribe.pkid = pkid;
                w4(v4::Packet::Subscribe(subscribe), buf)
            }
            Protocol::V5 => {
                let mut subscribe = v5::Subscribe::new(v5::Filter::new(filter, qos5(qos)), None);
                subscribe.pkid = pkid;
                w5(v5::Packet::Subscribe(subscribe), buf)
            }
        };
    }

    pub fn unsubscribe(self, pkid: u16, filter: &str, buf: &mut BytesMut) {
        match self.0 {
            Protocol::V311 => {
                let mut unsubscribe = v4::Unsubscribe::new(filter);
                unsubscribe.pkid = pkid;
                w4(v4::Packet::Unsubscribe(unsubscribe), buf)
            }
            Protocol::V5 => {
                let mut unsubscribe = v5::Unsubscribe::new(filter, None);
                unsubscribe.pkid = pkid;
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

    pub fn disconnect(self, buf: &mut BytesMut) {
        match self.0 {
            Protocol::V311 => w4(v4::Packet::Disconnect, buf),
            Protocol::V5 => w5(
                v5::Packet::Disconnect(v5::Disconnect::new(
                    v5::DisconnectReasonCode::NormalDisconnection,
                )),
                buf,
            ),
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

fn read4(buf: &mut BytesMut) -> Result<Incoming, Malformed> {
    use rumqttc::mqttbytes::Error;
    let packet = v4::Packet::read(buf, MAX_PACKET_SIZE).map_err(|e| match e {
        Error::InsufficientBytes(_) => Malformed::Incomplete,
        other => Malformed::Bad(other.to_string()),
    })?;
    Ok(match packet {
        v4::Packet::ConnAck(ack) => Incoming::ConnAck {
            code: ack.code as u8,
            session_present: ack.session_present,
            receive_max: None,
        },
        v4::Packet::Publish(p) => Incoming::Publish {
            qos: p.qos as u8,
            pkid: p.pkid,
            payload: p.payload,
        },
        v4::Packet::PubAck(ack) => Incoming::PubAck {
            pkid: ack.pkid,
            reason: 0,
        },
        v4::Packet::PubRec(rec) => Incoming::PubRec {
            pkid: rec.pkid,
            reason: 0,
        },
        v4::Packet::PubRel(rel) => Incoming::PubRel { pkid: rel.pkid },
        v4::Packet::PubComp(comp) => Incoming::PubComp { pkid: comp.pkid },
        v4::Packet::SubAck(ack) => Incoming::SubAck {
            codes: ack
                .return_codes
                .iter()
                .map(|c| match c {
                    v4::SubscribeReasonCode::Success(q) => *q as u8,
                    v4::SubscribeReasonCode::Failure => 0x80,
                })
                .collect(),
        },
        v4::Packet::UnsubAck(_) => Incoming::UnsubAck,
        v4::Packet::PingResp => Incoming::PingResp,
        v4::Packet::Disconnect => Incoming::Disconnect { reason: 0 },
        _ => {
            return Err(Malformed::Bad(
                "unexpected packet from the broker (a client packet)".into(),
            ));
        }
    })
}

fn read5(buf: &mut BytesMut) -> Result<Incoming, Malformed> {
    use rumqttc::v5::mqttbytes::Error;
    // rumqttc mis-reads the short DISCONNECT forms (`e0 00`, `e0 01 rc`): take them here.
    if buf.first() == Some(&0xe0) && matches!(buf.get(1), Some(0 | 1)) {
        let len = 2 + buf[1] as usize;
        if buf.len() < len {
            return Err(Malformed::Incomplete);
        }
        let reason = if len == 3 { buf[2] } else { 0 };
        let _ = buf.split_to(len);
        return Ok(Incoming::Disconnect { reason });
    }
    let packet = v5::Packet::read(buf, Some(MAX_PACKET_SIZE as u32)).map_err(|e| match e {
        Error::InsufficientBytes(_) => Malformed::Incomplete,
        other => Malformed::Bad(other.to_string()),
    })?;
    Ok(match packet {
        v5::Packet::ConnAck(ack) => Incoming::ConnAck {
            code: connack_code(ack.code),
            session_present: ack.session_present,
            receive_max: ack.properties.and_then(|p| p.receive_max),
        },
        v5::Packet::Publish(p) => Incoming::Publish {
            qos: p.qos as u8,
            pkid: p.pkid,
            payload: p.payload,
        },
        v5::Packet::PubAck(ack) => Incoming::PubAck {
            pkid: ack.pkid,
            reason: puback_code(ack.reason),
        },
        v5::Packet::PubRec(rec) => Incoming::PubRec {
            pkid: rec.pkid,
            reason: pubrec_code(rec.reason),
        },
        v5::Packet::PubRel(rel) => Incoming::PubRel { pkid: rel.pkid },
        v5::Packet::PubComp(comp) => Incoming::PubComp { pkid: comp.pkid },
        v5::Packet::SubAck(ack) => Incoming::SubAck {
            codes: ack.return_codes.into_iter().map(suback_code).collect(),
        },
        v5::Packet::UnsubAck(_) => Incoming::UnsubAck,
        v5::Packet::PingResp(_) => Incoming::PingResp,
        v5::Packet::Disconnect(d) => Incoming::Disconnect {
            reason: d.reason_code as u8,
        },
        _ => {
            return Err(Malformed::Bad(
                "unexpected packet from the broker (AUTH or a client packet)".into(),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(protocol: Protocol) {
        let codec = Codec(protocol);
        let mut buf = BytesMut::new();
        codec.puback(7, &mut buf);
        codec.pubrec(8, &mut buf);
        codec.pubcomp(9, &mut buf);
        // A client would never receive its own PUBLISH back on the same bytes, but reading it
        // checks the encoder and the reader agree.
        codec.publish(
            "a/b",
            1,
            false,
            false,
            3,
            Bytes::from_static(b"xyz"),
            &mut buf,
        );
        let mut got = Vec::new();
        loop {
            match codec.read(&mut buf) {
                Ok(p) => got.push(format!("{p:?}")),
                Err(Malformed::Incomplete) => break,
                Err(Malformed::Bad(why)) => panic!("{why}"),
            }
        }
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(got[0].starts_with("PubAck { pkid: 7"), "{got:?}");
        assert!(got[1].starts_with("PubRec { pkid: 8"), "{got:?}");
        assert!(got[2].starts_with("PubComp { pkid: 9"), "{got:?}");
        assert!(got[3].contains("pkid: 3"), "{got:?}");
    }

    #[test]
    fn packets_read_back_on_both_versions() {
        round_trip(Protocol::V311);
        round_trip(Protocol::V5);
    }

    #[test]
    fn short_v5_disconnects_are_read() {
        let codec = Codec(Protocol::V5);
        let mut buf = BytesMut::from(&[0xe0, 0x01, 0x8e][..]);
        assert!(matches!(
            codec.read(&mut buf),
            Ok(Incoming::Disconnect { reason: 0x8e })
        ));
        let mut buf = BytesMut::from(&[0xe0][..]);
        assert!(matches!(codec.read(&mut buf), Err(Malformed::Incomplete)));
    }
}
