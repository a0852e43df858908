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
use super::plan::{PublishPlan, expand};
use super::run::{Ctx, Window, client_failure};
use super::schedule::Schedule;
use super::stats::{Counters, Kind, Measured, Samples};
use super::stopped;
use super::ticker::{Ticker, Wake};
use crate::connect::{
    Attempt, Backoff, Incoming, Inflight, Link, LinkError, PublishPacket, Resend,
};
use crate::exit::Result;

/// How long publishers wait for outstanding acknowledgements once sending stops.
pub const ACK_GRACE: Duration = Duration::from_secs(5);
/// QoS 0 in a closed loop: queue up to this much per write. QoS 0 has no acknowledgement, so
/// "as fast as acknowledgements allow" means as fast as the socket takes it.
const QOS0_QUEUE: usize = 64 * 1024;
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
    pub topic: String,
    /// Template, index, client id, user name: for %s templates.
    pub per_message_topic: Option<(String, u64, String)>,
    pub budget: Arc<AtomicU64>,
    pub lag_now: Arc<AtomicU64>,
    pub ticker: Ticker,
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
                                    let topic = sent.topic.as_deref().unwrap_or(&self.topic);
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

            // Queue everything due that the window has room for: one write takes it all.
            let mut queued = 0;
            while sending && queued < BATCH {
                let room = if qos == 0 {
                    c.queued() < QOS0_QUEUE
                } else {
                    acks.has_room()
                };
                if !room || !schedule.due(seq, now) {
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
                let payload = Header {
                    publisher: self.publisher_id,
                    seq,
                    intended_ns: window.clock.unix_ns(intended),
                    sent_ns: window.clock.unix_ns(now),
                }
                .payload(self.plan.size);
                let own_topic = self
                    .per_message_topic
                    .as_ref()
                    .map(|(template, index, id)| {
                        expand(template, *index, id, &self.ctx.username, seq).into_boxed_str()
                    });
                let topic = own_topic.as_deref().unwrap_or(&self.topic);
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
                    self.lag_now
                        .fetch_max(lag.as_micros() as u64, Ordering::Relaxed);
                }
            }

            // Wait for the socket, the next due message, the keep-alive or the end.
            let due_next = schedule
                .at(seq)
                .filter(|_| sending && (qos == 0 || acks.has_room()));
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
                                    acked += 1;
                                }
                                Incoming::PubAck { reason, .. } | Incoming::PubRec { reason, .. } if reason >= 0x80 => {}
                                Incoming::PubAck { pkid, .. } | Incoming::PubComp { pkid, .. } => {
                                    if let Some(sent) = acks.complete(pkid) {
                                        acked += 1;
                                        if sent.measured {
                                            measured.acked += 1;
                                            samples.add(Kind::Ack, Instant::now().saturating_duration_since(sent.intended));
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
                _ = tokio::time::sleep_until(keep_alive.unwrap_or(far)), if keep_alive.is_some() => {
                    if let Err(e) = c.keep_alive() {
                        lost = Some(e);
                    }
                }
                _ = stopped(&mut stop), if sending => {}
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
