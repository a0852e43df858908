//! When each message of an open-loop publisher is due: `first + seq × interval`, with the
//! publishers of a run spread evenly over one interval so that they do not all send at once.
//! Latency is timed from these instants, not from when the send happened (coordinated
//! omission), so a stall anywhere shows in the numbers.

use std::time::Duration;

use tokio::time::Instant;

/// Past any run's end (a year at most): where a schedule saturates instead of overflowing.
const FAR: Duration = Duration::from_secs(2 * 366 * 24 * 3600);

#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    first: Instant,
    /// `None`: closed loop, as fast as acknowledgements allow.
    interval: Option<Duration>,
}

impl Schedule {
    /// The schedule of publisher `position` of `publishers`, starting at `start`.
    pub fn new(
        start: Instant,
        interval: Option<Duration>,
        position: u32,
        publishers: u32,
    ) -> Schedule {
        let first = start + interval.map_or(Duration::ZERO, |i| i * position / publishers.max(1));
        Schedule { first, interval }
    }

    pub fn is_open_loop(&self) -> bool {
        self.interval.is_some()
    }

    /// When message `seq` is due; `None` in a closed loop (it is due whenever there is room).
    pub fn at(&self, seq: u64) -> Option<Instant> {
        let interval = self.interval?;
        // `Duration * u32` would panic and `seq as u32` would wrap: saturate instead.
        let offset = interval.as_nanos().saturating_mul(u128::from(seq));
        Some(
            u64::try_from(offset)
                .ok()
                .map(Duration::from_nanos)
                .filter(|offset| *offset < FAR)
                .and_then(|offset| self.first.checked_add(offset))
                .unwrap_or(self.first + FAR),
        )
    }

    /// Whether message `seq` may go out at `now`.
    pub fn due(&self, seq: u64, now: Instant) -> bool {
        self.at(seq).is_none_or(|at| at <= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishers_are_spread_over_one_interval() {
        let start = Instant::now();
        let ms = Duration::from_millis;
        let s = Schedule::new(start, Some(ms(10)), 1, 4);
        assert_eq!(s.at(0), Some(start + Duration::from_micros(2500)));
        assert_eq!(s.at(3), Some(start + Duration::from_micros(32500)));
        assert!(s.due(0, start + ms(3)));
        assert!(!s.due(1, start + ms(3)));
    }

    #[test]
    fn a_closed_loop_is_always_due() {
        let start = Instant::now();
        let s = Schedule::new(start, None, 3, 4);
        assert!(!s.is_open_loop());
        assert_eq!(s.at(7), None);
        assert!(s.due(u64::MAX, start));
    }

    #[test]
    fn far_sequence_numbers_saturate() {
        let start = Instant::now();
        let s = Schedule::new(start, Some(Duration::from_secs(3600)), 0, 1);
        assert_eq!(s.at(u64::MAX), Some(start + FAR));
        assert_eq!(s.at(1 << 40), Some(start + FAR));
    }
}
