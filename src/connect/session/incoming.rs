//! What the session keeps about messages it receives, as plain state: the broker's topic aliases
//! (MQTT 5, when moth allows them with `-D connect topic-alias-maximum N`), so every message it
//! hands on carries its topic; and the QoS 2 messages already taken, so a broker that sends one
//! again (its PUBREC lost with a connection) does not make moth print it twice.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;

use crate::message::Message;

#[derive(Default)]
pub struct Incoming {
    /// How many aliases moth said it takes (0: none).
    alias_max: u16,
    aliases: HashMap<u16, Bytes>,
    /// QoS 2 packet ids acknowledged with PUBREC whose PUBREL has not come.
    released_due: HashSet<u16>,
}

/// Why a message cannot be taken: the broker broke MQTT (a protocol error).
pub type Broken = String;

/// What to do with a message that arrived.
#[derive(Debug)]
pub enum Arrival {
    /// Hand it on.
    New(Message),
    /// A QoS 2 message taken already: answer PUBREC again, hand nothing on.
    Again(u16),
}

impl Incoming {
    pub fn new(alias_max: u16) -> Incoming {
        Incoming {
            alias_max,
            ..Incoming::default()
        }
    }

    /// A new connection: aliases are per connection; what is due to be released survives only
    /// where the broker kept the session.
    pub fn connected(&mut self, session_present: bool) {
        self.aliases.clear();
        if !session_present {
            self.released_due.clear();
        }
    }

    pub fn arrived(&mut self, mut message: Message) -> Result<Arrival, Broken> {
        if message.qos == 2 && self.released_due.contains(&message.packet_id) {
            return Ok(Arrival::Again(message.packet_id));
        }
        if let Some(alias) = message.properties.as_ref().and_then(|p| p.topic_alias) {
            if alias == 0 || alias > self.alias_max {
                return Err(match self.alias_max {
                    0 => format!(
                        "the broker used topic alias {alias}, though moth allows none (a protocol error)"
                    ),
                    max => format!(
                        "the broker used topic alias {alias}, above the {max} moth allows (a protocol error)"
                    ),
                });
            }
            if message.topic.is_empty() {
                message.topic = self.aliases.get(&alias).cloned().ok_or_else(|| {
                    format!(
                        "the broker used topic alias {alias} before saying which topic it stands for (a protocol error)"
                    )
                })?;
            } else {
                self.aliases.insert(alias, message.topic.clone());
            }
        }
        if message.topic.is_empty() || std::str::from_utf8(&message.topic).is_err() {
            return Err(format!(
                "the broker sent a message (packet id {}) whose topic is empty or not UTF-8 (a protocol error)",
                message.packet_id
            ));
        }
        Ok(Arrival::New(message))
    }

    /// PUBREC went out for this QoS 2 message: it is taken.
    pub fn taken(&mut self, packet_id: u16) {
        self.released_due.insert(packet_id);
    }

    /// PUBREL came: the broker is done with this packet id.
    pub fn released(&mut self, packet_id: u16) {
        self.released_due.remove(&packet_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Properties;

    fn message(topic: &str, qos: u8, packet_id: u16, alias: Option<u16>) -> Message {
        Message {
            topic: Bytes::copy_from_slice(topic.as_bytes()),
            payload: Bytes::new(),
            qos,
            retain: false,
            dup: false,
            packet_id,
            properties: alias.map(|a| {
                Box::new(Properties {
                    topic_alias: Some(a),
                    ..Properties::default()
                })
            }),
            connection: 0,
        }
    }

    fn topic(arrival: Result<Arrival, Broken>) -> String {
        match arrival {
            Ok(Arrival::New(m)) => m.topic().to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn aliases_resolve_to_the_topic_they_were_set_with() {
        let mut incoming = Incoming::new(2);
        assert_eq!(
            topic(incoming.arrived(message("a/b", 0, 0, Some(1)))),
            "a/b"
        );
        assert_eq!(topic(incoming.arrived(message("", 0, 0, Some(1)))), "a/b");
        assert_eq!(topic(incoming.arrived(message("c", 0, 0, Some(1)))), "c");
        assert_eq!(topic(incoming.arrived(message("", 0, 0, Some(1)))), "c");
        assert_eq!(
            incoming.arrived(message("", 0, 0, Some(2))).unwrap_err(),
            "the broker used topic alias 2 before saying which topic it stands for (a protocol error)"
        );
        assert_eq!(
            incoming.arrived(message("x", 0, 0, Some(3))).unwrap_err(),
            "the broker used topic alias 3, above the 2 moth allows (a protocol error)"
        );
        incoming.connected(true);
        assert!(
            incoming.arrived(message("", 0, 0, Some(1))).is_err(),
            "per connection"
        );
        assert_eq!(
            Incoming::new(0)
                .arrived(message("x", 0, 0, Some(1)))
                .unwrap_err(),
            "the broker used topic alias 1, though moth allows none (a protocol error)"
        );
    }

    #[test]
    fn a_qos_2_message_taken_is_not_handed_on_again() {
        let mut incoming = Incoming::new(0);
        assert_eq!(topic(incoming.arrived(message("t", 2, 7, None))), "t");
        incoming.taken(7);
        assert!(matches!(
            incoming.arrived(message("t", 2, 7, None)),
            Ok(Arrival::Again(7))
        ));
        incoming.connected(true);
        assert!(matches!(
            incoming.arrived(message("t", 2, 7, None)),
            Ok(Arrival::Again(7))
        ));
        incoming.released(7);
        assert_eq!(topic(incoming.arrived(message("t", 2, 7, None))), "t");
        incoming.taken(7);
        incoming.connected(false);
        assert_eq!(topic(incoming.arrived(message("t", 2, 7, None))), "t");
    }
}
