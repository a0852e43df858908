//! `pub --jsonl`: one message per line in exactly the schema `sub --json` writes, so a capture
//! republishes byte for byte (binary payloads, user properties in order with duplicates).
//! What a line gives overrides the command's -t, -q, -r and property flags; keys `sub --json`
//! derives or the broker sets for the receiver (payload_json, dup, packet_id, topic_alias,
//! subscription_identifiers) are read and not sent. An unknown key is an error: a misspelt
//! `retained` must not quietly publish a message that is not retained.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::Defaults;
use crate::commands::check_message_size;
use crate::connect::{OutgoingPublish, Properties};
use crate::limits::{check_field, check_string};
use crate::report::quote;

/// One line, decoded.
pub struct Record {
    pub publish: OutgoingPublish,
    pub received_at: Option<DateTime<FixedOffset>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    topic: Option<String>,
    /// Absent and `null` differ: `null` is an empty payload, absent is a mistake.
    #[serde(default, deserialize_with = "present")]
    payload: Option<Option<String>>,
    payload_encoding: Option<String>,
    #[serde(rename = "payload_json")]
    _payload_json: Option<IgnoredAny>,
    qos: Option<u8>,
    retain: Option<bool>,
    #[serde(rename = "dup")]
    _dup: Option<IgnoredAny>,
    #[serde(rename = "packet_id")]
    _packet_id: Option<IgnoredAny>,
    properties: Option<LineProperties>,
    received_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineProperties {
    payload_format_indicator: Option<u8>,
    message_expiry_interval: Option<u32>,
    #[serde(rename = "topic_alias")]
    _topic_alias: Option<IgnoredAny>,
    response_topic: Option<String>,
    correlation_data: Option<String>,
    correlation_data_encoding: Option<String>,
    user_properties: Option<Vec<(String, String)>>,
    #[serde(rename = "subscription_identifiers")]
    _subscription_identifiers: Option<IgnoredAny>,
    content_type: Option<String>,
}

fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// Decode one line; the error says what is wrong with it (the caller names the line).
pub fn parse(text: &[u8], defaults: &Defaults) -> Result<Record, String> {
    const NOT_AN_OBJECT: &str = "not a JSON object: each line is one object as `sub --json` writes it, {\"topic\":...,\"payload\":...}";
    // A line that does not begin like an object (plain text, a `topic payload` line, an array)
    // is told what a line should be; serde's "expected ident" would say nothing to its writer.
    // Editors on Windows save a byte-order mark before the first line.
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    if text.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(NOT_AN_OBJECT.to_string());
    }
    let value: serde_json::Value = serde_json::from_slice(text).map_err(|e| {
        let at = format!(" at line {} column {}", e.line(), e.column());
        let why = e.to_string();
        let why = why.strip_suffix(&at).unwrap_or(&why);
        format!("not valid JSON: {why} (column {})", e.column())
    })?;
    // The path names the key whose value is wrong (serde alone says only "invalid type").
    let line: Line = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let why = e.inner().to_string();
        match path.as_str() {
            "." => why,
            _ if why.starts_with("unknown field") => why,
            _ => format!("\"{path}\": {why}"),
        }
    })?;
    let topic = match (line.topic, &defaults.topic) {
        (Some(topic), _) => {
            crate::topic::validate_topic(&topic)
                .map_err(|why| format!("invalid topic {}: {why}", quote(&topic)))?;
            topic
        }
        (None, Some(topic)) => topic.clone(),
        (None, None) => return Err("no \"topic\" (or give a default with -t)".into()),
    };
    let payload = match line.payload {
        None => return Err("no \"payload\" (null for an empty message)".into()),
        Some(text) => decode(
            text.unwrap_or_default(),
            line.payload_encoding.as_deref(),
            "payload",
        )?,
    };
    let qos = match line.qos {
        None => defaults.qos,
        Some(qos @ 0..=2) => qos,
        Some(other) => return Err(format!("\"qos\" is {other}: use 0, 1 or 2")),
    };
    let properties = match line.properties {
        None => defaults.properties.clone(),
        Some(given) => merge(given, defaults.properties.as_deref())?,
    };
    if properties.is_some() && !defaults.v5 {
        return Err("message properties are an MQTT 5 feature: add -V 5".into());
    }
    check_message_size(
        &topic,
        qos,
        properties.as_deref(),
        defaults.v5,
        payload.len(),
    )
    .map_err(|f| f.message)?;
    let received_at = line
        .received_at
        .map(|at| {
            DateTime::parse_from_rfc3339(&at)
                .map_err(|_| format!("\"received_at\" {} is not an RFC 3339 time", quote(&at)))
        })
        .transpose()?;
    Ok(Record {
        publish: OutgoingPublish {
            topic,
            qos,
            retain: line.retain.unwrap_or(defaults.retain),
            payload,
            properties,
        },
        received_at,
    })
}

/// Text as given, or base64 with `"<key>_encoding": "base64"`.
fn decode(text: String, encoding: Option<&str>, key: &str) -> Result<Bytes, String> {
    match encoding {
        None => Ok(Bytes::from(text)),
        Some("base64") => BASE64
            .decode(text.as_bytes())
            .map(Bytes::from)
            .map_err(|_| format!("\"{key}\" is not valid base64")),
        Some(other) => Err(format!(
            "\"{key}_encoding\" is {}: the only encoding is \"base64\"",
            quote(other)
        )),
    }
}

