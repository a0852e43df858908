//! pub, sub and pubsub, phase by phase: start subscribers, start publishers, run, drain,
//! summarise. The workers themselves are in `publisher` and `subscriber`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::ctx::{Ctx, Window};
use super::flow::Flow;
use super::lag::Lag;
use super::mode::Mode;
use super::plan::{PublishPlan, SubscribePlan};
use super::publisher::Publisher;
use super::report::{self, LiveView};
use super::stats::{Counters, Measured, Recorder};
use super::subscriber::Subscriber;
use super::summary::{Outcome, Summary};
use super::ticker::Ticker;
use super::{Clock, Setup, stop_on_signal, stopped};
use crate::connect::{Endpoint, Target};
use crate::exit::{Failure, Result};

/// Subscribers drain until everything expected arrived, or nothing new came for this long.
const DRAIN_QUIET: Duration = Duration::from_secs(1);
const DRAIN_MAX: Duration = Duration::from_secs(10);

/// Everything the phases hand on.
struct Run {
    mode: Mode,
    setup: Setup,
    ctx: Arc<Ctx>,
    window_tx: watch::Sender<Option<Window>>,
    stop_tx: watch::Sender<bool>,
    stop: watch::Receiver<bool>,
    drain_tx: watch::Sender<bool>,
    subscribers: JoinSet<Measured>,
    publishers: JoinSet<Measured>,
    budget: Arc<AtomicU64>,
    lag: Arc<Lag>,
    ticker: Ticker,
}

pub async fn run(
    mode: Mode,
    setup: Setup,
    publish: Option<PublishPlan>,
    subscribe: Option<SubscribePlan>,
) -> Result<()> {
    let mut run = Run::new(mode, setup, &publish, &subscribe).await?;
    let clock = Clock::new();
    run.setup.wait_for_start().await;
    // Subscribers first, so that nothing is published before anyone listens.
    if let Some(plan) = &subscribe {
        run.start_subscribers(plan).await?;
    }
    let publish = publish.map(Arc::new);
    if let Some(plan) = &publish {
        run.start_publishers(plan).await?;
    }
    let has_limit = publish.as_ref().is_some_and(|p| p.limit.is_some())
        || subscribe.as_ref().is_some_and(|s| s.limit.is_some());
    let start = Instant::now();
    let measure_from = start + run.setup.warmup;
    let window = Window {
        clock,
        start,
        measure_from,
        end: run.setup.run_time(has_limit).map(|d| measure_from + d),
    };
    let _ = run.window_tx.send(Some(window));
    let progress = LiveView::start(
        run.ctx.counters.clone(),
        run.lag.clone(),
        publish.as_ref().and_then(|p| p.interval),
        run.setup.report.quiet,
        window.end.map(|end| end - start),
        publish.is_some(),
    );
    let mut measured = run.send(publish.as_deref(), &window).await;
    let sending_ended = Instant::now();
    run.ctx
        .sending_ended_ns
        .store(clock.unix_ns(sending_ended), Ordering::Relaxed);
    let limit_reached = run.ctx.limit_reached.load(Ordering::Relaxed);
    let interrupted = *run.stop.borrow() && !limit_reached;
    if let Some(plan) = &subscribe
        && publish.is_some()
    {
        progress.draining(measured.sent_total * copies(plan));
    }
    run.drain(
        subscribe.as_ref(),
        publish.is_some(),
        &mut measured,
        interrupted,
    )
    .await;
    run.ticker.close();
    let expected = match (&publish, &subscribe) {
        (Some(_), Some(plan)) => Some(measured.sent * copies(plan)),
        _ => None,
    };
    let ended = window
        .end
        .map_or_else(Instant::now, |end| end.min(Instant::now()));
    let lag_cause = progress.finish();
    let summary = Summary::new(
        mode,
        &run.setup,
        publish.as_ref().map(|p| (p.qos, p.size, p.interval)),
        subscribe
            .as_ref()
            .map(|s| (s.subscribers, s.shared(), s.qos)),
        Outcome {
            measured,
            histograms: run.ctx.recorder.merged(),
            measured_time: (ended - start).saturating_sub(run.setup.warmup),
            interrupted,
            limit_reached,
            lag_cause,
            window: (
                window.clock.unix_ns(measure_from.min(ended)),
                window.clock.unix_ns(ended),
            ),
            sending_ended_ns: publish.is_some().then(|| clock.unix_ns(sending_ended)),
            expected,
        },
    );
    let mut summary = summary;
    report::finish(&mut summary, &run.setup.report, &run.setup.thresholds)
}

