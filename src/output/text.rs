//! mosquitto_sub's default output: the payload bytes and a newline; with -v, `topic payload`.
//! An empty payload prints nothing (with -v: `topic (null)`), exactly as mosquitto_sub does.
//! On a colour terminal the topic is coloured, and nothing else changes: a line copied from the
//! terminal is mosquitto_sub's line, and what `pub --topic-lines` reads back (`-F '%t %q %r %p'`
//! shows QoS and retain).

use std::io::{self, Write};
use std::time::SystemTime;

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, Local};

use super::Format;
use crate::colour::{DIM, NAME, RESET};
use crate::message::Message;

#[derive(Default)]
pub struct TextFormat {
    pub verbose: bool,
    pub newline: bool,
    pub colour: bool,
    /// `--timestamp`: the receive time before each line.
    timestamp: Option<Vec<Item<'static>>>,
}

impl TextFormat {
    pub fn new(verbose: bool, newline: bool, colour: bool, timestamp: bool) -> TextFormat {
        TextFormat {
            verbose,
            newline,
            colour,
            timestamp: timestamp.then(|| {
                StrftimeItems::new("%Y-%m-%dT%H:%M:%S%.6f%:z ")
                    .parse_to_owned()
                    .unwrap_or_default()
            }),
        }
    }

    fn stamp(&self, out: &mut dyn Write) -> io::Result<()> {
        if let Some(items) = &self.timestamp {
            let now = DateTime::<Local>::from(SystemTime::now());
            if self.colour {
                out.write_all(DIM)?;
            }
            write!(out, "{}", now.format_with_items(items.iter()))?;
            if self.colour {
                out.write_all(RESET)?;
            }
        }
        Ok(())
    }

    fn topic(&self, out: &mut dyn Write, message: &Message) -> io::Result<()> {
        if !self.colour {
            return out.write_all(&message.topic);
        }
        out.write_all(NAME)?;
        out.write_all(&message.topic)?;
        out.write_all(RESET)
    }
}

impl Format for TextFormat {
    fn write(&mut self, out: &mut dyn Write, message: &Message) -> io::Result<()> {
        let eol: &[u8] = if self.newline { b"\n" } else { b"" };
        match (self.verbose, message.payload.is_empty()) {
            (false, true) => Ok(()),
            (false, false) => {
                self.stamp(out)?;
                out.write_all(&message.payload)?;
                out.write_all(eol)
            }
            (true, false) => {
                self.stamp(out)?;
                self.topic(out, message)?;
                out.write_all(b" ")?;
                out.write_all(&message.payload)?;
                out.write_all(eol)
            }
            (true, true) if self.newline => {
                self.stamp(out)?;
                self.topic(out, message)?;
                out.write_all(b" (null)\n")
            }
            (true, true) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn message(payload: &'static [u8]) -> Message {
        Message {
            topic: Bytes::from_static(b"a/b"),
            payload: Bytes::from_static(payload),
            qos: 1,
            retain: true,
            dup: false,
            packet_id: 0,
            properties: None,
            connection: 0,
        }
    }

    fn render(format: &mut TextFormat, payload: &'static [u8]) -> Vec<u8> {
        let mut out = Vec::new();
        format.write(&mut out, &message(payload)).unwrap();
        out
    }

    #[test]
    fn matches_mosquitto_sub() {
        let plain = |verbose, newline| TextFormat::new(verbose, newline, false, false);
        assert_eq!(render(&mut plain(false, true), b"hi"), b"hi\n");
        assert_eq!(render(&mut plain(false, true), b""), b"");
        assert_eq!(render(&mut plain(true, true), b"hi"), b"a/b hi\n");
        assert_eq!(render(&mut plain(true, true), b""), b"a/b (null)\n");
        assert_eq!(render(&mut plain(false, false), b"hi"), b"hi");
        assert_eq!(render(&mut plain(true, false), b""), b"");
        assert_eq!(render(&mut plain(false, true), b"\x00\xff"), b"\x00\xff\n");
    }

    #[test]
    fn colour_marks_topic_qos_and_retain_but_never_the_payload() {
        let out = render(
            &mut TextFormat::new(true, true, true, false),
            b"\x1b[31mraw",
        );
        assert_eq!(out, b"\x1b[36ma/b\x1b[0m \x1b[31mraw\n");
    }

    #[test]
    fn timestamp_prefixes_the_line() {
        let out = render(&mut TextFormat::new(false, true, false, true), b"hi");
        let text = String::from_utf8(out).unwrap();
        // 2026-11-24T19:42:52.406622+00:00 hi
        assert_eq!(
            text.len(),
            "2026-11-24T19:42:52.406622+00:00 hi\n".len(),
            "{text}"
        );
        assert!(
            text.ends_with(" hi\n") && text.as_bytes()[10] == b'T',
            "{text}"
        );
    }
}
