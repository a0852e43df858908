//! One subscriber on the lean connection: times every message from its intended send time,
//! counts loss, duplicates and order per publisher, and survives a dropped connection. At QoS
//! 1/2 its session outlives a drop (so the broker keeps its messages meanwhile); it starts from
//! an empty session, so nothing of an earlier run reaches this one.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use super::ctx::{Ctx, client_failure};
use super::flow::Tally;
use super::header::Header;
use super::stats::{Counters, Kind, Measured, Samples, Span};
use super::stopped;
use crate::connect::{Attempt, Backoff, ConnAck, Filter, Incoming, Link, LinkError};
use crate::exit::{Failure, REFUSED, Result};

/// MQTT 5: how long the broker keeps a subscriber's session after a drop.
const SESSION_EXPIRY: u32 = 300;

pub struct Subscriber {
    pub ctx: Arc<Ctx>,
    pub client_id: String,
    pub filter: String,
    pub qos: u8,
    pub worker: usize,
    pub limit: Option<u64>,
    pub stop_all: watch::Sender<bool>,
}

enum Subscribed {
    Yes,
    Refused(u8),
}

impl Subscriber {
    /// Persistent sessions only where they keep something: QoS 0 messages are not queued for
    /// a subscriber that is away.
    fn persistent(&self) -> bool {
        self.qos > 0
    }

