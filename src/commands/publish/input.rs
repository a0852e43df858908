//! Where pub's messages come from and when they go: one payload (-m, -f, -s, -n) sent --repeat
//! times, or one message per stdin line (-l, --jsonl, --topic-lines); paced by --rate or
//! --replay, filled in by --template. A bad line stops the input with an error naming it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, FixedOffset};
use tokio::io::AsyncReadExt;
use tokio::sync::watch;

use super::Defaults;
use super::jsonl;
use super::pace::Schedule;
use crate::commands::placeholders::{Fill, Pattern, Random};
use crate::commands::{check_message_size, max_payload};
use crate::connect::{OutgoingPublish, Publisher};
use crate::exit::{Failure, Result};
use crate::limits::MAX_PACKET_SIZE;
use crate::report::quote;

/// stdin is read in chunks of this size; lines are cut out of them without copying.
const READ_CHUNK: usize = 64 * 1024;

pub enum Input {
    /// -m, -f, -s or -n: one payload, sent `repeat` times.
    Single {
        payload: Bytes,
        repeat: u64,
        delay: Option<Duration>,
    },
    /// One message per stdin line.
    Lines(LineFormat),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum LineFormat {
    /// -l: the line is the payload.
    Payload,
    /// --jsonl: the line is a `sub --json` record.
    Jsonl,
    /// --topic-lines: `TOPIC PAYLOAD`.
    TopicPayload,
}

impl LineFormat {
    pub fn flag(self) -> &'static str {
        match self {
            LineFormat::Payload => "-l",
            LineFormat::Jsonl => "--jsonl",
            LineFormat::TopicPayload => "--topic-lines",
        }
    }
}

/// --template: -t and -m as patterns (either may be plain).
pub struct Patterns {
    pub topic: Option<Pattern>,
    pub payload: Option<Pattern>,
}

/// Everything the producer task needs.
pub struct Producer {
    pub source: Input,
    pub defaults: Defaults,
    pub template: Option<Patterns>,
    pub schedule: Schedule,
    pub publisher: Publisher,
    /// Messages handed to the session so far (lines read, for the interrupt note).
    pub queued: std::sync::Arc<AtomicU64>,
    /// Messages delivered so far: --repeat without --rate waits for each.
    pub delivered: watch::Receiver<u64>,
}

impl Producer {
    /// Publish everything; `Err` on bad input, which stops it.
    pub async fn run(mut self) -> Result<()> {
        let done = match std::mem::replace(&mut self.source, Input::Lines(LineFormat::Payload)) {
            Input::Single {
                payload,
                repeat,
                delay,
            } => self.single(payload, repeat, delay).await,
            Input::Lines(format) => self.lines(format).await,
        };
        // Said here, right after the last message, so that a last QoS 0 message and the
        // DISCONNECT leave together.
        self.publisher.close();
        done
    }

    async fn single(&mut self, payload: Bytes, repeat: u64, delay: Option<Duration>) -> Result<()> {
        let mut random = Random::new();
        for n in 1..=repeat {
            self.schedule
                .wait(n - 1, None)
                .await
                .map_err(Failure::usage)?;
            let message = match &self.template {
                Some(template) => self
                    .fill(template, n, &payload, &mut random)
                    .map_err(|why| Failure::usage(format!("message {n}: {why}")))?,
                None => self.defaults.with(payload.clone()),
            };
            self.queued.store(n, Ordering::Release);
            if self.publisher.publish(message).await.is_err() || n == repeat {
                break;
            }
            // As mosquitto_pub: the next repeat starts after this one is delivered. --rate
            // keeps its own schedule instead.
            if self.schedule.is_free() {
                if self.delivered.wait_for(|&d| d >= n).await.is_err() {
                    break;
                }
                if let Some(delay) = delay {
                    tokio::time::sleep(delay).await;
                }
            }
        }
        Ok(())
    }

    async fn lines(&mut self, format: LineFormat) -> Result<()> {
        let longest = match format {
            // A line that no MQTT packet can carry stops the input, rather than being buffered
            // without bound and then failing inside the connection.
            LineFormat::Payload if self.template.is_none() => max_payload(
                self.defaults.topic.as_deref().unwrap_or_default(),
                self.defaults.qos,
                self.defaults.properties.as_deref(),
            ),
            LineFormat::Payload | LineFormat::TopicPayload => MAX_PACKET_SIZE,
            // Base64 and JSON escapes make a record longer than its message.
            LineFormat::Jsonl => 2 * MAX_PACKET_SIZE,
        };
        let flag = format.flag();
        let mut reader = LineReader::new(longest, flag);
        let mut random = Random::new();
        let mut sent = 0u64;
        while let Some((n, line)) = reader.next().await? {
            let bad = |why: String| Failure::usage(format!("line {n} of stdin ({flag}): {why}"));
            // An empty line is an empty message with -l; in the other formats it holds none.
            if format != LineFormat::Payload && line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let (message, at) = match format {
                LineFormat::Payload => match &self.template {
                    Some(template) => (
                        self.fill(template, n, &line, &mut random).map_err(bad)?,
                        None,
                    ),
                    None => (self.defaults.with(line), None),
                },
                LineFormat::Jsonl => {
                    let record = jsonl::parse(&line, &self.defaults).map_err(bad)?;
                    (record.publish, record.received_at)
                }
                LineFormat::TopicPayload => (self.topic_payload(line).map_err(bad)?, None),
            };
            self.pace(sent, at).await.map_err(bad)?;
            sent += 1;
            self.queued.store(n, Ordering::Release);
            if self.publisher.publish(message).await.is_err() {
                return Ok(());
            }
        }
        Ok(())
    }

