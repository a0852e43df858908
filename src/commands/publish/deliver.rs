//! Seeing every message through to delivery, as `receive.rs` does for receiving: the producer
//! puts messages on the session; this follows the session's events until everything is settled
//! (or cannot be), and says how the run ended. Ctrl-C stops the input and waits briefly for
//! what was sent; a lost connection is waited out for --reconnect-timeout without progress.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::connect::{Counts, Deliveries, Event, OUTBOX_LIMIT, Session};
use crate::exit::{self, Failure, Result};
use crate::report;

/// After Ctrl-C, how long to wait for messages already sent to be acknowledged.
const INTERRUPT_GRACE: Duration = Duration::from_secs(5);
/// How long to wait for the DISCONNECT to be written once everything is acknowledged.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// What `deliver` watches.
pub struct Delivery {
    pub session: Session,
    pub producer: JoinHandle<()>,
    /// The producer's end: an input error, or none.
    pub done: oneshot::Receiver<Result<()>>,
    /// Lines read from stdin (for the note at Ctrl-C).
    pub read: Arc<AtomicU64>,
    /// --repeat's count, when the run's length is known from the start.
    pub repeats: Option<u64>,
    /// --repeat without --rate waits for each delivery: the settled count goes here.
    pub settled: Option<watch::Sender<u64>>,
    pub reconnect_timeout: Option<Duration>,
}

/// The state of the run.
struct Run {
    d: Delivery,
    deliveries: Deliveries,
    signal: Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
    first_refusal: Option<String>,
    input_done: bool,
    bad_input: Option<Failure>,
    interrupted: Option<Instant>,
    closing: Option<Instant>,
    /// Set while the connection is down: why it went down.
    lost: Option<String>,
    /// --reconnect-timeout bounds the time without progress, not one outage: a link that comes
    /// back and drops again before anything is delivered does not start the clock again.
    /// Nothing owed is progress too (an idle stream is not stuck).
    progress_at: Instant,
    last_settled: u64,
    came_back: u32,
}

/// Follow the session until every message is settled; the run's outcome.
pub async fn deliver(d: Delivery) -> Result<()> {
    let deliveries = d.session.deliveries();
    let mut run = Run {
        d,
        deliveries,
        signal: Box::pin(crate::commands::shutdown_signal()),
        first_refusal: None,
        input_done: false,
        bad_input: None,
        interrupted: None,
        closing: None,
        lost: None,
        progress_at: Instant::now(),
        last_settled: 0,
        came_back: 0,
    };
    loop {
        if run.settle() {
            break;
        }
        match run.next().await? {
            Some(event) => {
                if run.on_event(event)? {
                    break;
                }
            }
            None => continue,
        }
    }
    run.outcome()
}

impl Run {
    /// Take stock; true once the run can end (everything settled before the connection went).
    fn settle(&mut self) -> bool {
        let counts = self.deliveries.counts();
        let settled = counts.accepted - counts.unsettled();
        if let Some(tx) = &self.d.settled
            && *tx.borrow() != settled
        {
            tx.send_replace(settled);
        }
        if settled != self.last_settled || counts.unsettled() == 0 {
            self.last_settled = settled;
            self.progress_at = Instant::now();
            self.came_back = 0;
        }
        if self.input_done && counts.unsettled() == 0 && self.closing.is_none() {
            if self.lost.is_some() {
                // Everything was acknowledged before the connection went: nothing to wait for,
                // and no connection to say goodbye on.
                return true;
            }
            // The session disconnects on its own once everything is delivered; this bounds the
            // wait for it to say so.
            self.d.session.disconnect();
            self.closing = Some(Instant::now() + CLOSE_GRACE);
        }
        false
    }

    /// The next event, or `None` when something else happened (input done, a signal,
    /// progress); an error when the reconnect timeout ran out.
    async fn next(&mut self) -> Result<Option<Event>> {
        let give_up = self.closing.or(self.interrupted);
        let reconnect_deadline = self
            .lost
            .as_ref()
            .and(self.d.reconnect_timeout)
            .map(|t| self.progress_at + t);
        tokio::select! {
            biased;
            _ = &mut self.signal, if self.interrupted.is_none() => {
                self.d.producer.abort();
                self.input_done = true;
                self.d.session.disconnect();
                self.interrupted = Some(Instant::now() + INTERRUPT_GRACE);
                Ok(None)
            }
            done = &mut self.d.done, if !self.input_done => {
                self.input_done = true;
                if let Ok(Err(failure)) = done {
                    // Bad input stops the input; what was sent before it is still seen through
                    // to delivery, and the error says how that went.
                    self.bad_input = Some(failure);
                }
                Ok(None)
            }
            _ = sleep_until(give_up) => Ok(Some(Event::Closed)),
            _ = sleep_until(reconnect_deadline) => Err(self.timed_out()),
            _ = self.deliveries.changed() => Ok(None),
            event = self.d.session.next() => Ok(Some(event)),
        }
    }

    fn timed_out(&mut self) -> Failure {
        let why = self.lost.take().unwrap_or_default();
        let limit = seconds(self.d.reconnect_timeout.unwrap_or_default());
        let stalled = match self.came_back {
            0 => format!("no connection again within --reconnect-timeout {limit}"),
            n => format!(
                "nothing delivered within --reconnect-timeout {limit}, though the connection came back {n} time(s)"
            ),
        };
        not_delivered(
            &self.deliveries.counts(),
            &format!("{why}; {stalled}"),
            self.d.repeats,
        )
    }

    /// True once the run is over.
    fn on_event(&mut self, event: Event) -> Result<bool> {
        match event {
            Event::PublishRefused(why) => {
                self.first_refusal.get_or_insert(why);
            }
            Event::ConnectionLost(why) => {
                report::warning(&why);
                self.lost = Some(why.trim_end_matches("; reconnecting").to_string());
            }
            Event::Connected { .. } if self.lost.take().is_some() => {
                self.came_back += 1;
                let due = self.deliveries.counts().unsettled();
                report::note(&format!(
                    "reconnected; sending the {due} unconfirmed message(s) again"
                ));
            }
            Event::Closed => return Ok(true),
            Event::Failed(failure) => {
                let (missing, total) = undelivered(&self.deliveries.counts(), self.d.repeats);
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
        Ok(false)
    }

    /// How the run ended, once the loop is over.
    fn outcome(self) -> Result<()> {
        let counts = self.deliveries.counts();
        if let Some(failure) = self.bad_input {
            return Err(after_bad_input(failure, &counts));
        }
        let repeats = self.d.repeats;
        if self.interrupted.is_some() {
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
                    self.d.read.load(Ordering::Acquire)
                )),
            }
        }
        if counts.unsettled() > 0 {
            let why = match self.interrupted {
                Some(_) => "interrupted",
                None => "the broker did not confirm in time",
            };
            // Interrupted: the note above said how many repeats were never sent.
            let planned = repeats.filter(|_| self.interrupted.is_none());
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
        if let Some(why) = self.first_refusal {
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
