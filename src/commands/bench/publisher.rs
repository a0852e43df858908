//! One publisher on the lean connection: sends on its schedule (or as fast as the in-flight
//! window allows), matches every acknowledgement to the message it completes, and survives a
//! dropped connection: it reconnects with backoff, sends every unacknowledged QoS 1/2 message
//! again, and catches up with what its schedule made due meanwhile, each timed from its
//! intended send time, so the gap shows in the latency.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use super::header::Header;
use super::plan::{PublishPlan, Topic};
use super::run::{Ctx, Window, client_failure};
use super::schedule::Schedule;
use super::stats::{Counters, Kind, Measured, Samples, Span};
use super::stopped;
use super::ticker::{Ticker, Wake};
use crate::commands::placeholders::Random;
use crate::connect::{
    Attempt, Backoff, Incoming, Inflight, Link, LinkError, PublishPacket, Resend,
};
use crate::exit::Result;

/// How long publishers wait for outstanding acknowledgements once sending stops.
pub const ACK_GRACE: Duration = Duration::from_secs(5);
/// QoS 0 in a closed loop: queue up to this much per write. QoS 0 has no acknowledgement, so
/// "as fast as acknowledgements allow" means as fast as the socket takes it.
const QOS0_QUEUE: usize = 64 * 1024;
/// ... and the kernel may hold at most about this much more (it doubles what it is given):
/// "sent" at QoS 0 is "written to the socket", which must not be megabytes ahead of the broker.
const QOS0_SOCKET_BUFFER: usize = 64 * 1024;
/// How often a publisher whose window is shut says how late its next message is.
const LAG_REFRESH: Duration = Duration::from_millis(250);
/// At most this many messages are queued per turn, so a catch-up after a reconnect still
/// reads acknowledgements in between.
const BATCH: usize = 1024;

/// A message sent and not yet acknowledged.
struct Sent {
    intended: Instant,
    measured: bool,
    payload: Bytes,
    /// Only with a per-message topic (%s in the template).
    topic: Option<Box<str>>,
}

pub struct Publisher {
    pub ctx: Arc<Ctx>,
    pub plan: Arc<PublishPlan>,
    pub client_id: String,
    pub publisher_id: u32,
    /// This publisher's position, to spread the publishers' schedules over one interval.
    pub position: u32,
    pub publishers: u32,
    pub topic: Topic,
    pub budget: Arc<AtomicU64>,
    pub lag: Arc<Lag>,
    pub ticker: Ticker,
}

/// The worst send lag of the last second, by cause: `held` while the in-flight window was
/// full (waiting for the broker's acknowledgements or the subscribers' arrivals), `own` with
/// room to send (this machine was busy). The live view reads and resets them.
#[derive(Default)]
pub struct Lag {
    pub held: AtomicU64,
    pub own: AtomicU64,
}

type Tick = Pin<Box<dyn Future<Output = ()> + Send>>;

