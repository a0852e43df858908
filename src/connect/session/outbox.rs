//! The publishes a session still owes the broker, as plain state (the driver does the I/O, and
//! unit tests drive this without sockets). Every message handed to a session stays here, in
//! order, until it is delivered at its QoS: a QoS 0 message once it is on the wire, a QoS 1/2
//! message once the broker acknowledged it (PUBACK, PUBCOMP) or refused it. A lost connection
//! resends exactly what is unconfirmed: with the same packet ids and DUP where the broker kept
//! the session, as new messages where it did not.

use std::collections::VecDeque;

use super::inflight::{Inflight, Resend};
use crate::message::OutgoingPublish;

/// At most this many unconfirmed messages are held; a producer waits for room beyond it.
pub const LIMIT: usize = 1000;

/// One message and its place in the order the session took them (1 is the first).
#[derive(Debug, Clone)]
pub struct Held {
    pub publish: OutgoingPublish,
    pub seq: u64,
}

/// What `offer` did with a message.
#[derive(Debug)]
pub enum Offered {
    Held,
    /// No room: the caller waits for room and offers it again.
    Full(OutgoingPublish),
    /// A QoS 0 message while the broker is unreachable and the buffer is full: dropped, counted.
    Dropped,
    /// The session is over.
    Closed,
}

/// Delivered and refused messages so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Taken by the session.
    pub accepted: u64,
    /// Delivered at their QoS: on the wire at 0, PUBACK at 1, PUBCOMP at 2.
    pub delivered: u64,
    /// Refused by the broker (MQTT 5 reason code, or larger than it takes).
    pub refused: u64,
    /// QoS 0 messages dropped because the buffer was full while the broker was unreachable.
    pub dropped: u64,
}

impl Counts {
    /// Taken and not yet settled one way or another.
    pub fn unsettled(&self) -> u64 {
        self.accepted - self.delivered - self.refused - self.dropped
    }
}

/// A message the driver is to put on the connection.
pub struct ToSend<'a> {
    pub publish: &'a OutgoingPublish,
    /// 0 at QoS 0.
    pub pkid: u16,
    pub dup: bool,
}

pub struct Outbox {
    /// Taken, not yet on a connection.
    pending: VecDeque<Held>,
    /// QoS 1/2 on the connection, exchange not over.
    inflight: Inflight<Held>,
    /// QoS 0 queued on the connection, with the stream offset just past each: delivered once the
    /// connection has written that far.
    unwritten: VecDeque<(u64, Held)>,
    counts: Counts,
    connected: bool,
    closed: bool,
    next_seq: u64,
}

impl Outbox {
    /// `window`: the most QoS 1/2 messages in flight at once (-M).
    pub fn new(window: u16) -> Outbox {
        Outbox {
            pending: VecDeque::new(),
            inflight: Inflight::new(window),
            unwritten: VecDeque::new(),
            counts: Counts::default(),
            connected: false,
            closed: false,
            next_seq: 1,
        }
    }

    fn held(&self) -> usize {
        self.pending.len() + self.inflight.outstanding() + self.unwritten.len()
    }

    pub fn offer(&mut self, publish: OutgoingPublish) -> Offered {
        if self.closed {
            return Offered::Closed;
        }
        if self.held() >= LIMIT {
            if publish.qos == 0 && !self.connected {
                self.counts.accepted += 1;
                self.counts.dropped += 1;
                self.next_seq += 1;
                return Offered::Dropped;
            }
            return Offered::Full(publish);
        }
        self.counts.accepted += 1;
        self.pending.push_back(Held {
            publish,
            seq: self.next_seq,
        });
        self.next_seq += 1;
        Offered::Held
    }

    /// Whether there is something to put on the connection now.
    pub fn has_sendable(&self) -> bool {
        self.connected
            && self
                .pending
                .front()
                .is_some_and(|h| h.publish.qos == 0 || self.inflight.has_room())
    }

