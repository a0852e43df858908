//! One publisher on the lean connection: sends on its schedule (or as fast as the in-flight
//! window allows), matches every acknowledgement to the message it completes, and survives a
//! dropped connection: it reconnects with backoff, sends every unacknowledged QoS 1/2 message
//! again, and catches up with what its schedule made due meanwhile, each timed from its
//! intended send time, so the gap shows in the latency.
//!
//! A run is a `Sender` going through its turns: `stop_if_over`, then `reconnect` while the
//! connection is down, or `queue_due` (what the windows let out) and `wait` (for the socket, the
//! next due message, an arrival, the keep-alive or the end); `finish` says what is left.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use super::ctx::{Ctx, Window, client_failure};
use super::flow::Lane;
use super::header::Header;
use super::lag::Lag;
use super::plan::{PublishPlan, Topic};
use super::schedule::Schedule;
use super::stats::{Counters, Kind, Measured, Samples, Span};
use super::stopped;
use super::ticker::{Ticker, Wake};
use crate::commands::placeholders::Random;
use crate::connect::{
    Attempt, Backoff, ConnAck, Incoming, Inflight, Link, LinkError, PublishPacket, Resend,
};
use crate::exit::Result;

mod book;
mod reconnect;

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
    /// Only with a per-message topic (%s in the template, or --template).
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

    /// A fresh connection as this publisher uses it: QoS 0 without a rate keeps the kernel's
    /// queue small.
    async fn open(&self) -> std::result::Result<(Link, ConnAck), LinkError> {
        let (link, ack, _) = Link::open(&self.ctx.spec, &self.ctx.target, self.attempt()).await?;
        if self.plan.qos == 0 && self.plan.interval.is_none() {
            link.cap_send_buffer(QOS0_SOCKET_BUFFER);
        }
        Ok((link, ack))
    }

    pub async fn run(
        self,
        ready: oneshot::Sender<Result<()>>,
        stop: watch::Receiver<bool>,
    ) -> Measured {
        let (link, connected) = match self.open().await {
            Ok(opened) => {
                let _ = ready.send(Ok(()));
                opened
            }
            Err(e) => {
                let _ = ready.send(Err(client_failure(&self.client_id, &e)));
                return Measured::default();
            }
        };
        Counters::add(&self.ctx.counters.connected, 1);
        let Some(window) = self.ctx.window().await else {
            return Measured::default();
        };
        let mut sender = Sender::new(&self, window, link, &connected, stop);
        while sender.turn().await {}
        sender.finish().await
    }
}

/// What acknowledgements settle: the messages in flight and the counts and samples they feed.
struct Book<'p> {
    acks: Inflight<Sent>,
    measured: Measured,
    samples: Samples<'p>,
    /// QoS 0 messages queued and not yet written: written means delivered at QoS 0.
    qos0_queued: u64,
    qos0_measured: u64,
}

/// Where the schedule stands.
struct Pace {
    seq: u64,
    sending: bool,
    /// Once sending stops: how long outstanding acknowledgements are waited for.
    grace: Option<Instant>,
    /// Since when the in-flight window has been full (for the stall rule and to blame lag on
    /// the broker rather than this machine).
    blocked_since: Option<Instant>,
    /// The wait for the next scheduled send lives across turns: re-creating it on every turn
    /// would queue the same wake-up again and again.
    tick: Option<(u64, Tick)>,
    wake: Option<Wake>,
}

/// One publisher's run.
struct Sender<'p> {
    p: &'p Publisher,
    window: Window,
    schedule: Schedule,
    link: Option<Link>,
    book: Book<'p>,
    pace: Pace,
    /// pubsub's closed loop: this publisher's end-to-end window.
    lane: Option<Arc<Lane>>,
    /// {random:A-B} and {uuid} in --template payloads and topics.
    random: Random,
    backoff: Backoff,
    stop: watch::Receiver<bool>,
}

/// What the last `queue_due` found.
struct Queued {
    count: u64,
    flow_full: bool,
}