    fn attempt(&self, clean: bool) -> Attempt<'_> {
        let persistent = self.persistent();
        Attempt {
            client_id: &self.client_id,
            clean: clean || !persistent,
            session_expiry: persistent.then_some(SESSION_EXPIRY),
            source: self.ctx.source(self.worker),
            auto_ack: true,
        }
    }

    /// The first connection: an empty session that outlives a drop. MQTT 5 says both in one
    /// CONNECT; 3.1.1 cannot, so it clears any old session first and then opens a lasting one.
    async fn first_connection(&self) -> std::result::Result<(Link, ConnAck), LinkError> {
        let target = &self.ctx.target;
        let spec = &self.ctx.spec;
        if self.persistent() && spec.protocol == crate::connect::Protocol::V311 {
            let (conn, _, _) = Link::open(spec, target, self.attempt(true)).await?;
            conn.close(&Default::default(), Duration::from_secs(2), false)
                .await;
        }
        let clean = !(self.persistent() && spec.protocol == crate::connect::Protocol::V311);
        let (conn, ack, _) = Link::open(spec, target, self.attempt(clean)).await?;
        Ok((conn, ack))
    }

    fn filter(&self) -> Filter {
        Filter {
            filter: self.filter.clone(),
            qos: self.qos,
            no_local: false,
            no_stale_retained: false,
            retain_as_published: false,
        }
    }

    /// Subscribe and wait for SUBACK, answering whatever arrives meanwhile.
    async fn subscribe(&self, conn: &mut Link) -> std::result::Result<Subscribed, LinkError> {
        conn.subscribe(1, &[self.filter()], &self.ctx.spec);
        let deadline = Instant::now() + Duration::from_secs(crate::connect::CONNECT_TIMEOUT);
        loop {
            let progress = tokio::time::timeout_at(deadline, conn.io(true))
                .await
                .map_err(|_| LinkError::new("no SUBACK in time"))??;
            if !progress.read {
                continue;
            }
            let mut answer = None;
            conn.parse(|_, packet| {
                if let Incoming::SubAck { codes, .. } = packet {
                    answer = Some(match codes.first() {
                        Some(&code) if code >= 0x80 => Subscribed::Refused(code),
                        _ => Subscribed::Yes,
                    });
                }
            })?;
            if let Some(answer) = answer {
                return Ok(answer);
            }
        }
    }

    fn refused(&self, code: u8) -> Failure {
        Failure::new(
            REFUSED,
            format!(
                "the broker refused the subscription to {}: {}",
                crate::report::quote(&self.filter),
                crate::connect::reason_words(code)
            ),
        )
    }

    pub async fn run(
        self,
        ready: oneshot::Sender<Result<()>>,
        mut drain: watch::Receiver<bool>,
    ) -> Measured {
        let mut measured = Measured::default();
        let mut conn = match self.first_connection().await {
            Ok((conn, _)) => conn,
            Err(e) => {
                let _ = ready.send(Err(client_failure(&self.client_id, &e)));
                return measured;
            }
        };
        match self.subscribe(&mut conn).await {
            Ok(Subscribed::Yes) => {}
            Ok(Subscribed::Refused(code)) => {
                let _ = ready.send(Err(self.refused(code)));
                return measured;
            }
            Err(e) => {
                let _ = ready.send(Err(client_failure(&self.client_id, &e)));
                return measured;
            }
        }
        let _ = ready.send(Ok(()));
        Counters::add(&self.ctx.counters.connected, 1);
        let Some(window) = self.ctx.window().await else {
            return measured;
        };
        let measure_from_ns = window.clock.unix_ns(window.measure_from);
        let mut samples = Samples::new(self.worker, &self.ctx.recorder);
        let mut tally = Tally::default();
        let mut conn = Some(conn);
        let mut backoff = Backoff::new();
        let target = &self.ctx.target;
        loop {
            let Some(c) = conn.as_mut() else {
                let wait = backoff.next_wait();
                tokio::select! {
                    biased;
                    _ = stopped(&mut drain) => {
                        measured.failed_for_good(Some("could not reconnect before the run ended"), &self.ctx.counters);
                        break;
                    }
                    _ = tokio::time::sleep(wait) => {}
                }
                let opened = Link::open(&self.ctx.spec, target, self.attempt(false)).await;
                match opened {
                    Ok((mut fresh, connected, _)) => {
                        backoff.reset();
                        measured.reconnected(&self.client_id);
                        Counters::add(&self.ctx.counters.reconnects, 1);
                        if !connected.session_present {
                            match self.subscribe(&mut fresh).await {
                                Ok(Subscribed::Yes) => {}
                                Ok(Subscribed::Refused(code)) => {
                                    measured.failed_for_good(
                                        Some(&self.refused(code).message),
                                        &self.ctx.counters,
                                    );
                                    break;
                                }
                                Err(_) => continue,
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
            let keep_alive = c.keep_alive_at();
            let far = Instant::now() + Duration::from_secs(3600);
            let mut lost: Option<LinkError> = None;
            tokio::select! {
                biased;
                _ = stopped(&mut drain) => break,
                io = c.io(true) => match io {
                    Ok(progress) if progress.read => {
                        let (mut arrived, mut own) = (0u64, 0u64);
                        let ended_ns = self.ctx.sending_ended_ns.load(Ordering::Relaxed);
                        let parsed = c.parse(|_, packet| {
                            let Incoming::Publish(message) = packet else {
                                return;
                            };
                            let payload = message.payload;
                            arrived += 1;
                            measured.received_total += 1;
                            let now = window.clock.now_ns();
                            let measured_now = match Header::read(&payload) {
                                // Another shard's publisher: its own subscribers account for it.
                                Some(h) if !self.ctx.own.contains(h.publisher) => {
                                    measured.received_other_shards += 1;
                                    false
                                }
                                Some(h) => {
                                    own += 1;
                                    tally.add(h.publisher);
                                    let in_window = h.intended_ns >= measure_from_ns;
                                    measured.streams.observe(h.publisher, h.seq, in_window);
                                    if in_window {
                                        let since = |t: u64| Duration::from_nanos(now.saturating_sub(t));
                                        samples.add(Kind::Latency, since(h.intended_ns));
                                        samples.add(Kind::Service, since(h.sent_ns));
                                    }
                                    in_window
                                }
                                None => {
                                    own += 1;
                                    now >= measure_from_ns
                                }
                            };
                            if measured_now {
                                measured.received += 1;
                                Span::mark(&mut measured.arrivals, now);
                                if ended_ns != 0 && now > ended_ns {
                                    measured.drained += 1;
                                }
                            }
                        });
                        if let Some(flow) = &self.ctx.flow {
                            tally.hand_over(flow);
                        }
                        Counters::add(&self.ctx.counters.received_own, own);
                        let total = self.ctx.counters.received.fetch_add(arrived, Ordering::Relaxed) + arrived;
                        if self.limit.is_some_and(|limit| total >= limit) {
                            self.ctx.limit_reached.store(true, Ordering::Relaxed);
                            let _ = self.stop_all.send(true);
                        }
                        if let Err(e) = parsed {
                            lost = Some(e);
                        }
                    }
                    Ok(_) => {}
                    Err(e) => lost = Some(e),
                },
                _ = tokio::time::sleep_until(keep_alive.unwrap_or(far)), if keep_alive.is_some() => {
                    if let Err(e) = c.keep_alive() {
                        lost = Some(e);
                    }
                }
            }
            samples.flush();
            if let Some(e) = lost {
                conn = None;
                measured.disconnected(&e.reason);
            }
        }
        samples.flush();
        if let Some(mut c) = conn {
            if self.persistent() {
                // The session outlives this run: leave it without subscriptions, so the broker
                // queues nothing for a client that is gone.
                c.unsubscribe(2, std::slice::from_ref(&self.filter), &self.ctx.spec);
            }
            c.close(&Default::default(), Duration::from_secs(2), false)
                .await;
        }
        measured
    }
}
