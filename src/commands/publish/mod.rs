//! `moth pub`: publish, and exit 0 only once every message is acknowledged at its QoS. `plan`
//! turns the flags into a source of messages, `input` produces them (paced by `pace`, filled in
//! by `commands::placeholders`, decoded by `jsonl`), and `run` sees each through to delivery.

mod input;
mod jsonl;
mod pace;
mod plan;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use crate::cli::PubArgs;
use crate::commands::shutdown_signal;
use crate::connect::{
    Acks, Counts, Event, OUTBOX_LIMIT, OutgoingPublish, Properties, Protocol, Reconnect, Session,
};
use crate::exit::{self, Failure, Result};
use crate::report;
use input::{Input, Producer};

/// After Ctrl-C, how long to wait for messages already sent to be acknowledged.
const INTERRUPT_GRACE: Duration = Duration::from_secs(5);
/// How long to wait for the DISCONNECT to be written once everything is acknowledged.
const CLOSE_GRACE: Duration = Duration::from_secs(5);
/// How long -m, -f, -s and -n keep trying after a lost connection, unless told otherwise.
const ONE_SHOT_RECONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// What every message gets unless its input line says otherwise: -t, -q, -r and properties.
pub struct Defaults {
    /// `None` with --topic-lines, and with --jsonl without -t: each line names its topic.
    pub topic: Option<String>,
    pub qos: u8,
    pub retain: bool,
    pub properties: Option<Arc<Properties>>,
    pub v5: bool,
}

impl Defaults {
    fn with(&self, payload: Bytes) -> OutgoingPublish {
        OutgoingPublish {
            topic: self.topic.clone().unwrap_or_default(),
            qos: self.qos,
            retain: self.retain,
            payload,
            properties: self.properties.clone(),
        }
    }
}