impl Run {
    /// Resolve the broker once, and set up what every worker shares.
    async fn new(
        mode: Mode,
        setup: Setup,
        publish: &Option<PublishPlan>,
        subscribe: &Option<SubscribePlan>,
    ) -> Result<Run> {
        if matches!(setup.spec.endpoint, Endpoint::Unix(_)) && !setup.sources.is_empty() {
            return Err(Failure::usage(
                "--ifaddr works over TCP, TLS and websockets only: a unix socket has no source address",
            ));
        }
        let target = Target::resolve(&setup.spec).await.map_err(|e| {
            Failure::usage(format!(
                "cannot connect to {}: {}",
                setup.spec.endpoint, e.reason
            ))
        })?;
        let (stop_tx, stop) = stop_on_signal();
        let (window_tx, window_rx) = watch::channel(None);
        let (drain_tx, _) = watch::channel(false);
        let flow = match (publish, subscribe) {
            (Some(p), Some(s)) if p.interval.is_none() => {
                let copies = if s.shared() {
                    1
                } else {
                    u64::from(s.subscribers)
                };
                let ids = setup.clients.iter().map(|&index| index as u32);
                Some(Arc::new(Flow::new(setup.window, copies, ids)))
            }
            _ => None,
        };
        let ctx = Arc::new(Ctx {
            spec: setup.spec.clone(),
            target,
            counters: Arc::new(Counters::default()),
            recorder: Recorder::new(),
            sources: setup.sources.clone(),
            flow,
            own: setup.publishers(),
            limit_reached: AtomicBool::new(false),
            sending_ended_ns: AtomicU64::new(0),
            window: window_rx,
        });
        Ok(Run {
            mode,
            ticker: Ticker::start(setup.clients.len(), alarms(&setup, publish, subscribe)),
            setup,
            ctx,
            window_tx,
            stop_tx,
            stop,
            drain_tx,
            subscribers: JoinSet::new(),
            publishers: JoinSet::new(),
            budget: Arc::default(),
            lag: Arc::default(),
        })
    }

    async fn start_subscribers(&mut self, plan: &SubscribePlan) -> Result<()> {
        let count = if self.mode == Mode::Sub {
            self.setup.clients.len() as u32
        } else {
            plan.subscribers
        };
        let mut ready = Vec::new();
        for n in 0..count {
            let id = match (self.mode, self.setup.shard) {
                (Mode::Sub, _) => self.setup.client_id(self.setup.clients[n as usize]),
                (_, Some((shard, _))) => format!("{}-sub-{shard}-{n}", self.setup.prefix),
                _ => format!("{}-sub-{n}", self.setup.prefix),
            };
            let (ready_tx, ready_rx) = oneshot::channel();
            ready.push(ready_rx);
            let drain = self.drain_tx.subscribe();
            let worker = Subscriber {
                ctx: self.ctx.clone(),
                client_id: id,
                filter: plan.filter.clone(),
                qos: plan.qos,
                worker: n as usize,
                limit: plan.limit,
                stop_all: self.stop_tx.clone(),
            };
            self.subscribers.spawn(worker.run(ready_tx, drain));
            tokio::time::sleep(self.setup.ramp).await;
        }
        for ready in ready {
            if let Ok(Err(failure)) = ready.await {
                let _ = self.drain_tx.send(true);
                return Err(failure);
            }
        }
        Ok(())
    }

    /// Publishers connect; the clock starts once the last one is up.
    async fn start_publishers(&mut self, plan: &Arc<PublishPlan>) -> Result<()> {
        let mut ready = Vec::new();
        let publishers = self.setup.clients.len() as u32;
        for (n, &index) in self.setup.clients.iter().enumerate() {
            let id = self.setup.client_id(index);
            let topic = plan.topic_for(index, &id, &self.setup.username);
            let (ready_tx, ready_rx) = oneshot::channel();
            ready.push(ready_rx);
            let stop = self.stop.clone();
            let worker = Publisher {
                ctx: self.ctx.clone(),
                plan: plan.clone(),
                client_id: id,
                publisher_id: index as u32,
                position: n as u32,
                publishers,
                topic,
                budget: self.budget.clone(),
                lag: self.lag.clone(),
                ticker: self.ticker.clone(),
            };
            self.publishers.spawn(worker.run(ready_tx, stop));
            tokio::time::sleep(self.setup.ramp).await;
        }
        for ready in ready {
            if let Ok(Err(failure)) = ready.await {
                let _ = self.stop_tx.send(true);
                let _ = self.drain_tx.send(true);
                return Err(failure);
            }
        }
        Ok(())
    }

