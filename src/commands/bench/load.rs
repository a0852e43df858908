//! pub, sub and pubsub: publishers on an open-loop schedule, subscribers that time every message
//! from its intended send time, and the coordinator that starts, stops and drains them.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::header::{self, Header};
use super::report::{self, Outcome, Summary};
use super::stats::{Counters, Kind, Measured, Recorder};
use super::ticker::Ticker;
use super::{Clock, Setup, stop_on_signal, stopped};
use crate::cli::PublishLoadArgs;
use crate::connect::{Acks, ConnSpec, Event, Filter, Granted, OutgoingPublish, Reconnect, Session};
use crate::exit::{Failure, Result};
use crate::topic;

/// How long publishers wait for outstanding acknowledgements once sending stops.
const ACK_GRACE: Duration = Duration::from_secs(5);
/// Subscribers drain until everything expected arrived, or nothing new came for this long.
const DRAIN_QUIET: Duration = Duration::from_secs(1);
const DRAIN_MAX: Duration = Duration::from_secs(10);

pub struct PublishPlan {
    template: String,
    size: usize,
    qos: u8,
    retain: bool,
    /// Per publisher; `None` sends as fast as acknowledgements allow (closed loop).
    interval: Option<Duration>,
    limit: Option<u64>,
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
fn expand(template: &str, index: u64, client_id: &str, user: &str, seq: u64) -> String {
    template
        .replace("%i", &index.to_string())
        .replace("%c", client_id)
        .replace("%u", user)
        .replace("%s", &seq.to_string())
}

pub struct SubscribePlan {
    filter: String,
    qos: u8,
    subscribers: u32,
    limit: Option<u64>,
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

