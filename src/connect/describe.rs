//! rumqttc, io and rustls errors → short sentences that say what went wrong and what to try.
//! rumqttc reports nested Debug shapes such as `Tls(Io(Custom { .. InvalidCertificate(..) }))`;
//! users should never see those.

use std::error::Error as StdError;
use std::io;

use rustls::pki_types::UnixTime;
use rustls::{AlertDescription, CertificateError};

/// The cause when the broker hung up; the driver adds a hint when this happens before CONNACK.
pub(super) const CLOSED: &str = "the broker closed the connection";

/// Walk an error chain for the most telling cause: a rustls error, else an io error, else the
/// outermost message.
pub(super) fn cause(err: &(dyn StdError + 'static)) -> String {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    let mut io_seen: Option<&io::Error> = None;
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return tls_cause(tls);
        }
        if let Some(io) = e.downcast_ref::<io::Error>() {
            // io::Error::source() skips the wrapped error itself, so look inside explicitly.
            if let Some(tls) = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            {
                return tls_cause(tls);
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
        UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe => CLOSED.into(),
        _ if text.contains("bytes remaining on stream") => CLOSED.into(),
        _ if text.contains("failed to lookup address") => {
            "cannot resolve the host name (check -h)".into()
        }
        _ => super::tls::io_reason(err),
    }
}

pub(super) fn tls_cause(err: &rustls::Error) -> String {
    match err {
        rustls::Error::InvalidCertificate(cert) => certificate_cause(cert),
        rustls::Error::AlertReceived(alert) => alert_cause(*alert),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "the broker did not answer with TLS (is that port a TLS listener?)".into()
        }
        rustls::Error::NoApplicationProtocol => {
            "the broker accepted none of the ALPN protocols offered (--tls-alpn)".into()
        }
        rustls::Error::PeerIncompatible(why) => {
            format!("TLS handshake failed: the broker's TLS settings are incompatible ({why:?})")
        }
        other => format!("TLS handshake failed: {other}"),
    }
}

fn certificate_cause(err: &CertificateError) -> String {
    match err {
        CertificateError::UnknownIssuer => {
            "the broker's certificate is not signed by a trusted CA (unknown issuer); pass its CA with --cafile".into()
        }
        CertificateError::NotValidForName => {
            "the broker's certificate does not match the host name; connect by a name it lists, or use --insecure to skip the check".into()
        }
        CertificateError::NotValidForNameContext { expected, presented } => format!(
            "the broker's certificate does not match the host name {} (it is for: {}); connect by a name it lists, or use --insecure to skip the check",
            expected.to_str(),
            if presented.is_empty() {
                "no names".to_string()
            } else {
                presented.iter().map(|n| plain_name(n)).collect::<Vec<_>>().join(", ")
            }
        ),
        CertificateError::Expired => "the broker's certificate has expired".into(),
        CertificateError::ExpiredContext { not_after, .. } => {
            format!("the broker's certificate expired on {}", date(*not_after))
        }
        CertificateError::NotValidYet => "the broker's certificate is not valid yet".into(),
        CertificateError::NotValidYetContext { not_before, .. } => {
            format!("the broker's certificate is not valid until {}", date(*not_before))
        }
        CertificateError::BadEncoding => "the broker sent a certificate that cannot be parsed".into(),
        CertificateError::Revoked => "the broker's certificate has been revoked".into(),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "the broker's certificate is not meant for TLS servers (extended key usage)".into()
        }
        other => format!("the broker's certificate was rejected: {other:?}"),
    }
}

/// rustls lists presented names as `DnsName("a.example")` or `IpAddress(10.0.0.1)`.
fn plain_name(presented: &str) -> &str {
    let inner = presented
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(presented);
    inner.trim_matches('"')
}

fn alert_cause(alert: AlertDescription) -> String {
    match alert {
        AlertDescription::CertificateRequired => {
            "the broker wants a client certificate: pass --cert and --key".into()
        }
        AlertDescription::HandshakeFailure => {
            "the broker refused the TLS handshake (does it want a client certificate? pass --cert and --key)".into()
        }
        AlertDescription::UnknownCA | AlertDescription::BadCertificate => {
            "the broker rejected the client certificate (--cert): it is not signed by a CA the broker trusts".into()
        }
        AlertDescription::CertificateExpired => "the broker rejected the client certificate: it has expired".into(),
        AlertDescription::ProtocolVersion => {
            "the broker does not accept this TLS version (--tls-version)".into()
        }
        AlertDescription::NoApplicationProtocol => {
            "the broker accepted none of the ALPN protocols offered (--tls-alpn)".into()
        }
        other => format!("the broker ended the TLS handshake ({other:?})"),
    }
}

/// A certificate time as a calendar date (UTC), without a date crate.
fn date(time: UnixTime) -> String {
    let days = (time.as_secs() / 86_400) as i64;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    format!("{year:04}-{month:02}-{day:02}")
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
pub(super) fn reason(code: u8) -> &'static str {
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
    fn dates() {
        assert_eq!(
            date(UnixTime::since_unix_epoch(std::time::Duration::ZERO)),
            "1970-01-01"
        );
        assert_eq!(
            date(UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                1_795_000_000
            ))),
            "2026-11-18"
        );
    }

    #[test]
    fn presented_names_lose_their_wrapping() {
        assert_eq!(plain_name("DnsName(\"a.example\")"), "a.example");
        assert_eq!(plain_name("IpAddress(10.0.0.1)"), "10.0.0.1");
        assert_eq!(plain_name("plain"), "plain");
    }

    #[test]
    fn tls_errors_inside_io_errors_are_found() {
        let inner = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let io = io::Error::new(io::ErrorKind::InvalidData, inner);
        assert!(cause(&io).contains("unknown issuer"), "{}", cause(&io));
    }
}
