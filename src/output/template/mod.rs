//! `-F` format strings, as mosquitto_sub documents them. The string is compiled once at start
//! into parts; writing a message walks the parts without parsing or allocating per part.

use std::io::{self, Write};
use std::time::SystemTime;

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, Local};

use super::json::{self, JsonStyle};
use super::{Format, StackText};
use crate::message::Message;

mod fields;
use fields::field;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    Percent,
    TopicAlias,
    ContentType,
    CorrelationData,
    MessageExpiry,
    PayloadFormat,
    UserProperties,
    ResponseTopic,
    SubscriptionId,
    IsoTime,
    Json,
    JsonInline,
    Length,
    PacketId,
    Payload,
    Qos,
    Retain,
    Topic,
    UnixTime,
    Hex,
    HexUpper,
    Double,
    Float,
}

impl Code {
    fn from_char(c: char) -> Option<Code> {
        Some(match c {
            '%' => Code::Percent,
            'A' => Code::TopicAlias,
            'C' => Code::ContentType,
            'D' => Code::CorrelationData,
            'E' => Code::MessageExpiry,
            'F' => Code::PayloadFormat,
            'P' => Code::UserProperties,
            'R' => Code::ResponseTopic,
            'S' => Code::SubscriptionId,
            'I' => Code::IsoTime,
            'j' => Code::Json,
            'J' => Code::JsonInline,
            'l' => Code::Length,
            'm' => Code::PacketId,
            'p' => Code::Payload,
            'q' => Code::Qos,
            'r' => Code::Retain,
            't' => Code::Topic,
            'U' => Code::UnixTime,
            'x' => Code::Hex,
            'X' => Code::HexUpper,
            'd' => Code::Double,
            'f' => Code::Float,
            _ => return None,
        })
    }

    fn needs_time(self) -> bool {
        matches!(
            self,
            Code::IsoTime | Code::Json | Code::JsonInline | Code::UnixTime
        )
    }
}

/// Modifiers between `%` and the code: `-` left-aligns, `0` pads with zeros, then a minimum
/// width, then `.N` (a maximum width for strings; nibbles per group for `%x`, with an optional
/// separator character before the code).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Spec {
    left: bool,
    zero: bool,
    width: usize,
    precision: Option<usize>,
    separator: Option<u8>,
}

