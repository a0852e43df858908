//! The receiving loop that `sub`, `rr` and `ls` share: subscribe, hand each message to a
//! `Format`, acknowledge what the format has handled once it is flushed out, and stop as the plan
//! says (-C, -W, --idle, --duration, -E, --retained-only, a signal, a closed stdout).

use std::time::Duration;

use tokio::time::Instant;

use crate::commands::shutdown_signal;
use crate::connect::{
    Acks, ConnSpec, Event, Filter, Granted, Message, OutgoingPublish, Receipt, Reconnect, Session,
};
use crate::exit::{self, Failure, Result};
use crate::output::{Format, Sink, WriteError};
use crate::{report, topic};

/// After this many events in a row without the queue running dry, check signals and -W anyway.
const CHECK_EVERY: u32 = 1024;
/// How long to wait for our own clean-up publishes and the DISCONNECT at the end.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// What a receiving run does; built from `sub`'s flags, or by `rr` and `ls`.
#[derive(Default)]
pub(crate) struct Plan {
    pub filters: Vec<String>,
    pub hide: Vec<String>,
    pub unsubscribe: Vec<String>,
    pub qos: u8,
    pub count: Option<u64>,
    pub timeout: Option<Duration>,
    /// --idle: end (exit 0) once this long passes without a message, counted from the SUBACK.
    pub idle: Option<Duration>,
    /// --duration: end (exit 0) this long after connecting.
    pub duration: Option<Duration>,
    pub no_stale: bool,
    pub no_local: bool,
    pub exit_after_sub: bool,
    pub retained_only: bool,
    pub remove_retained: bool,
    pub retain_as_published: bool,
    /// Keep a message when a random u64 falls below this; `None` keeps all.
    pub random_below: Option<u64>,
    /// `rr`: published once the first subscription is acknowledged.
    pub request: Option<OutgoingPublish>,
    /// `rr`: skip responses that carry other correlation data (answers to someone else).
    pub correlation: Option<bytes::Bytes>,
    /// `ui`: messages to publish on the same session, as the user asks for them.
    pub outgoing: Option<tokio::sync::mpsc::UnboundedReceiver<OutgoingPublish>>,
    /// `ui`: ends the run (exit 0) when set.
    pub stop: Option<tokio::sync::watch::Receiver<bool>>,
    /// `ui`: whether the session is connected now, for its status line.
    pub link: Option<tokio::sync::watch::Sender<bool>>,
}

enum Stop {
    /// Normal ends: -C reached, -E subscribed, --retained-only saw a fresh message, --idle, a
    /// signal, -U done, or the reader closed stdout.
    Done,
    TimedOut,
}

/// How a receiving run ended, for callers that go on after it (`ls` prints what it counted).
pub(crate) struct Watched {
    /// -W ran out: `sub` and `rr` exit 27; `ls` takes it as the end of its watch.
    pub timed_out: bool,
    /// Messages past the filters (what -C counts).
    pub received: u64,
    /// When the broker acknowledged the first subscription.
    pub subscribed_at: Option<Instant>,
}

/// Subscribe, print what arrives through `format`, and stop as the plan says; -W is exit 27.
pub(crate) async fn receive(
    spec: &ConnSpec,
    plan: Plan,
    mut format: Box<dyn Format>,
) -> Result<()> {
    let timeout = plan.timeout.unwrap_or_default();
    let watched = watch(spec, plan, format.as_mut()).await?;
    if watched.timed_out {
        return Err(Failure::new(
            exit::TIMEOUT,
            format!(
                "timed out after {} s (-W) with {} message(s) received",
                timeout.as_secs(),
                watched.received
            ),
        ));
    }
    Ok(())
}

