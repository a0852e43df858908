//! A publisher whose connection dropped: reconnect with backoff and send again, in their order,
//! the messages the broker has not acknowledged; or give up, saying what was never sent.

use super::*;

impl Sender<'_> {
    /// Disconnected: reconnect after a pause and send again what is unacknowledged, unless the
    /// run is over. False when this client is done for.
    pub(super) async fn reconnect(&mut self, now: Instant) -> bool {
        let counters = &self.p.ctx.counters;
        if self.pace.sending && self.window.end.is_some_and(|end| now >= end) {
            self.count_unsent();
            // A client that never got its connection back within the run failed for good,
            // whatever it had managed to send before.
            self.book.measured.failed_for_good(None, counters);
            return false;
        }
        let wait = Instant::now() + self.backoff.next_wait();
        let grace = self.pace.grace;
        tokio::select! {
            _ = tokio::time::sleep_until(wait) => {}
            _ = tokio::time::sleep_until(grace.unwrap_or(wait)), if grace.is_some() => {}
        }
        if grace.is_some_and(|g| Instant::now() >= g) {
            self.book
                .measured
                .failed_for_good(Some("could not reconnect before the run ended"), counters);
            return false;
        }
        match self.p.open().await {
            Ok((mut fresh, connected)) => {
                self.backoff.reset();
                self.book.measured.reconnected(&self.p.client_id);
                Counters::add(&counters.reconnects, 1);
                if let Some(max) = connected.terms.receive_max {
                    self.book.acks.narrow(max);
                }
                self.resend(&mut fresh);
                self.link = Some(fresh);
                true
            }
            Err(e) if e.refused.is_some() => {
                self.book
                    .measured
                    .failed_for_good(Some(&format!("reconnect {}", e.reason)), counters);
                false
            }
            Err(_) => true,
        }
    }

    /// The run ended while this client was away: what its schedule made due meanwhile was
    /// never sent. Say so rather than hide it.
    pub(super) fn count_unsent(&mut self) {
        let mut unsent = 0;
        while self
            .schedule
            .at(self.pace.seq)
            .zip(self.window.end)
            .is_some_and(|(at, end)| at < end)
        {
            self.pace.seq += 1;
            unsent += 1;
        }
        if unsent > 0 {
            *self
                .book
                .measured
                .failures
                .entry("not sent: the connection was down until the run ended".into())
                .or_default() += unsent;
        }
    }

    /// MQTT wants unacknowledged messages sent again, in their order.
    pub(super) fn resend(&self, fresh: &mut Link) {
        let (acks, plan) = (&self.book.acks, &self.p.plan);
        for resend in acks.resend() {
            match resend {
                Resend::Publish(pkid) => {
                    let sent = acks.get(pkid).expect("outstanding");
                    let topic = sent.topic.as_deref().unwrap_or(self.p.topic.fixed());
                    fresh.publish(PublishPacket {
                        topic,
                        qos: plan.qos,
                        retain: plan.retain,
                        dup: true,
                        pkid,
                        payload: sent.payload.clone(),
                        properties: None,
                    });
                }
                Resend::Release(pkid) => fresh.pubrel(pkid),
            }
        }
    }
}