/// The line's properties over the command's, one property at a time (user properties as a
/// whole list). Properties only a receiver sees are dropped: a client may not send them.
fn merge(
    given: LineProperties,
    defaults: Option<&Properties>,
) -> Result<Option<Arc<Properties>>, String> {
    let mut p = defaults.cloned().unwrap_or_default();
    for (key, value) in [
        ("response_topic", &given.response_topic),
        ("content_type", &given.content_type),
    ] {
        if let Some(v) = value {
            check_string(&format!("\"{key}\""), v)?;
        }
    }
    if let Some(v) = given.payload_format_indicator {
        if v > 1 {
            return Err(format!("\"payload_format_indicator\" is {v}: use 0 or 1"));
        }
        p.payload_format_indicator = Some(v);
    }
    if let Some(v) = given.message_expiry_interval {
        p.message_expiry_interval = Some(v);
    }
    if let Some(v) = given.response_topic {
        crate::topic::validate_topic(&v)
            .map_err(|why| format!("invalid \"response_topic\" {}: {why}", quote(&v)))?;
        p.response_topic = Some(v);
    }
    if let Some(v) = given.correlation_data {
        let data = decode(
            v,
            given.correlation_data_encoding.as_deref(),
            "correlation_data",
        )?;
        check_field("\"correlation_data\"", data.len())?;
        p.correlation_data = Some(data);
    }
    if let Some(pairs) = given.user_properties {
        for (k, v) in &pairs {
            check_string("a user property key", k)?;
            check_string("a user property value", v)?;
        }
        p.user_properties = pairs;
    }
    if let Some(v) = given.content_type {
        p.content_type = Some(v);
    }
    p.topic_alias = None;
    p.subscription_identifiers.clear();
    Ok((p != Properties::default()).then(|| Arc::new(p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults(v5: bool) -> Defaults {
        Defaults {
            topic: None,
            qos: 0,
            retain: false,
            properties: None,
            v5,
        }
    }

    #[test]
    fn what_sub_json_writes_comes_back() {
        let line = br#"{"topic":"a/b","payload":"AP8=","payload_encoding":"base64","qos":1,"retain":true,"dup":false,"packet_id":3,"properties":{"topic_alias":2,"correlation_data":"AQ==","correlation_data_encoding":"base64","user_properties":[["k","1"],["k","2"]],"subscription_identifiers":[7],"content_type":"x"},"received_at":"2026-11-24T19:48:53.998664136Z"}"#;
        let record = parse(line, &defaults(true)).unwrap();
        let p = &record.publish;
        assert_eq!((p.topic.as_str(), p.qos, p.retain), ("a/b", 1, true));
        assert_eq!(&p.payload[..], [0x00, 0xff]);
        let props = p.properties.as_deref().unwrap();
        assert_eq!(props.correlation_data.as_deref(), Some(&[1u8][..]));
        assert_eq!(
            props.user_properties,
            [("k".into(), "1".into()), ("k".into(), "2".into())]
        );
        assert_eq!(
            (props.topic_alias, props.subscription_identifiers.len()),
            (None, 0)
        );
        assert_eq!(
            record.received_at.unwrap().timestamp_subsec_nanos(),
            998_664_136
        );
        let record = parse(br#"{"topic":"t","payload":null}"#, &defaults(false)).unwrap();
        assert!(record.publish.payload.is_empty() && record.publish.properties.is_none());
    }

    #[test]
    fn mistakes_are_named() {
        let err = |line: &str, v5| parse(line.as_bytes(), &defaults(v5)).err().unwrap();
        assert!(
            err(r#"{"topic":"a","payload":"x","retained":true}"#, false)
                .starts_with("unknown field `retained`, expected one of")
        );
        assert_eq!(
            err(r#"{"topic":"a","payload":"x""#, false),
            "not valid JSON: EOF while parsing an object (column 26)"
        );
        assert_eq!(
            err(r#"{"payload":"x"}"#, false),
            "no \"topic\" (or give a default with -t)"
        );
        assert!(err("hello", false).starts_with("not a JSON object: "));
        assert!(err("topic payload", false).starts_with("not a JSON object: "));
        let bom = "\u{feff}{\"topic\":\"a\",\"payload\":\"x\"}";
        assert!(parse(bom.as_bytes(), &defaults(false)).is_ok());
        assert!(err("[1]", false).starts_with("not a JSON object: "));
        assert_eq!(
            err(r#"{"topic":"a","payload":1}"#, false),
            "\"payload\": invalid type: integer `1`, expected a string"
        );
        assert_eq!(
            err(r#"{"topic":"a"}"#, false),
            "no \"payload\" (null for an empty message)"
        );
        assert_eq!(
            err(r#"{"topic":"a/#","payload":"x"}"#, false),
            "invalid topic 'a/#': a topic to publish to cannot contain the wildcards + or #"
        );
        assert_eq!(
            err(r#"{"topic":"a","payload":"x","qos":3}"#, false),
            "\"qos\" is 3: use 0, 1 or 2"
        );
        assert_eq!(
            err(
                r#"{"topic":"a","payload":"!","payload_encoding":"base64"}"#,
                false
            ),
            "\"payload\" is not valid base64"
        );
        assert_eq!(
            err(
                r#"{"topic":"a","payload":"x","properties":{"content_type":"t"}}"#,
                false
            ),
            "message properties are an MQTT 5 feature: add -V 5"
        );
        assert_eq!(
            err(r#"{"topic":"a","payload":"x","received_at":"now"}"#, true),
            "\"received_at\" 'now' is not an RFC 3339 time"
        );
    }
}
