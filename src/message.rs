//! The vocabulary every layer shares: messages received and to publish, their MQTT 5
//! properties, subscription filters and the broker's answers to them. Output writers and
//! property parsing use these without knowing how a connection is made.

use std::sync::Arc;

use bytes::Bytes;

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
    /// Which connection of the session delivered it (see `Session::acknowledge`).
    pub connection: u32,
}

#[cfg(test)]
impl Message {
    /// A QoS 0 message from the first connection, as the writers' and views' tests need one.
    pub fn sample(topic: &str, payload: &[u8], retain: bool) -> Message {
        Message {
            topic: Bytes::copy_from_slice(topic.as_bytes()),
            payload: Bytes::copy_from_slice(payload),
            qos: 0,
            retain,
            dup: false,
            packet_id: 0,
            properties: None,
            connection: 1,
        }
    }
}

/// What it takes to acknowledge a received QoS 1/2 message later.
#[derive(Debug, Clone, Copy)]
pub struct Receipt {
    pub(crate) qos: u8,
    pub(crate) packet_id: u16,
    pub(crate) connection: u32,
}

impl Message {
    /// `None` at QoS 0, which has nothing to acknowledge.
    pub fn receipt(&self) -> Option<Receipt> {
        (self.qos > 0).then_some(Receipt {
            qos: self.qos,
            packet_id: self.packet_id,
            connection: self.connection,
        })
    }

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

#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingPublish {
    pub topic: String,
    pub qos: u8,
    pub retain: bool,
    pub payload: Bytes,
    /// MQTT 5 properties; shared, as a `pub -l` run sends the same ones with every line.
    pub properties: Option<Arc<Properties>>,
}
