//! MQTT 3.1.1 through rumqttc's root module.

use std::time::Duration;

use bytes::Bytes;
use rumqttc::{
    AsyncClient, ConnectionError, Event as RawEvent, EventLoop, LastWill, MqttOptions,
    NetworkOptions, Outgoing, Packet, PubAck, PubComp, PubRel, Publish, QoS, Request as RawRequest,
    SubscribeFilter, SubscribeReasonCode,
};

use super::common::{self, CONNECT_TIMEOUT, outgoing_name};
use super::driver::{Broken, Polled, Step};
use super::outbox::Replay;
use super::spec::{ConnSpec, MAX_PACKET_SIZE};
use super::{Event, Granted, Message, OutgoingPublish, Request, describe};

fn qos(level: u8) -> QoS {
    match level {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

pub(super) fn new(spec: &ConnSpec, capacity: usize, manual_acks: bool) -> (AsyncClient, EventLoop) {
    let (host, port) = common::address(spec);
    let mut options = MqttOptions::new(spec.client_id.clone(), host, port);
    options
        .set_keep_alive(Duration::from_secs(spec.keep_alive.into()))
        .set_clean_session(spec.clean_start)
        .set_max_packet_size(MAX_PACKET_SIZE, MAX_PACKET_SIZE)
        .set_inflight(spec.max_inflight)
        .set_manual_acks(manual_acks);
    options.set_transport(common::transport(spec));
    if let Some(creds) = &spec.credentials {
        let password = creds
            .password
            .as_ref()
            .map(|p| p.0.clone())
            .unwrap_or_default();
        options.set_credentials(creds.username.clone(), password);
    }
    if let Some(will) = &spec.will {
        options.set_last_will(LastWill {
            topic: will.topic.clone(),
            message: will.payload.clone(),
            qos: qos(will.qos),
            retain: will.retain,
        });
    }
    let (client, mut eventloop) = AsyncClient::new(options, capacity);
    let mut network = NetworkOptions::new();
    network.set_tcp_nodelay(spec.nodelay);
    network.set_connection_timeout(CONNECT_TIMEOUT);
    eventloop.set_network_options(network);
    (client, eventloop)
}

pub(super) async fn send(client: &AsyncClient, request: Request) -> bool {
    let sent = match request {
        Request::Subscribe(filters) => {
            let filters = filters
                .into_iter()
                .map(|f| SubscribeFilter::new(f.filter, qos(f.qos)));
            client.subscribe_many(filters).await
        }
        Request::Unsubscribe(filters) => {
            for filter in filters {
                if client.unsubscribe(filter).await.is_err() {
                    return false;
                }
            }
            Ok(())
        }
        Request::Ack {
            qos: level,
            packet_id,
        } => {
            let mut publish = Publish::from_bytes("", qos(level), Bytes::new());
            publish.pkid = packet_id;
            client.ack(&publish).await
        }
        Request::Disconnect => client.disconnect().await,
    };
    sent.is_ok()
}

/// rumqttc's non-waiting publish takes the payload as a `Vec`: one copy, only when handing.
pub(super) fn try_publish(client: &AsyncClient, p: &OutgoingPublish) -> bool {
    client
        .try_publish(p.topic.clone(), qos(p.qos), p.retain, p.payload.to_vec())
        .is_ok()
}

/// rumqttc's MQTT 3.1.1 event loop.
pub(super) struct Loop(pub(super) EventLoop);

impl common::Adapter for Loop {
    type Raw = RawEvent;

    async fn poll(&mut self) -> Result<RawEvent, Broken> {
        self.0.poll().await.map_err(broken)
    }

    fn translate(&self, event: RawEvent) -> Polled {
        match event {
            RawEvent::Incoming(Packet::ConnAck(ack)) => Polled::Event(Event::Connected {
                session_present: ack.session_present,
            }),
            RawEvent::Incoming(Packet::Publish(p)) => Polled::Event(Event::Message(Message {
                topic: p.topic.into(),
                payload: p.payload,
                qos: p.qos as u8,
                retain: p.retain,
                dup: p.dup,
                packet_id: p.pkid,
                properties: None,
                connection: 0,
            })),
            RawEvent::Incoming(Packet::SubAck(ack)) => Polled::Event(Event::Subscribed(
                ack.return_codes
                    .iter()
                    .map(|code| match code {
                        SubscribeReasonCode::Success(q) => Granted::Qos(*q as u8),
                        SubscribeReasonCode::Failure => {
                            Granted::Refused("refused (code 128)".into())
                        }
                    })
                    .collect(),
            )),
            RawEvent::Incoming(Packet::UnsubAck(_)) => Polled::Event(Event::Unsubscribed(None)),
            RawEvent::Incoming(Packet::PubAck(PubAck { pkid })) => {
                Polled::Step(Step::Acknowledged(pkid))
            }
            RawEvent::Incoming(Packet::PubComp(PubComp { pkid })) => {
                Polled::Step(Step::Completed {
                    packet_id: pkid,
                    stuck: false,
                })
            }
            RawEvent::Incoming(Packet::PubRec(rec)) => Polled::Step(Step::Received(rec.pkid)),
            RawEvent::Outgoing(Outgoing::Publish(packet_id)) => Polled::Step(Step::Written {
                packet_id,
                held_back: false,
            }),
            RawEvent::Outgoing(Outgoing::AwaitAck(packet_id)) => Polled::Step(Step::Written {
                packet_id,
                held_back: true,
            }),
            RawEvent::Outgoing(Outgoing::Disconnect) => Polled::Closed,
            _ => Polled::Nothing,
        }
    }

    common::state_hooks!(
        RawRequest::Disconnect(_),
        Publish::from_bytes("", QoS::ExactlyOnce, Bytes::new())
    );

    fn replay(&mut self, replays: Vec<Replay>) {
        for replay in replays {
            let request = match replay {
                Replay::Publish(packet_id, p) => {
                    let mut publish = Publish::from_bytes(p.topic, qos(p.qos), p.payload);
                    publish.pkid = packet_id;
                    publish.retain = p.retain;
                    publish.dup = true;
                    RawRequest::Publish(publish)
                }
                Replay::Release(packet_id) => RawRequest::PubRel(PubRel::new(packet_id)),
            };
            self.0.pending.push_back(request);
        }
    }

    fn debug_line(&self, event: &RawEvent) -> Option<String> {
        Some(match event {
            RawEvent::Incoming(Packet::ConnAck(ack)) => format!(
                "received CONNACK ({}, session present {})",
                ack.code as u8, ack.session_present as u8
            ),
            RawEvent::Incoming(Packet::Publish(_)) => return None,
            RawEvent::Incoming(packet) => format!("received {}", packet_name(packet)),
            RawEvent::Outgoing(out) => format!("sending {}", outgoing_name(out)),
        })
    }
}

fn packet_name(packet: &Packet) -> String {
    match packet {
        Packet::PubAck(p) => format!("PUBACK (m{})", p.pkid),
        Packet::PubRec(p) => format!("PUBREC (m{})", p.pkid),
        Packet::PubRel(p) => format!("PUBREL (m{})", p.pkid),
        Packet::PubComp(p) => format!("PUBCOMP (m{})", p.pkid),
        Packet::SubAck(p) => {
            let codes: Vec<String> = p
                .return_codes
                .iter()
                .map(|c| match c {
                    SubscribeReasonCode::Success(q) => (*q as u8).to_string(),
                    SubscribeReasonCode::Failure => "128".into(),
                })
                .collect();
            format!("SUBACK (m{}, {})", p.pkid, codes.join(", "))
        }
        Packet::UnsubAck(p) => format!("UNSUBACK (m{})", p.pkid),
        Packet::PingResp => "PINGRESP".into(),
        Packet::Disconnect => "DISCONNECT".into(),
        other => format!("{:?}", std::mem::discriminant(other)),
    }
}

fn broken(err: ConnectionError) -> Broken {
    match err {
        ConnectionError::ConnectionRefused(code) => Broken::Refused(describe::refused(code as u8)),
        ConnectionError::NetworkTimeout => Broken::Lost {
            cause: format!("no CONNACK within {CONNECT_TIMEOUT} s"),
        },
        ConnectionError::FlushTimeout => Broken::Lost {
            cause: "the broker stopped reading (write timed out)".into(),
        },
        ConnectionError::MqttState(rumqttc::StateError::ConnectionAborted) => Broken::Lost {
            cause: describe::CLOSED.into(),
        },
        ConnectionError::MqttState(rumqttc::StateError::AwaitPingResp) => Broken::Lost {
            cause: "the broker stopped answering pings".into(),
        },
        ConnectionError::NotConnAck(packet) => Broken::Lost {
            cause: format!(
                "the broker answered CONNECT with {} instead of CONNACK (if that port serves \
                 websockets, add --ws)",
                packet_name(&packet)
            ),
        },
        other => Broken::Lost {
            cause: describe::cause(&other),
        },
    }
}