#[derive(Debug)]
enum Part {
    Literal(Box<[u8]>),
    Field(Code, Spec),
    /// `@X`: one strftime code, in local time.
    Time(Vec<Item<'static>>),
    /// `@N`: nanoseconds of the current second.
    Nanos,
}

#[derive(Debug)]
pub struct Template {
    parts: Vec<Part>,
    needs_time: bool,
    newline: bool,
    json: JsonStyle,
}

impl Template {
    /// Compile a `-F` string. `newline` is the end-of-line after each message (off with `-N`).
    pub fn compile(format: &str, newline: bool, pretty: bool) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut literal: Vec<u8> = Vec::new();
        let mut chars = format.chars().peekable();
        let flush = |literal: &mut Vec<u8>, parts: &mut Vec<Part>| {
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(literal).into_boxed_slice()));
            }
        };
        while let Some(c) = chars.next() {
            match c {
                '%' => {
                    let mut spec = Spec::default();
                    if chars.peek() == Some(&'-') {
                        spec.left = true;
                        chars.next();
                    }
                    if chars.peek() == Some(&'0') {
                        spec.zero = true;
                        chars.next();
                    }
                    spec.width = digits(&mut chars).unwrap_or(0);
                    if chars.peek() == Some(&'.') {
                        chars.next();
                        spec.precision = Some(digits(&mut chars).unwrap_or(0));
                        if let Some(&sep) = chars.peek()
                            && !matches!(sep, 'x' | 'X')
                            && sep.is_ascii_punctuation()
                            && sep != '%'
                        {
                            chars.next();
                            if matches!(chars.peek(), Some('x' | 'X')) {
                                spec.separator = Some(sep as u8);
                            } else {
                                return Err(format!(
                                    "a separator ('{sep}') is only allowed before x or X, as in %.2:x"
                                ));
                            }
                        }
                    }
                    let Some(letter) = chars.next() else {
                        return Err("it ends with an unfinished % code".into());
                    };
                    let code =
                        Code::from_char(letter).ok_or_else(|| format!("unknown code %{letter}"))?;
                    if code == Code::Percent {
                        literal.push(b'%');
                        continue;
                    }
                    if spec.precision == Some(0) && matches!(code, Code::Hex | Code::HexUpper) {
                        return Err(format!(
                            "%.0{letter} groups no nibbles: use %.1{letter} or more"
                        ));
                    }
                    flush(&mut literal, &mut parts);
                    parts.push(Part::Field(code, spec));
                }
                '@' => {
                    let Some(letter) = chars.next() else {
                        return Err("it ends with an unfinished @ code".into());
                    };
                    match letter {
                        '@' => literal.push(b'@'),
                        'N' => {
                            flush(&mut literal, &mut parts);
                            parts.push(Part::Nanos);
                        }
                        other => {
                            let text = format!("%{other}");
                            let items = StrftimeItems::new(&text)
                                .parse_to_owned()
                                .ok()
                                .filter(|items| !items.iter().any(|i| matches!(i, Item::Error)))
                                .ok_or_else(|| format!("unknown time code @{other}"))?;
                            flush(&mut literal, &mut parts);
                            parts.push(Part::Time(items));
                        }
                    }
                }
                '\\' => {
                    let byte = match chars.next() {
                        Some('\\') => b'\\',
                        Some('0') => 0,
                        Some('a') => 7,
                        Some('e') => 27,
                        Some('n') => b'\n',
                        Some('r') => b'\r',
                        Some('t') => b'\t',
                        Some('v') => 11,
                        Some(other) => return Err(format!("unknown escape \\{other}")),
                        None => return Err("it ends with a lone \\".into()),
                    };
                    literal.push(byte);
                }
                other => {
                    let mut buf = [0u8; 4];
                    literal.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        flush(&mut literal, &mut parts);
        let needs_time = parts.iter().any(|p| match p {
            Part::Field(code, _) => code.needs_time(),
            Part::Time(_) | Part::Nanos => true,
            Part::Literal(_) => false,
        });
        Ok(Template {
            parts,
            needs_time,
            newline,
            json: JsonStyle { pretty },
        })
    }
}

/// A decimal number, capped at 65535: Rust's formatting machinery panics on larger widths.
fn digits(chars: &mut std::iter::Peekable<std::str::Chars>) -> Option<usize> {
    let mut value: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        chars.next();
        let next = value
            .unwrap_or(0)
            .saturating_mul(10)
            .saturating_add(d as usize);
        value = Some(next.min(u16::MAX as usize));
    }
    value
}

/// The time a message is printed, computed at most once per message.
struct Now {
    system: SystemTime,
    local: Option<DateTime<Local>>,
}

impl Now {
    fn local(&mut self) -> &DateTime<Local> {
        self.local
            .get_or_insert_with(|| DateTime::<Local>::from(self.system))
    }

    fn nanos(&self) -> u32 {
        self.system
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default()
    }
}

