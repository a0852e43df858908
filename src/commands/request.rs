//! `moth rr`: request/response as mosquitto_rr. Subscribe to the response topic, publish the
//! request with that response topic and correlation data once the subscription is acknowledged,
//! print the response with sub's output options.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::receive::{Plan, receive};
use super::{check_message_size, message_properties, read_payload};
use crate::cli::RrArgs;
use crate::connect::{ConnSpec, OutgoingPublish, Protocol};
use crate::exit::{Failure, Result};
use crate::message::Properties;
use crate::random::random_u64;
use crate::{output, report, topic};

pub async fn run(args: RrArgs) -> Result<()> {
    let spec = crate::commands::connection(&args.conn, Protocol::V5)?;
    let request_topic = args
        .topic
        .clone()
        .or_else(|| spec.url_topic.clone())
        .ok_or_else(|| Failure::usage("give the topic to send the request to with -t"))?;
    topic::validate_topic(&request_topic).map_err(|why| {
        Failure::usage(format!(
            "invalid topic {} (-t): {why}",
            report::quote(&request_topic)
        ))
    })?;
    let response_topic = args.response_topic.clone();
    topic::validate_topic(&response_topic).map_err(|why| {
        Failure::usage(format!(
            "invalid response topic {} (-e): {why}",
            report::quote(&response_topic)
        ))
    })?;
    if args.count == Some(0) {
        return Err(Failure::usage("-C needs a count of at least 1"));
    }
    if args.timeout == Some(0) {
        return Err(Failure::usage("-W needs a timeout of at least 1 second"));
    }

    // On MQTT 5 the request carries the response topic and correlation data; on 3.1.1 (as
    // mosquitto_rr there) no properties can, so the responder must know where to answer and
    // every message on -e is an answer.
    let (properties, correlation) = match spec.protocol {
        Protocol::V5 => {
            let (properties, correlation) = request_properties(&spec, &args, &response_topic)?;
            (Some(Arc::new(properties)), Some(correlation))
        }
        Protocol::V311 => (None, None),
    };
    let payload = read_payload(
        args.message.as_deref(),
        args.file.as_deref(),
        args.stdin_file,
    )
    .await?;
    check_message_size(
        &request_topic,
        args.qos,
        properties.as_deref(),
        properties.is_some(),
        payload.len(),
    )?;
    let format = output::format_for(&args.output.style())?;
    report::set_quiet(args.conn.quiet);

    let plan = Plan {
        filters: vec![response_topic],
        qos: args.qos,
        count: match (args.idle, args.duration) {
            (None, None) => Some(args.count.unwrap_or(1)),
            _ => args.count,
        },
        timeout: args.timeout.map(|s| Duration::from_secs(s.into())),
        idle: args.idle,
        duration: args.duration,
        correlation,
        request: Some(OutgoingPublish {
            topic: request_topic,
            qos: args.qos,
            retain: false,
            payload,
            properties,
        }),
        ..Plan::default()
    };
    receive(&spec, plan, format).await
}

/// The request's MQTT 5 properties: -D and the friendly flags, the response topic (-e), and
/// correlation data (given, or made up) that answers echo.
fn request_properties(
    spec: &ConnSpec,
    args: &RrArgs,
    response_topic: &str,
) -> Result<(Properties, Bytes)> {
    let mut properties = message_properties(spec, &args.properties, None)?
        .map(|p| (*p).clone())
        .unwrap_or_default();
    if properties
        .response_topic
        .as_ref()
        .is_some_and(|given| given != response_topic)
    {
        return Err(Failure::usage(
            "-e is the response topic: drop -D publish response-topic",
        ));
    }
    properties.response_topic = Some(response_topic.to_string());
    // Responses echo this, so answers meant for another requester on a shared response topic
    // can be told apart.
    let correlation = properties
        .correlation_data
        .get_or_insert_with(|| Bytes::from(format!("moth-{:016x}", random_u64())))
        .clone();
    Ok((properties, correlation))
}
