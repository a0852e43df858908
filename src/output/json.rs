//! JSON output that is valid for every payload: mosquitto's `%j`/`%J` field names, and moth's own
//! `--json` lines. Written with serde_json straight into the output buffer.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, Local, Utc};
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq};
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};
use serde_json::value::RawValue;

use super::{Format, StackText};
use crate::colour::{KEY, RESET};
use crate::message::{Message, Properties};
use crate::report;

#[derive(Debug, Clone, Copy, Default)]
pub struct JsonStyle {
    pub pretty: bool,
}

/// A payload as JSON: text when it is UTF-8, base64 otherwise, `null` when empty.
enum Payload<'a> {
    Null,
    Text(&'a str),
    Base64(String),
}

impl<'a> Payload<'a> {
    fn of(bytes: &'a [u8]) -> Payload<'a> {
        if bytes.is_empty() {
            return Payload::Null;
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => Payload::Text(text),
            Err(_) => Payload::Base64(BASE64.encode(bytes)),
        }
    }

    fn is_base64(&self) -> bool {
        matches!(self, Payload::Base64(_))
    }
}

impl Serialize for Payload<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Payload::Null => s.serialize_none(),
            Payload::Text(text) => s.serialize_str(text),
            Payload::Base64(text) => s.serialize_str(text),
        }
    }
}

/// The payload parsed as JSON, without copying it, when it is JSON.
fn as_json(bytes: &[u8]) -> Option<&RawValue> {
    if bytes.is_empty() {
        return None;
    }
    serde_json::from_slice::<&RawValue>(bytes).ok()
}

/// mosquitto_sub's `%j` (payload as a string) and `%J` (payload inlined when it is JSON).
pub fn mosquitto(
    out: &mut dyn Write,
    message: &Message,
    local: &DateTime<Local>,
    nanos: u32,
    inline: bool,
    style: JsonStyle,
) -> io::Result<()> {
    let inlined = if inline {
        match (message.payload.is_empty(), as_json(&message.payload)) {
            (true, _) => Inline::Null,
            // Raw JSON keeps its own layout; --pretty re-indents it with the rest.
            (false, Some(_)) if style.pretty => match serde_json::from_slice(&message.payload) {
                Ok(value) => Inline::Parsed(value),
                Err(_) => Inline::Null,
            },
            (false, Some(raw)) => Inline::Raw(raw),
            (false, None) => {
                report::warning(&format!(
                    "the payload on topic {} is not valid JSON (%J): nothing printed for it",
                    message.topic()
                ));
                return Ok(());
            }
        }
    } else {
        Inline::Null
    };
    // mosquitto's own (odd) timestamp shape: 2026-11-24T19:42:52.406622Z+0000
    let mut tst = StackText::default();
    let _ = write!(
        tst,
        "{}.{:06}Z{}",
        local.format("%Y-%m-%dT%H:%M:%S"),
        nanos / 1000,
        local.format("%z")
    );
    let payload = Payload::of(&message.payload);
    let record = MosquittoRecord {
        tst: tst.as_str(),
        topic: message.topic(),
        qos: message.qos,
        retain: message.retain as u8,
        payloadlen: message.payload.len(),
        mid: (message.qos > 0).then_some(message.packet_id),
        properties: message
            .properties
            .as_deref()
            .map(|p| PropertiesJson(p, Style::Mosquitto)),
        payload_encoding: (!inline && payload.is_base64()).then_some("base64"),
        payload: if inline { None } else { Some(payload) },
        inlined: inline.then_some(inlined),
    };
    serialize(out, &record, style.pretty, false)
}

#[derive(Serialize)]
struct MosquittoRecord<'a> {
    tst: &'a str,
    topic: &'a str,
    qos: u8,
    retain: u8,
    payloadlen: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    mid: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<PropertiesJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload_encoding: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<Payload<'a>>,
    #[serde(rename = "payload", skip_serializing_if = "Option::is_none")]
    inlined: Option<Inline<'a>>,
}

/// `%J`'s payload: JSON as sent, re-parsed for --pretty, or null when empty.
enum Inline<'a> {
    Null,
    Raw(&'a RawValue),
    Parsed(serde_json::Value),
}

impl Serialize for Inline<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Inline::Null => s.serialize_none(),
            Inline::Raw(raw) => raw.serialize(s),
            Inline::Parsed(value) => value.serialize(s),
        }
    }
}

/// Whose key names a properties object uses: mosquitto's `%j` (hyphens, user properties as an
/// object, the first subscription identifier) or moth's `--json` (underscores, user properties
/// as `[key, value]` pairs, every subscription identifier).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Mosquitto,
    Moth,
}

struct PropertiesJson<'a>(&'a Properties, Style);

