//! A payload as the topic view shows it: JSON pretty-printed and coloured, text as text
//! (control characters escaped), anything else as a hex dump; and the number a chart plots:
//! the payload itself, or a numeric field of a JSON object.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use serde_json::Value;

/// Payloads larger than this are not parsed as JSON: the view redraws many times a second.
const PARSED_AT_MOST: usize = 256 * 1024;

/// Lines of a payload, at most `limit` of them, for a pane `width` columns wide.
pub fn lines(payload: &[u8], limit: usize, width: usize) -> Vec<Line<'static>> {
    if payload.is_empty() {
        return vec![Line::styled("(empty)", dim())];
    }
    if let Some(value) = json(payload) {
        let text = serde_json::to_string_pretty(&value).unwrap_or_default();
        return text.lines().take(limit).map(coloured_json).collect();
    }
    match std::str::from_utf8(payload) {
        Ok(text) => text
            .lines()
            .take(limit)
            .map(|line| Line::raw(crate::report::escape_controls(line)))
            .collect(),
        Err(_) => hex_dump(payload, limit, width)
            .into_iter()
            .map(Line::raw)
            .collect(),
    }
}

/// A JSON object or array (a bare number or string reads better as text).
pub fn json(payload: &[u8]) -> Option<Value> {
    if payload.len() > PARSED_AT_MOST {
        return None;
    }
    match payload.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | Some(b'[') => serde_json::from_slice(payload).ok(),
        _ => None,
    }
}

/// What the payload is, in a word.
pub fn kind(payload: &[u8]) -> &'static str {
    if payload.is_empty() {
        "empty"
    } else if json(payload).is_some() {
        "JSON"
    } else if let Ok(text) = std::str::from_utf8(payload) {
        match text.trim().parse::<f64>() {
            Ok(_) => "number",
            Err(_) => "text",
        }
    } else {
        "binary"
    }
}

/// `offset  hex bytes  |ascii|`: 16 bytes a line, or 8 or 4 when `width` is narrower.
pub fn hex_dump(payload: &[u8], limit: usize, width: usize) -> Vec<String> {
    let per_line = match width {
        78.. => 16,
        46.. => 8,
        _ => 4,
    };
    payload
        .chunks(per_line)
        .take(limit)
        .enumerate()
        .map(|(row, chunk)| {
            let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
            let ascii: String = chunk
                .iter()
                .map(|&b| match b {
                    0x20..=0x7e => b as char,
                    _ => '.',
                })
                .collect();
            let hex_width = per_line * 3 - 1;
            format!(
                "{:08x}  {:<hex_width$}  |{ascii}|",
                row * per_line,
                hex.join(" ")
            )
        })
        .collect()
}

/// One line of pretty-printed JSON, keys, strings, numbers and literals coloured.
fn coloured_json(line: &str) -> Line<'static> {
    let indent = line.len() - line.trim_start().len();
    let rest = line.trim_start();
    let mut spans = vec![Span::raw(" ".repeat(indent))];
    let (key, value) = match rest.strip_prefix('"').and_then(|r| split_key(r)) {
        Some((key, value)) => (Some(key), value),
        None => (None, rest),
    };
    if let Some(key) = key {
        spans.push(Span::styled(
            format!("\"{key}\""),
            Style::default().fg(Color::Cyan),
        ));
        spans.push(Span::raw(": "));
    }
    let (body, comma) = match value.strip_suffix(',') {
        Some(body) => (body, ","),
        None => (value, ""),
    };
    let style = match body.chars().next() {
        Some('"') => Style::default().fg(Color::Green),
        Some('0'..='9' | '-') => Style::default().fg(Color::Yellow),
        Some('t' | 'f' | 'n') => Style::default().fg(Color::Magenta),
        _ => Style::default(),
    };
    spans.push(Span::styled(body.to_string(), style));
    spans.push(Span::raw(comma));
    Line::from(spans)
}

/// `key": value` after the opening quote: the key, and what follows `": `.
fn split_key(rest: &str) -> Option<(String, &str)> {
    let mut escaped = false;
    for (at, c) in rest.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => {
                let value = rest[at + 1..].strip_prefix(": ")?;
                return Some((rest[..at].to_string(), value));
            }
            _ => escaped = false,
        }
    }
    None
}

/// The numbers a chart can plot from this payload: `""` for a payload that is a number itself,
/// else the paths of a JSON object's numeric fields (`temp`, `sensor.temp`).
pub fn numeric_fields(payload: &[u8]) -> Vec<String> {
    if number(payload, "").is_some() {
        return vec![String::new()];
    }
    let Some(Value::Object(object)) = json(payload) else {
        return Vec::new();
    };
    let mut fields = Vec::new();
    for (key, value) in &object {
        match value {
            Value::Number(_) => fields.push(key.clone()),
            Value::Object(inner) => fields.extend(
                inner
                    .iter()
                    .filter(|(_, v)| v.is_number())
                    .map(|(k, _)| format!("{key}.{k}")),
            ),
            _ => {}
        }
    }
    fields
}

/// The value of `field` (see `numeric_fields`) in this payload.
pub fn number(payload: &[u8], field: &str) -> Option<f64> {
    if field.is_empty() {
        return std::str::from_utf8(payload)
            .ok()?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite());
    }
    let value = json(payload)?;
    let found = field
        .split('.')
        .try_fold(&value, |v, key| v.as_object()?.get(key))?;
    found.as_f64()
}

fn dim() -> Style {
    Style::default().add_modifier(Modifier::DIM)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn json_text_and_binary_each_their_way() {
        assert_eq!(
            text(&lines(br#"{"a":1,"b":"x"}"#, 10, 80)),
            ["{", "  \"a\": 1,", "  \"b\": \"x\"", "}"]
        );
        assert_eq!(
            text(&lines(b"line one\nline\ttwo", 10, 80)),
            ["line one", "line\\ttwo"]
        );
        assert_eq!(
            hex_dump(b"moth\x00\xff", 5, 80),
            ["00000000  6d 6f 74 68 00 ff                                |moth..|"]
        );
        assert_eq!(kind(b"\xff"), "binary");
        assert_eq!(kind(b"21.5"), "number");
        assert_eq!(kind(b"21.5 C"), "text");
        assert_eq!(
            hex_dump(b"moth\x00\xff", 5, 50),
            ["00000000  6d 6f 74 68 00 ff        |moth..|"]
        );
    }

    #[test]
    fn numbers_from_payloads_and_json_fields() {
        assert_eq!(numeric_fields(b" 21.5 "), [""]);
        assert_eq!(number(b" 21.5 ", ""), Some(21.5));
        let reading = br#"{"t":20.5,"id":"x","env":{"rh":41,"ok":true}}"#;
        assert_eq!(numeric_fields(reading), ["t", "env.rh"]);
        assert_eq!(number(reading, "env.rh"), Some(41.0));
        assert_eq!(number(b"nan", ""), None);
        assert!(numeric_fields(b"hello").is_empty());
    }
}
