//! `moth ls`: the topics seen, counted as messages arrive (`Tree`), read as rows (view.rs:
//! nesting, order, depth) and printed (print.rs: an indented tree, or one JSON object per row).

mod print;
mod view;

use std::collections::BTreeMap;
use std::io::{self, Write};

use bytes::Bytes;

use super::Format;
use crate::message::Message;

pub use print::Layout;
pub use view::{Row, SortBy, Totals, rows};

#[derive(Default)]
pub(crate) struct Stats {
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

impl Stats {
    fn totals(&self) -> Totals {
        Totals {
            messages: self.messages,
            live: self.live,
            bytes: self.last.len(),
            retained: self.retained,
            topics: 1,
            last: Some(self.last.clone()),
        }
    }
}

impl Tree {
    /// The rows to show, siblings in `sort` order, nothing deeper than `depth` levels.
    pub fn rows(&self, sort: SortBy, depth: Option<usize>) -> Vec<Row> {
        rows(&self.topics, sort, depth)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn message(topic: &str, payload: &[u8], retain: bool) -> Message {
        Message::sample(topic, payload, retain)
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
            sort: SortBy::Name,
            depth: None,
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
        tree.print_json(&mut out, &layout).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text.lines().next().unwrap(),
            r#"{"topic":"plant","messages":1,"rate":0.0,"retained":true,"last_payload_bytes":2,"last_payload":"AP8=","last_payload_encoding":"base64"}"#
        );
        assert!(text.contains(r#"{"topic":"plant-b/x","messages":1,"rate":0.0,"retained":true,"last_payload_bytes":0,"last_payload":null}"#));
    }
}
