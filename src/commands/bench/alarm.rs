//! A publisher's own precise alarm: a timerfd in tokio's reactor. The kernel wakes the thread
//! that waits in epoll at the due instant, and that thread sends at once: one wake-up, where the
//! shared ticker thread needs two (itself, then the runtime's thread). Each alarm holds one file
//! descriptor. Publishers share the ticker thread instead when the run has no descriptors to
//! spare, and when it schedules so many sends that its runtime is busy (see `run::alarms`).
//!
//! Waking a thread still takes the kernel some microseconds (about 20 on a virtual machine, more
//! under load). The alarm learns that delay and rings as much earlier, then spins the rest of the
//! way: sends leave at their instant, never before it. Between frequent sends it aims at the
//! delay's lower quartile, so three wake-ups in four come late and need no spin; when sends are
//! far apart it aims at the delay's 90th percentile, as the spin then costs at most 2% of the
//! time waited. All alarms together spin at most a twentieth of one core: past that, they ring
//! on time and the send is as late as the wake-up.

use std::io;
use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustix::time::{
    Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, Timespec, timerfd_create,
    timerfd_settime,
};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// One waiter at a time: a clone exists to move into the waiting future, and a second wait in
/// progress would re-arm the first one's timer.
#[derive(Clone)]
pub struct Alarm(Arc<Inner>);

struct Inner {
    timer: AsyncFd<OwnedFd>,
    /// Learnt by the one task that waits on this alarm: never contended.
    lead: Mutex<Lead>,
}

impl Alarm {
    /// Needs a running tokio reactor.
    pub fn new() -> io::Result<Alarm> {
        let fd = timerfd_create(
            TimerfdClockId::Monotonic,
            TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
        )?;
        // SAFETY: the OwnedFd is a valid descriptor, owned by the AsyncFd until it is dropped.
        let registered = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) };
        Ok(Alarm(Arc::new(Inner {
            timer: registered.map_err(io::Error::from)?,
            lead: Mutex::default(),
        })))
    }

    /// Resolves at `at`, not before. Arming the timer again discards an expiry nobody read.
    pub async fn sleep_until(&self, at: Instant) {
        let now = Instant::now();
        let Some(until) = at.checked_duration_since(now).filter(|d| !d.is_zero()) else {
            return;
        };
        let wanted = self.lead().for_wait(until).min(until);
        let mut spin = Spin::take(now, wanted);
        let lead = spin.granted;
        if lead == until {
            spin.until(at);
            return;
        }
        let ring = at - lead;
        if !self.ring_at(until - lead).await {
            // The timer failed (the runtime is shutting down, say): tokio's coarser one is late
            // but never early.
            tokio::time::sleep_until(at.into()).await;
            return;
        }
        self.lead()
            .learn(Instant::now().saturating_duration_since(ring));
        spin.until(at);
    }

    /// Waits `after`; false if the timer could not be used.
    async fn ring_at(&self, after: Duration) -> bool {
        let timer = &self.0.timer;
        if timerfd_settime(timer.get_ref(), TimerfdTimerFlags::empty(), &once(after)).is_err() {
            return false;
        }
        loop {
            let Ok(mut ready) = timer.readable().await else {
                return false;
            };
            let mut expiries = [0u8; 8];
            match ready.try_io(|fd| Ok(rustix::io::read(fd.get_ref(), &mut expiries)?)) {
                Ok(Ok(_)) => {
                    // One expiry is all a one-shot timer gives: no need to find that out by
                    // reading again at the next wait.
                    ready.clear_ready();
                    return true;
                }
                Ok(Err(_)) => return false,
                // Readiness left over from an earlier arming: wait for this one.
                Err(_would_block) => continue,
            }
        }
    }

    fn lead(&self) -> std::sync::MutexGuard<'_, Lead> {
        // A panic elsewhere cannot leave a half-learnt window worth refusing.
        self.0
            .lead
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Spinning is paid from one budget for the whole process, so that many publishers or a high
/// rate cannot turn precise sends into a busy machine.
static SPIN: Mutex<SpinBudget> = Mutex::new(SpinBudget::new());

fn budget() -> std::sync::MutexGuard<'static, SpinBudget> {
    SPIN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Spin time granted from the budget, paid in advance. What was not spun goes back when it is
