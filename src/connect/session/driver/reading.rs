//! What arrives on a connection, turned into the session's events: messages (acknowledged as the
//! owner asks), acknowledgements of what was sent, SUBACKs and UNSUBACKs, and the broker's
//! DISCONNECT.

use super::*;

impl Driver {
    /// Every whole packet read: the number of messages among them, or how the connection ends.
    pub(super) fn parse(&mut self, link: &mut Link) -> Result<usize, Served> {
        use crate::connect::wire::Incoming as In;
        let mut messages = 0;
        let mut broken: Option<String> = None;
        let connection = self.connection;
        let debug = self.spec.debug.then(|| self.spec.client_id.clone());
        let auto_ack = self.acks == Acks::OnReceipt;
        let v5 = self.spec.protocol == Protocol::V5;
        let parsed = link.parse(|link, packet| {
            // Lines are made only with -d: a PUBACK must not cost an allocation.
            let line = |what: &dyn Fn() -> String| {
                if let Some(id) = &debug {
                    debug::line(id, &what());
                }
            };
            match packet {
                In::Publish(message) => match self.incoming.arrived(message) {
                    Ok(Arrival::New(mut message)) => {
                        message.connection = connection;
                        if let Some(id) = &debug {
                            debug::received_publish(id, &message);
                        }
                        if auto_ack && message.qos == 2 {
                            self.incoming.taken(message.packet_id);
                        }
                        messages += 1;
                        self.events_out.push(Event::Message(message));
                    }
                    Ok(Arrival::Again(pkid)) => {
                        line(&|| format!("received PUBLISH again (m{pkid}): already taken"));
                        if !auto_ack {
                            link.pubrec(pkid);
                        }
                    }
                    Err(why) => {
                        broken.get_or_insert(why);
                    }
                },
                In::PubAck { pkid, reason } => {
                    line(&|| ack_line("PUBACK", pkid, reason, v5));
                    self.progress = true;
                    self.settle_publish(pkid, reason, "PUBACK");
                }
                In::PubRec { pkid, reason } => {
                    line(&|| ack_line("PUBREC", pkid, reason, v5));
                    self.progress = true;
                    if reason >= 0x80 {
                        self.settle_publish(pkid, reason, "PUBREC");
                    } else {
                        self.shared.outbox().received(pkid);
                        line(&|| format!("sending PUBREL (m{pkid})"));
                    }
                }
                In::PubComp { pkid, reason } => {
                    line(&|| ack_line("PUBCOMP", pkid, reason, v5));
                    self.progress = true;
                    // "Packet identifier not found": the broker had the message (it sent PUBREC)
                    // and finished with it before a reconnect made moth send PUBREL again.
                    self.settle_publish(pkid, 0, "PUBCOMP");
                }
                In::PubRel { pkid } => {
                    line(&|| format!("received PUBREL (m{pkid})"));
                    line(&|| format!("sending PUBCOMP (m{pkid})"));
                    self.incoming.released(pkid);
                }
                In::SubAck { pkid, codes } => {
                    let shown: Vec<String> = codes.iter().map(u8::to_string).collect();
                    line(&|| format!("received SUBACK (m{pkid}, {})", shown.join(", ")));
                    self.progress = true;
                    if let Some(at) = self.awaited.iter().position(|(id, _)| *id == pkid) {
                        self.awaited.remove(at);
                        self.events_out.push(Event::Subscribed(
                            codes.iter().map(|&code| granted(code, v5)).collect(),
                        ));
                    }
                }
                In::UnsubAck { pkid, codes } => {
                    line(&|| format!("received UNSUBACK (m{pkid})"));
                    self.progress = true;
                    if let Some(at) = self.awaited.iter().position(|(id, _)| *id == pkid) {
                        self.awaited.remove(at);
                        let refusal = codes
                            .iter()
                            .find(|c| **c >= 0x80)
                            .map(|&code| format!("{} (code {code})", describe::reason(code)));
                        self.events_out.push(Event::Unsubscribed(refusal));
                    }
                }
                In::PingResp => line(&|| "received PINGRESP".into()),
                In::ConnAck(_) => {
                    broken.get_or_insert(
                        "the broker sent a second CONNACK (a protocol error)".into(),
                    );
                }
                In::Disconnect { .. } => {}
            }
        });
        if let Some(why) = broken {
            return Err(Served::Failed(Failure::usage(why)));
        }
        if let Err(error) = parsed {
            return Err(Served::Lost(error));
        }
        Ok(messages)
    }

    /// An acknowledgement of one of the session's publishes: delivered, or refused in words.
    pub(super) fn settle_publish(&mut self, pkid: u16, reason: u8, packet: &str) {
        let mut outbox = self.shared.outbox();
        if reason < 0x80 {
            if outbox.acknowledged(pkid).is_some() {
                drop(outbox);
                self.shared.settled();
            }
            return;
        }
        if let Some(held) = outbox.refused(pkid) {
            drop(outbox);
            self.shared.settled();
            self.events_out.push(Event::PublishRefused(format!(
                "the broker refused message {} (topic {}): {} (code {reason}, in {packet})",
                held.seq,
                crate::report::quote(&held.publish.topic),
                describe::reason(reason)
            )));
        }
    }
}

fn ack_line(packet: &str, pkid: u16, reason: u8, v5: bool) -> String {
    match v5 {
        true => format!("received {packet} (m{pkid}, rc{reason})"),
        false => format!("received {packet} (m{pkid})"),
    }
}
