//! A publisher's own precise alarm: a timerfd in tokio's reactor. The kernel wakes the thread
//! that waits in epoll at the due instant, and that thread sends at once: one wake-up, where the
//! shared ticker thread needs two (itself, then the runtime's thread). Each alarm holds one file
//! descriptor; when none can be had (the per-process limit, met by runs with many thousands of
//! connections) the publisher shares the ticker thread instead.
//!
//! Waking a thread still takes the kernel some microseconds (about 20 on a virtual machine, more
//! under load). The alarm learns that delay and rings as much earlier, then spins the rest of the
//! way: sends leave at their instant, never before it. It aims at the delay's lower quartile, so
//! three wake-ups in four come late and need no spin, and the spin is capped, so the alarm costs
//! a few per cent of a core at 10,000 sends a second.

use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rustix::time::{
    Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, Timespec, timerfd_create,
    timerfd_settime,
};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

#[derive(Clone)]
pub struct Alarm(Arc<Inner>);

struct Inner {
    timer: AsyncFd<OwnedFd>,
    /// How much earlier than due the timer rings, in nanoseconds (a `Lead`).
    lead: AtomicU64,
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
            lead: AtomicU64::new(Lead::default().0),
        })))
    }

    /// Resolves at `at`, not before. Arming the timer again discards an expiry nobody read.
    pub async fn sleep_until(&self, at: Instant) {
        let mut lead = Lead(self.0.lead.load(Ordering::Relaxed));
        let ring = at.checked_sub(lead.duration()).unwrap_or(at);
        let Some(wait) = ring
            .checked_duration_since(Instant::now())
            .filter(|w| !w.is_zero())
        else {
            spin_until(at);
            return;
        };
        if timerfd_settime(
            self.0.timer.get_ref(),
            TimerfdTimerFlags::empty(),
            &once(wait),
        )
        .is_err()
        {
            // Cannot happen with a valid descriptor and value; late beats never.
            return;
        }
        loop {
            let Ok(mut ready) = self.0.timer.readable().await else {
                return;
            };
            let mut expiries = [0u8; 8];
            match ready.try_io(|fd| Ok(rustix::io::read(fd.get_ref(), &mut expiries)?)) {
                Ok(_) => break,
                // Readiness left over from an earlier arming: wait for this one.
                Err(_would_block) => continue,
            }
        }
        let woke = Instant::now();
        lead.learn(woke.saturating_duration_since(ring));
        self.0.lead.store(lead.0, Ordering::Relaxed);
        spin_until(at);
    }
}

fn spin_until(at: Instant) {
    while Instant::now() < at {
        std::hint::spin_loop();
    }
}

/// How early to ring, in nanoseconds: a running estimate of the wake-up delay's lower quartile.
/// Each observation moves it by a quarter step up when the delay was longer, three quarters
/// down when shorter, which settles where a quarter of the delays fall below it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Lead(u64);

impl Lead {
    const STEP_NS: u64 = 1_000;
    /// Bounds the spin, whatever the machine's delays.
    const MAX_NS: u64 = 100_000;

    fn duration(self) -> Duration {
        Duration::from_nanos(self.0)
    }

    fn learn(&mut self, delay: Duration) {
        let delay = delay.as_nanos().min(u128::from(u64::MAX)) as u64;
        self.0 = if delay > self.0 {
            (self.0 + Self::STEP_NS / 4).min(Self::MAX_NS)
        } else {
            self.0.saturating_sub(Self::STEP_NS * 3 / 4)
        };
    }
}

impl Default for Lead {
    fn default() -> Lead {
        Lead(10_000)
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

    fn settle(delays: impl Iterator<Item = u64>) -> u64 {
        let mut lead = Lead::default();
        for d in delays {
            lead.learn(Duration::from_nanos(d));
        }
        lead.0
    }

    #[tokio::test]
    async fn alarm_never_resolves_before_its_instant() {
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
    fn lead_settles_at_the_lower_quartile_of_the_delays() {
        // Delays 20, 21, 22, 23 µs over and over: a quarter of them are at or below 20 µs.
        let lead = settle((0..4000).map(|i| 20_000 + (i % 4) * 1_000));
        assert!((19_000..=21_000).contains(&lead), "{lead}");
    }

    #[test]
    fn lead_ignores_rare_long_stalls() {
        let lead = settle((0..4000).map(|i| if i % 100 == 0 { 3_000_000 } else { 22_000 }));
        assert!((21_000..=23_000).contains(&lead), "{lead}");
    }

    #[test]
    fn lead_is_capped_and_never_negative() {
        assert_eq!(settle(std::iter::repeat_n(10_000_000, 2000)), Lead::MAX_NS);
        assert_eq!(settle(std::iter::repeat_n(0, 2000)), 0);
    }
}
