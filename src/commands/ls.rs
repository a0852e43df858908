//! `moth ls`: subscribe, count what arrives into a topic tree until --idle, -W or -C (or a
//! signal), then print the tree; with --watch, redraw it every second meanwhile. Messages go
//! through the same receiving loop as `sub`'s, so a message counted into the tree is
//! acknowledged and one that arrived after the end is not.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::receive::{Plan, watch};
use crate::cli::LsArgs;
use crate::connect::{ConnSpec, Protocol};
use crate::exit::{Failure, Result};
use crate::message::Message;
use crate::output::{Format, Layout, Tree};
use crate::report;

/// Without --idle, -W or -C: stop after a second of quiet, or after 10 s on a busy broker.
const DEFAULT_IDLE: Duration = Duration::from_secs(1);
const DEFAULT_WATCH: Duration = Duration::from_secs(10);
/// The width of a line when stdout is not a terminal and COLUMNS says nothing.
const DEFAULT_WIDTH: usize = 80;
/// How often --watch redraws.
const REDRAW_EVERY: Duration = Duration::from_secs(1);

pub async fn run(args: LsArgs) -> Result<()> {
    let spec = crate::commands::connection(&args.conn, Protocol::V311)?;
    if args.watch && !std::io::stdout().is_terminal() {
        return Err(Failure::usage(
            "--watch redraws a terminal, and stdout is not one: drop --watch (or use --json for scripts)",
        ));
    }
    let plan = plan(&args, &spec)?;
    report::set_quiet(args.conn.quiet);
    let colour = !args.json && args.color.for_stdout();
    let layout = |watched| Layout {
        colour,
        width: width(),
        watched,
        sort: args.sort,
        depth: args.depth,
    };
    let tree = Arc::new(Mutex::new(Tree::default()));
    let started = Instant::now();
    let redraw = args.watch.then(|| {
        let tree = tree.clone();
        let layout = layout(Duration::ZERO);
        tokio::spawn(redraw_every_second(tree, layout, started))
    });
    let watched = watch(&spec, plan, &mut Counting(tree.clone())).await;
    if let Some(redraw) = redraw {
        redraw.abort();
    }
    // -W is how long to watch, not a failure as in sub: the tree is the answer either way.
    let watched = watched?.subscribed_at.unwrap_or(started).elapsed();
    let tree = tree.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = std::io::stdout().lock();
    if args.watch {
        let _ = out.write_all(CLEAR);
    }
    let printed = match args.json {
        true => tree.print_json(&mut out, &layout(watched)),
        false => tree.print(&mut out, &layout(watched)),
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

/// The tree as the receiving loop fills it, shared with the redraw.
struct Counting(Arc<Mutex<Tree>>);

impl Format for Counting {
    fn write(&mut self, out: &mut dyn Write, message: &Message) -> std::io::Result<()> {
        let mut tree = self.0.lock().unwrap_or_else(|e| e.into_inner());
        tree.write(out, message)
    }
}

/// Cursor home and clear screen.
const CLEAR: &[u8] = b"\x1b[H\x1b[2J";

/// --watch: the tree so far, in place, cut to the terminal's height.
async fn redraw_every_second(tree: Arc<Mutex<Tree>>, mut layout: Layout, started: Instant) {
    let mut tick = tokio::time::interval(REDRAW_EVERY);
    loop {
        tick.tick().await;
        layout.watched = started.elapsed();
        layout.width = width();
        let mut frame = Vec::new();
        let drawn = tree
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .print(&mut frame, &layout);
        if drawn.is_err() {
            return;
        }
        let text = String::from_utf8_lossy(&frame);
        let lines: Vec<&str> = text.lines().collect();
        let room = height().saturating_sub(2).max(2);
        let mut screen = CLEAR.to_vec();
        for line in lines.iter().take(room) {
            screen.extend_from_slice(line.as_bytes());
            screen.extend_from_slice(b"\n");
        }
        let hidden = lines.len().saturating_sub(room);
        let status = match hidden {
            0 => format!(
                "watching for {:.0} s; Ctrl-C ends",
                layout.watched.as_secs_f64()
            ),
            n => format!(
                "watching for {:.0} s; {n} more line(s) below (--depth or -t narrow it); Ctrl-C ends",
                layout.watched.as_secs_f64()
            ),
        };
        screen.extend_from_slice(status.as_bytes());
        let mut out = std::io::stdout().lock();
        if out.write_all(&screen).and_then(|()| out.flush()).is_err() {
            return;
        }
    }
}

fn plan(args: &LsArgs, spec: &ConnSpec) -> Result<Plan> {
    let mut filters = args.topics.clone();
    filters.extend(spec.url_topic.clone());
    if filters.is_empty() {
        filters.push("#".to_string());
    }
    super::validate_filters(&[("-t", &filters), ("-T", &args.filter_out)])?;
    // A one-off look stops by itself; a live view runs until the user ends it.
    let unbounded =
        !args.watch && args.idle.is_none() && args.timeout.is_none() && args.count.is_none();
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

/// The terminal's height, else 24.
fn height() -> usize {
    terminal_size::terminal_size_of(std::io::stdout())
        .map(|(_, terminal_size::Height(h))| usize::from(h))
        .unwrap_or(24)
}
