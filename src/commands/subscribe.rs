//! `moth sub`: subscribe, print what arrives, and stop exactly when mosquitto_sub would.

use std::time::Duration;

use tokio::time::Instant;

use crate::cli::SubArgs;
use crate::commands::shutdown_signal;
use crate::connect::{
    Acks, ConnSpec, Event, Filter, Granted, Message, OutgoingPublish, Protocol, Receipt, Reconnect,
    Session, random_u64,
};
use crate::exit::{self, Failure, Result};
use crate::output::{self, Format, Sink, WriteError};
use crate::{report, topic};

/// After this many events in a row without the queue running dry, check signals and -W anyway.
const CHECK_EVERY: u32 = 1024;
/// How long to wait for our own clean-up publishes and the DISCONNECT at the end.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// What a receiving run does; built from `sub`'s flags, or by `rr`.
#[derive(Default)]
pub(crate) struct Plan {
    pub filters: Vec<String>,
    pub hide: Vec<String>,
    pub unsubscribe: Vec<String>,
    pub qos: u8,
    pub count: Option<u64>,
    pub timeout: Option<Duration>,
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
}

enum Stop {
    /// Normal ends: -C reached, -E subscribed, --retained-only saw a fresh message, a signal,
    /// -U done, or the reader closed stdout.
    Done,
    TimedOut,
}

pub async fn run(args: SubArgs) -> Result<()> {
    let spec = ConnSpec::from_args(&args.conn, Protocol::V311)?;
    let plan = plan(&args, &spec)?;
    let format = output::format_for(&args.output)?;
    report::set_quiet(args.conn.quiet);
    receive(&spec, plan, format).await
}

/// Subscribe, print what arrives through `format`, and stop as the plan says.
pub(crate) async fn receive(
    spec: &ConnSpec,
    mut plan: Plan,
    mut format: Box<dyn Format>,
) -> Result<()> {
    let format = format.as_mut();
    let mut sink = Sink::stdout();
    // A message is acknowledged only once it is written out: whatever is received but not
    // printed (past -C, at a signal, when stdout closes) stays the broker's to deliver again.
    let mut session = Session::start(spec, Reconnect::Always, Acks::Manual);
    let request = plan.request.take();
    let mut run = Run::new(&plan, request);
    let mut signal = std::pin::pin!(shutdown_signal());
    let mut deadline: Option<Instant> = None;
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
                run.acknowledge(&session);
                let timer = async {
                    match deadline {
                        Some(at) => tokio::time::sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    biased;
                    _ = &mut signal => break Stop::Done,
                    _ = timer => break Stop::TimedOut,
                    event = session.next() => event,
                }
            }
        };
        if let Event::Connected { .. } = event
            && deadline.is_none()
        {
            // As mosquitto: the -W clock starts once connected.
            deadline = plan.timeout.map(|t| Instant::now() + t);
        }
        match run.handle(event, &session, &mut sink, format) {
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
    match stop {
        Stop::Done => Ok(()),
        Stop::TimedOut => Err(Failure::new(
            exit::TIMEOUT,
            format!(
                "timed out after {} s (-W) with {} message(s) received",
                plan.timeout.unwrap_or_default().as_secs(),
                run.received
            ),
        )),
    }
}

fn output_stop(err: WriteError) -> Result<Stop> {
    match err {
        WriteError::Closed => Ok(Stop::Done),
        WriteError::Failed(err) => Err(Failure::usage(format!(
            "cannot write to stdout: {}",
            crate::connect::io_reason(&err)
        ))),
    }
}

fn plan(args: &SubArgs, spec: &ConnSpec) -> Result<Plan> {
    let mut filters = args.topics.clone();
    filters.extend(spec.url_topic.clone());
    if filters.is_empty() && args.unsubscribe.is_empty() {
        return Err(Failure::usage(
            "give a topic filter to subscribe to with -t (or -U to unsubscribe)",
        ));
    }
    for (flag, list) in [
        ("-t", &filters),
        ("-T", &args.filter_out),
        ("-U", &args.unsubscribe),
    ] {
        for filter in list.iter() {
            topic::validate_filter(filter).map_err(|why| {
                Failure::usage(format!(
                    "invalid filter {} ({flag}): {why}",
                    report::quote(filter)
                ))
            })?;
        }
    }
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
        no_stale: args.no_stale,
        no_local: args.no_local,
        exit_after_sub: args.exit_after_sub,
        retained_only: args.retained_only,
        remove_retained: args.remove_retained,
        retain_as_published: args.retain_as_published,
        random_below,
        request: None,
        correlation: None,
    })
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
    /// Messages past the filters (-C counts these, as mosquitto does, printed or not).
    received: u64,
    /// `rr`'s request, until it is sent.
    request: Option<OutgoingPublish>,
    /// Clear-retained publishes sent.
    removals_sent: u64,
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
            received: 0,
            request,
            removals_sent: 0,
            random: random_u64() | 1,
            written: Vec::new(),
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
            Event::Unsubscribed => Ok(self.acked()),
            Event::Message(message) => self.message(message, session, sink, format),
            Event::PublishRefused(why) if self.plan.remove_retained => {
                report::warning(&format!("clearing a retained message failed: {why}"));
                Ok(None)
            }
            Event::PublishRefused(why) => Err(Handled::Fatal(Failure::new(
                exit::REFUSED,
                format!("the request was refused: {why}"),
            ))),
            Event::ConnectionLost(why) => {
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
