//! One subscriber on the lean connection: times every message from its intended send time,
//! counts loss, duplicates and order per publisher, and survives a dropped connection. At QoS
//! 1/2 its session outlives a drop (so the broker keeps its messages meanwhile); it starts from
//! an empty session, so nothing of an earlier run reaches this one.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use super::ctx::{Ctx, Window, client_failure};
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
        drain: watch::Receiver<bool>,
    ) -> Measured {
        let conn = match self.start().await {
            Ok(conn) => {
                let _ = ready.send(Ok(()));
                conn
            }
            Err(failure) => {
                let _ = ready.send(Err(failure));
                return Measured::default();
            }
        };
        Counters::add(&self.ctx.counters.connected, 1);
        let Some(window) = self.ctx.window().await else {
            return Measured::default();
        };
        let mut listener = Listener {
            measure_from_ns: window.clock.unix_ns(window.measure_from),
            window,
            s: &self,
            link: Some(conn),
            measured: Measured::default(),
            samples: Samples::new(self.worker, &self.ctx.recorder),
            tally: Tally::default(),
            backoff: Backoff::new(),
            drain,
        };
        while listener.turn().await {}
        listener.finish().await
    }

    /// The first connection, subscribed; the failure that stops the run otherwise.
    async fn start(&self) -> std::result::Result<Link, Failure> {
        let failure = |e: LinkError| client_failure(&self.client_id, &e);
        let (mut conn, _) = self.first_connection().await.map_err(failure)?;
        match self.subscribe(&mut conn).await.map_err(failure)? {
            Subscribed::Yes => Ok(conn),
            Subscribed::Refused(code) => Err(self.refused(code)),
        }
    }
}

/// One subscriber's run: read, reconnect while the connection is down, stop at the drain.
struct Listener<'s> {
    s: &'s Subscriber,
    window: Window,
    measure_from_ns: u64,
    link: Option<Link>,
    measured: Measured,
    samples: Samples<'s>,
    /// Arrivals per publisher, for pubsub's end-to-end window.
    tally: Tally,
    backoff: Backoff,
    drain: watch::Receiver<bool>,
}

impl Listener<'_> {
    /// One turn; false once the run is over for this subscriber.
    async fn turn(&mut self) -> bool {
        if self.link.is_none() {
            return self.reconnect().await;
        }
        let Listener { link, drain, .. } = self;
        let c = link.as_mut().expect("connected");
        let keep_alive = c.keep_alive_at();
        let far = Instant::now() + Duration::from_secs(3600);
        let mut lost: Option<LinkError> = None;
        let mut read = false;
        tokio::select! {
            biased;
            _ = stopped(drain) => return false,
            io = c.io(true) => match io {
                Ok(progress) => read = progress.read,
                Err(e) => lost = Some(e),
            },
            _ = tokio::time::sleep_until(keep_alive.unwrap_or(far)), if keep_alive.is_some() => {
                if let Err(e) = c.keep_alive() {
                    lost = Some(e);
                }
            }
        }
        if read && let Err(e) = self.read() {
            lost = Some(e);
        }
        self.samples.flush();
        if let Some(e) = lost {
            self.link = None;
            self.measured.disconnected(&e.reason);
        }
        true
    }

    /// Count, time and account for what was read.
    fn read(&mut self) -> std::result::Result<(), LinkError> {
        let Listener {
            s,
            window,
            measure_from_ns,
            link,
            measured,
            samples,
            tally,
            ..
        } = self;
        let ctx = &s.ctx;
        let c = link.as_mut().expect("connected");
        let (mut arrived, mut own) = (0u64, 0u64);
        let ended_ns = ctx.sending_ended_ns.load(Ordering::Relaxed);
        let parsed = c.parse(|_, packet| {
            let Incoming::Publish(message) = packet else {
                return;
            };
            arrived += 1;
            measured.received_total += 1;
            let now = window.clock.now_ns();
            let measured_now = match Header::read(&message.payload) {
                // Another shard's publisher: its own subscribers account for it.
                Some(h) if !ctx.own.contains(h.publisher) => {
                    measured.received_other_shards += 1;
                    false
                }
                Some(h) => {
                    own += 1;
                    tally.add(h.publisher);
                    let in_window = h.intended_ns >= *measure_from_ns;
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
                    now >= *measure_from_ns
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
        if let Some(flow) = &ctx.flow {
            tally.hand_over(flow);
        }
        Counters::add(&ctx.counters.received_own, own);
        let total = ctx.counters.received.fetch_add(arrived, Ordering::Relaxed) + arrived;
        if s.limit.is_some_and(|limit| total >= limit) {
            ctx.limit_reached.store(true, Ordering::Relaxed);
            let _ = s.stop_all.send(true);
        }
        parsed
    }

    /// Reconnect after a pause (subscribing again where the broker kept no session); false
    /// when this subscriber is done for.
    async fn reconnect(&mut self) -> bool {
        let (s, counters) = (self.s, &self.s.ctx.counters);
        let wait = self.backoff.next_wait();
        tokio::select! {
            biased;
            _ = stopped(&mut self.drain) => {
                self.measured.failed_for_good(Some("could not reconnect before the run ended"), counters);
                return false;
            }
            _ = tokio::time::sleep(wait) => {}
        }
        match Link::open(&s.ctx.spec, &s.ctx.target, s.attempt(false)).await {
            Ok((mut fresh, connected, _)) => {
                self.backoff.reset();
                self.measured.reconnected(&s.client_id);
                Counters::add(&counters.reconnects, 1);
                if !connected.session_present {
                    match s.subscribe(&mut fresh).await {
                        Ok(Subscribed::Yes) => {}
                        Ok(Subscribed::Refused(code)) => {
                            self.measured
                                .failed_for_good(Some(&s.refused(code).message), counters);
                            return false;
                        }
                        Err(_) => return true,
                    }
                }
                self.link = Some(fresh);
                true
            }
            Err(e) if e.refused.is_some() => {
                self.measured
                    .failed_for_good(Some(&format!("reconnect {}", e.reason)), counters);
                false
            }
            Err(_) => true,
        }
    }

    async fn finish(mut self) -> Measured {
        self.samples.flush();
        if let Some(mut c) = self.link.take() {
            if self.s.persistent() {
                // The session outlives this run: leave it without subscriptions, so the broker
                // queues nothing for a client that is gone.
                c.unsubscribe(2, std::slice::from_ref(&self.s.filter), &self.s.ctx.spec);
            }
            c.close(&Default::default(), Duration::from_secs(2), false)
                .await;
        }
        self.measured
    }
}