    fn shared(&self) -> bool {
        self.filter.starts_with("$share/")
    }
}

/// What every worker needs to know about the run's timing.
#[derive(Clone, Copy)]
struct Window {
    clock: Clock,
    /// Sending starts here; messages meant before `measure_from` are warm-up.
    start: Instant,
    measure_from: Instant,
    /// Sending stops here (`None`: only -L or Ctrl-C stop it).
    end: Option<Instant>,
}

impl Window {
    fn measured(&self, intended: Instant) -> bool {
        intended >= self.measure_from
    }
}

pub async fn run(
    setup: Setup,
    publish: Option<PublishPlan>,
    subscribe: Option<SubscribePlan>,
) -> Result<()> {
    if !setup.sources.is_empty() {
        return Err(Failure::usage(
            "--ifaddr works with bench conn only: rumqttc, which pub and sub use, cannot bind a source address",
        ));
    }
    let mode = match (&publish, &subscribe) {
        (Some(_), Some(_)) => "pubsub",
        (Some(_), None) => "pub",
        _ => "sub",
    };
    let counters = Arc::new(Counters::default());
    let recorder = Recorder::new();
    let (stop_tx, stop) = stop_on_signal();
    let clock = Clock::new();
    setup.wait_for_start().await;

    // Subscribers first, so that nothing is published before anyone listens.
    let mut subscribers = JoinSet::new();
    let (drain_tx, drain) = watch::channel(false);
    let (window_tx, window_rx) = watch::channel::<Option<Window>>(None);
    if let Some(plan) = &subscribe {
        let count = if mode == "sub" {
            setup.clients.len() as u32
        } else {
            plan.subscribers
        };
        let mut ready = Vec::new();
        for n in 0..count {
            let id = match (mode, setup.shard) {
                ("sub", _) => setup.client_id(setup.clients[n as usize]),
                (_, Some((shard, _))) => format!("{}-sub-{shard}-{n}", setup.prefix),
                _ => format!("{}-sub-{n}", setup.prefix),
            };
            let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
            ready.push(ready_rx);
            let worker = Subscriber {
                spec: with_id(&setup.spec, id),
                filter: Filter {
                    filter: plan.filter.clone(),
                    qos: plan.qos,
                    no_local: false,
                    no_stale_retained: false,
                    retain_as_published: false,
                },
                counters: counters.clone(),
                recorder: recorder.clone(),
                worker: n as usize,
                limit: plan.limit,
                stop_all: stop_tx.clone(),
            };
            subscribers.spawn(worker.run(ready_tx, window_rx.clone(), drain.clone()));
            tokio::time::sleep(setup.ramp).await;
        }
        for ready in ready {
            if let Ok(Err(failure)) = ready.await {
                let _ = drain_tx.send(true);
                return Err(failure);
            }
        }
    }

    // Publishers connect; the clock starts once the last one is up.
    let mut publishers = JoinSet::new();
    let budget = Arc::new(AtomicU64::new(0));
    let lag_now = Arc::new(AtomicU64::new(0));
    let publish = publish.map(Arc::new);
    let ticker = Ticker::start(setup.clients.len());
    if let Some(plan) = &publish {
        let mut ready = Vec::new();
        for (n, &index) in setup.clients.iter().enumerate() {
            let id = setup.client_id(index);
            let topic = expand(&plan.template, index, &id, &setup.username, 0);
            let per_message_topic = plan.template.contains("%s");
            let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
            ready.push(ready_rx);
            let worker = Publisher {
                spec: with_id(&setup.spec, id.clone()),
                plan: plan.clone(),
                publisher_id: index as u32,
                offset: n as u32,
                topic,
                per_message_topic: per_message_topic
                    .then(|| (plan.template.clone(), index, id, setup.username.clone())),
                counters: counters.clone(),
                recorder: recorder.clone(),
                budget: budget.clone(),
                lag_now: lag_now.clone(),
                ticker: ticker.clone(),
                publishers: setup.clients.len() as u32,
            };
            publishers.spawn(worker.run(ready_tx, window_rx.clone(), stop.clone()));
            tokio::time::sleep(setup.ramp).await;
        }
        for ready in ready {
            if let Ok(Err(failure)) = ready.await {
                let _ = stop_tx.send(true);
                let _ = drain_tx.send(true);
                return Err(failure);
            }
        }
    }

    let has_limit = publish.as_ref().is_some_and(|p| p.limit.is_some())
        || subscribe.as_ref().is_some_and(|s| s.limit.is_some());
    let start = Instant::now();
    let measure_from = start + setup.warmup;
    let window = Window {
        clock,
        start,
        measure_from,
        end: setup.run_time(has_limit).map(|d| measure_from + d),
    };
    let _ = window_tx.send(Some(window));

    let progress = report::Progress::start(
        counters.clone(),
        lag_now.clone(),
        publish.as_ref().and_then(|p| p.interval),
        setup.report.quiet,
        window.end.map(|end| end - start),
    );

    // Sending phase: publishers stop on their own (deadline, -L) or on Ctrl-C.
    let mut measured = Measured::default();
    let mut stop_for_wait = stop.clone();
    if let Some(plan) = &publish {
        while let Some(result) = publishers.join_next().await {
            if let Ok(m) = result {
                measured.merge(m);
            }
        }
        // A slow schedule may have nothing left to send before the deadline: the run still
        // lasts until then (unless -L ran out or Ctrl-C came).
        let limit_reached = plan
            .limit
            .is_some_and(|limit| budget.load(Ordering::Relaxed) >= limit);
        if let Some(end) = window.end
            && !limit_reached
        {
            tokio::select! {
                _ = tokio::time::sleep_until(end) => {}
                _ = stopped(&mut stop_for_wait) => {}
            }
        }
    } else {
        // sub mode: until the deadline, -L (a subscriber sets stop) or Ctrl-C.
        match window.end {
            Some(end) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(end) => {}
                    _ = stopped(&mut stop_for_wait) => {}
                }
            }
            None => stopped(&mut stop_for_wait).await,
        }
    }
    let interrupted = *stop.borrow();

    // Drain: let subscribers take what is still on its way.
    if let Some(plan) = &subscribe {
        if publish.is_some() {
            let factor = if plan.shared() {
                1
            } else {
                plan.subscribers as u64
            };
            let expected = measured.sent_total * factor;
            drain_until(&counters, expected, interrupted).await;
        }
        let _ = drain_tx.send(true);
        while let Some(result) = subscribers.join_next().await {
            if let Ok(m) = result {
                measured.merge(m);
            }
        }
    }
    ticker.close();
    let elapsed_send = window
        .end
        .map_or_else(|| start.elapsed(), |end| end.min(Instant::now()) - start);

    let generator_limited = progress.finish();
    let mut summary = Summary::new(
        mode,
        &setup,
        publish.as_ref().map(|p| (p.qos, p.size)),
        subscribe.as_ref().map(|s| (s.subscribers, s.shared())),
        Outcome {
            measured,
            histograms: recorder.merged(),
            measured_time: elapsed_send.saturating_sub(setup.warmup),
            interrupted,
        },
    );
    summary.set("generator_limited", generator_limited.into());
    if generator_limited {
        summary.text.push_str(
            "  the load generator could not keep to its schedule: see the warning above\n",
        );
    }
    report::finish(&summary, &setup.report)
}

