//! MQTT 5 properties from `-D COMMAND NAME VALUE` (as mosquitto's clients take them) and from
//! pub's friendly options, validated into moth's own types before anything connects.

use bytes::Bytes;

use crate::exit::{Failure, Result};
use crate::message::Properties;

/// CONNECT properties moth can send.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectProperties {
    pub session_expiry_interval: Option<u32>,
    pub receive_maximum: Option<u16>,
    pub maximum_packet_size: Option<u32>,
    pub request_problem_information: Option<u8>,
    pub request_response_information: Option<u8>,
    /// How many topic aliases moth takes from the broker (0 or none: none).
    pub topic_alias_maximum: Option<u16>,
    pub user_properties: Vec<(String, String)>,
}

/// DISCONNECT properties moth can send.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisconnectProperties {
    pub session_expiry_interval: Option<u32>,
    pub reason_string: Option<String>,
    pub user_properties: Vec<(String, String)>,
}

/// Will properties: a message's properties and the will delay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WillProperties {
    pub message: Properties,
    pub will_delay_interval: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscribeProperties {
    pub subscription_identifier: Option<usize>,
    pub user_properties: Vec<(String, String)>,
}

/// Everything given with -D, sorted by the packet it belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PropertySets {
    pub connect: ConnectProperties,
    pub publish: Properties,
    pub subscribe: SubscribeProperties,
    pub unsubscribe: Vec<(String, String)>,
    pub will: WillProperties,
    pub disconnect: DisconnectProperties,
}

const COMMANDS: &str = "connect, publish, subscribe, unsubscribe, disconnect or will";

impl PropertySets {
    pub fn is_empty(&self) -> bool {
        *self == PropertySets::default()
    }

    /// Parse every `-D` occurrence, each `[COMMAND, NAME, VALUE]` or, for user-property,
    /// `[COMMAND, user-property, NAME, VALUE]`.
    pub fn parse(given: &[Vec<String>]) -> Result<PropertySets> {
        let mut sets = PropertySets::default();
        for words in given {
            sets.add(words)?;
        }
        Ok(sets)
    }

