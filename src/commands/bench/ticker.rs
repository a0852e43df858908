//! Wake-ups at exact instants for open-loop schedules. tokio's timer has millisecond resolution,
//! so a send scheduled with it runs up to a millisecond (in practice about 1.3 ms) late, and that
//! delay would be measured as broker latency. On Linux each publisher has an alarm of its own
//! (`super::alarm`) unless the run schedules too many sends (`run::ALARMS_UP_TO_RATE`) or has
//! no descriptors to spare; otherwise one thread sleeps precisely until the next due send of
//! any publisher and wakes that publisher.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use tokio::sync::Notify;

#[derive(Default)]
struct Queue {
    due: BinaryHeap<Reverse<(Instant, usize)>>,
    closed: bool,
}

#[derive(Clone)]
pub struct Ticker {
    queue: Arc<(Mutex<Queue>, Condvar)>,
    wakers: Arc<Vec<Notify>>,
    /// Alarms still to hand out: each takes a descriptor the connections may need.
    alarms: Arc<AtomicUsize>,
}

/// How one publisher waits for its next due send.
#[derive(Clone)]
pub enum Wake {
    #[cfg(target_os = "linux")]
    Own(super::alarm::Alarm),
    Shared(Ticker, usize),
}

impl Wake {
    pub async fn sleep_until(&self, at: Instant) {
        match self {
            #[cfg(target_os = "linux")]
            Wake::Own(alarm) => alarm.sleep_until(at).await,
            Wake::Shared(ticker, worker) => ticker.sleep_until(*worker, at).await,
        }
    }
}

impl Ticker {
    /// The wake-up for publisher `worker`: its own alarm while the budget lasts and the OS gives
    /// one. Needs a running tokio reactor.
    pub fn wake_for(&self, worker: usize) -> Wake {
        let granted = self
            .alarms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok();
        #[cfg(target_os = "linux")]
        if granted && let Ok(alarm) = super::alarm::Alarm::new() {
            return Wake::Own(alarm);
        }
        let _ = granted;
        Wake::Shared(self.clone(), worker)
    }

    /// A ticker for `workers` publishers, numbered from 0, that hands out at most `alarms`
    /// alarms of their own.
    pub fn start(workers: usize, alarms: usize) -> Ticker {
        let ticker = Ticker {
            queue: Arc::default(),
            wakers: Arc::new((0..workers).map(|_| Notify::new()).collect()),
            alarms: Arc::new(AtomicUsize::new(alarms)),
        };
        let this = ticker.clone();
        std::thread::Builder::new()
            .name("moth-ticker".into())
            .spawn(move || this.run())
            .expect("cannot start the ticker thread");
        ticker
    }

    /// Resolves at `at` (a little after: the time the OS takes to wake two threads).
    pub async fn sleep_until(&self, worker: usize, at: Instant) {
        if at <= Instant::now() {
            return;
        }
        let woken = self.wakers[worker].notified();
        {
            let (lock, wake) = &*self.queue;
            lock.lock()
                .expect("ticker lock")
                .due
                .push(Reverse((at, worker)));
            wake.notify_one();
        }
        woken.await;
    }

    pub fn close(&self) {
        let (lock, wake) = &*self.queue;
        lock.lock().expect("ticker lock").closed = true;
        wake.notify_one();
    }

    fn run(self) {
        // Linux lets a sleeping thread wake up to 50 µs late (its timer slack) to save power;
        // that would be measured as send lag. 1 ns asks for the exact instant. Failure leaves
        // the default, which only costs precision.
        #[cfg(target_os = "linux")]
        // SAFETY: PR_SET_TIMERSLACK takes one integer and only changes this thread's slack.
        unsafe {
            libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong);
        }
        let (lock, wake) = &*self.queue;
        let mut queue = lock.lock().expect("ticker lock");
        loop {
            if queue.closed {
                return;
            }
            let now = Instant::now();
            match queue.due.peek() {
                None => queue = wake.wait(queue).expect("ticker lock"),
                Some(Reverse((at, _))) if *at > now => {
                    let wait = *at - now;
                    queue = wake.wait_timeout(queue, wait).expect("ticker lock").0;
                }
                Some(_) => {
                    while let Some(Reverse((at, worker))) = queue.due.peek().copied() {
                        if at > now {
                            break;
                        }
                        queue.due.pop();
                        self.wakers[worker].notify_one();
                    }
                }
            }
        }
    }
}
