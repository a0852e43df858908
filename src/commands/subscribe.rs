//! `moth sub`: subscribe, print what arrives, and stop exactly when mosquitto_sub would.

use std::time::Duration;

use super::receive::{Plan, receive};
use crate::cli::SubArgs;
use crate::connect::{ConnSpec, Protocol};
use crate::exit::{Failure, Result};
use crate::{output, report};

pub async fn run(args: SubArgs) -> Result<()> {
    let spec = crate::commands::connection(&args.conn, Protocol::V311)?;
    let plan = plan(&args, &spec)?;
    let format = output::format_for(&args.output.style())?;
    report::set_quiet(args.conn.quiet);
    receive(&spec, plan, format).await
}

fn plan(args: &SubArgs, spec: &ConnSpec) -> Result<Plan> {
    let mut filters = args.topics.clone();
    filters.extend(spec.url_topic.clone());
    if filters.is_empty() && args.unsubscribe.is_empty() {
        return Err(Failure::usage(
            "give a topic filter to subscribe to with -t (or -U to unsubscribe)",
        ));
    }
    super::validate_filters(&[
        ("-t", &filters),
        ("-T", &args.filter_out),
        ("-U", &args.unsubscribe),
    ])?;
    if args.count == Some(0) {
        return Err(Failure::usage("-C needs a count of at least 1"));
    }
    if args.timeout == Some(0) {
        return Err(Failure::usage("-W needs a timeout of at least 1 second"));
    }
    for (on, flag) in [
        (args.retain_as_published, "--retain-as-published"),
        (args.no_local, "--no-local"),
    ] {
        if on && spec.protocol != Protocol::V5 {
            return Err(Failure::usage(format!(
                "{flag} is an MQTT 5 feature: add -V 5"
            )));
        }
    }
    let random_below = match args.random_filter {
        None => None,
        Some(pct) if (0.1..=100.0).contains(&pct) => Some((pct / 100.0 * u64::MAX as f64) as u64),
        Some(pct) => {
            return Err(Failure::usage(format!(
                "invalid --random-filter {pct}: use a percentage from 0.1 to 100"
            )));
        }
    };
    Ok(Plan {
        filters,
        hide: args.filter_out.clone(),
        unsubscribe: args.unsubscribe.clone(),
        qos: args.qos,
        count: args.count,
        timeout: args.timeout.map(|s| Duration::from_secs(s.into())),
        idle: args.idle,
        duration: args.duration,
        no_stale: args.no_stale,
        no_local: args.no_local,
        exit_after_sub: args.exit_after_sub,
        retained_only: args.retained_only,
        remove_retained: args.remove_retained,
        retain_as_published: args.retain_as_published,
        random_below,
        request: None,
        correlation: None,
        outgoing: None,
        stop: None,
        link: None,
    })
}
