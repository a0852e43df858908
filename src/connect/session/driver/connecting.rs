//! Connecting (again): the first connection, waiting for a broker that is not up yet
//! (--retry), reconnecting with backoff after a loss, and giving up where waiting cannot help:
//! a refusal, or a message the broker hangs up on every time.

use super::*;

impl Driver {
    /// After a lost connection: take stock, and say whether to stop.
    pub(super) fn lost(&mut self, error: &LinkError) -> Option<Failure> {
        self.shared.outbox().lost();
        // MQTT 5: the broker said why, and the reason refuses what moth sent.
        if error.disconnect.is_some_and(refuses_what_was_sent) {
            return Some(Failure::new(exit::REFUSED, error.reason.clone()));
        }
        if self.reconnect == Reconnect::Never {
            return Some(Failure::new(
                exit::UNCONFIRMED,
                format!(
                    "connection to {} lost: {}",
                    self.spec.endpoint, error.reason
                ),
            ));
        }
        let awaiting = self.shared.outbox().awaiting() || !self.awaited.is_empty();
        self.poison_streak = match (self.progress, awaiting) {
            (false, true) => self.poison_streak + 1,
            _ => 0,
        };
        if self.poison_streak >= POISON_LIMIT {
            return Some(self.poisoned());
        }
        None
    }

    /// The broker hung up every time moth sent it this: name it and give up on it.
    pub(super) fn poisoned(&mut self) -> Failure {
        let times = self.poison_streak;
        if let Some((_, Awaited::Subscribe(filters))) = self.awaited.front() {
            let shown: Vec<String> = filters
                .iter()
                .map(|f| crate::report::quote(&f.filter))
                .collect();
            return Failure::new(
                exit::REFUSED,
                format!(
                    "the broker closed the connection {times} times in a row when moth subscribed to {}, without answering: it will not take that subscription; giving up",
                    shown.join(", ")
                ),
            );
        }
        if let Some((_, Awaited::Unsubscribe(filter))) = self.awaited.front() {
            return Failure::new(
                exit::REFUSED,
                format!(
                    "the broker closed the connection {times} times in a row when moth unsubscribed from {}, without answering; giving up",
                    crate::report::quote(filter)
                ),
            );
        }
        let outbox = self.shared.outbox();
        match outbox.oldest_unconfirmed() {
            Some((_, held)) => Failure::new(
                exit::UNCONFIRMED,
                format!(
                    "the broker closed the connection {times} times in a row right after message {} (topic {}, {} bytes) without acknowledging it: it will not take that message (too large for it? a topic it rejects?); giving up",
                    held.seq,
                    crate::report::quote(&held.publish.topic),
                    held.publish.payload.len()
                ),
            ),
            None => Failure::new(
                exit::UNCONFIRMED,
                format!(
                    "the broker closed the connection {times} times in a row without acknowledging anything; giving up"
                ),
            ),
        }
    }