    fn add(&mut self, words: &[String]) -> Result<()> {
        let (command, name) = (words[0].as_str(), words[1].as_str());
        let values = &words[2..];
        let bad = |why: String| Failure::usage(format!("-D {command} {name}: {why}"));
        for value in values {
            // Correlation data is binary; everything else is an MQTT string.
            match name {
                "correlation-data" => crate::limits::check_field("the value", value.len()),
                _ => crate::limits::check_string("the value", value),
            }
            .map_err(bad)?;
        }
        let value = || -> Result<&str> {
            match (name, values) {
                ("user-property", [key, value]) => {
                    let _ = (key, value);
                    Ok("")
                }
                ("user-property", _) => Err(bad("user-property takes a name and a value".into())),
                (_, [value]) => Ok(value.as_str()),
                _ => Err(bad("takes one value".into())),
            }
        };
        let pair = || (values[0].clone(), values[1].clone());
        match command {
            "connect" => {
                let c = &mut self.connect;
                match name {
                    "session-expiry-interval" => {
                        c.session_expiry_interval =
                            Some(number(value()?, 0, u32::MAX as u64, &bad)? as u32)
                    }
                    "receive-maximum" => {
                        c.receive_maximum = Some(number(value()?, 1, u16::MAX as u64, &bad)? as u16)
                    }
                    "maximum-packet-size" => {
                        c.maximum_packet_size =
                            Some(number(value()?, 1, u32::MAX as u64, &bad)? as u32)
                    }
                    "request-problem-information" => {
                        c.request_problem_information = Some(number(value()?, 0, 1, &bad)? as u8)
                    }
                    "request-response-information" => {
                        c.request_response_information = Some(number(value()?, 0, 1, &bad)? as u8)
                    }
                    "user-property" => {
                        value()?;
                        c.user_properties.push(pair());
                    }
                    "authentication-method" | "authentication-data" => {
                        return Err(bad(
                            "not supported: moth does not do MQTT 5 enhanced authentication (AUTH packets)".into(),
                        ));
                    }
                    "topic-alias-maximum" => {
                        c.topic_alias_maximum =
                            Some(number(value()?, 0, u16::MAX as u64, &bad)? as u16)
                    }
                    _ => {
                        return Err(unknown(
                            command,
                            name,
                            "session-expiry-interval, receive-maximum, maximum-packet-size, topic-alias-maximum, request-problem-information, request-response-information, user-property",
                        ));
                    }
                }
            }
            "publish" => message_property(
                &mut self.publish,
                command,
                name,
                values,
                value()?,
                &bad,
                true,
            )?,
            "will" => match name {
                "will-delay-interval" => {
                    self.will.will_delay_interval =
                        Some(number(value()?, 0, u32::MAX as u64, &bad)? as u32)
                }
                _ => message_property(
                    &mut self.will.message,
                    command,
                    name,
                    values,
                    value()?,
                    &bad,
                    false,
                )?,
            },
            "subscribe" => match name {
                "subscription-identifier" => {
                    self.subscribe.subscription_identifier =
                        Some(number(value()?, 1, 268_435_455, &bad)? as usize)
                }
                "user-property" => {
                    value()?;
                    self.subscribe.user_properties.push(pair());
                }
                _ => {
                    return Err(unknown(
                        command,
                        name,
                        "subscription-identifier, user-property",
                    ));
                }
            },
            "unsubscribe" => match name {
                "user-property" => {
                    value()?;
                    self.unsubscribe.push(pair());
                }
                _ => return Err(unknown(command, name, "user-property")),
            },
            "disconnect" => {
                let d = &mut self.disconnect;
                match name {
                    "session-expiry-interval" => {
                        d.session_expiry_interval =
                            Some(number(value()?, 0, u32::MAX as u64, &bad)? as u32)
                    }
                    "reason-string" => d.reason_string = Some(value()?.to_string()),
                    "user-property" => {
                        value()?;
                        d.user_properties.push(pair());
                    }
                    _ => {
                        return Err(unknown(
                            command,
                            name,
                            "session-expiry-interval, reason-string, user-property",
                        ));
                    }
                }
            }
            "auth" => {
                return Err(bad(
                    "not supported: moth does not do MQTT 5 enhanced authentication (AUTH packets)"
                        .into(),
                ));
            }
            other => {
                return Err(Failure::usage(format!(
                    "unknown -D command {}: use {COMMANDS}",
                    crate::report::quote(other)
                )));
            }
        }
        Ok(())
    }
}

fn message_property(
    p: &mut Properties,
    command: &str,
    name: &str,
    values: &[String],
    value: &str,
    bad: &dyn Fn(String) -> Failure,
    publish: bool,
) -> Result<()> {
    match name {
        "content-type" => p.content_type = Some(value.to_string()),
        "correlation-data" => p.correlation_data = Some(Bytes::copy_from_slice(value.as_bytes())),
        "message-expiry-interval" => {
            p.message_expiry_interval = Some(number(value, 0, u32::MAX as u64, bad)? as u32)
        }
        "payload-format-indicator" => {
            p.payload_format_indicator = Some(number(value, 0, 1, bad)? as u8)
        }
        "response-topic" => {
            crate::topic::validate_topic(value).map_err(|why| bad(why.to_string()))?;
            p.response_topic = Some(value.to_string());
        }
        "topic-alias" if publish => {
            p.topic_alias = Some(number(value, 1, u16::MAX as u64, bad)? as u16)
        }
        "user-property" => p
            .user_properties
            .push((values[0].clone(), values[1].clone())),
        _ => {
            let names = if publish {
                "content-type, correlation-data, message-expiry-interval, payload-format-indicator, response-topic, topic-alias, user-property"
            } else {
                "content-type, correlation-data, message-expiry-interval, payload-format-indicator, response-topic, user-property, will-delay-interval"
            };
            return Err(unknown(command, name, names));
        }
    }
    Ok(())
}

fn number(text: &str, min: u64, max: u64, bad: &dyn Fn(String) -> Failure) -> Result<u64> {
    match text.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(bad(format!(
            "{} is not a number from {min} to {max}",
            crate::report::quote(text)
        ))),
    }
}

fn unknown(command: &str, name: &str, known: &str) -> Failure {
    Failure::usage(format!(
        "-D {command} {name}: not a {command} property; {command} takes {known}"
    ))
}

