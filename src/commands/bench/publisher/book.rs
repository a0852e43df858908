//! What acknowledgements settle: QoS 0 delivery once written, and each PUBACK, PUBREC or
//! PUBCOMP matched to the message it completes (timed from its intended send), refusals counted.

use super::*;

impl Book<'_> {
    /// Everything queued is written: at QoS 0 that is delivery.
    pub(super) fn written(&mut self, window: &Window, counters: &Counters) {
        if self.qos0_queued == 0 {
            return;
        }
        self.measured.acked += self.qos0_measured;
        if self.qos0_measured > 0 {
            Span::mark(&mut self.measured.acks, window.clock.now_ns());
        }
        Counters::add(&counters.acked, self.qos0_queued);
        (self.qos0_queued, self.qos0_measured) = (0, 0);
    }

    /// Match what was read to the messages it completes.
    pub(super) fn read(
        &mut self,
        c: &mut Link,
        window: &Window,
        counters: &Counters,
    ) -> std::result::Result<(), LinkError> {
        let mut acked = 0;
        let Book {
            acks,
            measured,
            samples,
            ..
        } = self;
        let parsed = c.parse(|_, packet| match packet {
            // A refusal (MQTT 5) ends the exchange: counted, not timed.
            Incoming::PubAck { pkid, reason } | Incoming::PubRec { pkid, reason }
                if reason >= 0x80 && acks.complete(pkid).is_some() =>
            {
                measured.fail(&format!(
                    "the broker refused a publish: {}",
                    crate::connect::reason_words(reason)
                ));
                measured.refused += 1;
                acked += 1;
            }
            Incoming::PubAck { reason, .. } | Incoming::PubRec { reason, .. } if reason >= 0x80 => {
            }
            Incoming::PubAck { pkid, .. } | Incoming::PubComp { pkid, .. } => {
                if let Some(sent) = acks.complete(pkid) {
                    acked += 1;
                    if sent.measured {
                        measured.acked += 1;
                        let at = Instant::now();
                        Span::mark(&mut measured.acks, window.clock.unix_ns(at));
                        samples.add(Kind::Ack, at.saturating_duration_since(sent.intended));
                    }
                }
            }
            Incoming::PubRec { pkid, .. } => acks.received(pkid),
            _ => {}
        });
        Counters::add(&counters.acked, acked);
        parsed
    }
}