impl Publisher {
    fn attempt(&self) -> Attempt<'_> {
        Attempt {
            client_id: &self.client_id,
            clean: true,
            session_expiry: None,
            source: self.ctx.source(self.position as usize),
            auto_ack: true,
        }
    }

    pub async fn run(
        self,
        ready: oneshot::Sender<Result<()>>,
        mut stop: watch::Receiver<bool>,
    ) -> Measured {
        let mut measured = Measured::default();
        let target = &self.ctx.target;
        let (conn, connected) = match Link::open(&self.ctx.spec, target, self.attempt()).await {
            Ok((conn, ack, _)) => {
                let _ = ready.send(Ok(()));
                (conn, ack)
            }
            Err(e) => {
                let _ = ready.send(Err(client_failure(&self.client_id, &e)));
                return measured;
            }
        };
        Counters::add(&self.ctx.counters.connected, 1);
        let Some(window) = self.ctx.window().await else {
            return measured;
        };
        let qos = self.plan.qos;
        let closed_loop = self.plan.interval.is_none();
        if qos == 0 && closed_loop {
            conn.cap_send_buffer(QOS0_SOCKET_BUFFER);
        }
        // pubsub's closed loop: at most a window of messages on their way to the subscribers.
        let flow = self.ctx.flow.as_deref();
        let lane = flow.and_then(|f| f.lane(self.publisher_id));
        // Since when the window has been full (for the stall rule), and whether sends due
        // meanwhile were held back by it rather than by this machine.
        let mut blocked_since: Option<Instant> = None;
        let mut acks: Inflight<Sent> = Inflight::new(self.ctx.spec.max_inflight);
        if let Some(max) = connected.terms.receive_max {
            acks.narrow(max);
        }
        let schedule = Schedule::new(
            window.start,
            self.plan.interval,
            self.position,
            self.publishers,
        );
        let mut samples = Samples::new(self.position as usize, &self.ctx.recorder);
        // {random:A-B} and {uuid} in --template payloads and topics.
        let mut random = Random::new();
        let mut conn = Some(conn);
        let mut backoff = Backoff::new();
        let mut seq: u64 = 0;
        let mut sending = true;
        let mut grace: Option<Instant> = None;
        // QoS 0 messages queued and not yet written: written means delivered at QoS 0.
        let mut qos0_queued: u64 = 0;
        let mut qos0_measured: u64 = 0;
        // The wait for the next scheduled send lives across loop turns: re-creating it on every
        // turn would queue the same wake-up again and again.
        let mut tick: Option<(u64, Tick)> = None;
        let mut wake: Option<Wake> = None;

        loop {
            let now = Instant::now();
            if sending {
                let over_budget = self
                    .plan
                    .limit
                    .is_some_and(|limit| self.budget.load(Ordering::Relaxed) >= limit);
                let next = schedule.at(seq).unwrap_or(now);
                if window.end.is_some_and(|end| next >= end) || over_budget || *stop.borrow() {
                    sending = false;
                }
            }
            if !sending {
                grace.get_or_insert(now + ACK_GRACE);
                let written = conn.as_ref().is_none_or(|c| !c.wants_write());
                if acks.outstanding() == 0 && (written || qos0_queued == 0) {
                    break;
                }
            }
            let Some(c) = conn.as_mut() else {
                if sending && window.end.is_some_and(|end| now >= end) {
                    // The run is over while this client is away: what its schedule made due
                    // meanwhile was never sent. Say so rather than hide it.
                    let mut unsent = 0;
                    while schedule
                        .at(seq)
                        .zip(window.end)
                        .is_some_and(|(at, end)| at < end)
                    {
                        seq += 1;
                        unsent += 1;
                    }
                    if unsent > 0 {
                        *measured
                            .failures
                            .entry("not sent: the connection was down until the run ended".into())
                            .or_default() += unsent;
                    }
                    // A client that never got its connection back within the run failed for
                    // good, whatever it had managed to send before.
                    measured.failed_for_good(None, &self.ctx.counters);
                    break;
                }
                // Disconnected: reconnect after a pause, unless the run is over.
                let wait = Instant::now() + backoff.next_wait();
                tokio::select! {
                    _ = tokio::time::sleep_until(wait) => {}
                    _ = tokio::time::sleep_until(grace.unwrap_or(wait)), if grace.is_some() => {}
                }
                if grace.is_some_and(|g| Instant::now() >= g) {
                    measured.failed_for_good(
                        Some("could not reconnect before the run ended"),
                        &self.ctx.counters,
                    );
                    break;
                }
                match Link::open(&self.ctx.spec, target, self.attempt()).await {
                    Ok((mut fresh, connected, _)) => {
                        backoff.reset();
                        if qos == 0 && closed_loop {
                            fresh.cap_send_buffer(QOS0_SOCKET_BUFFER);
                        }
                        measured.reconnected(&self.client_id);
                        Counters::add(&self.ctx.counters.reconnects, 1);
                        if let Some(max) = connected.terms.receive_max {
                            acks.narrow(max);
                        }
                        // MQTT wants unacknowledged messages sent again, in their order.
                        for resend in acks.resend() {
                            match resend {
                                Resend::Publish(pkid) => {
                                    let sent = acks.get(pkid).expect("outstanding");
                                    let topic = sent.topic.as_deref().unwrap_or(self.topic.fixed());
                                    fresh.publish(PublishPacket {
                                        topic,
                                        qos,
                                        retain: self.plan.retain,
                                        dup: true,
                                        pkid,
                                        payload: sent.payload.clone(),
                                        properties: None,
                                    });
                                }
                                Resend::Release(pkid) => fresh.pubrel(pkid),
                            }
                        }
                        conn = Some(fresh);
                    }
                    Err(e) if e.refused.is_some() => {
                        measured.failed_for_good(
                            Some(&format!("reconnect {}", e.reason)),
                            &self.ctx.counters,
                        );
                        break;
                    }
                    Err(_) => {}
                }
                continue;
            };

            // Queue everything due that the windows have room for: one write takes it all.
            let mut queued = 0;
            let mut flow_full = false;
            while sending && queued < BATCH {
                let room = if qos == 0 {
                    c.queued() < QOS0_QUEUE
                } else {
                    acks.has_room()
                };
                flow_full = match (flow, &lane) {
                    (Some(flow), Some(lane)) => !flow.has_room(lane, seq),
                    _ => false,
                };
                if !room || flow_full || !schedule.due(seq, now) {
                    break;
                }
                if self
                    .plan
                    .limit
                    .is_some_and(|limit| self.budget.fetch_add(1, Ordering::Relaxed) >= limit)
                {
                    sending = false;
                    break;
                }
                let intended = schedule.at(seq).unwrap_or(now);
                if window.end.is_some_and(|end| intended >= end) {
                    sending = false;
                    break;
                }
                let lag = now.saturating_duration_since(intended);
                let is_measured = window.measured(intended);
                let head = Header {
                    publisher: self.publisher_id,
                    seq,
                    intended_ns: window.clock.unix_ns(intended),
                    sent_ns: window.clock.unix_ns(now),
                };
                let payload = self.plan.payload(&head, seq, &mut random);
                let own_topic = self.topic.of(seq, &mut random).map(String::into_boxed_str);
                let topic = own_topic.as_deref().unwrap_or(self.topic.fixed());
                let packet = |pkid, payload| PublishPacket {
                    topic,
                    qos,
                    retain: self.plan.retain,
                    dup: false,
                    pkid,
                    payload,
                    properties: None,
                };
                if qos == 0 {
                    c.publish(packet(0, payload));
                    qos0_queued += 1;
                    qos0_measured += u64::from(is_measured);
                } else {
                    let sent = Sent {
                        intended,
                        measured: is_measured,
                        payload: payload.clone(),
                        topic: own_topic.clone(),
                    };
                    let pkid = acks.insert(sent);
                    c.publish(packet(pkid, payload));
                }
                measured.sent_total += 1;
                if is_measured {
                    measured.sent += 1;
                    Span::mark(&mut measured.sends, window.clock.unix_ns(now));
                    if schedule.is_open_loop() {
                        samples.add(Kind::Lag, lag);
                    }
                }
                seq += 1;
                queued += 1;
            }
            if queued > 0 {
                Counters::add(&self.ctx.counters.sent, queued as u64);
                if let Some(intended) = schedule.at(seq - 1) {
                    let lag = now.saturating_duration_since(intended);
                    // Late because acknowledgements (or arrivals) held the window shut, or
                    // late with room to send: only the second is this machine's doing.
                    let held = match blocked_since {
                        Some(_) => &self.lag.held,
                        None => &self.lag.own,
                    };
                    held.fetch_max(lag.as_micros() as u64, Ordering::Relaxed);
                }
            }
            let window_shut = sending && (flow_full || (qos > 0 && !acks.has_room()));
            match (window_shut, blocked_since) {
                (true, None) => blocked_since = Some(now),
                (false, Some(_)) if queued > 0 || !schedule.due(seq, now) => blocked_since = None,
                _ => {}
            }

            // Wait for the socket, the next due message, the keep-alive or the end.
            let due_next = schedule
                .at(seq)
                .filter(|_| sending && !flow_full && (qos == 0 || acks.has_room()));
            let wait_for_flow = match (flow, &lane) {
                (Some(flow), Some(lane)) if sending && flow_full => {
                    Some((flow, lane.clone(), blocked_since.unwrap_or(now)))
                }
                _ => None,
            };
            if let Some(at) = due_next
                && tick.as_ref().is_none_or(|(s, _)| *s != seq)
            {
                let wake = wake
                    .get_or_insert_with(|| self.ticker.wake_for(self.position as usize))
                    .clone();
                let at = at.into_std();
                tick = Some((seq, Box::pin(async move { wake.sleep_until(at).await })));
            }
            let keep_alive = c.keep_alive_at();
            let far = now + Duration::from_secs(3600);
            let mut lost: Option<LinkError> = None;
            tokio::select! {
                biased;
                io = c.io(true) => match io {
                    Ok(progress) => {
                        if progress.wrote && !c.wants_write() && qos0_queued > 0 {
                            // QoS 0 is delivered once written.
                            measured.acked += qos0_measured;
                            if qos0_measured > 0 {
                                Span::mark(&mut measured.acks, window.clock.now_ns());
                            }
                            Counters::add(&self.ctx.counters.acked, qos0_queued);
                            (qos0_queued, qos0_measured) = (0, 0);
                        }
                        if progress.read {
                            let mut acked = 0;
                            let parsed = c.parse(|_, packet| match packet {
                                // A refusal (MQTT 5) ends the exchange: counted, not timed.
                                Incoming::PubAck { pkid, reason } | Incoming::PubRec { pkid, reason }
                                    if reason >= 0x80 && acks.complete(pkid).is_some() =>
                                {
                                    measured.fail(&format!("the broker refused a publish: {}", crate::connect::reason_words(reason)));
                                    measured.refused += 1;
                                    acked += 1;
                                }
                                Incoming::PubAck { reason, .. } | Incoming::PubRec { reason, .. } if reason >= 0x80 => {}
                                Incoming::PubAck { pkid, .. } | Incoming::PubComp { pkid, .. } => {
                                    if let Some(sent) = acks.complete(pkid) {
                                        acked += 1;
                                        if sent.measured {
                                            measured.acked += 1;
                                            let at = Instant::now();
                                            Span::mark(&mut measured.acks, window.clock.unix_ns(at));
                                            samples.add(Kind::Ack, at.saturating_duration_since(sent.intended));
                                        }
                                    }
                                }
                                Incoming::PubRec { pkid, .. } => acks.received(pkid),
                                _ => {}
                            });
                            Counters::add(&self.ctx.counters.acked, acked);
                            if let Err(e) = parsed {
                                lost = Some(e);
                            }
                        }
                    }
                    Err(e) => lost = Some(e),
                },
                _ = async { tick.as_mut().expect("armed").1.as_mut().await }, if due_next.is_some() && tick.is_some() => {
                    tick = None;
                }
                written_off = async {
                    let (flow, lane, since) = wait_for_flow.as_ref().expect("waiting");
                    flow.wait(lane, seq, *since).await
                }, if wait_for_flow.is_some() => {
                    // Written off (nothing arrived for a while: the subscribers count it as lost),
                    // or an arrival: the stall clock starts again either way.
                    blocked_since = (!written_off).then(Instant::now);
                }
                _ = tokio::time::sleep_until(keep_alive.unwrap_or(far)), if keep_alive.is_some() => {
                    if let Err(e) = c.keep_alive() {
                        lost = Some(e);
                    }
                }
                _ = stopped(&mut stop), if sending => {}
                // While the window is shut nothing is sent, so nothing else would say how late
                // the next message already is: the live view must see the broker falling behind.
                _ = tokio::time::sleep(LAG_REFRESH), if window_shut => {
                    if let Some(intended) = schedule.at(seq) {
                        let lag = Instant::now().saturating_duration_since(intended);
                        self.lag.held.fetch_max(lag.as_micros() as u64, Ordering::Relaxed);
                    }
                }
                _ = tokio::time::sleep_until(grace.unwrap_or(far)), if grace.is_some() => {
                    break;
                }
            }
            samples.flush();
            if let Some(e) = lost {
                // QoS 0 messages still queued never reached the broker.
                (qos0_queued, qos0_measured) = (0, 0);
                conn = None;
                measured.disconnected(&e.reason);
            }
        }
        let missing = acks.outstanding() as u64;
        if qos > 0 && missing > 0 {
            *measured
                .failures
                .entry("not acknowledged in time".into())
                .or_default() += missing;
            measured.unconfirmed += missing;
        }
        samples.flush();
        if let Some(c) = conn {
            c.close(&Default::default(), Duration::from_secs(2), false)
                .await;
        }
        measured
    }
}

impl Window {
    pub fn measured(&self, intended: Instant) -> bool {
        intended >= self.measure_from
    }
}
