//! When each message goes out: as fast as the broker takes them, `--rate N` (message k at
//! start + k/N), or `--replay` (each line at start + its received_at's distance from the first
//! line's, divided by --speed). Both schedules are fixed at the start, so a late send does not
//! delay the rest (no drift); a run that fell behind (a reconnect, a slow broker) catches up at
//! full speed. tokio's timer fires up to about a millisecond late.

use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use tokio::time::Instant;

pub enum Pace {
    Free,
    Rate(f64),
    Replay {
        speed: f64,
        first: Option<DateTime<FixedOffset>>,
    },
}

/// The schedule with its start, which is the first message's send time.
pub struct Schedule {
    pace: Pace,
    start: Option<Instant>,
}

impl Schedule {
    pub fn new(pace: Pace) -> Schedule {
        Schedule { pace, start: None }
    }

    pub fn is_free(&self) -> bool {
        matches!(self.pace, Pace::Free)
    }

    /// Wait until message `index` (from 0) is due. `at` is its received_at (--replay); the
    /// error says what is wrong with it.
    pub async fn wait(
        &mut self,
        index: u64,
        at: Option<DateTime<FixedOffset>>,
    ) -> Result<(), String> {
        let start = *self.start.get_or_insert_with(Instant::now);
        let offset = match &mut self.pace {
            Pace::Free => return Ok(()),
            // Past any real run (1.8e16 messages at the lowest rate): send without waiting.
            Pace::Rate(rate) => Duration::try_from_secs_f64(index as f64 / *rate).ok(),
            Pace::Replay { speed, first } => {
                let at = at.ok_or("no \"received_at\" to replay it at")?;
                let first = *first.get_or_insert(at);
                // A line older than the first (a capture merged from several) goes at once.
                let gap = (at - first).to_std().unwrap_or_default();
                let scaled = Duration::try_from_secs_f64(gap.as_secs_f64() / *speed).ok();
                Some(
                    scaled
                        .filter(|s| start.checked_add(*s).is_some())
                        .ok_or_else(|| {
                            "\"received_at\" is too far from the first line's to wait for"
                                .to_string()
                        })?,
                )
            }
        };
        if let Some(due) = offset.and_then(|o| start.checked_add(o)) {
            tokio::time::sleep_until(due).await;
        }
        Ok(())
    }
}
