//! The publishes a session still owes the broker. Every message handed to a session stays here,
//! in order, until the broker has acknowledged it at its QoS, so that a lost connection resends
//! exactly what is unconfirmed: with the same packet ids and DUP where the broker kept the
//! session, as new messages where it did not.
//!
//! rumqttc keeps its own copy of unacknowledged publishes, but drops them all when the broker
//! comes back without a session, and drops the payload of a QoS 2 message once PUBREC arrives
//! (so it could not resend it to a broker that lost it). moth therefore keeps the messages and
//! tracks each one through rumqttc's events, which follow the order of its request queue.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use tokio::sync::Notify;

use super::OutgoingPublish;

/// At most this many unconfirmed messages are held; a producer waits for room beyond it. Kept
/// below the request queue's capacity so that handing every held message to rumqttc never has
/// to wait.
pub const LIMIT: usize = 1000;

/// Where one held message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not yet handed to rumqttc, or handed on a connection that was lost before it was written.
    Waiting,
    /// In rumqttc's request queue.
    Handed,
    /// Written with this packet id; PUBACK (QoS 1) or PUBREC (QoS 2) due.
    Sent(u16),
    /// QoS 2: PUBREC came, PUBREL was sent; PUBCOMP due.
    Released(u16),
    Done,
}

struct Held {
    publish: OutgoingPublish,
    state: State,
}

/// What to send again first on a connection that resumed the broker's session.
pub(super) enum Replay {
    /// The message as it was sent, with its packet id, to go with the DUP flag.
    Publish(u16, OutgoingPublish),
    Release(u16),
}

/// The result of one acknowledgement, for the caller to pass on.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Settled {
    /// Not one of ours (a stale acknowledgement from before a reconnect).
    Unknown,
    Delivered,
    /// QoS 2 half-way: nothing to report yet.
    Received,
}

#[derive(Default)]
struct Inner {
    held: VecDeque<Held>,
    /// Sequence number of `held[0]`.
    base: u64,
    /// The oldest handed message not yet written: the next "written" event from rumqttc is it.
    next_written: u64,
    /// The first message not yet handed.
    next_handed: u64,
    /// Packet id → sequence number for messages written and waiting for PUBACK or PUBREC.
    sent: HashMap<u16, u64>,
    /// The same for QoS 2 messages waiting for PUBCOMP. Apart from `sent`, because rumqttc
    /// gives a packet id to a new message as soon as PUBREC frees it, before PUBCOMP comes.
    released: HashMap<u16, u64>,
    connected: bool,
    /// rumqttc held a message back (packet id still in use by an earlier one): its packet id and
    /// sequence number. Its later "written" event is not a new message.
    held_back: Option<(u16, u64)>,
    /// Replayed publishes whose "written" events are still to come; they are not new messages.
    replays_due: usize,
    delivered: u64,
    refused: u64,
    /// QoS 0 messages dropped because the buffer was full while the broker was unreachable.
    dropped: u64,
    accepted: u64,
    closed: bool,
}

pub(crate) struct Outbox {
    inner: Mutex<Inner>,
    /// Wakes producers waiting for room and anyone waiting on the counts.
    room: Notify,
    changed: Notify,
}

/// What `offer` did with a message.
#[derive(Debug)]
pub(super) enum Offered {
    Held,
    /// No room: the caller waits for `room` and offers it again.
    Full(OutgoingPublish),
    /// A QoS 0 message while the broker is unreachable and the buffer is full: dropped, counted.
    Dropped,
    /// The session is over.
    Closed,
}