impl Format for Template {
    fn write(&mut self, out: &mut dyn Write, message: &Message) -> io::Result<()> {
        let mut now = self.needs_time.then(|| Now {
            system: SystemTime::now(),
            local: None,
        });
        for part in &self.parts {
            match part {
                Part::Literal(bytes) => out.write_all(bytes)?,
                Part::Nanos => {
                    let nanos = now.as_ref().map(Now::nanos).unwrap_or_default();
                    write!(out, "{nanos:09}")?;
                }
                Part::Time(items) => {
                    if let Some(now) = now.as_mut() {
                        write!(out, "{}", now.local().format_with_items(items.iter()))?;
                    }
                }
                Part::Field(code, spec) => {
                    field(out, *code, spec, message, now.as_mut(), self.json)?
                }
            }
        }
        if self.newline {
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Properties;
    use bytes::Bytes;

    fn message(payload: &'static [u8]) -> Message {
        Message {
            topic: Bytes::from_static(b"a/topic"),
            payload: Bytes::from_static(payload),
            qos: 1,
            retain: true,
            dup: false,
            packet_id: 7,
            properties: None,
            connection: 0,
        }
    }

    fn render(format: &str, message: &Message) -> Vec<u8> {
        let mut template = Template::compile(format, false, false).unwrap();
        let mut out = Vec::new();
        template.write(&mut out, message).unwrap();
        out
    }

    #[test]
    fn codes_and_modifiers() {
        let m = message(b"mes");
        assert_eq!(render("%t %p %q %r %l %m %%", &m), b"a/topic mes 1 1 3 7 %");
        assert_eq!(
            render("%x|%X|%.2:x|%.4x|%.1-X", &m),
            b"6d6573|6D6573|6d:65:73|6d65 73|6-D-6-5-7-3"
        );
        assert_eq!(render("[%5l][%-5l][%05l]", &m), b"[    3][3    ][00003]");
        assert_eq!(
            render("[%10t][%-10t][%.3t][%5.2t]", &m),
            b"[   a/topic][a/topic   ][a/t][   a/]"
        );
        assert_eq!(
            render("[%5p][%-5p][%2p][%05p]", &m),
            b"[  mes][mes  ][me][00mes]"
        );
        assert_eq!(
            render("[%8x][%-8x][%4x]", &m),
            b"[  6d6573][6d6573  ][6d65]"
        );
        assert_eq!(
            render("\\t\\\\\\e\\0\\a\\v\\r\\n", &m),
            b"\t\\\x1b\0\x07\x0b\r\n"
        );
        assert_eq!(render("@@ 100%%", &m), b"@ 100%");
    }

    #[test]
    fn absent_properties_print_blank() {
        let m = message(b"x");
        assert_eq!(
            render("[%A][%3A][%03E][%C][%4C][%R][%D][%P][%S][%F]", &m),
            b"[][   ][000][][    ][][][][][]"
        );
    }

    #[test]
    fn properties() {
        let mut m = message(b"x");
        m.properties = Some(Box::new(Properties {
            payload_format_indicator: Some(1),
            message_expiry_interval: Some(30),
            topic_alias: Some(3),
            response_topic: Some("reply/here".into()),
            correlation_data: Some(Bytes::from_static(b"c0rr")),
            user_properties: vec![("k".into(), "v".into()), ("k".into(), "w".into())],
            subscription_identifiers: vec![42],
            content_type: Some("text/plain".into()),
        }));
        assert_eq!(
            render("%A|%C|%D|%E|%F|%P|%R|%S|%.4C|%-12R|", &m),
            b"3|text/plain|c0rr|30|1|k:v k:w|reply/here|42|text|reply/here  |"
        );
    }

    #[test]
    fn huge_widths_are_capped_not_a_panic() {
        let m = message(b"x");
        assert_eq!(render("%999999l", &m).len(), 65535);
        assert_eq!(render("%.999999t", &m), b"a/topic");
    }

    #[test]
    fn floats() {
        let m = message(b"\x00\x00\x00\x00\x00\x00\xf8\x3f");
        assert_eq!(render("%d|%.2d|%8.1d", &m), b"1.500000|1.50|     1.5");
        let f = message(b"\x00\x00\xc0\x3f");
        assert_eq!(render("%f|%d", &f), b"1.500000|");
    }

    #[test]
    fn unknown_codes_are_refused_by_name() {
        assert_eq!(
            Template::compile("%Z", true, false).unwrap_err(),
            "unknown code %Z"
        );
        assert_eq!(
            Template::compile("@Q", true, false).unwrap_err(),
            "unknown time code @Q"
        );
        assert_eq!(
            Template::compile("\\q", true, false).unwrap_err(),
            "unknown escape \\q"
        );
        assert_eq!(
            Template::compile("abc%", true, false).unwrap_err(),
            "it ends with an unfinished % code"
        );
        assert!(Template::compile("%.2:p", true, false).is_err());
    }

    #[test]
    fn newline_is_added_unless_turned_off() {
        let m = message(b"x");
        let mut template = Template::compile("%p", true, false).unwrap();
        let mut out = Vec::new();
        template.write(&mut out, &m).unwrap();
        assert_eq!(out, b"x\n");
    }
}