pub async fn run(args: PubArgs) -> Result<()> {
    let spec = crate::commands::connection(&args.conn, Protocol::V311)?;
    if args.qos == 2 && spec.protocol == Protocol::V311 && spec.max_inflight > 20 {
        report::warning(&format!(
            "-M {} at QoS 2: a broker that allows fewer messages in flight (mosquitto: 20) drops the excess of an MQTT 3.1.1 client without saying so; use -V 5 to be told",
            spec.max_inflight
        ));
    }
    // Everything is read and checked before connecting, so a missing file costs no connection.
    let plan = plan::plan(&args, &spec).await?;
    report::set_quiet(args.conn.quiet);
    // A stream keeps going across broker restarts for as long as it takes (as mosquitto_pub);
    // a one-shot publish should fail while someone is still watching.
    let reconnect_timeout = args.reconnect_timeout.or(match plan.source {
        Input::Lines(_) => None,
        Input::Single { .. } => Some(ONE_SHOT_RECONNECT_TIMEOUT),
    });
    let reconnect = match reconnect_timeout {
        Some(t) if t.is_zero() => Reconnect::Never,
        _ => Reconnect::Always,
    };

    let mut session = Session::start(&spec, reconnect, Acks::OnReceipt);
    match session.next().await {
        Event::Connected { .. } => {}
        Event::Failed(failure) => return Err(failure),
        other => return Err(Failure::usage(format!("unexpected first event {other:?}"))),
    }

    let read = Arc::new(AtomicU64::new(0));
    let repeats = match plan.source {
        Input::Single { repeat, .. } => Some(repeat),
        Input::Lines(_) => None,
    };
    // Only --repeat without --rate waits for each delivery; a watch per message would cost more
    // than the send.
    let repeat_waits = repeats.is_some_and(|n| n > 1) && plan.schedule.is_free();
    let (settled_tx, settled_rx) = watch::channel(0u64);
    let deliveries = session.deliveries();
    let (done_tx, mut done_rx) = oneshot::channel::<Result<()>>();
    let producer = Producer {
        source: plan.source,
        defaults: plan.defaults,
        template: plan.template,
        schedule: plan.schedule,
        publisher: session.publisher(),
        queued: read.clone(),
        delivered: settled_rx,
    };
    let producer = tokio::spawn(async move {
        let _ = done_tx.send(producer.run().await);
    });

    let mut signal = std::pin::pin!(shutdown_signal());
    let mut first_refusal: Option<String> = None;
    let mut input_done = false;
    let mut bad_input: Option<Failure> = None;
    let mut interrupted: Option<Instant> = None;
    let mut closing: Option<Instant> = None;
    // Set while the connection is down: why it went down.
    let mut lost: Option<String> = None;
    // --reconnect-timeout bounds the time without progress, not one outage: a link that comes
    // back and drops again before anything is delivered does not start the clock again. Nothing
    // owed is progress too (an idle stream is not stuck).
    let mut progress_at = Instant::now();
    let mut last_settled = 0;
    let mut came_back = 0u32;

    loop {
        let counts = deliveries.counts();
        let settled = counts.accepted - counts.unsettled();
        if repeat_waits && *settled_tx.borrow() != settled {
            settled_tx.send_replace(settled);
        }
        if settled != last_settled || counts.unsettled() == 0 {
            last_settled = settled;
            progress_at = Instant::now();
            came_back = 0;
        }
        if input_done && counts.unsettled() == 0 && closing.is_none() {
            if lost.is_some() {
                // Everything was acknowledged before the connection went: nothing to wait for,
                // and no connection to say goodbye on.
                break;
            }
            // The session disconnects on its own once everything is delivered; this bounds the
            // wait for it to say so.
            session.disconnect();
            closing = Some(Instant::now() + CLOSE_GRACE);
        }
        let give_up = closing.or(interrupted);
        let reconnect_deadline = lost
            .as_ref()
            .and(reconnect_timeout)
            .map(|t| progress_at + t);
        let event = tokio::select! {
            biased;
            _ = &mut signal, if interrupted.is_none() => {
                producer.abort();
                input_done = true;
                session.disconnect();
                interrupted = Some(Instant::now() + INTERRUPT_GRACE);
                continue;
            }
            done = &mut done_rx, if !input_done => {
                input_done = true;
                if let Ok(Err(failure)) = done {
                    // Bad input stops the input; what was sent before it is still seen through
                    // to delivery, and the error says how that went.
                    bad_input = Some(failure);
                }
                continue;
            }
            _ = sleep_until(give_up) => break,
            _ = sleep_until(reconnect_deadline) => {
                let why = lost.take().unwrap_or_default();
                let limit = seconds(reconnect_timeout.unwrap_or_default());
                let stalled = match came_back {
                    0 => format!("no connection again within --reconnect-timeout {limit}"),
                    n => format!(
                        "nothing delivered within --reconnect-timeout {limit}, though the connection came back {n} time(s)"
                    ),
                };
                return Err(not_delivered(
                    &deliveries.counts(),
                    &format!("{why}; {stalled}"),
                    repeats,
                ));
            }
            _ = deliveries.changed() => continue,
            event = session.next() => event,
        };
        match event {
            Event::PublishRefused(why) => {
                first_refusal.get_or_insert(why);
            }
            Event::ConnectionLost(why) => {
                report::warning(&why);
                lost = Some(why.trim_end_matches("; reconnecting").to_string());
            }
            Event::Connected { .. } if lost.take().is_some() => {
                came_back += 1;
                let due = deliveries.counts().unsettled();
                report::note(&format!(
                    "reconnected; sending the {due} unconfirmed message(s) again"
                ));
            }
            Event::Closed => break,
            Event::Failed(failure) => {
                let counts = deliveries.counts();
                let (missing, total) = undelivered(&counts, repeats);
                return Err(Failure::new(
                    failure.code,
                    format!(
                        "{}; {missing} of {total} message(s) not delivered",
                        failure.message,
                    ),
                ));
            }
            _ => {}
        }
    }

    let counts = deliveries.counts();
    if let Some(failure) = bad_input {
        return Err(after_bad_input(failure, &counts));
    }
    if interrupted.is_some() {
        match repeats {
            // A run of a known length that did not finish is no success.
            Some(total) if counts.accepted < total => {
                return Err(Failure::new(
                    exit::UNCONFIRMED,
                    format!(
                        "interrupted: {} of {total} message(s) not delivered ({} never sent)",
                        total - counts.delivered - counts.refused,
                        total - counts.accepted
                    ),
                ));
            }
            Some(_) => {}
            // A stream (`tail -f | moth pub -l`) ends with Ctrl-C: what was read is delivered.
            None => report::note(&format!(
                "interrupted: stopped reading stdin after {} line(s)",
                read.load(Ordering::Acquire)
            )),
        }
    }
    if counts.unsettled() > 0 {
        let why = if interrupted.is_some() {
            "interrupted"
        } else {
            "the broker did not confirm in time"
        };
        // Interrupted: the note above said how many repeats were never sent.
        let planned = repeats.filter(|_| interrupted.is_none());
        return Err(not_delivered(&counts, why, planned));
    }
    if counts.dropped > 0 {
        return Err(not_delivered(
            &counts,
            &format!(
                "more than {OUTBOX_LIMIT} QoS 0 messages waited while the broker was unreachable"
            ),
            repeats,
        ));
    }
    if let Some(why) = first_refusal {
        return Err(Failure::new(
            exit::REFUSED,
            format!(
                "{} of {} message(s) refused; first: {why}",
                counts.refused, counts.accepted
            ),
        ));
    }
    Ok(())
}

/// Exit 7, saying why and how many messages are not known to have arrived.
fn not_delivered(counts: &Counts, why: &str, planned: Option<u64>) -> Failure {
    let (missing, total) = undelivered(counts, planned);
    Failure::new(
        exit::UNCONFIRMED,
        format!("{why}: {missing} of {total} message(s) not delivered"),
    )
}

/// Messages not known to have arrived, and of how many: with --repeat the whole run was known
/// from the start, so repeats never sent count as not delivered too.
fn undelivered(counts: &Counts, planned: Option<u64>) -> (u64, u64) {
    let total = planned.unwrap_or(0).max(counts.accepted);
    (total - counts.delivered - counts.refused, total)
}

/// A bad input line's error, and what became of the messages before it.
fn after_bad_input(failure: Failure, counts: &Counts) -> Failure {
    let undelivered = counts.unsettled() + counts.dropped;
    let earlier = match counts.accepted {
        0 => String::new(),
        all if undelivered > 0 => {
            format!("; {undelivered} of {all} message(s) before it not delivered")
        }
        all if counts.refused > 0 => {
            format!("; {} of {all} message(s) before it refused", counts.refused)
        }
        all => format!(" (the {all} message(s) before it were delivered)"),
    };
    Failure::new(failure.code, format!("{}{earlier}", failure.message))
}

fn seconds(t: Duration) -> String {
    format!("{} s", t.as_secs_f64())
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
