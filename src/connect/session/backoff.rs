//! Waits between reconnect attempts, one policy for every connection moth makes: short at first,
//! so a broker restart costs little, then doubling, so that a broker that stays down is not
//! hammered; a little random spread, so a thousand clients dropped together do not come back in
//! one wave. Every accepting CONNACK starts the waits again from the first: a link cut every
//! few seconds costs one short wait each time, not an ever longer one. The first wait is never
//! zero, so a broker that accepts and then drops at once is not hit in a hot loop.

use std::time::Duration;

const FIRST: Duration = Duration::from_millis(100);
const MAX: Duration = Duration::from_secs(5);
/// Each wait is this share longer or shorter, at random.
const SPREAD: f64 = 0.25;

#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    random: u64,
}

impl Backoff {
    pub fn new() -> Backoff {
        Backoff {
            next: FIRST,
            random: crate::random::random_u64() | 1,
        }
    }

    /// The wait before the next attempt.
    pub fn next_wait(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(MAX);
        // xorshift64: spread enough for timing.
        self.random ^= self.random << 13;
        self.random ^= self.random >> 7;
        self.random ^= self.random << 17;
        let unit = (self.random >> 11) as f64 / (1u64 << 53) as f64;
        base.mul_f64(1.0 + SPREAD * (2.0 * unit - 1.0))
    }

    /// After an accepting CONNACK.
    pub fn reset(&mut self) {
        self.next = FIRST;
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_a_cap_spread_and_resets() {
        let mut b = Backoff::new();
        let bases = [100, 200, 400, 800, 1600, 3200, 5000, 5000];
        for base in bases {
            let wait = b.next_wait().as_millis() as f64;
            assert!(
                (base as f64 * 0.75..=base as f64 * 1.25).contains(&wait),
                "{wait} ms for a {base} ms step"
            );
        }
        b.reset();
        let first = b.next_wait();
        assert!(first >= Duration::from_millis(75) && first <= Duration::from_millis(125));
    }
}
