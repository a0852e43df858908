//! `-d` lines, shaped like mosquitto's ("Client ID sending CONNECT"), on stderr. They are built
//! from moth's own values, never from a library's Debug output, which would print passwords.

use super::Message;
use super::settings::{ConnSpec, Protocol};
use super::wire::ConnAck;
use crate::message::{Filter, OutgoingPublish};
// Topics and names arrive from the command line and the broker: cut and escaped, so that a
// 65 KB topic or an escape sequence cannot flood or drive the terminal.
use crate::report::quote;

pub(super) fn connect(spec: &ConnSpec) {
    let user = match &spec.credentials {
        Some(c) if !c.username.is_empty() => format!(", user {}", quote(&c.username)),
        _ => String::new(),
    };
    let password = match spec.credentials.as_ref().and_then(|c| c.password.as_ref()) {
        Some(_) => ", password ****",
        None => "",
    };
    let will = match &spec.will {
        Some(w) => format!(", will {} q{} r{}", quote(&w.topic), w.qos, w.retain as u8),
        None => String::new(),
    };
    line(
        &spec.client_id,
        &format!(
            "sending CONNECT (p{}, c{}, k{}{user}{password}{will})",
            match spec.protocol {
                Protocol::V311 => 4,
                Protocol::V5 => 5,
            },
            spec.clean_start as u8,
            spec.keep_alive
        ),
    );
}

/// CONNACK, and on MQTT 5 what the broker allows: people use -d to learn what a broker supports.
/// The CONNACK, and on MQTT 5 what the broker allows: every capability, with MQTT 5's default
/// where the broker left one out (people read `-d` to learn what a broker supports).
pub(super) fn connack(client_id: &str, ack: &ConnAck, v5: bool) {
    let t = &ack.terms;
    let mut terms = Vec::new();
    if v5 {
        let yes_no = |v: Option<u8>| if v == Some(0) { "no" } else { "yes" };
        terms.push(format!(
            "receive maximum {}",
            t.receive_max.unwrap_or(u16::MAX)
        ));
        terms.push(match t.max_packet_size {
            Some(size) => format!("maximum packet size {size}"),
            None => "maximum packet size unlimited".to_string(),
        });
        terms.push(format!(
            "topic alias maximum {}",
            t.topic_alias_max.unwrap_or(0)
        ));
        terms.push(format!("maximum QoS {}", t.max_qos.unwrap_or(2)));
        terms.push(format!("retain {}", yes_no(t.retain_available)));
        terms.push(format!(
            "wildcard subscriptions {}",
            yes_no(t.wildcard_available)
        ));
        terms.push(format!(
            "shared subscriptions {}",
            yes_no(t.shared_available)
        ));
        terms.push(format!(
            "subscription identifiers {}",
            yes_no(t.subscription_ids_available)
        ));
    }
    if let Some(seconds) = t.server_keep_alive {
        terms.push(format!("server keep-alive {seconds}"));
    }
    if let Some(seconds) = t.session_expiry {
        terms.push(format!("session expiry {seconds}"));
    }
    if let Some(id) = &t.assigned_client_id {
        terms.push(format!("assigned client id {}", quote(id)));
    }
    if let Some(why) = &t.reason_string {
        terms.push(format!("reason {}", quote(why)));
    }
    let terms = match terms.is_empty() {
        true => String::new(),
        false => format!("; {}", terms.join(", ")),
    };
    line(
        client_id,
        &format!(
            "received CONNACK ({}, session present {}{terms})",
            ack.code, ack.session_present as u8
        ),
    );
}

pub(super) fn sent_publish(client_id: &str, publish: &OutgoingPublish, pkid: u16, dup: bool) {
    line(
        client_id,
        &format!(
            "sending PUBLISH (d{}, q{}, r{}, m{pkid}, {}, ... ({} bytes))",
            dup as u8,
            publish.qos,
            publish.retain as u8,
            quote(&publish.topic),
            publish.payload.len()
        ),
    );
}

pub(super) fn received_publish(client_id: &str, message: &Message) {
    line(
        client_id,
        &format!(
            "received PUBLISH (d{}, q{}, r{}, m{}, {}, ... ({} bytes))",
            message.dup as u8,
            message.qos,
            message.retain as u8,
            message.packet_id,
            quote(&String::from_utf8_lossy(&message.topic)),
            message.payload.len()
        ),
    );
}

/// SUBSCRIBE with each filter, its QoS and, on MQTT 5, its options.
pub(super) fn subscribe(client_id: &str, pkid: u16, filters: &[Filter], v5: bool) {
    let shown: Vec<String> = filters
        .iter()
        .map(|f| {
            let mut options = Vec::new();
            if v5 && f.no_local {
                options.push("no local");
            }
            if v5 && f.retain_as_published {
                options.push("retain as published");
            }
            if v5 && f.no_stale_retained {
                options.push("no retained");
            }
            let options = match options.is_empty() {
                true => String::new(),
                false => format!(" ({})", options.join(", ")),
            };
            format!("{} q{}{options}", quote(&f.filter), f.qos)
        })
        .collect();
    line(
        client_id,
        &format!("sending SUBSCRIBE (m{pkid}, {})", shown.join(", ")),
    );
}

pub(super) fn line(client_id: &str, what: &str) {
    // Not eprintln!: it panics when stderr is a closed pipe (`moth sub -d 2>&1 | head`).
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "Client {client_id} {what}");
}
