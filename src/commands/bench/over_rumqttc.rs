//! bench over websockets: the lean engine speaks TCP and TLS only, so websocket runs keep
//! rumqttc's session (one request at a time, no reconnect: a dropped client ends its part of
//! the run and is counted as failed).

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::header::Header;
use super::plan::expand;
use super::publisher::Publisher;
use super::schedule::Schedule;
use super::stats::{Counters, Kind, Measured};
use super::stopped;
use super::subscriber::Subscriber;
use crate::connect::{Acks, ConnSpec, Event, Filter, Granted, OutgoingPublish, Reconnect, Session};
use crate::exit::{Failure, Result};

/// How long publishers wait for outstanding acknowledgements once sending stops.
const ACK_GRACE: Duration = super::publisher::ACK_GRACE;

fn with_id(spec: &ConnSpec, id: &str) -> ConnSpec {
    let mut spec = spec.clone();
    spec.client_id = id.to_string();
    spec
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

impl Publisher {
    /// `run`, on rumqttc's session: for websockets, which the lean engine does not speak.
    pub async fn run_over_rumqttc(
        self,
        ready: tokio::sync::oneshot::Sender<Result<()>>,
        mut stop: watch::Receiver<bool>,
    ) -> Measured {
        let mut measured = Measured::default();
        let spec = with_id(&self.ctx.spec, &self.client_id);
        let mut session = match connect(&spec).await {
            Ok(session) => {
                let _ = ready.send(Ok(()));
                session
            }
            Err(failure) => {
                let _ = ready.send(Err(failure));
                return measured;
            }
        };
        Counters::add(&self.ctx.counters.connected, 1);
        let Some(window) = self.ctx.window().await else {
            return measured;
        };
        let deliveries = session.deliveries();
        let publisher = session.publisher();
        let qos = self.plan.qos;
        // Closed loop keeps this many messages outstanding: the in-flight window at QoS 1 and 2,
        // so that latency is the broker's and not a queue's inside moth.
        let outstanding_limit = match qos {
            0 => 256,
            _ => u64::from(spec.max_inflight),
        };
        // Intended send times, oldest first, matched to completions in order (a broker
        // acknowledges one client's messages in the order they were sent).
        let mut pending: VecDeque<Instant> = VecDeque::new();
        let schedule = Schedule::new(
            window.start,
            self.plan.interval,
            self.position,
            self.publishers,
        );
        let mut seq: u64 = 0;
        let mut completed = 0u64;
        let mut sending = true;
        let mut grace: Option<Instant> = None;
        // The wait for the next scheduled send lives across loop turns: re-creating it on every
        // turn would queue the same wake-up again and again.
        let mut tick: Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>> =
            None;
        let mut wake = None;

        loop {
            let next = schedule.at(seq);
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
                tick = Some(match next {
                    // Closed loop: nothing to wait for, so no alarm to open.
                    None => Box::pin(std::future::ready(())),
                    Some(at) => {
                        let wake = wake
                            .get_or_insert_with(|| self.ticker.wake_for(self.position as usize))
                            .clone();
                        let at = at.into_std();
                        Box::pin(async move { wake.sleep_until(at).await })
                    }
                });
            }
            tokio::select! {
                biased;
                _ = deliveries.changed() => {
                    let now = Instant::now();
                    let count = deliveries.settled();
                    while completed < count {
                        completed += 1;
                        Counters::add(&self.ctx.counters.acked, 1);
                        if let Some(intended) = pending.pop_front()
                            && window.measured(intended)
                        {
                            measured.acked += 1;
                            if qos > 0 {
                                self.ctx.recorder.record(self.position as usize, Kind::Ack, now.saturating_duration_since(intended));
                            }
                        }
                    }
                }
                event = session.next() => {
                    if let Some(reason) = failure_of(event) {
                        measured.failed_for_good(Some(&reason), &self.ctx.counters);
                        break;
                    }
                }
                _ = stopped(&mut stop), if sending => {}
                _ = tokio::time::sleep_until(grace.unwrap_or_else(Instant::now)), if grace.is_some() => {
                    let missing = measured.sent_total - completed;
                    if qos > 0 && missing > 0 {
                        *measured.failures.entry("not acknowledged in time".into()).or_default() += missing;
                        measured.unconfirmed += missing;
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
                        Some((template, index, id)) => expand(template, *index, id, &self.ctx.username, seq),
                        None => self.topic.clone(),
                    };
                    pending.push_back(intended);
                    let publish = OutgoingPublish { topic, qos, retain: self.plan.retain, payload, properties: None };
                    if publisher.publish(publish).await.is_err() {
                        break;
                    }
                    Counters::add(&self.ctx.counters.sent, 1);
                    measured.sent_total += 1;
                    if window.measured(intended) {
                        measured.sent += 1;
                        if next.is_some() {
                            self.ctx.recorder.record(self.position as usize, Kind::Lag, lag);
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

impl Subscriber {
    /// `run`, on rumqttc's session: for websockets, which the lean engine does not speak.
    pub async fn run_over_rumqttc(
        self,
        ready: tokio::sync::oneshot::Sender<Result<()>>,
        mut drain: watch::Receiver<bool>,
    ) -> Measured {
        let mut measured = Measured::default();
        let filter = Filter {
            filter: self.filter.clone(),
            qos: self.qos,
            no_local: false,
            no_stale_retained: false,
            retain_as_published: false,
        };
        let spec = with_id(&self.ctx.spec, &self.client_id);
        let mut session = match connect(&spec).await {
            Ok(session) => session,
            Err(failure) => {
                let _ = ready.send(Err(failure));
                return measured;
            }
        };
        session.subscribe(vec![filter]);
        loop {
            match session.next().await {
                Event::Subscribed(granted) => {
                    if let Some(Granted::Refused(why)) = granted.first() {
                        let _ = ready.send(Err(Failure::new(
                            crate::exit::REFUSED,
                            format!(
                                "the broker refused the subscription to '{}': {why}",
                                self.filter
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
        Counters::add(&self.ctx.counters.connected, 1);
        let Some(window) = self.ctx.window().await else {
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
                    let total = self.ctx.counters.received.fetch_add(1, Ordering::Relaxed) + 1;
                    measured.received_total += 1;
                    match Header::read(&message.payload) {
                        Some(h) => {
                            measured.streams.observe(h.publisher, h.seq);
                            if h.intended_ns >= measure_from_ns {
                                measured.received += 1;
                                let now = window.clock.now_ns();
                                let since = |t: u64| Duration::from_nanos(now.saturating_sub(t));
                                self.ctx.recorder.record(
                                    self.worker,
                                    Kind::Latency,
                                    since(h.intended_ns),
                                );
                                self.ctx.recorder.record(
                                    self.worker,
                                    Kind::Service,
                                    since(h.sent_ns),
                                );
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
                        measured.failed_for_good(Some(&reason), &self.ctx.counters);
                        break;
                    }
                }
            }
        }
        close(&mut session).await;
        measured
    }
}
