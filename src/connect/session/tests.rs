//! The session against a broker played in the same process (each connection a
//! `tokio::io::duplex` pair): reconnects, resends, QoS 2 and refusals, in milliseconds. The
//! real-broker fault tests (tests/it/faults.rs) remain the proof; these pin down the exchanges.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rumqttc::mqttbytes::v4;
use rumqttc::v5::mqttbytes::v5;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

use super::{Acks, Event, Reconnect, Session};
use crate::connect::settings::{ConnOptions, ConnSpec, Protocol};
use crate::connect::wire::Target;
use crate::message::{Filter, OutgoingPublish};

/// What the client sent, whichever the protocol.
#[derive(Debug, PartialEq, Eq)]
enum Sent {
    Connect {
        clean: bool,
    },
    Publish {
        qos: u8,
        pkid: u16,
        dup: bool,
        topic: String,
    },
    PubAck(u16),
    PubRec(u16),
    PubRel(u16),
    PubComp(u16),
    Subscribe(u16),
    Unsubscribe(u16),
    PingReq,
    Disconnect,
}

/// The broker's side of one connection.
struct Peer {
    stream: DuplexStream,
    buf: BytesMut,
    v5: bool,
}

impl Peer {
    async fn read(&mut self) -> Option<Sent> {
        loop {
            if let Some(sent) = self.parse() {
                return Some(sent);
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(5), self.stream.read(&mut chunk))
                .await
                .expect("the client said nothing for 5 s")
                .ok()?;
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn parse(&mut self) -> Option<Sent> {
        if self.v5 {
            let packet = v5::Packet::read(&mut self.buf, None).ok()?;
            Some(match packet {
                v5::Packet::Connect(c, _, _) => Sent::Connect {
                    clean: c.clean_start,
                },
                v5::Packet::Publish(p) => Sent::Publish {
                    qos: p.qos as u8,
                    pkid: p.pkid,
                    dup: p.dup,
                    topic: String::from_utf8(p.topic.to_vec()).unwrap(),
                },
                v5::Packet::PubAck(a) => Sent::PubAck(a.pkid),
                v5::Packet::PubRec(a) => Sent::PubRec(a.pkid),
                v5::Packet::PubRel(a) => Sent::PubRel(a.pkid),
                v5::Packet::PubComp(a) => Sent::PubComp(a.pkid),
                v5::Packet::Subscribe(s) => Sent::Subscribe(s.pkid),
                v5::Packet::Unsubscribe(u) => Sent::Unsubscribe(u.pkid),
                v5::Packet::PingReq(_) => Sent::PingReq,
                v5::Packet::Disconnect(_) => Sent::Disconnect,
                other => panic!("a client sent {other:?}"),
            })
        } else {
            let packet = v4::Packet::read(&mut self.buf, usize::MAX).ok()?;
            Some(match packet {
                v4::Packet::Connect(c) => Sent::Connect {
                    clean: c.clean_session,
                },
                v4::Packet::Publish(p) => Sent::Publish {
                    qos: p.qos as u8,
                    pkid: p.pkid,
                    dup: p.dup,
                    topic: p.topic,
                },
                v4::Packet::PubAck(a) => Sent::PubAck(a.pkid),
                v4::Packet::PubRec(a) => Sent::PubRec(a.pkid),
                v4::Packet::PubRel(a) => Sent::PubRel(a.pkid),
                v4::Packet::PubComp(a) => Sent::PubComp(a.pkid),
                v4::Packet::Subscribe(s) => Sent::Subscribe(s.pkid),
                v4::Packet::Unsubscribe(u) => Sent::Unsubscribe(u.pkid),
                v4::Packet::PingReq => Sent::PingReq,
                v4::Packet::Disconnect => Sent::Disconnect,
                other => panic!("a client sent {other:?}"),
            })
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// Take CONNECT, answer CONNACK (MQTT 5: with `properties`, already encoded).
    async fn accept(&mut self, session_present: bool, properties: &[u8]) -> bool {
        let Some(Sent::Connect { clean }) = self.read().await else {
            panic!("no CONNECT first");
        };
        let sp = u8::from(session_present);
        if self.v5 {
            let mut packet = vec![
                0x20,
                3 + properties.len() as u8,
                sp,
                0,
                properties.len() as u8,
            ];
            packet.extend_from_slice(properties);
            self.send(&packet).await;
        } else {
            self.send(&[0x20, 2, sp, 0]).await;
        }
        clean
    }

    async fn ack(&mut self, kind: u8, pkid: u16, reason: Option<u8>) {
        let [hi, lo] = pkid.to_be_bytes();
        match reason {
            Some(reason) => self.send(&[kind << 4, 3, hi, lo, reason]).await,
            None => self.send(&[kind << 4, 2, hi, lo]).await,
        }
    }

    async fn publish(&mut self, topic: &str, qos: u8, pkid: u16, dup: bool, alias: Option<u16>) {
        let mut buf = BytesMut::new();
        let qos5 = match qos {
            0 => rumqttc::v5::mqttbytes::QoS::AtMostOnce,
            1 => rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
            _ => rumqttc::v5::mqttbytes::QoS::ExactlyOnce,
        };
        let mut publish = v5::Publish::new(topic, qos5, Bytes::from_static(b"x"), None);
        publish.pkid = pkid;
        publish.dup = dup;
        publish.properties = alias.map(|a| v5::PublishProperties {
            topic_alias: Some(a),
            ..Default::default()
        });
        v5::Packet::Publish(publish).write(&mut buf, None).unwrap();
        self.send(&buf).await;
    }
}

struct Scripted {
    session: Session,
    peers: tokio::sync::mpsc::UnboundedSender<DuplexStream>,
    v5: bool,
}

impl Scripted {
    fn start(extra: &[&str], acks: Acks) -> Scripted {
        let mut options = ConnOptions {
            keepalive: 60,
            max_inflight: 20,
            id: Some("scripted".into()),
            ..ConnOptions::default()
        };
        let mut properties = Vec::new();
        for pair in extra.chunks(2) {
            match pair {
                ["-V", v] => options.protocol_version = Some(v.to_string()),
                ["-M", n] => options.max_inflight = n.parse().unwrap(),
                ["-c", _] => options.disable_clean_session = true,
                ["-D", words] => {
                    properties.push(words.split(' ').map(str::to_string).collect());
                }
                other => panic!("{other:?}"),
            }
        }
        options.property = properties;
        let spec = ConnSpec::new(&options, Protocol::V311).unwrap();
        let v5 = spec.protocol == Protocol::V5;
        let (target, peers) = Target::scripted();
        let session = Session::start_at(&spec, Some(target), Reconnect::Always, acks);
        Scripted { session, peers, v5 }
    }

    /// The broker's end of the next connection the client makes.
    fn peer(&self) -> Peer {
        let (client, broker) = tokio::io::duplex(1 << 16);
        self.peers.send(client).unwrap();
        Peer {
            stream: broker,
            buf: BytesMut::new(),
            v5: self.v5,
        }
    }

    async fn next(&mut self) -> Event {
        tokio::time::timeout(Duration::from_secs(5), self.session.next())
            .await
            .expect("no event for 5 s")
    }

    async fn publish(&self, topic: &str, qos: u8, payload: &'static [u8]) {
        self.session
            .publisher()
            .publish(OutgoingPublish {
                topic: topic.into(),
                qos,
                retain: false,
                payload: Bytes::from_static(payload),
                properties: None,
            })
            .await
            .unwrap();
    }

    async fn settled(&self, n: u64) {
        let deliveries = self.session.deliveries();
        tokio::time::timeout(Duration::from_secs(5), async {
            while deliveries.settled() < n {
                deliveries.changed().await;
            }
        })
        .await
        .expect("not settled in 5 s");
    }
}

fn publish(qos: u8, pkid: u16, dup: bool) -> Sent {
    Sent::Publish {
        qos,
        pkid,
        dup,
        topic: "t".into(),
    }
}

#[tokio::test]
async fn a_kept_session_gets_the_same_publish_again_with_dup() {
    let mut s = Scripted::start(&["-c", "1"], Acks::OnReceipt);
    let mut first = s.peer();
    first.accept(false, &[]).await;
    assert!(matches!(s.next().await, Event::Connected { .. }));
    s.publish("t", 1, b"a").await;
    assert_eq!(first.read().await, Some(publish(1, 1, false)));
    drop(first);
    assert!(matches!(s.next().await, Event::ConnectionLost(_)));
    let mut second = s.peer();
    assert!(
        !second.accept(true, &[]).await,
        "a kept session is not clean"
    );
    assert!(matches!(
        s.next().await,
        Event::Connected {
            session_present: true
        }
    ));
    assert_eq!(second.read().await, Some(publish(1, 1, true)));
    second.ack(4, 1, None).await;
    s.settled(1).await;
    assert_eq!(s.session.deliveries().counts().delivered, 1);
}

#[tokio::test]
async fn what_comes_in_the_same_read_as_the_connack_is_not_left_waiting() {
    // A kept session's queued message right behind the CONNACK, in one segment, and then
    // nothing more from the broker: it must come out without another read.
    let mut s = Scripted::start(&["-c", "1"], Acks::OnReceipt);
    let mut peer = s.peer();
    let Some(Sent::Connect { .. }) = peer.read().await else {
        panic!("no CONNECT first");
    };
    peer.send(&[0x20, 2, 1, 0, 0x30, 4, 0, 1, b'q', b'x']).await;
    assert!(matches!(s.next().await, Event::Connected { .. }));
    match s.next().await {
        Event::Message(m) => assert_eq!(m.topic(), "q"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_lost_session_gets_it_as_a_new_message() {
    let mut s = Scripted::start(&[], Acks::OnReceipt);
    let mut first = s.peer();
    first.accept(false, &[]).await;
    s.next().await;
    s.publish("t", 2, b"a").await;
    assert_eq!(first.read().await, Some(publish(2, 1, false)));
    drop(first);
    s.next().await;
    let mut second = s.peer();
    second.accept(false, &[]).await;
    s.next().await;
    assert_eq!(second.read().await, Some(publish(2, 2, false)));
    second.ack(5, 2, None).await;
    assert_eq!(second.read().await, Some(Sent::PubRel(2)));
    second.ack(7, 2, None).await;
    s.settled(1).await;
}

#[tokio::test]
async fn qos_2_past_pubrec_resumes_with_pubrel() {
    let mut s = Scripted::start(&["-c", "1"], Acks::OnReceipt);
    let mut first = s.peer();
    first.accept(false, &[]).await;
    s.next().await;
    s.publish("t", 2, b"a").await;
    assert_eq!(first.read().await, Some(publish(2, 1, false)));
    first.ack(5, 1, None).await;
    assert_eq!(first.read().await, Some(Sent::PubRel(1)));
    drop(first);
    s.next().await;
    let mut second = s.peer();
    second.accept(true, &[]).await;
    s.next().await;
    assert_eq!(second.read().await, Some(Sent::PubRel(1)));
    second.ack(7, 1, None).await;
    s.settled(1).await;
    assert_eq!(s.session.deliveries().counts().delivered, 1);
}

#[tokio::test]
async fn refusals_are_said_and_settled() {
    let mut s = Scripted::start(&["-V", "5"], Acks::OnReceipt);
    let mut peer = s.peer();
    peer.accept(false, &[]).await;
    s.next().await;
    s.publish("t", 1, b"a").await;
    assert_eq!(peer.read().await, Some(publish(1, 1, false)));
    peer.ack(4, 1, Some(0x87)).await;
    match s.next().await {
        Event::PublishRefused(why) => assert_eq!(
            why,
            "the broker refused message 1 (topic 't'): not authorized (code 135, in PUBACK)"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.session.deliveries().counts().refused, 1);
}

#[tokio::test]
async fn the_brokers_limits_from_connack_are_kept() {
    let mut s = Scripted::start(&["-V", "5"], Acks::OnReceipt);
    let mut peer = s.peer();
    // Receive maximum 1 (0x21), maximum packet size 30 (0x27).
    peer.accept(false, &[0x21, 0, 1, 0x27, 0, 0, 0, 30]).await;
    s.next().await;
    s.publish("t", 1, b"a").await;
    s.publish("t", 1, b"b").await;
    s.publish("t", 1, &[b'x'; 40]).await;
    assert_eq!(peer.read().await, Some(publish(1, 1, false)));
    // The window of one holds b back until a is acknowledged.
    tokio::time::sleep(Duration::from_millis(50)).await;
    peer.ack(4, 1, None).await;
    assert_eq!(peer.read().await, Some(publish(1, 2, false)));
    peer.ack(4, 2, None).await;
    // The third is over the broker's maximum: refused without being sent.
    match s.next().await {
        Event::PublishRefused(why) => assert_eq!(
            why,
            "the broker takes packets of at most 30 bytes (its CONNACK said so), and message 3 (topic 't') makes one of 48 bytes"
        ),
        other => panic!("{other:?}"),
    }
    s.settled(3).await;
}

#[tokio::test]
async fn a_message_the_broker_hangs_up_on_is_given_up_on() {
    let mut s = Scripted::start(&[], Acks::OnReceipt);
    s.publish("poison", 1, b"x").await;
    for attempt in 0..3 {
        let mut peer = s.peer();
        peer.accept(attempt > 0, &[]).await;
        assert!(matches!(s.next().await, Event::Connected { .. }));
        assert!(matches!(peer.read().await, Some(Sent::Publish { .. })));
        drop(peer);
        if attempt < 2 {
            assert!(matches!(s.next().await, Event::ConnectionLost(_)));
        }
    }
    match s.next().await {
        Event::Failed(failure) => {
            assert_eq!(failure.code, crate::exit::UNCONFIRMED);
            assert_eq!(
                failure.message,
                "the broker closed the connection 3 times in a row right after message 1 (topic 'poison', 1 bytes) without acknowledging it: it will not take that message (too large for it? a topic it rejects?); giving up"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn topic_aliases_resolve_and_a_qos_2_message_is_taken_once() {
    let mut s = Scripted::start(
        &["-V", "5", "-D", "connect topic-alias-maximum 4"],
        Acks::Manual,
    );
    let mut peer = s.peer();
    peer.accept(false, &[]).await;
    s.next().await;
    s.session.subscribe(vec![Filter {
        filter: "#".into(),
        qos: 2,
        no_local: false,
        no_stale_retained: false,
        retain_as_published: false,
    }]);
    let Some(Sent::Subscribe(pkid)) = peer.read().await else {
        panic!("no SUBSCRIBE");
    };
    let [hi, lo] = pkid.to_be_bytes();
    peer.send(&[0x90, 4, hi, lo, 0, 2]).await;
    assert!(matches!(s.next().await, Event::Subscribed(_)));
    peer.publish("a/b", 0, 0, false, Some(3)).await;
    peer.publish("", 0, 0, false, Some(3)).await;
    for _ in 0..2 {
        match s.next().await {
            Event::Message(m) => assert_eq!(m.topic(), "a/b"),
            other => panic!("{other:?}"),
        }
    }
    peer.publish("q", 2, 9, false, None).await;
    let Event::Message(m) = s.next().await else {
        panic!("no message");
    };
    s.session.acknowledge(m.receipt().unwrap());
    assert_eq!(peer.read().await, Some(Sent::PubRec(9)));
    // Sent again (its PUBREC lost, say): answered, not handed on twice.
    peer.publish("q", 2, 9, true, None).await;
    assert_eq!(peer.read().await, Some(Sent::PubRec(9)));
    peer.ack(6, 9, None).await;
    assert_eq!(peer.read().await, Some(Sent::PubComp(9)));
    assert!(s.session.try_next().is_none());
    // An alias never set is a protocol error.
    peer.publish("", 0, 0, false, Some(2)).await;
    match s.next().await {
        Event::Failed(f) => assert_eq!(
            f.message,
            "the broker used topic alias 2 before saying which topic it stands for (a protocol error)"
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_last_qos_0_message_and_disconnect_leave_together() {
    let mut s = Scripted::start(&[], Acks::OnReceipt);
    let mut peer = s.peer();
    peer.accept(false, &[]).await;
    s.next().await;
    s.publish("t", 0, b"a").await;
    s.session.disconnect();
    assert_eq!(peer.read().await, Some(publish(0, 0, false)));
    assert_eq!(peer.read().await, Some(Sent::Disconnect));
    assert!(matches!(s.next().await, Event::Closed));
    assert_eq!(s.session.deliveries().counts().delivered, 1);
}