/// The receiving loop.
pub(crate) async fn watch(
    spec: &ConnSpec,
    mut plan: Plan,
    format: &mut dyn Format,
) -> Result<Watched> {
    let mut sink = Sink::stdout();
    // A message is acknowledged only once it is written out: whatever is received but not
    // printed (past -C, at a signal, when stdout closes) stays the broker's to deliver again.
    let mut session = Session::start(spec, Reconnect::Always, Acks::Manual);
    let request = plan.request.take();
    let mut outgoing = plan.outgoing.take();
    let mut stop_asked = plan.stop.take();
    let deliveries = session.deliveries();
    let mut run = Run::new(&plan, request);
    let mut signal = std::pin::pin!(shutdown_signal());
    let mut reader_gone = std::pin::pin!(crate::output::reader_gone());
    let mut deadline: Option<Instant> = None;
    let mut end_at: Option<Instant> = None;
    let mut idle_at: Option<Instant> = None;
    let mut subscribed_at: Option<Instant> = None;
    let mut streak = 0u32;

    let stop = loop {
        let waiting = match streak < CHECK_EVERY {
            true => session.try_next(),
            false => None,
        };
        let event = match waiting {
            Some(event) => {
                streak += 1;
                event
            }
            None => {
                streak = 0;
                if let Err(err) = sink.flush() {
                    break output_stop(err)?;
                }
                // --idle ends the run only from here: after the flush and the acknowledgements,
                // so what was printed is acknowledged and nothing else was taken.
                run.acknowledge(&session);
                tokio::select! {
                    biased;
                    _ = &mut signal => break Stop::Done,
                    _ = asked_to_stop(&mut stop_asked) => break Stop::Done,
                    publish = next_outgoing(&mut outgoing) => {
                        run.publish_own(&session, publish);
                        continue;
                    }
                    _ = deliveries.changed(), if run.own_due(&deliveries) > 0 => {
                        run.own_settled(&deliveries);
                        continue;
                    }
                    // What was flushed is acknowledged; nothing more can be printed.
                    _ = &mut reader_gone => break Stop::Done,
                    _ = sleep_until(deadline) => break Stop::TimedOut,
                    _ = sleep_until(end_at) => break Stop::Done,
                    _ = sleep_until(idle_at) => break Stop::Done,
                    event = session.next() => event,
                }
            }
        };
        if let Event::Connected { .. } = event
            && deadline.is_none()
        {
            // As mosquitto: the -W clock starts once connected; so does --duration's.
            deadline = plan.timeout.map(|t| Instant::now() + t);
            end_at = plan.duration.map(|t| Instant::now() + t);
        }
        let subscribed = matches!(event, Event::Subscribed(_));
        let before = run.received;
        let outcome = run.handle(event, &session, &mut sink, format);
        // The idle clock starts at the SUBACK and starts again with every message that counts.
        if subscribed {
            subscribed_at.get_or_insert_with(Instant::now);
        }
        if subscribed || run.received != before {
            idle_at = plan.idle.map(|t| Instant::now() + t);
        }
        match outcome {
            Ok(None) => {}
            Ok(Some(stop)) => break stop,
            Err(Handled::Output(err)) => break output_stop(err)?,
            Err(Handled::Fatal(failure)) => {
                let _ = sink.flush();
                return Err(failure);
            }
        }
    };

    if sink.flush().is_ok() {
        run.acknowledge(&session);
    }
    run.close(&mut session).await;
    Ok(Watched {
        timed_out: matches!(stop, Stop::TimedOut),
        received: run.received,
        subscribed_at,
    })
}