    /// Connect (again): the link, once the broker accepted; the session's last event otherwise.
    pub(super) async fn connect(&mut self) -> Result<Link, Option<Event>> {
        loop {
            let attempt = self.attempt().await;
            match attempt {
                Ok((link, ack)) => {
                    self.connected(&ack);
                    let session_present = ack.session_present;
                    if self
                        .events
                        .send(Event::Connected { session_present })
                        .await
                        .is_err()
                    {
                        return Err(None);
                    }
                    return Ok(link);
                }
                Err(e) if e.refused.is_some() => {
                    let failure = match e.disconnect {
                        Some(_) => Failure::new(e.refused.unwrap_or(1), e.reason.clone()),
                        None => describe::refused(e.refused.unwrap_or(1)),
                    };
                    return Err(Some(Event::Failed(failure)));
                }
                Err(e) if !self.ever_connected && self.may_wait_for_broker(&e) => {
                    let until = self.start_retry.unwrap_or_else(Instant::now);
                    if !self.told_waiting {
                        self.told_waiting = true;
                        crate::report::note(&format!(
                            "{}: {}; trying again for up to {} (--retry)",
                            self.spec.endpoint,
                            e.reason,
                            seconds(self.spec.start_retry.unwrap_or_default())
                        ));
                    }
                    let wait = self.backoff.next_wait().min(until - Instant::now());
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        request = self.requests.recv() => if request.is_none() {
                            return Err(None);
                        },
                    }
                }
                Err(e) if !self.ever_connected => {
                    let within = match self.spec.start_retry {
                        Some(wait) if !e.lasting => {
                            format!(" within --retry {}", seconds(wait))
                        }
                        _ => String::new(),
                    };
                    let hint = match (e.reason == describe::CLOSED, self.spec.tls.is_some()) {
                        (false, _) => "",
                        (true, true) => " before CONNACK (is that port a TLS listener?)",
                        (true, false) => {
                            " before CONNACK (if that port expects TLS, add --cafile or use mqtts://)"
                        }
                    };
                    return Err(Some(Event::Failed(Failure::usage(format!(
                        "cannot connect to {}{within}: {}{hint}",
                        self.spec.endpoint, e.reason
                    )))));
                }
                Err(_) => {
                    // Reconnecting: wait, but leave at once when the owner says to.
                    let wait = self.backoff.next_wait();
                    let until = tokio::time::Instant::now() + wait;
                    loop {
                        if self.shared.closing() && !self.shared.outbox().owes_acknowledgement() {
                            return Err(Some(Event::Closed));
                        }
                        tokio::select! {
                            _ = tokio::time::sleep_until(until) => break,
                            _ = self.shared.work.notified() => {}
                            request = self.requests.recv() => if request.is_none() {
                                return Err(None);
                            },
                            // Subscriptions are made again on the next CONNACK by the owner;
                            // acknowledgements of a lost connection's messages go nowhere.
                        }
                    }
                }
            }
        }
    }

    /// `--retry`: the first connection failed in a way that may pass (the broker is not up, its
    /// name does not resolve yet), and there is time left to wait.
    pub(super) fn may_wait_for_broker(&self, error: &LinkError) -> bool {
        !error.lasting && self.start_retry.is_some_and(|until| Instant::now() < until)
    }

    pub(super) async fn attempt(&mut self) -> Result<(Link, ConnAck), LinkError> {
        if self.target.is_none() {
            self.target = Some(Target::resolve(&self.spec).await?);
        }
        let target = self.target.as_ref().expect("resolved");
        if self.spec.debug {
            debug::connect(&self.spec);
        }
        let attempt = Attempt {
            client_id: &self.spec.client_id,
            clean: self.spec.clean_start,
            session_expiry: self.spec.session_expiry,
            source: None,
            auto_ack: self.acks == Acks::OnReceipt,
        };
        let (link, ack, _) = Link::open(&self.spec, target, attempt).await?;
        if self.spec.debug {
            debug::connack(
                &self.spec.client_id,
                &ack,
                self.spec.protocol == Protocol::V5,
            );
        }
        Ok((link, ack))
    }

    /// An accepting CONNACK: a new connection of the session.
    pub(super) fn connected(&mut self, ack: &ConnAck) {
        self.ever_connected = true;
        self.backoff.reset();
        self.progress = false;
        self.terms = ack.terms.clone();
        self.session_present = ack.session_present;
        self.connection += 1;
        self.incoming.connected(ack.session_present);
        // A SUBSCRIBE or UNSUBSCRIBE of a lost connection is never answered on this one.
        self.awaited.clear();
    }
}

/// MQTT 5 DISCONNECT reason codes that refuse what this client sent, as opposed to the broker
/// going away or taking the session elsewhere: reconnecting would only send it again.
fn refuses_what_was_sent(code: u8) -> bool {
    matches!(
        code,
        0x81 | 0x82
            | 0x87
            | 0x8F
            | 0x90
            | 0x93
            | 0x94
            | 0x95
            | 0x96
            | 0x97
            | 0x99
            | 0x9A
            | 0x9B
            | 0x9E
            | 0xA1
            | 0xA2
    )
}

/// `1 s`, `0.5 s`.
fn seconds(wait: Duration) -> String {
    format!("{} s", wait.as_secs_f64())
}
