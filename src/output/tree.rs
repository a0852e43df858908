//! `moth ls`: the topics seen, counted as messages arrive and printed once at the end, as an
//! indented tree (one line per level, statistics on the levels that are topics) or as one JSON
//! object per topic.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde::Serialize;

use super::Format;
use crate::colour::{DIM, MARK, NAME, RESET};
use crate::message::Message;
use crate::report::cut;

/// The topic column is as wide as the widest indented name, up to this.
const MAX_NAME_WIDTH: usize = 48;
/// The last payload gets at least this many characters, however narrow the terminal.
const MIN_PAYLOAD_WIDTH: usize = 12;

#[derive(Default)]
struct Stats {
    messages: u64,
    /// Messages sent as they were published, not from the retained store: what the rate counts.
    live: u64,
    /// The broker held a retained message when ls subscribed.
    retained: bool,
    last: Bytes,
}

/// Counts every message it is given (as a `Format`, so the receiving loop acknowledges it once
/// counted, exactly as it acknowledges what `sub` prints). Writes nothing until `print`.
#[derive(Default)]
pub struct Tree {
    /// By topic levels, so that `a/b` sorts under `a` and before `a-c`.
    topics: BTreeMap<Vec<String>, Stats>,
}

impl Format for Tree {
    fn write(&mut self, _out: &mut dyn Write, message: &Message) -> io::Result<()> {
        let levels = message.topic().split('/').map(String::from).collect();
        let stats = self.topics.entry(levels).or_default();
        stats.messages += 1;
        // Without retain-as-published only messages from the retained store carry the flag.
        if message.retain {
            stats.retained = true;
        } else {
            stats.live += 1;
        }
        stats.last = message.payload.clone();
        Ok(())
    }
}

/// How to print the tree.
pub struct Layout {
    pub colour: bool,
    /// Characters a line may take.
    pub width: usize,
    /// How long ls watched: the rate's denominator.
    pub watched: Duration,
}

impl Tree {
    fn rate(&self, stats: &Stats, watched: Duration) -> f64 {
        match watched.as_secs_f64() {
            secs if secs > 0.0 => stats.live as f64 / secs,
            _ => 0.0,
        }
    }

    /// The indented tree with a header line.
    pub fn print(&self, out: &mut dyn Write, layout: &Layout) -> io::Result<()> {
        let name_width = self
            .topics
            .keys()
            .flat_map(|levels| {
                levels
                    .iter()
                    .enumerate()
                    .map(|(depth, name)| 2 * depth + shown_name(name).chars().count())
            })
            .max()
            .unwrap_or(5)
            .clamp(5, MAX_NAME_WIDTH);
        let paint = |out: &mut dyn Write, colour: &[u8], text: &str| -> io::Result<()> {
            match layout.colour {
                true => {
                    out.write_all(colour)?;
                    out.write_all(text.as_bytes())?;
                    out.write_all(RESET)
                }
                false => out.write_all(text.as_bytes()),
            }
        };
        let header = format!(
            "{:<name_width$} {:>8} {:>8} {:>8} {:<8} LAST PAYLOAD",
            "TOPIC", "MESSAGES", "RATE/S", "BYTES", "RETAINED"
        );
        paint(out, DIM, &header)?;
        out.write_all(b"\n")?;
        let payload_width = layout
            .width
            // The columns before the payload: name, four of 8 and their spaces.
            .saturating_sub(name_width + 4 * 9 + 1)
            .max(MIN_PAYLOAD_WIDTH);
        let mut printed: Vec<&str> = Vec::new();
        for (levels, stats) in &self.topics {
            // The levels above this topic that the previous lines did not show.
            let shared = printed
                .iter()
                .zip(levels)
                .take_while(|(a, b)| **a == b.as_str())
                .count();
            printed.truncate(shared);
            for (depth, name) in levels.iter().enumerate().skip(shared) {
                let label = format!("{:indent$}{}", "", shown_name(name), indent = 2 * depth);
                let label = cut(&label, name_width);
                printed.push(name);
                if depth + 1 < levels.len() {
                    out.write_all(label.as_bytes())?;
                    out.write_all(b"\n")?;
                    continue;
                }
                paint(out, NAME, &label)?;
                let pad = name_width.saturating_sub(label.chars().count());
                write!(
                    out,
                    "{:pad$} {:>8} {:>8.2} {:>8} ",
                    "",
                    stats.messages,
                    self.rate(stats, layout.watched),
                    stats.last.len()
                )?;
                match stats.retained {
                    true => paint(out, MARK, "retained")?,
                    false => out.write_all(b"        ")?,
                }
                out.write_all(b" ")?;
                out.write_all(cut(&shown_payload(&stats.last), payload_width).as_bytes())?;
                out.write_all(b"\n")?;
            }
        }
        Ok(())
    }