fn with_id(spec: &ConnSpec, id: String) -> ConnSpec {
    let mut spec = spec.clone();
    spec.client_id = id;
    spec
}

async fn drain_until(counters: &Counters, expected: u64, interrupted: bool) {
    let deadline = Instant::now()
        + if interrupted {
            Duration::from_millis(500)
        } else {
            DRAIN_MAX
        };
    let mut last = Counters::get(&counters.received);
    let mut last_change = Instant::now();
    while Instant::now() < deadline {
        let now = Counters::get(&counters.received);
        if now >= expected {
            return;
        }
        if now != last {
            last = now;
            last_change = Instant::now();
        } else if last_change.elapsed() >= DRAIN_QUIET {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Wait for the run's window to be set.
async fn window(rx: &mut watch::Receiver<Option<Window>>) -> Option<Window> {
    rx.wait_for(|w| w.is_some()).await.ok().and_then(|w| *w)
}

/// Connect and wait for CONNACK, as a worker does before the run starts.
async fn connect(spec: &ConnSpec) -> std::result::Result<Session, Failure> {
    let mut session = Session::start(spec, Reconnect::Never, Acks::OnReceipt);
    match session.next().await {
        Event::Connected { .. } => Ok(session),
        Event::Failed(failure) => Err(Failure::new(
            failure.code,
            format!("client {}: {}", spec.client_id, failure.message),
        )),
        other => Err(Failure::usage(format!("unexpected first event {other:?}"))),
    }
}

struct Publisher {
    spec: ConnSpec,
    plan: Arc<PublishPlan>,
    publisher_id: u32,
    /// This publisher's position, to spread the publishers' schedules over one interval.
    offset: u32,
    publishers: u32,
    topic: String,
    per_message_topic: Option<(String, u64, String, String)>,
    counters: Arc<Counters>,
    recorder: Recorder,
    budget: Arc<AtomicU64>,
    lag_now: Arc<AtomicU64>,
    ticker: Ticker,
}

impl Publisher {
    async fn run(
        self,
        ready: tokio::sync::oneshot::Sender<Result<()>>,
        mut window_rx: watch::Receiver<Option<Window>>,
        mut stop: watch::Receiver<bool>,
    ) -> Measured {
        let mut measured = Measured::default();
        let mut session = match connect(&self.spec).await {
            Ok(session) => {
                let _ = ready.send(Ok(()));
                session
            }
            Err(failure) => {
                let _ = ready.send(Err(failure));
                return measured;
            }
        };
        Counters::add(&self.counters.connected, 1);
        let Some(window) = window(&mut window_rx).await else {
            return measured;
        };
        let deliveries = session.deliveries();
        let publisher = session.publisher();
        let qos = self.plan.qos;
        // Closed loop keeps this many messages outstanding: the in-flight window at QoS 1 and 2,
        // so that latency is the broker's and not a queue's inside moth.
        let outstanding_limit = match qos {
            0 => 256,
            _ => u64::from(self.spec.max_inflight),
        };
        // Intended send times, oldest first, matched to completions in order (a broker
        // acknowledges one client's messages in the order they were sent).
        let mut pending: VecDeque<Instant> = VecDeque::new();
        let first = window.start
            + self
                .plan
                .interval
                .map_or(Duration::ZERO, |i| i * self.offset / self.publishers.max(1));
        let mut seq: u64 = 0;
        let mut completed = 0u64;
        let mut sending = true;
        let mut grace: Option<Instant> = None;
        // The wait for the next scheduled send lives across loop turns: re-creating it on every
        // turn would queue the same wake-up again and again.
        let mut tick: Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>> =
            None;

        loop {
            let next = self
                .plan
                .interval
                .map(|interval| scheduled(first, interval, seq));
            if sending {
                let due = next.unwrap_or_else(Instant::now);
                let over_budget = self
                    .plan
                    .limit
                    .is_some_and(|limit| self.budget.load(Ordering::Relaxed) >= limit);
                if window.end.is_some_and(|end| due >= end) || over_budget || *stop.borrow() {
                    sending = false;
                }
            }
            if !sending && grace.is_none() {
                grace = Some(Instant::now() + ACK_GRACE);
            }
            if !sending && completed >= measured.sent_total {
                break;
            }
            let room = next.is_some() || measured.sent_total - completed < outstanding_limit;
            if tick.is_none() {
                let (ticker, worker) = (self.ticker.clone(), self.offset as usize);
                let at = next.unwrap_or_else(Instant::now).into_std();
                tick = Some(Box::pin(
                    async move { ticker.sleep_until(worker, at).await },
                ));
            }
            tokio::select! {
                biased;
                _ = deliveries.changed() => {
                    let now = Instant::now();
                    let count = deliveries.settled();
                    while completed < count {
                        completed += 1;
                        Counters::add(&self.counters.acked, 1);
                        if let Some(intended) = pending.pop_front()
                            && window.measured(intended)
                        {
                            measured.acked += 1;
                            if qos > 0 {
                                self.recorder.record(self.offset as usize, Kind::Ack, now.saturating_duration_since(intended));
                            }
                        }
                    }
                }
                event = session.next() => {
                    if let Some(reason) = failure_of(event) {
                        measured.fail(&reason);
                        Counters::add(&self.counters.failures, 1);
                        break;
                    }
                }
                _ = stopped(&mut stop), if sending => {}
                _ = tokio::time::sleep_until(grace.unwrap_or_else(Instant::now)), if grace.is_some() => {
                    let missing = measured.sent_total - completed;
                    if qos > 0 && missing > 0 {
                        *measured.failures.entry("not acknowledged in time".into()).or_default() += missing;
                    }
                    break;
                }
                _ = tick.as_mut().expect("armed above"), if sending && room => {
                    tick = None;
                    let intended = next.unwrap_or_else(Instant::now);
                    let now = Instant::now();
                    if now < intended {
                        // A wake-up left over from an earlier turn: wait for the right one.
                        continue;
                    }
                    if self.plan.limit.is_some_and(|limit| self.budget.fetch_add(1, Ordering::Relaxed) >= limit) {
                        sending = false;
                        continue;
                    }
                    let lag = now.saturating_duration_since(intended);
                    self.lag_now.fetch_max(lag.as_micros() as u64, Ordering::Relaxed);
                    let payload = Header {
                        publisher: self.publisher_id,
                        seq,
                        intended_ns: window.clock.unix_ns(intended),
                        sent_ns: window.clock.unix_ns(now),
                    }
                    .payload(self.plan.size);
                    let topic = match &self.per_message_topic {
                        Some((template, index, id, user)) => expand(template, *index, id, user, seq),
                        None => self.topic.clone(),
                    };
                    pending.push_back(intended);
                    let publish = OutgoingPublish { topic, qos, retain: self.plan.retain, payload, properties: None };
                    if publisher.publish(publish).await.is_err() {
                        break;
                    }
                    Counters::add(&self.counters.sent, 1);
                    measured.sent_total += 1;
                    if window.measured(intended) {
                        measured.sent += 1;
                        if next.is_some() {
                            self.recorder.record(self.offset as usize, Kind::Lag, lag);
                        }
                    }
                    seq += 1;
                }
            }
        }
        close(&mut session).await;
        measured
    }
}

/// When message `seq` of a schedule is due. Past any run's end (a year at most) it saturates
/// instead of overflowing: `Duration * u32` would panic, and `seq as u32` would wrap.
fn scheduled(first: Instant, interval: Duration, seq: u64) -> Instant {
    const FAR: Duration = Duration::from_secs(2 * 366 * 24 * 3600);
    let offset = interval.as_nanos().saturating_mul(u128::from(seq));
    u64::try_from(offset)
        .ok()
        .map(Duration::from_nanos)
        .filter(|offset| *offset < FAR)
        .and_then(|offset| first.checked_add(offset))
        .unwrap_or(first + FAR)
}

/// Disconnect cleanly, waiting a little for the DISCONNECT to be written.
async fn close(session: &mut Session) {
    session.disconnect();
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while !matches!(session.next().await, Event::Closed | Event::Failed(_)) {}
    })
    .await;
}

/// A session event that ends a worker, as a failure reason.
fn failure_of(event: Event) -> Option<String> {
    match event {
        Event::Failed(failure) => Some(failure.message),
        Event::PublishRefused(why) => Some(why),
        Event::ConnectionLost(why) => Some(why),
        Event::Closed => Some("closed".into()),
        _ => None,
    }
}

struct Subscriber {
    spec: ConnSpec,
    filter: Filter,
    counters: Arc<Counters>,
    recorder: Recorder,
    worker: usize,
    limit: Option<u64>,
    stop_all: watch::Sender<bool>,
}

impl Subscriber {
    async fn run(
        self,
        ready: tokio::sync::oneshot::Sender<Result<()>>,
        mut window_rx: watch::Receiver<Option<Window>>,
        mut drain: watch::Receiver<bool>,
    ) -> Measured {
        let mut measured = Measured::default();
        let mut session = match connect(&self.spec).await {
            Ok(session) => session,
            Err(failure) => {
                let _ = ready.send(Err(failure));
                return measured;
            }
        };
        session.subscribe(vec![self.filter.clone()]);
        loop {
            match session.next().await {
                Event::Subscribed(granted) => {
                    if let Some(Granted::Refused(why)) = granted.first() {
                        let _ = ready.send(Err(Failure::new(
                            crate::exit::REFUSED,
                            format!(
                                "the broker refused the subscription to '{}': {why}",
                                self.filter.filter
                            ),
                        )));
                        return measured;
                    }
                    break;
                }
                Event::Failed(failure) => {
                    let _ = ready.send(Err(failure));
                    return measured;
                }
                _ => {}
            }
        }
        let _ = ready.send(Ok(()));
        Counters::add(&self.counters.connected, 1);
        let Some(window) = window(&mut window_rx).await else {
            return measured;
        };
        let measure_from_ns = window.clock.unix_ns(window.measure_from);
        loop {
            let event = tokio::select! {
                biased;
                _ = stopped(&mut drain) => break,
                event = session.next() => event,
            };
            match event {
                Event::Message(message) => {
                    let total = self.counters.received.fetch_add(1, Ordering::Relaxed) + 1;
                    measured.received_total += 1;
                    match Header::read(&message.payload) {
                        Some(h) => {
                            measured.streams.observe(h.publisher, h.seq);
                            if h.intended_ns >= measure_from_ns {
                                measured.received += 1;
                                let now = window.clock.now_ns();
                                let since = |t: u64| Duration::from_nanos(now.saturating_sub(t));
                                self.recorder.record(
                                    self.worker,
                                    Kind::Latency,
                                    since(h.intended_ns),
                                );
                                self.recorder
                                    .record(self.worker, Kind::Service, since(h.sent_ns));
                            }
                        }
                        None if Instant::now() >= window.measure_from => measured.received += 1,
                        None => {}
                    }
                    if self.limit.is_some_and(|limit| total >= limit) {
                        let _ = self.stop_all.send(true);
                    }
                }
                other => {
                    if let Some(reason) = failure_of(other) {
                        measured.fail(&reason);
                        Counters::add(&self.counters.failures, 1);
                        break;
                    }
                }
            }
        }
        close(&mut session).await;
        measured
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
