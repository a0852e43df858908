//! Reading what the broker sends: MQTT 3.1.1 with rumqttc's reader; MQTT 5 acknowledgements
//! and DISCONNECT by hand (rumqttc's reason tables do not know every code a broker sends, and
//! its short forms are mis-parsed), everything else of MQTT 5 with rumqttc's reader.

use super::*;

pub(super) fn read4(buf: &mut BytesMut) -> Result<Incoming, Malformed> {
    use rumqttc::mqttbytes::Error;
    let packet = v4::Packet::read(buf, MAX_PACKET_SIZE).map_err(|e| match e {
        Error::InsufficientBytes(_) => Malformed::Incomplete,
        other => Malformed::Bad(other.to_string()),
    })?;
    Ok(match packet {
        v4::Packet::ConnAck(ack) => Incoming::ConnAck(ConnAck {
            code: ack.code as u8,
            session_present: ack.session_present,
            terms: Terms::default(),
        }),
        v4::Packet::Publish(p) => Incoming::Publish(Message {
            topic: Bytes::from(p.topic),
            payload: p.payload,
            qos: p.qos as u8,
            retain: p.retain,
            dup: p.dup,
            packet_id: p.pkid,
            properties: None,
            connection: 0,
        }),
        v4::Packet::PubAck(ack) => Incoming::PubAck {
            pkid: ack.pkid,
            reason: 0,
        },
        v4::Packet::PubRec(rec) => Incoming::PubRec {
            pkid: rec.pkid,
            reason: 0,
        },
        v4::Packet::PubRel(rel) => Incoming::PubRel { pkid: rel.pkid },
        v4::Packet::PubComp(comp) => Incoming::PubComp {
            pkid: comp.pkid,
            reason: 0,
        },
        v4::Packet::SubAck(ack) => Incoming::SubAck {
            pkid: ack.pkid,
            codes: ack
                .return_codes
                .iter()
                .map(|c| match c {
                    v4::SubscribeReasonCode::Success(q) => *q as u8,
                    v4::SubscribeReasonCode::Failure => 0x80,
                })
                .collect(),
        },
        v4::Packet::UnsubAck(ack) => Incoming::UnsubAck {
            pkid: ack.pkid,
            codes: Vec::new(),
        },
        v4::Packet::PingResp => Incoming::PingResp,
        v4::Packet::Disconnect => Incoming::Disconnect {
            reason: 0,
            reason_string: None,
            server_reference: None,
        },
        _ => return Err(Malformed::Bad("a packet only a client sends".into())),
    })
}

/// Packet types read by hand on MQTT 5.
const PUBACK: u8 = 4;
const PUBREC: u8 = 5;
const PUBREL: u8 = 6;
const PUBCOMP: u8 = 7;
const SUBACK: u8 = 9;
const UNSUBACK: u8 = 11;
const DISCONNECT: u8 = 14;
const AUTH: u8 = 15;

pub(super) fn read5(buf: &mut BytesMut) -> Result<Incoming, Malformed> {
    let Some(&first) = buf.first() else {
        return Err(Malformed::Incomplete);
    };
    match first >> 4 {
        PUBACK | PUBREC | PUBREL | PUBCOMP | SUBACK | UNSUBACK | DISCONNECT => {
            let body = take_packet(buf)?;
            read_ack5(first >> 4, body)
        }
        AUTH => Err(Malformed::Bad(
            "the broker sent AUTH (enhanced authentication), which moth does not do".into(),
        )),
        _ => read_rest5(buf),
    }
}

/// The body of the whole packet at the front of `buf`, taken off it.
fn take_packet(buf: &mut BytesMut) -> Result<Bytes, Malformed> {
    let mut len = 0usize;
    let mut at = 1;
    loop {
        let Some(&byte) = buf.get(at) else {
            return Err(Malformed::Incomplete);
        };
        len |= usize::from(byte & 0x7f) << (7 * (at - 1));
        at += 1;
        if byte & 0x80 == 0 {
            break;
        }
        if at > 4 {
            return Err(Malformed::Bad(
                "a remaining length longer than 4 bytes".into(),
            ));
        }
    }
    if len > MAX_PACKET_SIZE {
        return Err(Malformed::Bad("a packet longer than MQTT allows".into()));
    }
    if buf.len() < at + len {
        return Err(Malformed::Incomplete);
    }
    let mut packet = buf.split_to(at + len).freeze();
    packet.advance(at);
    Ok(packet)
}

/// An MQTT 5 acknowledgement or DISCONNECT: packet id (but DISCONNECT), then reason code(s),
/// then properties; the short forms leave out what is default.
fn read_ack5(kind: u8, mut body: Bytes) -> Result<Incoming, Malformed> {
    let short = || Malformed::Bad("a packet shorter than its type allows".into());
    let pkid = match kind {
        DISCONNECT => 0,
        _ => {
            if body.len() < 2 {
                return Err(short());
            }
            body.get_u16()
        }
    };
    let (properties, codes) = match kind {
        // Properties, then one code per filter.
        SUBACK | UNSUBACK => {
            let properties = read_properties(&mut body)?;
            (properties, body.to_vec())
        }
        // Reason code, then properties; both may be left out.
        _ => {
            let reason = if body.has_remaining() {
                body.get_u8()
            } else {
                0
            };
            let properties = match body.has_remaining() {
                true => read_properties(&mut body)?,
                false => Vec::new(),
            };
            (properties, vec![reason])
        }
    };
    let reason = codes.first().copied().unwrap_or(0);
    let text = |id: u8| {
        properties
            .iter()
            .find(|(p, _)| *p == id)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    };
    Ok(match kind {
        PUBACK => Incoming::PubAck { pkid, reason },
        PUBREC => Incoming::PubRec { pkid, reason },
        PUBREL => Incoming::PubRel { pkid },
        PUBCOMP => Incoming::PubComp { pkid, reason },
        SUBACK => Incoming::SubAck { pkid, codes },
        UNSUBACK => Incoming::UnsubAck { pkid, codes },
        _ => Incoming::Disconnect {
            reason,
            reason_string: text(REASON_STRING),
            server_reference: text(SERVER_REFERENCE),
        },
    })
}

