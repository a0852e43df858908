//! `--template` (pub and bench): placeholders in -t and -m, compiled once and filled in for each
//! message.
//! `{seq}` message number from 1, `{ts}` RFC 3339 UTC with milliseconds, `{unix_ms}`, `{uuid}`
//! (one per message, the same in topic and payload), `{random:A-B}` (a whole number, drawn for
//! each occurrence), `{line}` (the -l line); `{{` and `}}` are braces.

use std::fmt::Write as _;
use std::time::SystemTime;

use chrono::{DateTime, Utc};

const KNOWN: &str = "{seq}, {ts}, {unix_ms}, {uuid}, {random:A-B}, {line}, or {{ and }} for braces";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(Vec<u8>),
    Seq,
    Ts,
    UnixMs,
    Uuid,
    Random(i64, i64),
    Line,
}

/// A compiled -t or -m.
#[derive(Debug, Clone)]
pub struct Pattern {
    parts: Vec<Part>,
}

impl Pattern {
    /// `flag` names the option in errors; `lines` says whether -l gives a {line}.
    pub fn compile(text: &[u8], flag: &str, lines: bool) -> Result<Pattern, String> {
        let mut parts = Vec::new();
        let mut literal = Vec::new();
        let mut rest = text;
        while let Some((&byte, tail)) = rest.split_first() {
            match (byte, tail.first()) {
                (b'{', Some(b'{')) | (b'}', Some(b'}')) => {
                    literal.push(byte);
                    rest = &tail[1..];
                }
                (b'{', _) => {
                    let Some(end) = tail.iter().position(|&b| b == b'}') else {
                        return Err(format!(
                            "an unclosed {{ in {flag}: write {{{{ for a literal brace"
                        ));
                    };
                    let name = String::from_utf8_lossy(&tail[..end]);
                    let part =
                        placeholder(&name, lines).map_err(|why| format!("{why} in {flag}"))?;
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(part);
                    rest = &tail[end + 1..];
                }
                (b'}', _) => {
                    return Err(format!(
                        "a lone }} in {flag}: write }}}} for a literal brace"
                    ));
                }
                _ => {
                    literal.push(byte);
                    rest = tail;
                }
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Pattern { parts })
    }

    pub fn uses_line(&self) -> bool {
        self.parts.contains(&Part::Line)
    }

    /// Append this pattern, filled in for `message`, to `out`.
    pub fn render(&self, message: &mut Fill, line: &[u8], out: &mut Vec<u8>) {
        for part in &self.parts {
            match part {
                Part::Text(text) => out.extend_from_slice(text),
                Part::Seq => push(out, format_args!("{}", message.seq)),
                Part::Ts => {
                    let ts = DateTime::<Utc>::from(message.at);
                    push(out, format_args!("{}", ts.format("%Y-%m-%dT%H:%M:%S%.3fZ")));
                }
                Part::UnixMs => {
                    let ms = message
                        .at
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .map(|d| d.as_millis())
                        .unwrap_or_default();
                    push(out, format_args!("{ms}"));
                }
                Part::Uuid => {
                    let uuid = message.uuid();
                    out.extend_from_slice(uuid.as_bytes());
                }
                Part::Random(low, high) => {
                    let value = message.random.between(*low, *high);
                    push(out, format_args!("{value}"));
                }
                Part::Line => out.extend_from_slice(line),
            }
        }
    }
}

fn push(out: &mut Vec<u8>, args: std::fmt::Arguments) {
    let mut text = String::new();
    let _ = text.write_fmt(args);
    out.extend_from_slice(text.as_bytes());
}

fn placeholder(name: &str, lines: bool) -> Result<Part, String> {
    Ok(match name {
        "seq" => Part::Seq,
        "ts" => Part::Ts,
        "unix_ms" => Part::UnixMs,
        "uuid" => Part::Uuid,
        "line" if lines => Part::Line,
        "line" => return Err("{line} needs -l (one message per stdin line)".into()),
        _ => match name.strip_prefix("random:") {
            Some(range) => {
                let (low, high) = range_of(range).ok_or_else(|| {
                    format!(
                        "{{{}}} is not a range: use {{random:A-B}} with whole numbers A <= B",
                        crate::report::shorten(name)
                    )
                })?;
                Part::Random(low, high)
            }
            None => {
                return Err(format!(
                    "unknown placeholder {{{}}} (use {KNOWN})",
                    crate::report::shorten(name)
                ));
            }
        },
    })
}

/// `A-B`, where A and B may be negative: `-5-5`, `-10--1`.
fn range_of(text: &str) -> Option<(i64, i64)> {
    let split = text
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c == '-')
        .map(|(at, _)| at)?;
    let low = text[..split].parse::<i64>().ok()?;
    let high = text[split + 1..].parse::<i64>().ok()?;
    (low <= high).then_some((low, high))
}

