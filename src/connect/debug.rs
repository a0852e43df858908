//! `-d` lines, shaped like mosquitto's ("Client ID sending CONNECT"), on stderr. They are built
//! from moth's own values, never from rumqttc's Debug output, which would print passwords.

use super::Message;
use super::spec::ConnSpec;
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
                super::Protocol::V311 => 4,
                super::Protocol::V5 => 5,
            },
            spec.clean_start as u8,
            spec.keep_alive
        ),
    );
}

pub(super) fn line(client_id: &str, what: &str) {
    // Not eprintln!: it panics when stderr is a closed pipe (`moth sub -d 2>&1 | head`).
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "Client {client_id} {what}");
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