/// dropped, also when the wait it was for is dropped before it rang.
struct Spin {
    granted: Duration,
    spun: Duration,
}

impl Spin {
    /// All of `wanted` or, when the budget is short, none.
    fn take(now: Instant, wanted: Duration) -> Spin {
        Spin {
            granted: budget().take(now, wanted),
            spun: Duration::ZERO,
        }
    }

    fn until(&mut self, at: Instant) {
        let from = Instant::now();
        spin_until(at);
        self.spun = at.saturating_duration_since(from).min(self.granted);
    }
}

impl Drop for Spin {
    fn drop(&mut self) {
        let unspent = self.granted.saturating_sub(self.spun);
        if !unspent.is_zero() {
            budget().give_back(unspent);
        }
    }
}

/// A token bucket of spin time: it fills at 5% of the time that passes (a twentieth of one
/// core) and holds at most 5 ms.
#[derive(Debug)]
struct SpinBudget {
    filled_at: Option<Instant>,
    left: Duration,
}

impl SpinBudget {
    const SHARE: u32 = 20;
    const CAPACITY: Duration = Duration::from_millis(5);

    const fn new() -> SpinBudget {
        SpinBudget {
            filled_at: None,
            left: SpinBudget::CAPACITY,
        }
    }

    /// `now` may come from a thread that read the clock before another took the lock: time
    /// only counts once.
    fn take(&mut self, now: Instant, wanted: Duration) -> Duration {
        let then = self.filled_at.unwrap_or(now);
        if now > then {
            let earned = (now - then) / Self::SHARE;
            self.left = (self.left + earned).min(Self::CAPACITY);
            self.filled_at = Some(now);
        } else {
            self.filled_at = Some(then);
        }
        if self.left >= wanted {
            self.left -= wanted;
            wanted
        } else {
            Duration::ZERO
        }
    }

    fn give_back(&mut self, unspent: Duration) {
        self.left = (self.left + unspent).min(Self::CAPACITY);
    }
}

fn spin_until(at: Instant) {
    while Instant::now() < at {
        std::hint::spin_loop();
    }
}

/// How early to ring: a percentile of the last few wake-up delays. A window, not a running
/// average, so that it follows the machine within a few sends and a rare long stall does not
/// move it.
#[derive(Clone, Debug, Default)]
struct Lead {
    delays_ns: [u32; Lead::WINDOW],
    seen: usize,
}

impl Lead {
    const WINDOW: usize = 16;
    /// Bounds the spin, whatever the machine's delays.
    const MAX: Duration = Duration::from_micros(250);

    /// The lead for a wait of `wait`: the delays' 90th percentile (the 14th of 16) when spinning
    /// that long costs at most 2% of the wait, their lower quartile (the 4th) otherwise.
    fn for_wait(&self, wait: Duration) -> Duration {
        let high = self.percentile(90);
        if high * 50 <= wait {
            high
        } else {
            self.percentile(25)
        }
    }

    fn percentile(&self, p: usize) -> Duration {
        let filled = self.seen.min(Self::WINDOW);
        if filled == 0 {
            return Duration::ZERO;
        }
        let mut delays = self.delays_ns;
        let delays = &mut delays[..filled];
        let (_, value, _) = delays.select_nth_unstable((filled - 1) * p / 100);
        Duration::from_nanos(u64::from(*value)).min(Self::MAX)
    }

    fn learn(&mut self, delay: Duration) {
        let ns = u32::try_from(delay.as_nanos()).unwrap_or(u32::MAX);
        self.delays_ns[self.seen % Self::WINDOW] = ns;
        self.seen += 1;
    }
}