/// The next message `ui` asks to publish; never, without one.
async fn next_outgoing(
    outgoing: &mut Option<tokio::sync::mpsc::UnboundedReceiver<OutgoingPublish>>,
) -> OutgoingPublish {
    match outgoing {
        Some(rx) => match rx.recv().await {
            Some(publish) => publish,
            None => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

async fn asked_to_stop(stop: &mut Option<tokio::sync::watch::Receiver<bool>>) {
    match stop {
        Some(rx) => {
            let _ = rx.wait_for(|s| *s).await;
        }
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn output_stop(err: WriteError) -> Result<Stop> {
    match err {
        WriteError::Closed => Ok(Stop::Done),
        WriteError::Failed(err) => Err(Failure::usage(format!(
            "cannot write to stdout: {}",
            crate::report::io_reason(&err)
        ))),
    }
}

enum Handled {
    Output(WriteError),
    Fatal(Failure),
}

/// The state of one receiving run.
struct Run<'p> {
    plan: &'p Plan,
    connected_before: bool,
    /// SUBACK and UNSUBACKs still to come from the first connection.
    acks_due: usize,
    /// UNSUBACKs seen, and how many refused (MQTT 5).
    unsubscribed: usize,
    unsubscribe_refused: usize,
    /// Messages past the filters (-C counts these, as mosquitto does, printed or not).
    received: u64,
    /// `rr`'s request, until it is sent.
    request: Option<OutgoingPublish>,
    /// Our own publishes sent (clearing retained messages, `ui`'s): the close waits for them.
    removals_sent: u64,
    /// `ui`'s publishes not yet reported settled: (sequence among our own, topic, QoS).
    own_pending: std::collections::VecDeque<(u64, String, u8)>,
    random: u64,
    /// Messages written (or deliberately skipped) since the last flush, in arrival order:
    /// acknowledged once the flush has put them out.
    written: Vec<Receipt>,
}

impl<'p> Run<'p> {
    fn new(plan: &'p Plan, request: Option<OutgoingPublish>) -> Self {
        Run {
            plan,
            connected_before: false,
            acks_due: 0,
            unsubscribed: 0,
            unsubscribe_refused: 0,
            received: 0,
            request,
            removals_sent: 0,
            own_pending: std::collections::VecDeque::new(),
            random: crate::random::random_u64() | 1,
            written: Vec::new(),
        }
    }

    /// Publish what `ui` asked for; its outcome is reported once settled.
    fn publish_own(&mut self, session: &Session, publish: OutgoingPublish) {
        self.removals_sent += 1;
        self.own_pending
            .push_back((self.removals_sent, publish.topic.clone(), publish.qos));
        session.publish(publish);
    }

    /// `ui`'s publishes not yet said to be settled.
    fn own_due(&self, _deliveries: &crate::connect::Deliveries) -> u64 {
        self.own_pending.len() as u64
    }

    /// Say which of `ui`'s publishes are settled (a refusal was said when it came).
    fn own_settled(&mut self, deliveries: &crate::connect::Deliveries) {
        let settled = deliveries.settled();
        while let Some((seq, topic, qos)) = self.own_pending.front() {
            if *seq > settled {
                break;
            }
            report::note(&format!(
                "published to {} at QoS {qos}: {}",
                crate::report::quote(topic),
                if *qos == 0 { "written" } else { "acknowledged" }
            ));
            self.own_pending.pop_front();
        }
    }

    /// Acknowledge what the last flush wrote out.
    fn acknowledge(&mut self, session: &Session) {
        for receipt in self.written.drain(..) {
            session.acknowledge(receipt);
        }
    }

    /// The filters to subscribe to again on a new session: -U removed a filter for good.
    fn resubscribe(&self) -> Vec<Filter> {
        let mut filters = self.filters();
        filters.retain(|f| !self.plan.unsubscribe.contains(&f.filter));
        filters
    }

    fn filters(&self) -> Vec<Filter> {
        self.plan
            .filters
            .iter()
            .map(|f| Filter {
                filter: f.clone(),
                qos: self.plan.qos,
                no_local: self.plan.no_local,
                // --remove-retained must still see retained messages under -R (mosquitto's man page).
                no_stale_retained: self.plan.no_stale && !self.plan.remove_retained,
                retain_as_published: self.plan.retain_as_published,
            })
            .collect()
    }

    fn handle(
        &mut self,
        event: Event,
        session: &Session,
        sink: &mut Sink,
        format: &mut dyn Format,
    ) -> std::result::Result<Option<Stop>, Handled> {
        match event {
            Event::Connected { session_present } => {
                if let Some(link) = &self.plan.link {
                    link.send_replace(true);
                }
                if !self.connected_before {
                    self.connected_before = true;
                    if !self.plan.filters.is_empty() {
                        session.subscribe(self.filters());
                        self.acks_due += 1;
                    }
                    if !self.plan.unsubscribe.is_empty() {
                        session.unsubscribe(self.plan.unsubscribe.clone());
                        self.acks_due += self.plan.unsubscribe.len();
                    }
                } else if !session_present && !self.resubscribe().is_empty() {
                    report::note("reconnected; the broker kept no session, subscribing again");
                    session.subscribe(self.resubscribe());
                } else {
                    report::note("reconnected");
                }
                Ok(None)
            }
            Event::Subscribed(granted) => {
                self.check_granted(&granted).map_err(Handled::Fatal)?;
                if let Some(request) = self.request.take() {
                    session.publish(request);
                }
                Ok(self.acked())
            }
            Event::Unsubscribed(refusal) => {
                let filter = self
                    .plan
                    .unsubscribe
                    .get(self.unsubscribed)
                    .cloned()
                    .unwrap_or_default();
                self.unsubscribed += 1;
                if let Some(why) = refusal {
                    self.unsubscribe_refused += 1;
                    let all_refused = self.unsubscribe_refused == self.plan.unsubscribe.len();
                    let message = format!(
                        "the broker refused to unsubscribe from {}: {why}",
                        crate::report::quote(&filter)
                    );
                    if all_refused && self.plan.filters.is_empty() {
                        // -U alone: nothing was done, say so with the refusal's code.
                        return Err(Handled::Fatal(Failure::new(exit::REFUSED, message)));
                    }
                    report::warning(&message);
                }
                Ok(self.acked())
            }
            Event::Message(message) => self.message(message, session, sink, format),
            Event::PublishRefused(why) if self.plan.remove_retained => {
                report::warning(&format!("clearing a retained message failed: {why}"));
                Ok(None)
            }
            // ui's own publishes: said, not fatal.
            Event::PublishRefused(why) if self.plan.correlation.is_none() => {
                report::warning(&why);
                Ok(None)
            }
            Event::PublishRefused(why) => Err(Handled::Fatal(Failure::new(
                exit::REFUSED,
                format!("the request was refused: {why}"),
            ))),
            Event::ConnectionLost(why) => {
                if let Some(link) = &self.plan.link {
                    link.send_replace(false);
                }
                report::warning(&why);
                Ok(None)
            }
            Event::Failed(failure) => Err(Handled::Fatal(failure)),
            Event::Closed => Ok(Some(Stop::Done)),
        }
    }

    fn check_granted(&self, granted: &[Granted]) -> Result<()> {
        let refused: Vec<String> = granted
            .iter()
            .zip(&self.plan.filters)
            .filter_map(|(g, filter)| match g {
                Granted::Refused(why) => Some(format!("'{filter}': {why}")),
                Granted::Qos(_) => None,
            })
            .collect();
        if !refused.is_empty() && refused.len() == granted.len() {
            return Err(Failure::new(
                exit::REFUSED,
                format!(
                    "the broker refused every subscription: {}",
                    refused.join("; ")
                ),
            ));
        }
        for why in refused {
            report::warning(&format!("the broker refused the subscription to {why}"));
        }
        Ok(())
    }

    /// One of the first connection's SUBACK/UNSUBACKs arrived.
    fn acked(&mut self) -> Option<Stop> {
        if self.acks_due == 0 {
            return None;
        }
        self.acks_due -= 1;
        let all_in = self.acks_due == 0;
        // With only -U there is nothing to receive: done once the broker confirms.
        (all_in && (self.plan.exit_after_sub || self.plan.filters.is_empty())).then_some(Stop::Done)
    }

    fn message(
        &mut self,
        message: Message,
        session: &Session,
        sink: &mut Sink,
        format: &mut dyn Format,
    ) -> std::result::Result<Option<Stop>, Handled> {
        // Order as in mosquitto_sub's message callback.
        if self.plan.retained_only && !message.retain {
            return Ok(Some(Stop::Done));
        }
        // From here on the message is handled: printed, or skipped on purpose.
        self.written.extend(message.receipt());
        let topic = message.topic();
        if self
            .plan
            .hide
            .iter()
            .any(|filter| topic::matches(filter, topic))
        {
            return Ok(None);
        }
        if self.plan.remove_retained && message.retain {
            session.publish(OutgoingPublish {
                topic: topic.to_string(),
                qos: 1,
                retain: true,
                payload: bytes::Bytes::new(),
                properties: None,
            });
            self.removals_sent += 1;
        }
        if self.plan.no_stale && message.retain {
            return Ok(None);
        }
        if let (Some(ours), Some(theirs)) = (
            &self.plan.correlation,
            message
                .properties
                .as_ref()
                .and_then(|p| p.correlation_data.as_ref()),
        ) && ours != theirs
        {
            return Ok(None);
        }
        let shown = match self.plan.random_below {
            Some(below) => self.next_random() < below,
            None => true,
        };
        if shown {
            sink.write(format, &message).map_err(Handled::Output)?;
        }
        self.received += 1;
        Ok((Some(self.received) == self.plan.count).then_some(Stop::Done))
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64: plenty for sampling output.
        self.random ^= self.random << 13;
        self.random ^= self.random >> 7;
        self.random ^= self.random << 17;
        self.random
    }

    /// Wait (briefly) for clear-retained publishes to be settled, then disconnect cleanly.
    async fn close(&mut self, session: &mut Session) {
        let give_up = Instant::now() + CLOSE_GRACE;
        let deliveries = session.deliveries();
        let mut disconnecting = false;
        loop {
            let due = self.removals_sent.saturating_sub(deliveries.settled());
            if due == 0 && !disconnecting {
                session.disconnect();
                disconnecting = true;
            }
            let event = tokio::select! {
                _ = deliveries.changed() => continue,
                event = session.next() => event,
                _ = tokio::time::sleep_until(give_up) => {
                    if due > 0 {
                        report::warning(&format!(
                            "{due} retained message(s) may not have been cleared: no acknowledgement in time"
                        ));
                    }
                    return;
                }
            };
            if let Event::Closed | Event::Failed(_) = event {
                return;
            }
        }
    }
}