impl Outbox {
    pub(super) fn new() -> Outbox {
        Outbox {
            inner: Mutex::new(Inner::default()),
            room: Notify::new(),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock already ended the run; the data is still consistent
        // enough to report counts.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Take a message if there is room, and hand it (and any earlier waiting ones) to `hand`
    /// while connected. `hand` returns false when rumqttc's queue is full.
    pub(super) fn offer(
        &self,
        publish: OutgoingPublish,
        hand: impl FnMut(&OutgoingPublish) -> bool,
    ) -> Offered {
        let mut inner = self.lock();
        if inner.closed {
            return Offered::Closed;
        }
        if inner.held.len() >= LIMIT {
            if publish.qos == 0 && !inner.connected {
                inner.dropped += 1;
                inner.accepted += 1;
                drop(inner);
                self.changed.notify_one();
                return Offered::Dropped;
            }
            return Offered::Full(publish);
        }
        inner.accepted += 1;
        inner.held.push_back(Held {
            publish,
            state: State::Waiting,
        });
        inner.hand(hand);
        Offered::Held
    }

    /// Resolves when messages have left; enable it before `offer` so no wake-up is missed.
    pub(super) fn room(&self) -> tokio::sync::futures::Notified<'_> {
        self.room.notified()
    }

    /// The session has ended: nothing more is taken, and waiting producers give up.
    pub(super) fn close(&self) {
        self.lock().closed = true;
        self.room.notify_waiters();
        self.changed.notify_one();
    }

    /// Hand waiting messages to rumqttc, in order, while its queue takes them.
    pub(super) fn hand(&self, hand: impl FnMut(&OutgoingPublish) -> bool) {
        self.lock().hand(hand);
    }

    /// rumqttc wrote the next handed publish (`packet_id` 0 at QoS 0), or held it back because
    /// its packet id is still in use (`held_back`).
    pub(super) fn written(&self, packet_id: u16, held_back: bool) -> Settled {
        let mut inner = self.lock();
        if let Some((id, seq)) = inner.held_back
            && !held_back
            && id == packet_id
        {
            // The earlier holder of this packet id has been acknowledged by now.
            inner.held_back = None;
            inner.sent.insert(id, seq);
            return Settled::Received;
        }
        if inner.replays_due > 0 {
            inner.replays_due -= 1;
            return Settled::Received;
        }
        let Some(seq) = inner.next_written_seq() else {
            return Settled::Unknown;
        };
        inner.next_written = seq + 1;
        let index = (seq - inner.base) as usize;
        if inner.held[index].publish.qos == 0 {
            inner.held[index].state = State::Done;
            inner.delivered += 1;
            self.settle(inner);
            return Settled::Delivered;
        }
        inner.held[index].state = State::Sent(packet_id);
        if held_back {
            inner.held_back = Some((packet_id, seq));
        } else {
            inner.sent.insert(packet_id, seq);
        }
        Settled::Received
    }

    /// PUBACK (QoS 1) or PUBCOMP (QoS 2, `completed`) came: delivered.
    pub(super) fn acknowledged(&self, packet_id: u16, completed: bool) -> Settled {
        let mut inner = self.lock();
        let Some(index) = inner.take_packet_id(packet_id, completed) else {
            return Settled::Unknown;
        };
        inner.held[index].state = State::Done;
        inner.delivered += 1;
        self.settle(inner);
        Settled::Delivered
    }

    /// PUBREC came for a QoS 2 message: PUBCOMP is next.
    pub(super) fn received(&self, packet_id: u16) {
        let mut inner = self.lock();
        if let Some(seq) = inner.sent.remove(&packet_id) {
            let index = (seq - inner.base) as usize;
            inner.held[index].state = State::Released(packet_id);
            inner.released.insert(packet_id, seq);
        }
    }

    /// The broker refused the message (MQTT 5 reason code in PUBACK or PUBREC): settled, not
    /// delivered.
    pub(super) fn refused(&self, packet_id: u16) -> Settled {
        let mut inner = self.lock();
        let Some(index) = inner.take_packet_id(packet_id, false) else {
            return Settled::Unknown;
        };
        inner.held[index].state = State::Done;
        inner.refused += 1;
        self.settle(inner);
        Settled::Delivered
    }

    /// The connection is gone: hand nothing more until `connected`.
    pub(super) fn disconnect(&self) {
        self.lock().connected = false;
    }

    /// The connection is gone and rumqttc's queue has been emptied: everything handed but not
    /// written must be handed again.
    pub(super) fn lost(&self) {
        let mut inner = self.lock();
        inner.connected = false;
        for seq in inner.next_written..inner.next_handed {
            let index = (seq - inner.base) as usize;
            if inner.held[index].state == State::Handed {
                inner.held[index].state = State::Waiting;
            }
        }
        if let Some((_, seq)) = inner.held_back.take() {
            // Never written: it goes out again as a new message.
            let index = (seq - inner.base) as usize;
            inner.held[index].state = State::Waiting;
            inner.next_written = inner.next_written.min(seq);
        }
        inner.next_handed = inner.next_written;
        inner.replays_due = 0;
    }

    /// Connected (again). Returns what to send before anything else when the broker kept the
    /// session; otherwise every unconfirmed message goes out again as a new one.
    pub(super) fn connected(
        &self,
        session_present: bool,
        hand: impl FnMut(&OutgoingPublish) -> bool,
    ) -> Vec<Replay> {
        let mut inner = self.lock();
        let mut replays = Vec::new();
        if session_present {
            let base = inner.base;
            for held in inner.held.iter().take((inner.next_written - base) as usize) {
                match held.state {
                    State::Sent(id) => replays.push(Replay::Publish(id, held.publish.clone())),
                    State::Released(id) => replays.push(Replay::Release(id)),
                    _ => {}
                }
            }
            inner.replays_due = replays
                .iter()
                .filter(|r| matches!(r, Replay::Publish(..)))
                .count();
        } else {
            for held in inner.held.iter_mut() {
                if held.state != State::Done {
                    held.state = State::Waiting;
                }
            }
            inner.sent.clear();
            inner.released.clear();
            let base = inner.base;
            inner.next_written = base;
            inner.next_handed = base;
        }
        inner.connected = true;
        inner.hand(hand);
        replays
    }

    fn settle(&self, mut inner: std::sync::MutexGuard<'_, Inner>) {
        let before = inner.held.len();
        while inner.held.front().is_some_and(|h| h.state == State::Done) {
            inner.held.pop_front();
            inner.base += 1;
        }
        let freed = inner.held.len() < before;
        drop(inner);
        if freed {
            self.room.notify_waiters();
        }
        // One permit is kept for a waiter that has not started waiting yet.
        self.changed.notify_one();
    }

    /// Messages settled so far: delivered at their QoS, or refused by the broker.
    pub(super) fn settled(&self) -> u64 {
        let inner = self.lock();
        inner.delivered + inner.refused
    }

    pub(super) fn counts(&self) -> Counts {
        let inner = self.lock();
        Counts {
            accepted: inner.accepted,
            delivered: inner.delivered,
            refused: inner.refused,
            dropped: inner.dropped,
        }
    }

    pub(super) async fn changed(&self) {
        self.changed.notified().await
    }
}

/// A snapshot of what became of the messages given to a session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Given to the session (held or dropped).
    pub accepted: u64,
    pub delivered: u64,
    pub refused: u64,
    /// QoS 0 messages dropped while the broker was unreachable and the buffer was full.
    pub dropped: u64,
}