    /// The sending phase: publishers stop on their own (deadline, -L) or on Ctrl-C; sub mode
    /// runs until the deadline, -L or Ctrl-C.
    async fn send(&mut self, publish: Option<&PublishPlan>, window: &Window) -> Measured {
        let mut measured = Measured::default();
        let mut stop = self.stop.clone();
        match publish {
            Some(plan) => {
                while let Some(result) = self.publishers.join_next().await {
                    if let Ok(m) = result {
                        measured.merge(m);
                    }
                }
                // A slow schedule may have nothing left to send before the deadline: the run
                // still lasts until then (unless -L ran out or Ctrl-C came).
                let limit_reached = plan
                    .limit
                    .is_some_and(|limit| self.budget.load(Ordering::Relaxed) >= limit);
                if let Some(end) = window.end
                    && !limit_reached
                {
                    tokio::select! {
                        _ = tokio::time::sleep_until(end) => {}
                        _ = stopped(&mut stop) => {}
                    }
                }
            }
            None => match window.end {
                Some(end) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(end) => {}
                        _ = stopped(&mut stop) => {}
                    }
                }
                None => stopped(&mut stop).await,
            },
        }
        measured
    }

    /// Let subscribers take what is still on its way, then stop them.
    async fn drain(
        &mut self,
        subscribe: Option<&SubscribePlan>,
        published: bool,
        measured: &mut Measured,
        interrupted: bool,
    ) {
        let Some(plan) = subscribe else {
            return;
        };
        if published {
            let expected = measured.sent_total * copies(plan);
            drain_until(&self.ctx.counters, expected, interrupted).await;
        }
        let _ = self.drain_tx.send(true);
        while let Some(result) = self.subscribers.join_next().await {
            if let Ok(m) = result {
                measured.merge(m);
            }
        }
    }
}

/// Copies of each message the subscribers receive in all.
fn copies(plan: &SubscribePlan) -> u64 {
    if plan.shared() {
        1
    } else {
        u64::from(plan.subscribers)
    }
}

async fn drain_until(counters: &Counters, expected: u64, interrupted: bool) {
    let deadline = Instant::now()
        + if interrupted {
            Duration::from_millis(500)
        } else {
            DRAIN_MAX
        };
    let mut last = Counters::get(&counters.received_own);
    let mut last_change = Instant::now();
    while Instant::now() < deadline {
        let now = Counters::get(&counters.received_own);
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

/// Above this many scheduled sends a second in all, publishers share the ticker thread. A
/// timer event per send reaches its task through the runtime's event polling, which a busy
/// runtime does less often; one thread waking for every due send does not wait for it.
/// Measured on 2 cores with 10 publishers, send lag p99: at 10,000 a second 30 µs with alarms
/// against 91 µs shared; at 20,000, 185 against 93.
const ALARMS_UP_TO_RATE: f64 = 15_000.0;

/// How many publishers may have an alarm of their own.
fn alarms(
    setup: &Setup,
    publish: &Option<PublishPlan>,
    subscribe: &Option<SubscribePlan>,
) -> usize {
    let publishers = setup.clients.len();
    let Some(interval) = publish.as_ref().and_then(|p| p.interval) else {
        return 0;
    };
    if publishers as f64 / interval.as_secs_f64() > ALARMS_UP_TO_RATE {
        return 0;
    }
    let subscribers = subscribe.as_ref().map_or(0, |p| p.subscribers as usize);
    spare_descriptors(publishers + subscribers)
}

/// Descriptors the run can spare for publishers' alarms: the limit, less one socket per client
/// and a reserve for everything else the process opens, which grows with the clients (a storm
/// of websocket reconnects resolves names on many threads at once).
fn spare_descriptors(clients: usize) -> usize {
    let (soft, _) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap_or((0, 0));
    usize::try_from(soft)
        .unwrap_or(usize::MAX)
        .saturating_sub(clients)
        .saturating_sub((clients / 4).max(256))
}