    async fn pace(
        &mut self,
        index: u64,
        at: Option<DateTime<FixedOffset>>,
    ) -> std::result::Result<(), String> {
        self.schedule.wait(index, at).await
    }

    /// `TOPIC PAYLOAD`, split at the first space; a line without a space is an empty message. A
    /// CRLF line ending goes whole: a topic ending in CR would be refused by the broker.
    fn topic_payload(&self, mut line: Bytes) -> std::result::Result<OutgoingPublish, String> {
        if line.ends_with(b"\r") {
            line.truncate(line.len() - 1);
        }
        let at = memchr::memchr(b' ', &line).unwrap_or(line.len());
        let topic = line.split_to(at);
        let payload = if line.is_empty() {
            line
        } else {
            line.slice(1..)
        };
        let topic = std::str::from_utf8(&topic)
            .map_err(|_| "the topic is not UTF-8".to_string())?
            .to_string();
        self.checked(topic, payload)
    }

    /// One message of --template: -t and -m filled in (with the -l line, if any).
    fn fill(
        &self,
        template: &Patterns,
        seq: u64,
        line: &Bytes,
        random: &mut Random,
    ) -> std::result::Result<OutgoingPublish, String> {
        let mut fill = Fill::new(seq, random);
        let topic = match &template.topic {
            Some(pattern) => {
                let mut out = Vec::new();
                pattern.render(&mut fill, line, &mut out);
                String::from_utf8(out).map_err(|_| "the topic is not UTF-8".to_string())?
            }
            None => self.defaults.topic.clone().unwrap_or_default(),
        };
        let payload = match &template.payload {
            Some(pattern) => {
                let mut out = Vec::with_capacity(line.len() + 64);
                pattern.render(&mut fill, line, &mut out);
                Bytes::from(out)
            }
            None => line.clone(),
        };
        self.checked(topic, payload)
    }

    /// A message to a topic that only the input knew: checked as -t would have been.
    fn checked(
        &self,
        topic: String,
        payload: Bytes,
    ) -> std::result::Result<OutgoingPublish, String> {
        crate::topic::validate_topic(&topic)
            .map_err(|why| format!("invalid topic {}: {why}", quote(&topic)))?;
        check_message_size(
            &topic,
            self.defaults.qos,
            self.defaults.properties.as_deref(),
            self.defaults.v5,
            payload.len(),
        )
        .map_err(|f| f.message)?;
        let mut message = self.defaults.with(payload);
        message.topic = topic;
        Ok(message)
    }
}

/// Lines of stdin, sliced out of shared read buffers (no copy per line); a last line without a
/// newline counts too; `\r` is kept, as mosquitto_pub keeps it.
struct LineReader {
    stdin: tokio::io::Stdin,
    buf: BytesMut,
    scanned: usize,
    count: u64,
    longest: usize,
    flag: &'static str,
    eof: bool,
}

impl LineReader {
    fn new(longest: usize, flag: &'static str) -> LineReader {
        LineReader {
            stdin: tokio::io::stdin(),
            buf: BytesMut::with_capacity(READ_CHUNK),
            scanned: 0,
            count: 0,
            longest,
            flag,
            eof: false,
        }
    }

    /// The next line and its number (from 1).
    async fn next(&mut self) -> Result<Option<(u64, Bytes)>> {
        loop {
            if let Some(at) = memchr::memchr(b'\n', &self.buf[self.scanned..]) {
                let mut line = self.buf.split_to(self.scanned + at + 1);
                line.truncate(line.len() - 1);
                self.scanned = 0;
                return self.line(line);
            }
            if self.eof {
                return match self.buf.is_empty() {
                    true => Ok(None),
                    false => {
                        let rest = self.buf.split();
                        self.scanned = 0;
                        self.line(rest)
                    }
                };
            }
            self.scanned = self.buf.len();
            if self.buf.len() > self.longest {
                return Err(self.too_long(self.count + 1));
            }
            if self.buf.capacity() - self.buf.len() < READ_CHUNK / 4 {
                self.buf.reserve(READ_CHUNK);
            }
            let read = self.stdin.read_buf(&mut self.buf).await.map_err(|e| {
                Failure::usage(format!(
                    "cannot read stdin ({}): {}",
                    self.flag,
                    crate::report::io_reason(&e)
                ))
            })?;
            self.eof = read == 0;
        }
    }

    fn line(&mut self, line: BytesMut) -> Result<Option<(u64, Bytes)>> {
        self.count += 1;
        if line.len() > self.longest {
            return Err(self.too_long(self.count));
        }
        Ok(Some((self.count, line.freeze())))
    }

    fn too_long(&self, n: u64) -> Failure {
        let flag = self.flag;
        let longest = self.longest;
        Failure::usage(match flag {
            "-l" => format!(
                "line {n} of stdin (-l) is longer than an MQTT message can carry ({longest} bytes with this topic)"
            ),
            _ => format!(
                "line {n} of stdin ({flag}) is longer than any MQTT message needs ({longest} bytes)"
            ),
        })
    }
}