impl Serialize for PropertiesJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (p, style) = (self.0, self.1);
        let key = |mosquitto: &'static str, moth: &'static str| match style {
            Style::Mosquitto => mosquitto,
            Style::Moth => moth,
        };
        let mut map = s.serialize_map(None)?;
        if let Some(v) = p.payload_format_indicator {
            map.serialize_entry(
                key("payload-format-indicator", "payload_format_indicator"),
                &v,
            )?;
        }
        if let Some(v) = p.message_expiry_interval {
            map.serialize_entry(
                key("message-expiry-interval", "message_expiry_interval"),
                &v,
            )?;
        }
        if let Some(v) = p.topic_alias {
            map.serialize_entry(key("topic-alias", "topic_alias"), &v)?;
        }
        if let Some(v) = &p.response_topic {
            map.serialize_entry(key("response-topic", "response_topic"), v)?;
        }
        if let Some(v) = &p.correlation_data {
            let data = Payload::of(v);
            if data.is_base64() {
                map.serialize_entry(
                    key("correlation-data-encoding", "correlation_data_encoding"),
                    "base64",
                )?;
            }
            map.serialize_entry(key("correlation-data", "correlation_data"), &data)?;
        }
        if !p.user_properties.is_empty() {
            match style {
                // mosquitto prints an object; duplicate keys stay, in order, as it does.
                Style::Mosquitto => {
                    map.serialize_entry("user-properties", &UserObject(&p.user_properties))?
                }
                Style::Moth => {
                    map.serialize_entry("user_properties", &Pairs(&p.user_properties))?
                }
            }
        }
        match (style, p.subscription_identifiers.first()) {
            (Style::Mosquitto, Some(id)) => map.serialize_entry("subscription-identifier", id)?,
            (Style::Moth, Some(_)) => {
                map.serialize_entry("subscription_identifiers", &p.subscription_identifiers)?
            }
            (_, None) => {}
        }
        if let Some(v) = &p.content_type {
            map.serialize_entry(key("content-type", "content_type"), v)?;
        }
        map.end()
    }
}

struct UserObject<'a>(&'a [(String, String)]);

impl Serialize for UserObject<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// moth's `--json`: one object per line, schema documented in the README.
pub struct JsonLines {
    colour: bool,
    /// `--pretty`: each object indented over several lines, for people (keys in the same order).
    pretty: Option<Pretty>,
    clock: UtcClock,
    /// Each record is serialized here, then written in one call: serde_json writes many small
    /// pieces, which through the output's `dyn Write` would cost a call each.
    scratch: Vec<u8>,
}

impl JsonLines {
    pub fn new(colour: bool, pretty: bool) -> JsonLines {
        JsonLines {
            // Pretty output is made from the plain record, and coloured as it is indented.
            colour: colour && !pretty,
            pretty: pretty.then_some(Pretty { colour }),
            clock: UtcClock::default(),
            scratch: Vec::with_capacity(512),
        }
    }
}

/// RFC 3339 UTC timestamps with nanoseconds. The calendar part changes once a second, so it is
/// formatted once a second; the nanoseconds are appended per message.
pub struct UtcClock {
    second: Option<u64>,
    items: Vec<Item<'static>>,
    text: String,
    prefix_len: usize,
}

impl Default for UtcClock {
    fn default() -> Self {
        UtcClock {
            second: None,
            items: StrftimeItems::new("%Y-%m-%dT%H:%M:%S.")
                .parse_to_owned()
                .unwrap_or_default(),
            text: String::with_capacity(32),
            prefix_len: 0,
        }
    }
}

impl UtcClock {
    /// `2026-11-24T19:48:53.998664136Z` for now.
    pub fn now(&mut self) -> &str {
        let since = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        if self.second != Some(since.as_secs()) {
            self.second = Some(since.as_secs());
            self.text.clear();
            let utc = DateTime::<Utc>::from(
                SystemTime::UNIX_EPOCH + Duration::from_secs(since.as_secs()),
            );
            let _ = write!(self.text, "{}", utc.format_with_items(self.items.iter()));
            self.prefix_len = self.text.len();
        }
        self.text.truncate(self.prefix_len);
        let _ = write!(self.text, "{:09}Z", since.subsec_nanos());
        &self.text
    }
}

/// User properties as a list of `[key, value]` pairs: order and duplicates kept.
struct Pairs<'a>(&'a [(String, String)]);

impl Serialize for Pairs<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (k, v) in self.0 {
            seq.serialize_element(&[k, v])?;
        }
        seq.end()
    }
}

impl JsonLines {
    /// `,"key":`, the key coloured on a terminal.
    fn key(&mut self, key: &str, first: bool) {
        let out = &mut self.scratch;
        if !first {
            out.push(b',');
        }
        if self.colour {
            out.extend_from_slice(KEY);
        }
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.push(b'"');
        if self.colour {
            out.extend_from_slice(RESET);
        }
        out.push(b':');
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        if self.colour {
            serialize(&mut self.scratch, value, false, true)
        } else {
            serde_json::to_writer(&mut self.scratch, value).map_err(io::Error::from)
        }
    }
}

