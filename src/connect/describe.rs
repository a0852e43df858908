//! rumqttc, io and rustls errors → short sentences that say what went wrong and what to try (TLS
//! failures are worded in tls/words.rs).
//! rumqttc reports nested Debug shapes such as `Tls(Io(Custom { .. InvalidCertificate(..) }))`;
//! users should never see those.

use std::error::Error as StdError;
use std::io;

/// The cause when the broker hung up; the driver adds a hint when this happens before CONNACK.
pub(super) const CLOSED: &str = "the broker closed the connection";

/// Walk an error chain for the most telling cause: a rustls error, else an io error, else the
/// outermost message.
pub(super) fn cause(err: &(dyn StdError + 'static)) -> String {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    let mut io_seen: Option<&io::Error> = None;
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return super::tls::error_words(tls);
        }
        if let Some(io) = e.downcast_ref::<io::Error>() {
            // io::Error::source() skips the wrapped error itself, so look inside explicitly.
            if let Some(tls) = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            {
                return super::tls::error_words(tls);
            }
            io_seen.get_or_insert(io);
        }
        current = e.source();
    }
    match io_seen {
        Some(io) => io_cause(io),
        None => err.to_string(),
    }
}

pub(super) fn io_cause(err: &io::Error) -> String {
    use io::ErrorKind::*;
    let text = err.to_string();
    match err.kind() {
        ConnectionRefused => {
            "connection refused (is the broker running and listening there?)".into()
        }
        NotFound => "no such socket file".into(),
        PermissionDenied => "permission denied".into(),
        TimedOut => "timed out".into(),
        InvalidInput => {
            "this machine cannot connect to that address (an IPv6 link-local address needs its interface: fe80::1%eth0)".into()
        }
        NetworkUnreachable | HostUnreachable => {
            "no route to that address from this machine (check -h and the network)".into()
        }
        UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe => CLOSED.into(),
        _ if text.contains("bytes remaining on stream") => CLOSED.into(),
        _ if text.contains("failed to lookup address") => {
            "cannot resolve the host name (check -h)".into()
        }
        _ => crate::report::io_reason(err),
    }
}

/// CONNACK refusal in words: MQTT 3.1.1 codes 1-5, MQTT 5 reason codes from 128.
pub(super) fn connack_reason(code: u8) -> &'static str {
    match code {
        1 => "unacceptable protocol version",
        2 => "client identifier rejected",
        3 => "server unavailable",
        4 => "bad user name or password",
        5 => "not authorized",
        _ => reason(code),
    }
}

/// An MQTT 5 reason code in words (one table serves CONNACK, PUBACK, SUBACK, DISCONNECT ...).
pub fn reason(code: u8) -> &'static str {
    match code {
        0x10 => "no matching subscribers",
        0x11 => "no subscription existed",
        0x80 => "unspecified error",
        0x81 => "malformed packet",
        0x82 => "protocol error",
        0x83 => "implementation specific error",
        0x84 => "unsupported protocol version",
        0x85 => "client identifier not valid",
        0x86 => "bad user name or password",
        0x87 => "not authorized",
        0x88 => "server unavailable",
        0x89 => "server busy",
        0x8A => "banned",
        0x8B => "server shutting down",
        0x8C => "bad authentication method",
        0x8D => "keep-alive timeout",
        0x8E => "session taken over by another client with the same id",
        0x8F => "topic filter invalid",
        0x90 => "topic name invalid",
        0x91 => "packet identifier in use",
        0x92 => "packet identifier not found",
        0x93 => "receive maximum exceeded",
        0x94 => "topic alias invalid",
        0x95 => "packet too large",
        0x96 => "message rate too high",
        0x97 => "quota exceeded",
        0x98 => "administrative action",
        0x99 => "payload format invalid",
        0x9A => "retain not supported",
        0x9B => "QoS not supported",
        0x9C => "use another server",
        0x9D => "server moved",
        0x9E => "shared subscriptions not supported",
        0x9F => "connection rate exceeded",
        0xA0 => "maximum connect time",
        0xA1 => "subscription identifiers not supported",
        0xA2 => "wildcard subscriptions not supported",
        _ => "unknown reason",
    }
}

pub(super) fn refused(code: u8) -> crate::exit::Failure {
    let hint = match code {
        4 | 134 => "; check -u and -P",
        5 | 135 => "; check -u and -P, and the broker's access rules",
        1 | 132 => "; try another -V",
        2 | 133 => "; try another -i",
        _ => "",
    };
    crate::exit::Failure::new(
        code,
        format!(
            "the broker refused the connection: {} (code {code}){hint}",
            connack_reason(code)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_errors_inside_io_errors_are_found() {
        let inner = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = io::Error::new(io::ErrorKind::InvalidData, inner);
        assert!(cause(&io).contains("unknown issuer"), "{}", cause(&io));
    }
}