/// What one message's placeholders are filled in from.
pub struct Fill<'r> {
    pub seq: u64,
    pub at: SystemTime,
    uuid: Option<String>,
    random: &'r mut Random,
}

impl<'r> Fill<'r> {
    pub fn new(seq: u64, random: &'r mut Random) -> Fill<'r> {
        Fill {
            seq,
            at: SystemTime::now(),
            uuid: None,
            random,
        }
    }

    /// A random (version 4) UUID, the same for every {uuid} of this message.
    fn uuid(&mut self) -> &str {
        if self.uuid.is_none() {
            let (high, low) = (self.random.next(), self.random.next());
            let high = (high & !0xf000) | 0x4000;
            let low = (low & !(0b11 << 62)) | (0b10 << 62);
            self.uuid = Some(format!(
                "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                high >> 32,
                (high >> 16) & 0xffff,
                high & 0xffff,
                low >> 48,
                low & 0xffff_ffff_ffff
            ));
        }
        self.uuid.as_deref().unwrap_or_default()
    }
}

/// splitmix64, seeded from the OS's per-process randomness: plenty for test data and ids.
pub struct Random(u64);

impl Random {
    pub fn new() -> Random {
        Random(crate::random::random_u64())
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A whole number from `low` to `high`, both included.
    fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = (high as i128 - low as i128 + 1) as u128;
        (low as i128 + (self.next() as u128 % span) as i128) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(pattern: &str, seq: u64, line: &str) -> String {
        let mut random = Random::new();
        let mut fill = Fill::new(seq, &mut random);
        let mut out = Vec::new();
        Pattern::compile(pattern.as_bytes(), "-m", true)
            .unwrap()
            .render(&mut fill, line.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn placeholders_and_braces() {
        assert_eq!(render("n={seq} {{x}} {line}", 7, "hi"), "n=7 {x} hi");
        assert_eq!(render("plain", 1, ""), "plain");
        let ts = render("{ts}", 1, "");
        assert!(
            DateTime::parse_from_rfc3339(&ts).is_ok() && ts.len() == 24,
            "{ts}"
        );
        let ms: u128 = render("{unix_ms}", 1, "").parse().unwrap();
        assert!(ms > 1_700_000_000_000);
        let both = render("{uuid} {uuid}", 1, "");
        let (a, b) = both.split_once(' ').unwrap();
        assert_eq!(a, b, "one uuid per message");
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
        for _ in 0..200 {
            let n: i64 = render("{random:-2-3}", 1, "").parse().unwrap();
            assert!((-2..=3).contains(&n));
        }
        assert_eq!(render("{random:5-5}", 1, ""), "5");
        // The full i64 range does not overflow.
        let any = render("{random:-9223372036854775808-9223372036854775807}", 1, "");
        assert!(any.parse::<i64>().is_ok());
    }

    #[test]
    fn mistakes_are_named() {
        let err = |p: &str, lines| Pattern::compile(p.as_bytes(), "-t", lines).unwrap_err();
        assert_eq!(
            err("a/{nope}", true),
            "unknown placeholder {nope} (use {seq}, {ts}, {unix_ms}, {uuid}, {random:A-B}, {line}, or {{ and }} for braces) in -t"
        );
        assert_eq!(
            err("{line}", false),
            "{line} needs -l (one message per stdin line) in -t"
        );
        assert_eq!(
            err("{seq", true),
            "an unclosed { in -t: write {{ for a literal brace"
        );
        assert_eq!(
            err("a}", true),
            "a lone } in -t: write }} for a literal brace"
        );
        assert_eq!(
            err("{random:5-1}", true),
            "{random:5-1} is not a range: use {random:A-B} with whole numbers A <= B in -t"
        );
    }
}