    /// Put pending messages on the connection, in order, while the window has room: `send`
    /// queues each and returns the stream offset just past it. A message `fits` refuses (too
    /// large for the broker) is settled as refused and handed to `refused`.
    pub fn send(
        &mut self,
        mut fits: impl FnMut(&OutgoingPublish) -> bool,
        mut send: impl FnMut(ToSend<'_>) -> u64,
        mut refused: impl FnMut(&Held),
    ) {
        while self.has_sendable() {
            let held = self.pending.pop_front().expect("has_sendable");
            if !fits(&held.publish) {
                self.counts.refused += 1;
                refused(&held);
                continue;
            }
            if held.publish.qos == 0 {
                let end = send(ToSend {
                    publish: &held.publish,
                    pkid: 0,
                    dup: false,
                });
                self.unwritten.push_back((end, held));
            } else {
                let pkid = self.inflight.insert(held);
                let held = self.inflight.get(pkid).expect("just inserted");
                send(ToSend {
                    publish: &held.publish,
                    pkid,
                    dup: false,
                });
            }
        }
    }

    /// The connection has written everything before `offset`: QoS 0 messages there are
    /// delivered. Returns how many.
    pub fn written(&mut self, offset: u64) -> u64 {
        let mut n = 0;
        while self
            .unwritten
            .front()
            .is_some_and(|(end, _)| *end <= offset)
        {
            self.unwritten.pop_front();
            n += 1;
        }
        self.counts.delivered += n;
        n
    }

    /// PUBACK (QoS 1) or PUBCOMP (QoS 2): delivered. None for an id not in flight.
    pub fn acknowledged(&mut self, pkid: u16) -> Option<Held> {
        let held = self.inflight.complete(pkid)?;
        self.counts.delivered += 1;
        Some(held)
    }

    /// PUBREC for a QoS 2 message: PUBCOMP is next.
    pub fn received(&mut self, pkid: u16) {
        self.inflight.received(pkid);
    }

    /// A refusal (MQTT 5 reason code in PUBACK or PUBREC): settled, not delivered.
    pub fn refused(&mut self, pkid: u16) -> Option<Held> {
        let held = self.inflight.complete(pkid)?;
        self.counts.refused += 1;
        Some(held)
    }

    /// The connection is gone: QoS 0 messages it had not written go back to the front of the
    /// queue, in order; messages in flight wait for the next CONNACK to know their fate.
    pub fn lost(&mut self) {
        self.connected = false;
        while let Some((_, held)) = self.unwritten.pop_back() {
            self.pending.push_front(held);
        }
    }

    /// Connected (again), with `window` the most QoS 1/2 messages in flight (-M, narrowed by the
    /// broker's receive maximum). Where the broker kept the session, what was in flight goes out
    /// again first, as it was: returned for the driver to queue (with DUP), oldest first.
    /// Otherwise each such message goes back to the queue, in order, as a new message.
    pub fn connected(&mut self, session_present: bool, window: u16) -> Vec<Resend> {
        self.connected = true;
        self.inflight.narrow(window);
        if session_present {
            return self.inflight.resend();
        }
        let mut back: Vec<Held> = self.inflight.take_all();
        back.extend(self.pending.drain(..));
        back.sort_by_key(|h| h.seq);
        self.pending = back.into();
        Vec::new()
    }

    /// A message in flight, to queue again with DUP after `connected` said so.
    pub fn in_flight(&self, pkid: u16) -> Option<&Held> {
        self.inflight.get(pkid)
    }

    /// The oldest message the broker has not acknowledged, with its packet id (0 for QoS 0).
    pub fn oldest_unconfirmed(&self) -> Option<(u16, &Held)> {
        self.inflight.oldest()
    }

    /// Whether messages are in flight, awaiting an acknowledgement.
    pub fn awaiting(&self) -> bool {
        self.inflight.outstanding() > 0
    }

    /// Whether anything taken is still to be acknowledged, or to be sent at all (QoS 0 messages
    /// queued on the connection are not: they go out with whatever follows them).
    pub fn owes_acknowledgement(&self) -> bool {
        self.inflight.outstanding() > 0 || !self.pending.is_empty()
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The session has ended: nothing more is taken.
    pub fn close(&mut self) {
        self.closed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn message(qos: u8, text: &'static str) -> OutgoingPublish {
        OutgoingPublish {
            topic: "t".into(),
            qos,
            retain: false,
            payload: Bytes::from_static(text.as_bytes()),
            properties: None,
        }
    }

    /// Send what is sendable; (payload, pkid, dup) of each, and the offsets it was given.
    fn send_all(outbox: &mut Outbox, offset: &mut u64) -> Vec<(String, u16, bool)> {
        let mut sent = Vec::new();
        outbox.send(
            |_| true,
            |m| {
                *offset += 10;
                sent.push((
                    String::from_utf8(m.publish.payload.to_vec()).unwrap(),
                    m.pkid,
                    m.dup,
                ));
                *offset
            },
            |_| panic!("nothing is too large"),
        );
        sent
    }

    #[test]
    fn qos_0_is_delivered_once_written_and_sent_again_if_not() {
        let mut outbox = Outbox::new(20);
        outbox.connected(false, 20);
        for text in ["a", "b", "c"] {
            assert!(matches!(outbox.offer(message(0, text)), Offered::Held));
        }
        let mut offset = 0;
        assert_eq!(send_all(&mut outbox, &mut offset).len(), 3);
        assert_eq!(outbox.written(20), 2, "a and b are on the wire");
        assert_eq!(outbox.counts().delivered, 2);
        // The connection drops with c still in the write buffer: it goes out again.
        outbox.lost();
        outbox.connected(false, 20);
        assert_eq!(
            send_all(&mut outbox, &mut offset),
            vec![("c".into(), 0, false)]
        );
        outbox.written(offset);
        assert_eq!(outbox.counts().unsettled(), 0);
    }

    #[test]
    fn a_kept_session_resends_with_the_same_ids_a_new_one_as_new_messages() {
        let mut outbox = Outbox::new(2);
        outbox.connected(false, 2);
        for text in ["a", "b", "c"] {
            outbox.offer(message(2, text));
        }
        let mut offset = 0;
        // The window of 2 takes a and b; c waits.
        assert_eq!(
            send_all(&mut outbox, &mut offset),
            vec![("a".into(), 1, false), ("b".into(), 2, false)]
        );
        outbox.received(1);
        outbox.lost();
        // Kept: PUBREL for a, PUBLISH (DUP) for b, with their ids.
        assert_eq!(
            outbox.connected(true, 2),
            vec![Resend::Release(1), Resend::Publish(2)]
        );
        assert!(outbox.acknowledged(1).is_some());
        assert_eq!(
            send_all(&mut outbox, &mut offset),
            vec![("c".into(), 3, false)]
        );
        outbox.lost();
        // Not kept: b and c again, as new messages, in their order.
        assert_eq!(outbox.connected(false, 2), vec![]);
        let again = send_all(&mut outbox, &mut offset);
        assert_eq!(
            again
                .iter()
                .map(|(t, _, dup)| (t.as_str(), *dup))
                .collect::<Vec<_>>(),
            vec![("b", false), ("c", false)]
        );
        assert_eq!(outbox.counts().unsettled(), 2);
    }

    #[test]
    fn the_brokers_receive_maximum_narrows_the_window() {
        let mut outbox = Outbox::new(20);
        outbox.connected(false, 1);
        outbox.offer(message(1, "a"));
        outbox.offer(message(1, "b"));
        let mut offset = 0;
        assert_eq!(send_all(&mut outbox, &mut offset).len(), 1);
        assert!(outbox.acknowledged(1).is_some());
        assert_eq!(send_all(&mut outbox, &mut offset).len(), 1);
        assert!(outbox.refused(2).is_some());
        let counts = outbox.counts();
        assert_eq!((counts.delivered, counts.refused), (1, 1));
    }

    #[test]
    fn a_message_too_large_for_the_broker_is_refused_not_sent() {
        let mut outbox = Outbox::new(20);
        outbox.connected(false, 20);
        outbox.offer(message(1, "big"));
        outbox.offer(message(1, "ok"));
        let mut refused = Vec::new();
        let mut sent = Vec::new();
        outbox.send(
            |p| p.payload.len() < 3,
            |m| {
                sent.push(String::from_utf8(m.publish.payload.to_vec()).unwrap());
                0
            },
            |held| refused.push(held.seq),
        );
        assert_eq!((refused, sent), (vec![1], vec!["ok".to_string()]));
        assert_eq!(outbox.counts().refused, 1);
    }

    #[test]
    fn a_full_outbox_holds_back_or_drops_qos_0_while_unreachable() {
        let mut outbox = Outbox::new(20);
        for _ in 0..LIMIT {
            outbox.offer(message(1, "x"));
        }
        assert!(matches!(outbox.offer(message(1, "y")), Offered::Full(_)));
        assert!(matches!(outbox.offer(message(0, "z")), Offered::Dropped));
        assert_eq!(outbox.counts().dropped, 1);
        outbox.close();
        assert!(matches!(outbox.offer(message(1, "w")), Offered::Closed));
    }
}
