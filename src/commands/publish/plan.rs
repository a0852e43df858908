//! pub's flags as a plan: where the messages come from, what they default to, how they are
//! filled in and paced. Everything is checked here, before connecting.

use std::os::unix::ffi::OsStrExt;

use super::Defaults;
use super::input::{Input, LineFormat, Patterns};
use super::pace::{Pace, Schedule};
use crate::cli::PubArgs;
use crate::commands::placeholders::{Fill, Pattern, Random};
use crate::commands::{check_message_size, message_properties, read_payload, refuse_closed_stdin};
use crate::connect::{ConnSpec, Protocol};
use crate::exit::{Failure, Result};
use crate::{report, topic};

pub struct Plan {
    pub source: Input,
    pub defaults: Defaults,
    pub template: Option<Patterns>,
    pub schedule: Schedule,
}

pub async fn plan(args: &PubArgs, spec: &ConnSpec) -> Result<Plan> {
    let properties = message_properties(spec, &args.properties, args.response_topic.as_ref())?;
    let lines = if args.stdin_line {
        Some(LineFormat::Payload)
    } else if args.jsonl {
        Some(LineFormat::Jsonl)
    } else if args.topic_lines {
        Some(LineFormat::TopicPayload)
    } else {
        None
    };
    if args.message.is_some() && args.stdin_line && !args.template {
        return Err(Failure::usage(
            "-m and -l are two message sources: give one (with --template, -m is the pattern each -l line fills in as {line})",
        ));
    }
    let topic = match args.topic_lines {
        // Each line names its topic.
        true => None,
        false => args.topic.clone().or_else(|| spec.url_topic.clone()),
    };
    let needs_topic = !args.jsonl && !args.topic_lines;
    if topic.is_none() && needs_topic {
        return Err(Failure::usage("give the topic to publish to with -t"));
    }
    let template = match args.template {
        true => Some(template(args, topic.as_deref())?),
        false => {
            if let Some(topic) = &topic {
                topic::validate_topic(topic).map_err(|why| {
                    Failure::usage(format!(
                        "invalid topic {} (-t): {why}",
                        report::quote(topic)
                    ))
                })?;
            }
            None
        }
    };
    let defaults = Defaults {
        topic,
        qos: args.qos,
        retain: args.retain,
        properties,
        v5: spec.protocol == Protocol::V5,
    };
    let source = match lines {
        Some(format) => {
            refuse_closed_stdin(format.flag())?;
            // mosquitto_pub accepts these with -l and ignores them; so does moth, out loud.
            if args.repeat > 1 || args.repeat_delay.is_some() {
                crate::report::warning(
                    "--repeat and --repeat-delay apply to -m, -f, -s and -n; ignored with -l",
                );
            }
            Input::Lines(format)
        }
        None => {
            let payload = read_payload(
                args.message.as_deref(),
                args.file.as_deref(),
                args.stdin_file,
            )
            .await?;
            // A template's messages are checked one by one, once filled in.
            if template.is_none() {
                check_message_size(
                    defaults.topic.as_deref().unwrap_or_default(),
                    args.qos,
                    defaults.properties.as_deref(),
                    defaults.v5,
                    payload.len(),
                )?;
            }
            Input::Single {
                payload,
                repeat: args.repeat,
                delay: args.repeat_delay,
            }
        }
    };
    let pace = match (args.rate, args.replay) {
        (Some(rate), _) => Pace::Rate(rate),
        (None, true) => Pace::Replay {
            speed: args.speed.unwrap_or(1.0),
            first: None,
        },
        (None, false) => Pace::Free,
    };
    Ok(Plan {
        source,
        defaults,
        template,
        schedule: Schedule::new(pace),
    })
}

/// -t and -m as patterns. The topic is tried with sample values, so that a wildcard or an
/// empty topic shows before connecting rather than at the first message.
fn template(args: &PubArgs, topic: Option<&str>) -> Result<Patterns> {
    let lines = args.stdin_line;
    let compile = |text: &[u8], flag| {
        Pattern::compile(text, flag, lines)
            .map_err(|why| Failure::usage(format!("--template: {why}")))
    };
    let topic = topic.map(|t| compile(t.as_bytes(), "-t")).transpose()?;
    let payload = args
        .message
        .as_deref()
        .map(|m| compile(m.as_bytes(), "-m"))
        .transpose()?;
    if let Some(pattern) = &topic {
        let mut random = Random::new();
        let mut sample = Vec::new();
        pattern.render(&mut Fill::new(1, &mut random), b"x", &mut sample);
        let sample = String::from_utf8_lossy(&sample);
        topic::validate_topic(&sample).map_err(|why| {
            Failure::usage(format!(
                "invalid topic {} (-t): {why}",
                report::quote(args.topic.as_deref().unwrap_or_default())
            ))
        })?;
    }
    // -l without {line} anywhere would send the same message for every line: say so.
    if lines
        && payload.is_some()
        && !payload.as_ref().is_some_and(Pattern::uses_line)
        && !topic.as_ref().is_some_and(Pattern::uses_line)
    {
        return Err(Failure::usage(
            "--template with -l and -m: put {line} in -m (or -t) where each line goes",
        ));
    }
    Ok(Patterns { topic, payload })
}