fn once(after: Duration) -> Itimerspec {
    let zero = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    Itimerspec {
        it_interval: zero,
        it_value: Timespec {
            tv_sec: after.as_secs() as _,
            tv_nsec: after.subsec_nanos() as _,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settle(delays: impl Iterator<Item = u64>) -> Duration {
        let mut lead = Lead::default();
        for d in delays {
            lead.learn(Duration::from_nanos(d));
        }
        lead.for_wait(Duration::from_micros(100))
    }

    /// The tests that spin draw on the process's one budget.
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    #[tokio::test]
    async fn a_wait_dropped_before_it_rings_gives_its_spin_back() {
        let _serial = SERIAL.lock().await;
        let alarm = Alarm::new().expect("timerfd");
        for _ in 0..Lead::WINDOW {
            alarm.lead().learn(Duration::from_micros(200));
        }
        let before = budget().left;
        // Each wait is granted 200 µs of spin; a hundred kept would empty the 5 ms budget.
        for _ in 0..100 {
            let at = Instant::now() + Duration::from_millis(50);
            let dropped = tokio::time::timeout(Duration::from_micros(1), alarm.sleep_until(at));
            assert!(dropped.await.is_err());
        }
        assert!(budget().left >= before, "{:?} < {before:?}", budget().left);
    }

    #[tokio::test]
    async fn alarm_never_resolves_before_its_instant() {
        let _serial = SERIAL.lock().await;
        let alarm = Alarm::new().expect("timerfd");
        for micros in [0, 50, 300, 2_000, 300, 50] {
            let at = Instant::now() + Duration::from_micros(micros);
            alarm.sleep_until(at).await;
            assert!(
                Instant::now() >= at,
                "woke before the instant ({micros} µs)"
            );
        }
        // An instant already past resolves at once.
        alarm
            .sleep_until(Instant::now() - Duration::from_millis(5))
            .await;
    }

    #[test]
    fn lead_is_the_lower_quartile_of_the_recent_delays() {
        // Delays 20, 21, 22, 23 µs over and over: four of the last sixteen are 20 µs.
        let lead = settle((0..400).map(|i| 20_000 + (i % 4) * 1_000));
        assert_eq!(lead, Duration::from_micros(20));
    }

    #[test]
    fn lead_follows_the_machine_within_a_window() {
        let lead = settle((0..1000).map(|_| 5_000).chain((0..16).map(|_| 60_000)));
        assert_eq!(lead, Duration::from_micros(60));
    }

    #[test]
    fn lead_ignores_rare_long_stalls() {
        let lead = settle((0..400).map(|i| if i % 10 == 0 { 3_000_000 } else { 22_000 }));
        assert_eq!(lead, Duration::from_micros(22));
    }

    #[test]
    fn lead_aims_higher_when_sends_are_far_apart() {
        let mut lead = Lead::default();
        for d in 0..16 {
            lead.learn(Duration::from_micros(10 + d * 2));
        }
        // 90th percentile 36 µs: worth it before a wait of 1.8 ms or more.
        assert_eq!(
            lead.for_wait(Duration::from_millis(10)),
            Duration::from_micros(36)
        );
        assert_eq!(
            lead.for_wait(Duration::from_millis(1)),
            Duration::from_micros(16)
        );
    }

    #[test]
    fn spin_budget_grants_a_twentieth_of_the_time_that_passes() {
        let start = Instant::now();
        let mut budget = SpinBudget::new();
        let asks = Duration::from_micros(20);
        // 10,000 asks a second for a second: 200 ms asked, the 5 ms held plus 50 ms earned given.
        let granted: Duration = (0..10_000u32)
            .map(|i| budget.take(start + Duration::from_micros(100) * i, asks))
            .sum();
        let ms = granted.as_micros() as f64 / 1000.0;
        assert!((54.0..=56.0).contains(&ms), "{ms} ms granted");
    }

    #[test]
    fn spin_budget_grants_all_or_nothing_and_takes_back_what_was_not_spun() {
        let now = Instant::now();
        let mut budget = SpinBudget::new();
        assert_eq!(
            budget.take(now, Duration::from_millis(4)),
            Duration::from_millis(4)
        );
        assert_eq!(budget.take(now, Duration::from_millis(2)), Duration::ZERO);
        budget.give_back(Duration::from_millis(3));
        assert_eq!(
            budget.take(now, Duration::from_millis(2)),
            Duration::from_millis(2)
        );
        budget.give_back(Duration::from_secs(1));
        assert_eq!(budget.left, SpinBudget::CAPACITY);
    }

    #[test]
    fn lead_starts_at_zero_and_is_capped() {
        assert_eq!(settle(std::iter::empty()), Duration::ZERO);
        assert_eq!(settle(std::iter::repeat_n(10_000_000, 40)), Lead::MAX);
    }
}