impl<'p> Sender<'p> {
    fn new(
        p: &'p Publisher,
        window: Window,
        link: Link,
        connected: &ConnAck,
        stop: watch::Receiver<bool>,
    ) -> Sender<'p> {
        let mut acks = Inflight::new(p.ctx.spec.max_inflight);
        if let Some(max) = connected.terms.receive_max {
            acks.narrow(max);
        }
        Sender {
            p,
            window,
            schedule: Schedule::new(window.start, p.plan.interval, p.position, p.publishers),
            link: Some(link),
            book: Book {
                acks,
                measured: Measured::default(),
                samples: Samples::new(p.position as usize, &p.ctx.recorder),
                qos0_queued: 0,
                qos0_measured: 0,
            },
            pace: Pace {
                seq: 0,
                sending: true,
                grace: None,
                blocked_since: None,
                tick: None,
                wake: None,
            },
            lane: p.ctx.flow.as_ref().and_then(|f| f.lane(p.publisher_id)),
            random: Random::new(),
            backoff: Backoff::new(),
            stop,
        }
    }

    /// One turn; false once the run is over for this publisher.
    async fn turn(&mut self) -> bool {
        let now = Instant::now();
        if !self.stop_if_over(now) {
            return false;
        }
        if self.link.is_none() {
            return self.reconnect(now).await;
        }
        let queued = self.queue_due(now);
        self.note_lag(now, &queued);
        self.wait(now, queued.flow_full).await
    }

    /// Stop sending at the end, the limit or a signal; false once nothing is left to wait for.
    fn stop_if_over(&mut self, now: Instant) -> bool {
        let (p, pace) = (self.p, &mut self.pace);
        if pace.sending {
            let over_budget = p
                .plan
                .limit
                .is_some_and(|limit| p.budget.load(Ordering::Relaxed) >= limit);
            let next = self.schedule.at(pace.seq).unwrap_or(now);
            if self.window.end.is_some_and(|end| next >= end) || over_budget || *self.stop.borrow()
            {
                pace.sending = false;
            }
        }
        if !pace.sending {
            pace.grace.get_or_insert(now + ACK_GRACE);
            let written = self.link.as_ref().is_none_or(|c| !c.wants_write());
            if self.book.acks.outstanding() == 0 && (written || self.book.qos0_queued == 0) {
                return false;
            }
        }
        true
    }

    /// Whether the windows let one more message out: the in-flight window (QoS 1/2) or the
    /// write buffer (QoS 0), and pubsub's end-to-end window. (room, end-to-end window full)
    fn room(&self) -> (bool, bool) {
        let qos = self.p.plan.qos;
        let c = self.link.as_ref().expect("connected");
        let room = match qos {
            0 => c.queued() < QOS0_QUEUE,
            _ => self.book.acks.has_room(),
        };
        let flow_full = match (&self.p.ctx.flow, &self.lane) {
            (Some(flow), Some(lane)) => !flow.has_room(lane, self.pace.seq),
            _ => false,
        };
        (room, flow_full)
    }

    /// Queue everything due that the windows have room for: one write takes it all.
    fn queue_due(&mut self, now: Instant) -> Queued {
        let mut queued = Queued {
            count: 0,
            flow_full: false,
        };
        while self.pace.sending && queued.count < BATCH as u64 {
            let (room, flow_full) = self.room();
            queued.flow_full = flow_full;
            if !room || flow_full || !self.schedule.due(self.pace.seq, now) {
                break;
            }
            let p = self.p;
            if p.plan
                .limit
                .is_some_and(|limit| p.budget.fetch_add(1, Ordering::Relaxed) >= limit)
            {
                self.pace.sending = false;
                break;
            }
            let intended = self.schedule.at(self.pace.seq).unwrap_or(now);
            if self.window.end.is_some_and(|end| intended >= end) {
                self.pace.sending = false;
                break;
            }
            self.send_one(now, intended);
            queued.count += 1;
        }
        if queued.count > 0 {
            Counters::add(&self.p.ctx.counters.sent, queued.count);
        }
        queued
    }

    /// Message `seq` onto the connection, counted and (QoS 1/2) held until acknowledged.
    fn send_one(&mut self, now: Instant, intended: Instant) {
        let (p, seq, clock) = (self.p, self.pace.seq, self.window.clock);
        let is_measured = self.window.measured(intended);
        let head = Header {
            publisher: p.publisher_id,
            seq,
            intended_ns: clock.unix_ns(intended),
            sent_ns: clock.unix_ns(now),
        };
        let payload = p.plan.payload(&head, seq, &mut self.random);
        let own_topic = p
            .topic
            .of(seq, &mut self.random)
            .map(String::into_boxed_str);
        let qos = p.plan.qos;
        let book = &mut self.book;
        let pkid = match qos {
            0 => {
                book.qos0_queued += 1;
                book.qos0_measured += u64::from(is_measured);
                0
            }
            _ => book.acks.insert(Sent {
                intended,
                measured: is_measured,
                payload: payload.clone(),
                topic: own_topic.clone(),
            }),
        };
        let c = self.link.as_mut().expect("connected");
        c.publish(PublishPacket {
            topic: own_topic.as_deref().unwrap_or(p.topic.fixed()),
            qos,
            retain: p.plan.retain,
            dup: false,
            pkid,
            payload,
            properties: None,
        });
        book.measured.sent_total += 1;
        if is_measured {
            book.measured.sent += 1;
            Span::mark(&mut book.measured.sends, clock.unix_ns(now));
            if self.schedule.is_open_loop() {
                book.samples
                    .add(Kind::Lag, now.saturating_duration_since(intended));
            }
        }
        self.pace.seq += 1;
    }

    /// How late the last queued message was, and whose doing that was: late because the
    /// window was held shut (acknowledgements or arrivals) is the broker's, late with room to
    /// send is this machine's.
    fn note_lag(&mut self, now: Instant, queued: &Queued) {
        let shut = self.window_shut(queued.flow_full);
        let pace = &mut self.pace;
        if queued.count > 0
            && let Some(intended) = self.schedule.at(pace.seq - 1)
        {
            let lag = now.saturating_duration_since(intended).as_micros() as u64;
            let held = match pace.blocked_since {
                Some(_) => &self.p.lag.held,
                None => &self.p.lag.own,
            };
            held.fetch_max(lag, Ordering::Relaxed);
        }
        match (shut, pace.blocked_since) {
            (true, None) => pace.blocked_since = Some(now),
            (false, Some(_)) if queued.count > 0 || !self.schedule.due(pace.seq, now) => {
                pace.blocked_since = None
            }
            _ => {}
        }
    }

    fn window_shut(&self, flow_full: bool) -> bool {
        self.pace.sending && (flow_full || (self.p.plan.qos > 0 && !self.book.acks.has_room()))
    }

    /// Wait for the socket, the next due message, an arrival, the keep-alive or the end; false
    /// once the grace for acknowledgements is over.
    async fn wait(&mut self, now: Instant, flow_full: bool) -> bool {
        let window_shut = self.window_shut(flow_full);
        let qos = self.p.plan.qos;
        let Sender {
            p,
            window,
            schedule,
            link,
            book,
            pace,
            lane,
            stop,
            ..
        } = self;
        let c = link.as_mut().expect("connected");
        let due_next = schedule
            .at(pace.seq)
            .filter(|_| pace.sending && !flow_full && (qos == 0 || book.acks.has_room()));
        if let Some(at) = due_next
            && pace.tick.as_ref().is_none_or(|(s, _)| *s != pace.seq)
        {
            let wake = pace
                .wake
                .get_or_insert_with(|| p.ticker.wake_for(p.position as usize))
                .clone();
            let at = at.into_std();
            pace.tick = Some((
                pace.seq,
                Box::pin(async move { wake.sleep_until(at).await }),
            ));
        }
        let flow = p.ctx.flow.as_deref();
        let waiting_for_flow = pace.sending && flow_full && flow.is_some() && lane.is_some();
        let since = pace.blocked_since.unwrap_or(now);
        let (seq, sending, grace) = (pace.seq, pace.sending, pace.grace);
        let keep_alive = c.keep_alive_at();
        let far = now + Duration::from_secs(3600);
        let mut lost: Option<LinkError> = None;
        tokio::select! {
            biased;
            io = c.io(true) => match io {
                Ok(progress) => {
                    if progress.wrote && !c.wants_write() {
                        book.written(window, &p.ctx.counters);
                    }
                    if progress.read
                        && let Err(e) = book.read(c, window, &p.ctx.counters)
                    {
                        lost = Some(e);
                    }
                }
                Err(e) => lost = Some(e),
            },
            _ = async { pace.tick.as_mut().expect("armed").1.as_mut().await },
                if due_next.is_some() && pace.tick.is_some() => {
                pace.tick = None;
            }
            written_off = async {
                let (flow, lane) = (flow.expect("flow"), lane.as_ref().expect("lane"));
                flow.wait(lane, seq, since).await
            }, if waiting_for_flow => {
                // Written off (nothing arrived for a while: the subscribers count it as lost),
                // or an arrival: the stall clock starts again either way.
                pace.blocked_since = (!written_off).then(Instant::now);
            }
            _ = tokio::time::sleep_until(keep_alive.unwrap_or(far)), if keep_alive.is_some() => {
                if let Err(e) = c.keep_alive() {
                    lost = Some(e);
                }
            }
            _ = stopped(stop), if sending => {}
            // While the window is shut nothing is sent, so nothing else would say how late the
            // next message already is: the live view must see the broker falling behind.
            _ = tokio::time::sleep(LAG_REFRESH), if window_shut => {
                if let Some(intended) = schedule.at(seq) {
                    let lag = Instant::now().saturating_duration_since(intended);
                    p.lag.held.fetch_max(lag.as_micros() as u64, Ordering::Relaxed);
                }
            }
            _ = tokio::time::sleep_until(grace.unwrap_or(far)), if grace.is_some() => {
                return false;
            }
        }
        book.samples.flush();
        if let Some(e) = lost {
            // QoS 0 messages still queued never reached the broker.
            (book.qos0_queued, book.qos0_measured) = (0, 0);
            *link = None;
            book.measured.disconnected(&e.reason);
        }
        true
    }

    /// What is still unacknowledged, and a clean goodbye.
    async fn finish(mut self) -> Measured {
        let book = &mut self.book;
        let missing = book.acks.outstanding() as u64;
        if self.p.plan.qos > 0 && missing > 0 {
            *book
                .measured
                .failures
                .entry("not acknowledged in time".into())
                .or_default() += missing;
            book.measured.unconfirmed += missing;
        }
        book.samples.flush();
        if let Some(c) = self.link.take() {
            c.close(&Default::default(), Duration::from_secs(2), false)
                .await;
        }
        std::mem::take(&mut self.book.measured)
    }
}
