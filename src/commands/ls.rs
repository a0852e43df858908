//! `moth ls`: subscribe, count what arrives into a topic tree until --idle, -W or -C (or a
//! signal), then print the tree. Messages go through the same receiving loop as `sub`'s, so a
//! message counted into the tree is acknowledged and one that arrived after the end is not.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use tokio::time::Instant;

use super::receive::{Plan, watch};
use crate::cli::LsArgs;
use crate::connect::{ConnSpec, Protocol};
use crate::exit::{Failure, Result};
use crate::output::{Layout, Tree};
use crate::report;

/// Without --idle, -W or -C: stop after a second of quiet, or after 10 s on a busy broker.
const DEFAULT_IDLE: Duration = Duration::from_secs(1);
const DEFAULT_WATCH: Duration = Duration::from_secs(10);
/// The width of a line when stdout is not a terminal and COLUMNS says nothing.
const DEFAULT_WIDTH: usize = 80;

pub async fn run(args: LsArgs) -> Result<()> {
    let spec = crate::commands::connection(&args.conn, Protocol::V311)?;
    let plan = plan(&args, &spec)?;
    report::set_quiet(args.conn.quiet);
    let colour = !args.json && args.color.for_stdout();
    let mut tree = Tree::default();
    let started = Instant::now();
    let watched = watch(&spec, plan, &mut tree).await?;
    // -W is how long to watch, not a failure as in sub: the tree is the answer either way.
    let watched = watched.subscribed_at.unwrap_or(started).elapsed();
    let mut out = std::io::stdout().lock();
    let printed = match args.json {
        true => tree.print_json(&mut out, watched),
        false => tree.print(
            &mut out,
            &Layout {
                colour,
                width: width(),
                watched,
            },
        ),
    }
    .and_then(|()| out.flush());
    match printed {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::usage(format!(
            "cannot write to stdout: {}",
            crate::report::io_reason(&err)
        ))),
        _ => Ok(()),
    }
}

fn plan(args: &LsArgs, spec: &ConnSpec) -> Result<Plan> {
    let mut filters = args.topics.clone();
    filters.extend(spec.url_topic.clone());
    if filters.is_empty() {
        filters.push("#".to_string());
    }
    super::validate_filters(&[("-t", &filters), ("-T", &args.filter_out)])?;
    let unbounded = args.idle.is_none() && args.timeout.is_none() && args.count.is_none();
    Ok(Plan {
        filters,
        hide: args.filter_out.clone(),
        qos: args.qos,
        count: args.count,
        timeout: match unbounded {
            true => Some(DEFAULT_WATCH),
            false => args.timeout.map(|s| Duration::from_secs(s.into())),
        },
        idle: match unbounded {
            true => Some(DEFAULT_IDLE),
            false => args.idle,
        },
        ..Plan::default()
    })
}

/// The terminal's width, else COLUMNS, else 80.
fn width() -> usize {
    let stdout = std::io::stdout();
    if stdout.is_terminal()
        && let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size_of(&stdout)
    {
        return usize::from(w);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .unwrap_or(DEFAULT_WIDTH)
}