const REASON_STRING: u8 = 0x1F;
const SERVER_REFERENCE: u8 = 0x1C;

/// An acknowledgement's properties: (identifier, value) for the string ones moth reads; the
/// others are skipped.
fn read_properties(body: &mut Bytes) -> Result<Vec<(u8, Bytes)>, Malformed> {
    let bad = |why: &str| Malformed::Bad(why.to_string());
    let mut len = 0usize;
    for shift in 0..4 {
        if !body.has_remaining() {
            return Err(bad("properties cut short"));
        }
        let byte = body.get_u8();
        len |= usize::from(byte & 0x7f) << (7 * shift);
        if byte & 0x80 == 0 {
            break;
        }
    }
    if body.len() < len {
        return Err(bad("properties cut short"));
    }
    let mut props = body.split_to(len);
    let mut out = Vec::new();
    while props.has_remaining() {
        let id = props.get_u8();
        let take = |props: &mut Bytes, n: usize| {
            (props.len() >= n)
                .then(|| props.split_to(n))
                .ok_or_else(|| bad("a property cut short"))
        };
        match id {
            // Strings and binary data: a two-byte length.
            0x03 | 0x08 | 0x09 | 0x12 | 0x15 | 0x16 | 0x1A | 0x1C | 0x1F => {
                let n = take(&mut props, 2)?.get_u16() as usize;
                out.push((id, take(&mut props, n)?));
            }
            // User property: two strings.
            0x26 => {
                for _ in 0..2 {
                    let n = take(&mut props, 2)?.get_u16() as usize;
                    take(&mut props, n)?;
                }
            }
            0x01 | 0x17 | 0x19 | 0x24 | 0x25 | 0x28 | 0x29 | 0x2A => {
                take(&mut props, 1)?;
            }
            0x13 | 0x21 | 0x22 | 0x23 => {
                take(&mut props, 2)?;
            }
            0x02 | 0x11 | 0x18 | 0x27 => {
                take(&mut props, 4)?;
            }
            0x0B => while take(&mut props, 1)?[0] & 0x80 != 0 {},
            other => return Err(Malformed::Bad(format!("an unknown property 0x{other:02x}"))),
        }
    }
    Ok(out)
}

fn read_rest5(buf: &mut BytesMut) -> Result<Incoming, Malformed> {
    use rumqttc::v5::mqttbytes::Error;
    let packet = v5::Packet::read(buf, Some(MAX_PACKET_SIZE as u32)).map_err(|e| match e {
        Error::InsufficientBytes(_) => Malformed::Incomplete,
        // A CONNACK code outside rumqttc's table is still the broker's answer.
        Error::InvalidConnectReturnCode(code) => Malformed::Bad(format!("connack {code}")),
        other => Malformed::Bad(other.to_string()),
    });
    let packet = match packet {
        Err(Malformed::Bad(why)) if why.starts_with("connack ") => {
            let code = why["connack ".len()..].parse().unwrap_or(0x80);
            return Ok(Incoming::ConnAck(ConnAck {
                code,
                session_present: false,
                terms: Terms::default(),
            }));
        }
        other => other?,
    };
    Ok(match packet {
        v5::Packet::ConnAck(ack) => Incoming::ConnAck(ConnAck {
            code: connack_code(ack.code),
            session_present: ack.session_present,
            terms: ack.properties.map(terms).unwrap_or_default(),
        }),
        v5::Packet::Publish(p) => Incoming::Publish(Message {
            topic: p.topic,
            payload: p.payload,
            qos: p.qos as u8,
            retain: p.retain,
            dup: p.dup,
            packet_id: p.pkid,
            properties: p.properties.map(|p| {
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
            }),
            connection: 0,
        }),
        v5::Packet::PingResp(_) => Incoming::PingResp,
        _ => return Err(Malformed::Bad("a packet only a client sends".into())),
    })
}

fn terms(p: v5::ConnAckProperties) -> Terms {
    Terms {
        receive_max: p.receive_max,
        max_packet_size: p.max_packet_size,
        topic_alias_max: p.topic_alias_max,
        max_qos: p.max_qos,
        retain_available: p.retain_available,
        wildcard_available: p.wildcard_subscription_available,
        subscription_ids_available: p.subscription_identifiers_available,
        shared_available: p.shared_subscription_available,
        server_keep_alive: p.server_keep_alive,
        session_expiry: p.session_expiry_interval,
        assigned_client_id: p.assigned_client_identifier,
        reason_string: p.reason_string,
        server_reference: p.server_reference,
    }
}

fn connack_code(code: v5::ConnectReturnCode) -> u8 {
    use v5::ConnectReturnCode::*;
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