impl Format for JsonLines {
    /// The record is laid out here, key by key, and each value is written by serde_json: the
    /// keys are fixed, so escaping them for every message would be wasted work.
    fn write(&mut self, out: &mut dyn Write, message: &Message) -> io::Result<()> {
        self.scratch.clear();
        self.scratch.push(b'{');
        self.key("topic", true);
        self.value(message.topic())?;
        let payload = Payload::of(&message.payload);
        self.key("payload", false);
        self.value(&payload)?;
        if payload.is_base64() {
            self.key("payload_encoding", false);
            self.scratch.extend_from_slice(b"\"base64\"");
        }
        if let Some(raw) = as_json(&message.payload) {
            self.key("payload_json", false);
            self.scratch.extend_from_slice(raw.get().as_bytes());
        }
        self.key("qos", false);
        self.scratch.push(b'0' + message.qos);
        self.key("retain", false);
        self.scratch
            .extend_from_slice(if message.retain { b"true" } else { b"false" });
        self.key("dup", false);
        self.scratch
            .extend_from_slice(if message.dup { b"true" } else { b"false" });
        self.key("packet_id", false);
        match message.qos {
            0 => self.scratch.extend_from_slice(b"null"),
            _ => self.value(&message.packet_id)?,
        }
        if let Some(props) = message.properties.as_deref() {
            self.key("properties", false);
            self.value(&PropertiesJson(props, Style::Moth))?;
        }
        self.key("received_at", false);
        self.scratch.push(b'"');
        let stamp = self.clock.now();
        self.scratch.extend_from_slice(stamp.as_bytes());
        self.scratch.extend_from_slice(b"\"}\n");
        match &self.pretty {
            None => out.write_all(&self.scratch),
            Some(pretty) => {
                let record: serde_json::Value = serde_json::from_slice(&self.scratch)?;
                serialize(out, &record, true, pretty.colour)?;
                out.write_all(b"\n")
            }
        }
    }
}

struct Pretty {
    colour: bool,
}

fn serialize<T: Serialize + ?Sized>(
    out: &mut dyn Write,
    value: &T,
    pretty: bool,
    colour: bool,
) -> io::Result<()> {
    let result = match (pretty, colour) {
        (false, false) => value.serialize(&mut serde_json::Serializer::with_formatter(
            out,
            CompactFormatter,
        )),
        (false, true) => value.serialize(&mut serde_json::Serializer::with_formatter(
            out,
            ColourKeys(CompactFormatter),
        )),
        (true, false) => value.serialize(&mut serde_json::Serializer::with_formatter(
            out,
            PrettyFormatter::with_indent(b"\t"),
        )),
        (true, true) => value.serialize(&mut serde_json::Serializer::with_formatter(
            out,
            ColourKeys(PrettyFormatter::with_indent(b"\t")),
        )),
    };
    result.map_err(io::Error::from)
}

/// Object keys in colour, for a terminal.
struct ColourKeys<F>(F);

impl<F: Formatter> Formatter for ColourKeys<F> {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)?;
        w.write_all(KEY)
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(RESET)?;
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn message(payload: &'static [u8], qos: u8) -> Message {
        Message {
            topic: Bytes::from_static(b"t"),
            payload: Bytes::from_static(payload),
            qos,
            retain: false,
            dup: false,
            packet_id: if qos > 0 { 9 } else { 0 },
            properties: None,
            connection: 0,
        }
    }

    fn line(message: &Message) -> serde_json::Value {
        let mut out = Vec::new();
        JsonLines::new(false, false)
            .write(&mut out, message)
            .unwrap();
        assert_eq!(out.last(), Some(&b'\n'));
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn every_payload_gives_valid_json() {
        let v = line(&message(b"plain text", 0));
        assert_eq!(v["payload"], "plain text");
        assert!(v.get("payload_encoding").is_none() && v.get("payload_json").is_none());
        assert_eq!(v["packet_id"], serde_json::Value::Null);

        let v = line(&message(b"\x00\xff\xfe", 1));
        assert_eq!(v["payload"], "AP/+");
        assert_eq!(v["payload_encoding"], "base64");
        assert_eq!(v["packet_id"], 9);

        let v = line(&message(br#"{"n":[1,2]}"#, 0));
        assert_eq!(v["payload_json"]["n"][1], 2);
        assert_eq!(v["payload"], r#"{"n":[1,2]}"#);

        let v = line(&message(b"", 0));
        assert_eq!(v["payload"], serde_json::Value::Null);
    }

    #[test]
    fn the_clock_writes_rfc3339_with_nanoseconds() {
        let mut clock = UtcClock::default();
        let first = clock.now().to_string();
        let second = clock.now().to_string();
        for stamp in [&first, &second] {
            assert_eq!(
                stamp.len(),
                "2026-11-24T19:48:53.998664136Z".len(),
                "{stamp}"
            );
            assert!(
                stamp.ends_with('Z') && stamp.as_bytes()[19] == b'.',
                "{stamp}"
            );
            chrono::DateTime::parse_from_rfc3339(stamp).unwrap();
        }
        assert!(second >= first);
    }

    #[test]
    fn coloured_keys_wrap_only_the_keys() {
        let mut out = Vec::new();
        JsonLines::new(true, false)
            .write(&mut out, &message(b"x", 0))
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("{\x1b[34m\"topic\"\x1b[0m:\"t\","),
            "{text}"
        );
    }
}
