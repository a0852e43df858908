//! MQTT's own size limits, checked before connecting: past them rumqttc would either refuse to
//! send after the connection is up or send a malformed packet that the broker drops unexplained.

use crate::message::Properties;

/// The largest packet MQTT can express: a remaining length of 268,435,455 bytes.
pub const MAX_PACKET_SIZE: usize = 268_435_455;

/// The longest string or binary field (topic, client id, user name, password, will payload):
/// a two-byte length prefix.
pub const MAX_FIELD: usize = 65_535;

/// A field (user name, client id, ...) that must fit MQTT's two-byte length, or a sentence saying
/// which one does not.
pub fn check_field(what: &str, len: usize) -> Result<(), String> {
    if len > MAX_FIELD {
        return Err(format!(
            "{what} is {len} bytes long; MQTT allows at most {MAX_FIELD}"
        ));
    }
    Ok(())
}

/// What MQTT forbids in its UTF-8 strings (3.1.1 section 1.5.3, 5 section 1.5.4), which Mosquitto
/// enforces by closing the connection: U+0000, the control characters U+0001 to U+001F and
/// U+007F to U+009F, and the noncharacters (U+FDD0 to U+FDEF, and U+FFFE and U+FFFF in every
/// plane). The first one in `text`, described.
pub fn forbidden_char(text: &str) -> Option<String> {
    text.chars().find_map(|c| {
        let code = c as u32;
        let kind = match code {
            0 => "a NUL character",
            0x01..=0x1F | 0x7F..=0x9F => "a control character",
            0xFDD0..=0xFDEF => "a Unicode noncharacter",
            _ if code & 0xFFFE == 0xFFFE => "a Unicode noncharacter",
            _ => return None,
        };
        Some(format!("{kind} (U+{code:04X})"))
    })
}

/// A string field (client id, user name, property): MQTT's length and characters.
pub fn check_string(what: &str, text: &str) -> Result<(), String> {
    check_field(what, text.len())?;
    match forbidden_char(text) {
        Some(found) => Err(format!(
            "{what} contains {found}, which MQTT forbids in strings (the broker would close the connection)"
        )),
        None => Ok(()),
    }
}

/// The remaining length of a PUBLISH: topic, packet id (QoS 1 and 2), MQTT 5 properties and
/// payload. `properties` is the encoded length of the MQTT 5 properties, `None` on 3.1.1.
pub fn publish_size(topic: usize, qos: u8, properties: Option<usize>, payload: usize) -> usize {
    let packet_id = if qos > 0 { 2 } else { 0 };
    let properties = properties.map_or(0, |len| len + varint_len(len));
    (2 + topic + packet_id + properties).saturating_add(payload)
}

/// A sentence when a PUBLISH of this size cannot be sent.
pub fn check_publish(
    topic: usize,
    qos: u8,
    properties: Option<usize>,
    payload: usize,
) -> Result<(), String> {
    let size = publish_size(topic, qos, properties, payload);
    if size > MAX_PACKET_SIZE {
        return Err(format!(
            "the message is too large for MQTT: {payload} bytes of payload make a {size}-byte packet, and MQTT's limit is {MAX_PACKET_SIZE}"
        ));
    }
    Ok(())
}

/// The encoded length of MQTT 5 publish properties: an identifier byte and the value each.
pub fn properties_len(p: &Properties) -> usize {
    let string = |s: &Option<String>| s.as_ref().map_or(0, |s| 3 + s.len());
    p.payload_format_indicator.map_or(0, |_| 2)
        + p.message_expiry_interval.map_or(0, |_| 5)
        + p.topic_alias.map_or(0, |_| 3)
        + string(&p.response_topic)
        + p.correlation_data.as_ref().map_or(0, |d| 3 + d.len())
        + p.user_properties
            .iter()
            .map(|(k, v)| 5 + k.len() + v.len())
            .sum::<usize>()
        + p.subscription_identifiers
            .iter()
            .map(|id| 1 + varint_len(*id))
            .sum::<usize>()
        + string(&p.content_type)
}

/// Bytes of MQTT's variable-length integer for `n`.
pub fn varint_len(n: usize) -> usize {
    match n {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_mqtt_forbids() {
        assert_eq!(forbidden_char("a/b é ✓ 😀"), None);
        assert_eq!(
            forbidden_char("a\u{1}b").as_deref(),
            Some("a control character (U+0001)")
        );
        assert_eq!(
            forbidden_char("tab\t").as_deref(),
            Some("a control character (U+0009)")
        );
        assert_eq!(
            forbidden_char("\u{85}").as_deref(),
            Some("a control character (U+0085)")
        );
        assert_eq!(
            forbidden_char("\u{ffff}").as_deref(),
            Some("a Unicode noncharacter (U+FFFF)")
        );
        assert_eq!(
            forbidden_char("\u{1fffe}").as_deref(),
            Some("a Unicode noncharacter (U+1FFFE)")
        );
        assert_eq!(
            forbidden_char("\u{fdd0}").as_deref(),
            Some("a Unicode noncharacter (U+FDD0)")
        );
        assert_eq!(
            forbidden_char("\0").as_deref(),
            Some("a NUL character (U+0000)")
        );
        assert_eq!(
            check_string("the content type", "x\ty").unwrap_err(),
            "the content type contains a control character (U+0009), which MQTT forbids in strings (the broker would close the connection)"
        );
    }

    #[test]
    fn the_largest_payload_fills_the_packet_exactly() {
        // topic "t", QoS 0, 3.1.1: 2 + 1 bytes before the payload.
        assert!(check_publish(1, 0, None, MAX_PACKET_SIZE - 3).is_ok());
        assert_eq!(
            check_publish(1, 0, None, MAX_PACKET_SIZE - 2).unwrap_err(),
            "the message is too large for MQTT: 268435453 bytes of payload make a 268435456-byte packet, and MQTT's limit is 268435455"
        );
        // QoS 1 adds a packet id, MQTT 5 at least the properties' length byte.
        assert!(check_publish(1, 1, Some(0), MAX_PACKET_SIZE - 6).is_ok());
        assert!(check_publish(1, 1, Some(0), MAX_PACKET_SIZE - 5).is_err());
        assert!(check_field("the user name (-u)", 65_535).is_ok());
        assert_eq!(
            check_field("the user name (-u)", 65_536).unwrap_err(),
            "the user name (-u) is 65536 bytes long; MQTT allows at most 65535"
        );
    }
}
