//! What publishers send and subscribers take, validated before any connection opens.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::Setup;
use super::header::{self, Header};
use crate::cli::PublishLoadArgs;
use crate::commands::placeholders::{Fill, Pattern, Random};
use crate::exit::{Failure, Result};
use crate::topic;

/// What each payload holds.
pub enum Content {
    /// `-s` bytes: the latency header, then dots.
    Filler(usize),
    /// `-m` or `--payload-file`, as given.
    Fixed(Bytes),
    /// `-m` with `--template`: filled in for each message.
    Pattern(Pattern),
}

pub struct PublishPlan {
    pub template: String,
    /// --template: placeholders in -t, filled in for each message (after the % codes).
    pub topic_pattern: Option<Pattern>,
    pub content: Content,
    /// pubsub: every payload starts with the latency header.
    pub header: bool,
    /// The payload size, when every payload has the same.
    pub size: Option<usize>,
    pub qos: u8,
    pub retain: bool,
    /// Per publisher; `None` sends as fast as acknowledgements allow (closed loop).
    pub interval: Option<Duration>,
    pub limit: Option<u64>,
}

impl PublishPlan {
    pub fn new(args: &PublishLoadArgs, setup: &Setup, pubsub: bool) -> Result<PublishPlan> {
        let topic_pattern = args
            .template
            .then(|| Pattern::compile(args.topic.as_bytes(), "-t", false))
            .transpose()
            .map_err(Failure::usage)?;
        let content = match (&args.message, &args.payload_file) {
            (Some(text), _) if args.template => Content::Pattern(
                Pattern::compile(text.as_bytes(), "-m", false).map_err(Failure::usage)?,
            ),
            (Some(text), _) => Content::Fixed(Bytes::from(text.clone().into_bytes())),
            (None, Some(file)) => {
                Content::Fixed(Bytes::from(std::fs::read(file).map_err(|e| {
                    Failure::usage(format!(
                        "cannot read --payload-file {}: {}",
                        file.display(),
                        crate::report::io_reason(&e)
                    ))
                })?))
            }
            (None, None) => Content::Filler(args.size),
        };
        let header = pubsub && !matches!(content, Content::Filler(_));
        let size = match &content {
            Content::Filler(size) => Some(*size),
            Content::Fixed(bytes) => Some(bytes.len() + if header { header::LEN } else { 0 }),
            Content::Pattern(_) => None,
        };
        let plan_probe = |topic: String| -> Result<String> {
            let mut random = Random::new();
            let topic = match &topic_pattern {
                Some(pattern) => {
                    let mut out = Vec::new();
                    pattern.render(&mut Fill::new(1, &mut random), b"", &mut out);
                    String::from_utf8_lossy(&out).into_owned()
                }
                None => topic,
            };
            Ok(topic)
        };
        let probe = plan_probe(expand(&args.topic, 0, "c", "u", 0))?;
        topic::validate_topic(&probe).map_err(|why| {
            Failure::usage(format!(
                "invalid -t {}: {why}",
                crate::report::quote(&args.topic)
            ))
        })?;
        let probe_size = size.unwrap_or(header::LEN);
        crate::limits::check_publish(probe.len(), args.qos, None, probe_size)
            .map_err(|why| Failure::usage(format!("the payload ({probe_size} bytes): {why}")))?;
        if pubsub && size.is_some_and(|s| s < header::LEN) {
            return Err(Failure::usage(format!(
                "-s {} is too small: pubsub payloads carry a {}-byte latency header",
                args.size,
                header::LEN
            )));
        }
        let publishers = setup.clients.len() as f64;
        // -I and --rate come range-checked from their clap parsers.
        let interval = match (args.msg_interval, args.rate) {
            (Some(interval), _) => Some(interval),
            (None, Some(rate)) => {
                // --rate is for all shards together; this process sends its share.
                let total_clients = setup
                    .shard
                    .map_or(publishers, |(_, n)| publishers * n as f64);
                Some(
                    Duration::try_from_secs_f64(total_clients / rate)
                        .ok()
                        .filter(|i| !i.is_zero())
                        .ok_or_else(|| {
                            Failure::usage(format!(
                                "--rate {rate} for {total_clients} publishers gives no usable interval between messages"
                            ))
                        })?,
                )
            }
            (None, None) => None,
        };
        if args.limit == Some(0) {
            return Err(Failure::usage("-L needs at least 1 message"));
        }
        // -L is for all shards together, as --rate is: this process sends its share.
        let limit = args.limit.map(|limit| match setup.shard {
            Some((i, n)) => limit / n + u64::from(i < limit % n),
            None => limit,
        });
        if limit == Some(0) {
            return Err(Failure::usage(format!(
                "-L {} over {} shards leaves this shard nothing to send: use a larger -L",
                args.limit.unwrap_or(0),
                setup.shard.map_or(1, |(_, n)| n)
            )));
        }
        Ok(PublishPlan {
            template: args.topic.clone(),
            topic_pattern,
            content,
            header,
            size,
            qos: args.qos,
            retain: args.retain,
            interval,
            limit,
        })
    }

