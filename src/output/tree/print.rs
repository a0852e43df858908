//! The rows as an indented tree with a header line (statistics on the rows that count
//! something), or as one JSON object per such row. Payloads are shown one way in each medium:
//! text with control characters escaped, and binary as hex (as `-F %x`) in the tree; text, or
//! base64 with `"last_payload_encoding":"base64"` (as `sub --json`), in JSON.

use std::io::{self, Write};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;

use super::{Row, Totals, Tree};
use crate::colour::{DIM, MARK, NAME, RESET};
use crate::report::cut;

/// The topic column is as wide as the widest indented name, up to this.
const MAX_NAME_WIDTH: usize = 48;
/// The last payload gets at least this many characters, however narrow the terminal.
const MIN_PAYLOAD_WIDTH: usize = 12;

/// How to print the tree.
pub struct Layout {
    pub colour: bool,
    /// Characters a line may take.
    pub width: usize,
    /// How long ls watched: the rate's denominator.
    pub watched: Duration,
    pub sort: super::SortBy,
    /// Levels shown; deeper ones are summed into their parent at this depth.
    pub depth: Option<usize>,
}

impl Layout {
    fn rate(&self, totals: &Totals) -> f64 {
        match self.watched.as_secs_f64() {
            secs if secs > 0.0 => totals.live as f64 / secs,
            _ => 0.0,
        }
    }
}

impl Tree {
    /// The indented tree with a header line.
    pub fn print(&self, out: &mut dyn Write, layout: &Layout) -> io::Result<()> {
        let rows = self.rows(layout.sort, layout.depth);
        let name_width = rows
            .iter()
            .map(|row| label(row).chars().count())
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
        for row in &rows {
            let label = cut(&label(row), name_width);
            let Some(totals) = &row.totals else {
                out.write_all(label.as_bytes())?;
                out.write_all(b"\n")?;
                continue;
            };
            paint(out, NAME, &label)?;
            let pad = name_width.saturating_sub(label.chars().count());
            write!(
                out,
                "{:pad$} {:>8} {:>8.2} {:>8} ",
                "",
                totals.messages,
                layout.rate(totals),
                totals.bytes
            )?;
            match totals.retained {
                true => paint(out, MARK, "retained")?,
                false => out.write_all(b"        ")?,
            }
            out.write_all(b" ")?;
            let last = match &totals.last {
                Some(last) => shown_payload(last),
                None => format!("({} topics)", totals.topics),
            };
            out.write_all(cut(&last, payload_width).as_bytes())?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    /// One JSON object per row that counts something, in the tree's order.
    pub fn print_json(&self, out: &mut dyn Write, layout: &Layout) -> io::Result<()> {
        for row in self.rows(layout.sort, layout.depth) {
            let Some(totals) = &row.totals else {
                continue;
            };
            let last = totals.last.as_deref().unwrap_or_default();
            let text = std::str::from_utf8(last).ok();
            let base64 = text.is_none().then(|| BASE64.encode(last));
            let record = TopicJson {
                topic: &row.topic,
                topics: row.folded.then_some(totals.topics),
                messages: totals.messages,
                rate: (layout.rate(totals) * 1000.0).round() / 1000.0,
                retained: totals.retained,
                last_payload_bytes: totals.bytes,
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
    /// The topic, or `a/b/#` for a subtree summed under --depth.
    topic: &'a str,
    /// How many topics a summed subtree holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    topics: Option<usize>,
    messages: u64,
    /// Live messages per second over the watch (retained ones are not traffic).
    rate: f64,
    retained: bool,
    last_payload_bytes: usize,
    last_payload: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_payload_encoding: Option<&'static str>,
}

/// The name as indented in the tree; a summed subtree ends in `/#`.
fn label(row: &Row) -> String {
    let name = shown_name(&row.name);
    let name = match row.folded {
        true => format!("{name}/#"),
        false => name,
    };
    format!("{:indent$}{name}", "", indent = 2 * row.depth)
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
