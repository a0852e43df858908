//! What publishers send and subscribers take, validated before any connection opens.

use std::time::Duration;

use super::Setup;
use super::header;
use crate::cli::PublishLoadArgs;
use crate::exit::{Failure, Result};
use crate::topic;

pub struct PublishPlan {
    pub template: String,
    pub size: usize,
    pub qos: u8,
    pub retain: bool,
    /// Per publisher; `None` sends as fast as acknowledgements allow (closed loop).
    pub interval: Option<Duration>,
    pub limit: Option<u64>,
}

impl PublishPlan {
    pub fn new(args: &PublishLoadArgs, setup: &Setup, pubsub: bool) -> Result<PublishPlan> {
        let probe = expand(&args.topic, 0, "c", "u", 0);
        topic::validate_topic(&probe).map_err(|why| {
            Failure::usage(format!(
                "invalid -t {}: {why}",
                crate::report::quote(&args.topic)
            ))
        })?;
        crate::limits::check_publish(probe.len(), args.qos, None, args.size)
            .map_err(|why| Failure::usage(format!("-s {}: {why}", args.size)))?;
        if pubsub && args.size < header::LEN {
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
        Ok(PublishPlan {
            template: args.topic.clone(),
            size: args.size,
            qos: args.qos,
            retain: args.retain,
            interval,
            limit: args.limit,
        })
    }

    /// The subscribers' filter when none is given: every template code becomes `+`.
    pub fn default_filter(&self) -> String {
        self.template
            .split('/')
            .map(|level| if level.contains('%') { "+" } else { level })
            .collect::<Vec<_>>()
            .join("/")
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
            size: 64,
            qos: 0,
            retain: false,
            interval: None,
            limit: None,
        };
        assert_eq!(plan.default_filter(), "moth/bench/+/x");
    }
}
