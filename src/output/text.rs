//! mosquitto_sub's default output: the payload bytes and a newline; with -v, `topic payload`.
//! An empty payload prints nothing (with -v: `topic (null)`), exactly as mosquitto_sub does.

use std::io::{self, Write};

use super::Format;
use crate::connect::Message;

pub struct TextFormat {
    pub verbose: bool,
    pub newline: bool,
}

impl Format for TextFormat {
    fn write(&mut self, out: &mut dyn Write, message: &Message) -> io::Result<()> {
        let eol: &[u8] = if self.newline { b"\n" } else { b"" };
        match (self.verbose, message.payload.is_empty()) {
            (false, true) => Ok(()),
            (false, false) => {
                out.write_all(&message.payload)?;
                out.write_all(eol)
            }
            (true, false) => {
                out.write_all(&message.topic)?;
                out.write_all(b" ")?;
                out.write_all(&message.payload)?;
                out.write_all(eol)
            }
            (true, true) if self.newline => {
                out.write_all(&message.topic)?;
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

    fn render(verbose: bool, newline: bool, payload: &'static [u8]) -> Vec<u8> {
        let message = Message {
            topic: Bytes::from_static(b"a/b"),
            payload: Bytes::from_static(payload),
            qos: 0,
            retain: false,
            dup: false,
            packet_id: 0,
            properties: None,
        };
        let mut out = Vec::new();
        TextFormat { verbose, newline }
            .write(&mut out, &message)
            .unwrap();
        out
    }

    #[test]
    fn matches_mosquitto_sub() {
        assert_eq!(render(false, true, b"hi"), b"hi\n");
        assert_eq!(render(false, true, b""), b"");
        assert_eq!(render(true, true, b"hi"), b"a/b hi\n");
        assert_eq!(render(true, true, b""), b"a/b (null)\n");
        assert_eq!(render(false, false, b"hi"), b"hi");
        assert_eq!(render(true, false, b""), b"");
        assert_eq!(render(false, true, b"\x00\xff"), b"\x00\xff\n");
    }
}