impl Counts {
    /// Given to the session and neither delivered, refused nor dropped.
    pub fn unsettled(&self) -> u64 {
        self.accepted - self.delivered - self.refused - self.dropped
    }
}

impl Inner {
    fn hand(&mut self, mut hand: impl FnMut(&OutgoingPublish) -> bool) {
        if !self.connected {
            return;
        }
        let end = self.base + self.held.len() as u64;
        while self.next_handed < end {
            let index = (self.next_handed - self.base) as usize;
            let held = &mut self.held[index];
            if held.state == State::Waiting {
                if !hand(&held.publish) {
                    return;
                }
                held.state = State::Handed;
            }
            self.next_handed += 1;
        }
    }

    /// The handed message that rumqttc's next "written" event refers to.
    fn next_written_seq(&self) -> Option<u64> {
        (self.next_written..self.next_handed)
            .find(|seq| self.held[(seq - self.base) as usize].state == State::Handed)
    }

    fn take_packet_id(&mut self, packet_id: u16, completed: bool) -> Option<usize> {
        let seq = match completed {
            false => self.sent.remove(&packet_id)?,
            true => self.released.remove(&packet_id)?,
        };
        Some((seq - self.base) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn message(n: u8, qos: u8) -> OutgoingPublish {
        OutgoingPublish {
            topic: "t".into(),
            qos,
            retain: false,
            payload: Bytes::from(vec![n]),
            properties: None,
        }
    }

    /// PUBREC, then PUBCOMP.
    fn complete(outbox: &Outbox, id: u16) {
        outbox.received(id);
        assert_eq!(outbox.acknowledged(id, true), Settled::Delivered);
    }

    fn payloads(handed: &[OutgoingPublish]) -> Vec<u8> {
        handed.iter().map(|p| p.payload[0]).collect()
    }

    #[test]
    fn messages_wait_until_connected_and_leave_once_acknowledged() {
        let outbox = Outbox::new();
        let mut handed = Vec::new();
        for n in 1..=3 {
            outbox.offer(message(n, 1), |p| {
                handed.push(p.clone());
                true
            });
        }
        assert!(handed.is_empty(), "nothing is handed before CONNACK");
        let replays = outbox.connected(false, |p| {
            handed.push(p.clone());
            true
        });
        assert!(replays.is_empty());
        assert_eq!(payloads(&handed), [1, 2, 3]);
        for id in 1..=3 {
            assert_eq!(outbox.written(id, false), Settled::Received);
        }
        assert_eq!(outbox.acknowledged(2, false), Settled::Delivered);
        assert_eq!(outbox.acknowledged(9, false), Settled::Unknown);
        assert_eq!(outbox.counts().unsettled(), 2);
        outbox.acknowledged(1, false);
        outbox.acknowledged(3, false);
        assert_eq!(outbox.lock().held.len(), 0);
        assert_eq!(outbox.settled(), 3);
    }

    #[test]
    fn a_new_session_gets_every_unconfirmed_message_again_in_order() {
        let outbox = Outbox::new();
        let mut handed = Vec::new();
        outbox.connected(false, |_| true);
        for n in 1..=4 {
            outbox.offer(message(n, 2), |p| {
                handed.push(p.clone());
                true
            });
        }
        outbox.written(1, false);
        outbox.written(2, false);
        outbox.written(3, false);
        outbox.received(2);
        complete(&outbox, 1);
        // Lost with 2 released, 3 sent and 4 still in rumqttc's queue.
        outbox.lost();
        handed.clear();
        let replays = outbox.connected(false, |p| {
            handed.push(p.clone());
            true
        });
        assert!(replays.is_empty());
        assert_eq!(payloads(&handed), [2, 3, 4]);
        // The new connection numbers them afresh.
        outbox.written(1, false);
        outbox.written(2, false);
        outbox.written(3, false);
        complete(&outbox, 1);
        complete(&outbox, 2);
        complete(&outbox, 3);
        assert_eq!(outbox.counts().delivered, 4);
        assert_eq!(outbox.counts().unsettled(), 0);
    }

    #[test]
    fn a_kept_session_replays_with_the_same_packet_ids() {
        let outbox = Outbox::new();
        outbox.connected(false, |_| true);
        for n in 1..=3 {
            outbox.offer(message(n, 2), |_| true);
        }
        outbox.written(7, false);
        outbox.written(8, false);
        outbox.received(7);
        outbox.lost();
        let mut handed = Vec::new();
        let replays = outbox.connected(true, |p| {
            handed.push(p.clone());
            true
        });
        let shape: Vec<(bool, u16)> = replays
            .iter()
            .map(|r| match r {
                Replay::Publish(id, _) => (true, *id),
                Replay::Release(id) => (false, *id),
            })
            .collect();
        assert_eq!(shape, [(false, 7), (true, 8)]);
        assert_eq!(payloads(&handed), [3], "only the unsent message is new");
        // The replayed publish's event is not the new message's.
        assert_eq!(outbox.written(8, false), Settled::Received);
        outbox.written(9, false);
        assert_eq!(outbox.acknowledged(7, true), Settled::Delivered);
        complete(&outbox, 8);
        complete(&outbox, 9);
        assert_eq!(outbox.counts().delivered, 3);
    }

    #[test]
    fn qos0_is_delivered_when_written_and_dropped_when_offline_and_full() {
        let outbox = Outbox::new();
        for n in 0..LIMIT {
            assert!(matches!(
                outbox.offer(message(n as u8, 0), |_| true),
                Offered::Held
            ));
        }
        assert!(matches!(
            outbox.offer(message(0, 0), |_| true),
            Offered::Dropped
        ));
        assert!(matches!(
            outbox.offer(message(0, 1), |_| true),
            Offered::Full(_)
        ));
        outbox.connected(false, |_| true);
        assert_eq!(outbox.written(0, false), Settled::Delivered);
        let counts = outbox.counts();
        assert_eq!(
            (counts.accepted, counts.delivered, counts.dropped),
            (LIMIT as u64 + 1, 1, 1)
        );
    }

    #[test]
    fn a_held_back_publish_is_written_once() {
        let outbox = Outbox::new();
        outbox.connected(false, |_| true);
        for n in 1..=3 {
            outbox.offer(message(n, 1), |_| true);
        }
        outbox.written(1, false);
        outbox.written(2, false);
        // Message 3 got packet id 1 while message 1 still holds it.
        outbox.written(1, true);
        assert_eq!(outbox.acknowledged(1, false), Settled::Delivered);
        assert_eq!(outbox.counts().delivered, 1);
        // Now it goes out under that id: not a new message.
        assert_eq!(outbox.written(1, false), Settled::Received);
        outbox.acknowledged(2, false);
        outbox.acknowledged(1, false);
        assert_eq!(outbox.counts().delivered, 3);
        assert_eq!(outbox.counts().unsettled(), 0);
    }

    #[test]
    fn a_packet_id_freed_by_pubrec_can_carry_a_new_message_before_pubcomp() {
        // rumqttc reuses an id once PUBREC frees its slot; the PUBCOMP that follows belongs to
        // the QoS 2 message, the PUBACK to the QoS 1 message that took the id meanwhile.
        let outbox = Outbox::new();
        outbox.connected(false, |_| true);
        outbox.offer(message(1, 2), |_| true);
        outbox.offer(message(2, 1), |_| true);
        outbox.written(1, false);
        outbox.received(1);
        outbox.written(1, false);
        assert_eq!(outbox.acknowledged(1, false), Settled::Delivered);
        assert_eq!(outbox.acknowledged(1, true), Settled::Delivered);
        assert_eq!(outbox.counts().delivered, 2);
        assert_eq!(outbox.lock().held.len(), 0);
    }
}