/// `--user-property KEY=VALUE`.
pub fn user_property(text: &str) -> Result<(String, String)> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => {
            for (what, text) in [("the key", key), ("the value", value)] {
                crate::limits::check_string(what, text)
                    .map_err(|why| Failure::usage(format!("--user-property: {why}")))?;
            }
            Ok((key.to_string(), value.to_string()))
        }
        _ => Err(Failure::usage(format!(
            "invalid --user-property {}: use KEY=VALUE",
            crate::report::quote(text)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&[&str]]) -> Result<PropertySets> {
        let given: Vec<Vec<String>> = args
            .iter()
            .map(|words| words.iter().map(|w| w.to_string()).collect())
            .collect();
        PropertySets::parse(&given)
    }

    fn err(args: &[&str]) -> String {
        parse(&[args]).unwrap_err().message
    }

    #[test]
    fn sorts_properties_by_packet() {
        let sets = parse(&[
            &["publish", "content-type", "text/plain"],
            &["publish", "user-property", "a", "1"],
            &["publish", "user-property", "a", "2"],
            &["publish", "message-expiry-interval", "30"],
            &["connect", "receive-maximum", "10"],
            &["subscribe", "subscription-identifier", "7"],
            &["will", "will-delay-interval", "5"],
            &["unsubscribe", "user-property", "u", "v"],
        ])
        .unwrap();
        assert_eq!(sets.publish.content_type.as_deref(), Some("text/plain"));
        assert_eq!(
            sets.publish.user_properties,
            [("a".into(), "1".into()), ("a".into(), "2".into())]
        );
        assert_eq!(sets.publish.message_expiry_interval, Some(30));
        assert_eq!(sets.connect.receive_maximum, Some(10));
        assert_eq!(sets.subscribe.subscription_identifier, Some(7));
        assert_eq!(sets.will.will_delay_interval, Some(5));
        assert_eq!(sets.unsubscribe, [("u".into(), "v".into())]);
    }

    #[test]
    fn errors_name_the_property() {
        assert_eq!(
            err(&["publish", "message-expiry-interval", "soon"]),
            "-D publish message-expiry-interval: 'soon' is not a number from 0 to 4294967295"
        );
        assert_eq!(
            err(&["publish", "payload-format-indicator", "2"]),
            "-D publish payload-format-indicator: '2' is not a number from 0 to 1"
        );
        assert_eq!(
            err(&["subscribe", "subscription-identifier", "0"]),
            "-D subscribe subscription-identifier: '0' is not a number from 1 to 268435455"
        );
        assert_eq!(
            err(&["connect", "receive-maximum", "0"]),
            "-D connect receive-maximum: '0' is not a number from 1 to 65535"
        );
        assert!(err(&["connect", "content-type", "x"]).starts_with(
            "-D connect content-type: not a connect property; connect takes session-expiry-interval"
        ));
        assert!(
            err(&["will", "topic-alias", "1"])
                .starts_with("-D will topic-alias: not a will property")
        );
        assert_eq!(
            err(&["publish", "user-property", "lonely"]),
            "-D publish user-property: user-property takes a name and a value"
        );
        assert_eq!(
            err(&["publish", "content-type", "a", "b"]),
            "-D publish content-type: takes one value"
        );
        assert_eq!(
            err(&["bogus", "x", "y"]),
            "unknown -D command 'bogus': use connect, publish, subscribe, unsubscribe, disconnect or will"
        );
        assert_eq!(
            parse(&[&["disconnect", "reason-string", "done"]])
                .unwrap()
                .disconnect,
            DisconnectProperties {
                reason_string: Some("done".into()),
                ..Default::default()
            }
        );
        assert!(
            err(&["disconnect", "server-reference", "x"])
                .starts_with("-D disconnect server-reference: not a disconnect property")
        );
        assert_eq!(
            parse(&[&["connect", "topic-alias-maximum", "10"]])
                .unwrap()
                .connect
                .topic_alias_maximum,
            Some(10)
        );
        assert!(err(&["publish", "response-topic", "a/#"]).contains("wildcards"));
    }

    #[test]
    fn user_property_flag() {
        assert_eq!(user_property("k=v=w").unwrap(), ("k".into(), "v=w".into()));
        assert!(user_property("=v").is_err());
        assert!(user_property("novalue").is_err());
    }
}