    /// One JSON object per topic, in the tree's order.
    pub fn print_json(&self, out: &mut dyn Write, watched: Duration) -> io::Result<()> {
        for (levels, stats) in &self.topics {
            let text = std::str::from_utf8(&stats.last).ok();
            let base64 = text.is_none().then(|| BASE64.encode(&stats.last));
            let record = TopicJson {
                topic: levels.join("/"),
                messages: stats.messages,
                rate: (self.rate(stats, watched) * 1000.0).round() / 1000.0,
                retained: stats.retained,
                last_payload_bytes: stats.last.len(),
                last_payload: text.or(base64.as_deref()).filter(|p| !p.is_empty()),
                last_payload_encoding: base64.is_some().then_some("base64"),
            };
            serde_json::to_writer(&mut *out, &record)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct TopicJson<'a> {
    topic: String,
    messages: u64,
    /// Live messages per second over the watch (retained ones are not traffic).
    rate: f64,
    retained: bool,
    last_payload_bytes: usize,
    last_payload: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_payload_encoding: Option<&'static str>,
}

/// A level as shown: an empty level (`a//b`, `/a`) would be invisible.
fn shown_name(name: &str) -> String {
    match name {
        "" => "\"\"".to_string(),
        name => crate::report::escape_controls(name),
    }
}

/// Text with control characters escaped, binary as hex, empty as `(null)` (as `sub -v`).
fn shown_payload(payload: &[u8]) -> String {
    if payload.is_empty() {
        return "(null)".to_string();
    }
    match std::str::from_utf8(payload) {
        Ok(text) => crate::report::escape_controls(text),
        Err(_) => {
            let mut hex = String::with_capacity(2 + 2 * payload.len().min(256));
            hex.push_str("0x");
            // Only what can be shown: a 10 MB payload need not become 20 MB of hex first.
            for byte in payload.iter().take(256) {
                hex.push_str(&format!("{byte:02x}"));
            }
            hex
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(topic: &str, payload: &[u8], retain: bool) -> Message {
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

    #[test]
    fn a_tree_with_levels_retained_marks_and_cut_payloads() {
        let mut tree = Tree::default();
        let mut sink = Vec::new();
        for (topic, payload, retain) in [
            ("plant/line1/temp", &b"21.5"[..], true),
            ("plant/line1/temp", b"21.7", false),
            ("plant/line1/temp", b"21.9", false),
            (
                "plant/status",
                b"a long status text that does not fit",
                false,
            ),
            ("plant", b"\x00\xff", true),
            ("plant-b/x", b"", true),
            ("plant/line1/t\n", b"two\nlines", false),
        ] {
            tree.write(&mut sink, &message(topic, payload, retain))
                .unwrap();
        }
        assert!(sink.is_empty());
        let layout = Layout {
            colour: false,
            width: 60,
            watched: Duration::from_secs(2),
        };
        let mut out = Vec::new();
        tree.print(&mut out, &layout).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\
TOPIC    MESSAGES   RATE/S    BYTES RETAINED LAST PAYLOAD
plant           1     0.00        2 retained 0x00ff
  line1
    t\\n         1     0.50        9          two\\nlines
    temp        3     1.00        4 retained 21.9
  status        1     0.50       36          a long status …
plant-b
  x             1     0.00        0 retained (null)
"
        );
        let mut out = Vec::new();
        tree.print_json(&mut out, Duration::from_secs(2)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text.lines().next().unwrap(),
            r#"{"topic":"plant","messages":1,"rate":0.0,"retained":true,"last_payload_bytes":2,"last_payload":"AP8=","last_payload_encoding":"base64"}"#
        );
        assert!(text.contains(r#"{"topic":"plant-b/x","messages":1,"rate":0.0,"retained":true,"last_payload_bytes":0,"last_payload":null}"#));
    }
}