    /// The subscribers' filter when none is given: every template code becomes `+`.
    pub fn default_filter(&self) -> String {
        let templated = self.topic_pattern.is_some();
        self.template
            .split('/')
            .map(
                |level| match level.contains('%') || (templated && level.contains('{')) {
                    true => "+",
                    false => level,
                },
            )
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Message `seq`'s payload: the header (where it is wanted, or where -s leaves room for
    /// it), then the content.
    pub fn payload(&self, head: &Header, seq: u64, random: &mut Random) -> Bytes {
        let body = match &self.content {
            Content::Filler(size) => return head.payload(*size),
            Content::Fixed(bytes) if !self.header => return bytes.clone(),
            Content::Fixed(bytes) => bytes.clone(),
            Content::Pattern(pattern) => {
                let mut out = Vec::new();
                pattern.render(&mut Fill::new(seq + 1, random), b"", &mut out);
                if !self.header {
                    return Bytes::from(out);
                }
                Bytes::from(out)
            }
        };
        let mut buf = BytesMut::with_capacity(header::LEN + body.len());
        buf.extend_from_slice(&head.payload(header::LEN));
        buf.extend_from_slice(&body);
        buf.freeze()
    }

    /// One publisher's topic: fixed, or made for each message (%s, --template placeholders).
    pub fn topic_for(&self, index: u64, client_id: &str, user: &str) -> Topic {
        let base = self
            .template
            .replace("%i", &index.to_string())
            .replace("%c", client_id)
            .replace("%u", user);
        let pattern = self
            .topic_pattern
            .as_ref()
            .and_then(|_| Pattern::compile(base.as_bytes(), "-t", false).ok());
        match (pattern, base.contains("%s")) {
            (None, false) => Topic::Fixed(base),
            (pattern, _) => Topic::PerMessage { base, pattern },
        }
    }
}

/// A publisher's topic.
pub enum Topic {
    Fixed(String),
    PerMessage {
        base: String,
        pattern: Option<Pattern>,
    },
}

impl Topic {
    /// The topic of message `seq` (None: the fixed one).
    pub fn of(&self, seq: u64, random: &mut Random) -> Option<String> {
        let Topic::PerMessage { base, pattern } = self else {
            return None;
        };
        let text = match pattern {
            Some(pattern) => {
                let mut out = Vec::new();
                pattern.render(&mut Fill::new(seq + 1, random), b"", &mut out);
                String::from_utf8_lossy(&out).into_owned()
            }
            None => base.clone(),
        };
        Some(text.replace("%s", &seq.to_string()))
    }

    pub fn fixed(&self) -> &str {
        match self {
            Topic::Fixed(topic) | Topic::PerMessage { base: topic, .. } => topic,
        }
    }
}

/// %i client index, %c client id, %u user name, %s sequence number.
pub fn expand(template: &str, index: u64, client_id: &str, user: &str, seq: u64) -> String {
    template
        .replace("%i", &index.to_string())
        .replace("%c", client_id)
        .replace("%u", user)
        .replace("%s", &seq.to_string())
}

pub struct SubscribePlan {
    pub filter: String,
    pub qos: u8,
    pub subscribers: u32,
    pub limit: Option<u64>,
}

impl SubscribePlan {
    pub fn new(
        filter: String,
        qos: u8,
        subscribers: u32,
        limit: Option<u64>,
    ) -> Result<SubscribePlan> {
        topic::validate_filter(&filter).map_err(|why| {
            Failure::usage(format!(
                "invalid filter {}: {why}",
                crate::report::quote(&filter)
            ))
        })?;
        if limit == Some(0) {
            return Err(Failure::usage("-L needs at least 1 message"));
        }
        Ok(SubscribePlan {
            filter,
            qos,
            subscribers,
            limit,
        })
    }

    pub fn shared(&self) -> bool {
        self.filter.starts_with("$share/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_templates() {
        assert_eq!(
            expand("t/%i/%c/%u/%s", 3, "id-3", "bob", 9),
            "t/3/id-3/bob/9"
        );
        let plan = PublishPlan {
            template: "moth/bench/%i/x".into(),
            topic_pattern: None,
            content: Content::Filler(64),
            header: false,
            size: Some(64),
            qos: 0,
            retain: false,
            interval: None,
            limit: None,
        };
        assert_eq!(plan.default_filter(), "moth/bench/+/x");
    }
}
