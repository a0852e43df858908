//! One -F code of one message, written: the value the code names, padded, cut or grouped as
//! its modifiers say.

use super::*;

pub(super) fn field(
    out: &mut dyn Write,
    code: Code,
    spec: &Spec,
    message: &Message,
    now: Option<&mut Now>,
    json: JsonStyle,
) -> io::Result<()> {
    let props = message.properties.as_deref();
    match code {
        Code::Percent => out.write_all(b"%"),
        Code::TopicAlias => {
            int_or_blank(out, spec, props.and_then(|p| p.topic_alias).map(u64::from))
        }
        Code::MessageExpiry => int_or_blank(
            out,
            spec,
            props.and_then(|p| p.message_expiry_interval).map(u64::from),
        ),
        Code::PayloadFormat => int_or_blank(
            out,
            spec,
            props
                .and_then(|p| p.payload_format_indicator)
                .map(u64::from),
        ),
        Code::SubscriptionId => int_or_blank(
            out,
            spec,
            props
                .and_then(|p| p.subscription_identifiers.first())
                .map(|id| *id as u64),
        ),
        Code::ContentType => match props.and_then(|p| p.content_type.as_deref()) {
            Some(text) => string(out, spec, text),
            None => blank(out, b' ', spec.width),
        },
        Code::ResponseTopic => match props.and_then(|p| p.response_topic.as_deref()) {
            Some(text) => string(out, spec, text),
            None => Ok(()),
        },
        Code::CorrelationData => match props.and_then(|p| p.correlation_data.as_ref()) {
            Some(data) => out.write_all(data),
            None => Ok(()),
        },
        Code::UserProperties => {
            let Some(props) = props else { return Ok(()) };
            for (n, (key, value)) in props.user_properties.iter().enumerate() {
                if n > 0 {
                    out.write_all(b" ")?;
                }
                write!(out, "{key}:{value}")?;
            }
            Ok(())
        }
        Code::IsoTime => match now {
            Some(now) => {
                let text = now.local().format("%Y-%m-%dT%H:%M:%S%z");
                // Through a small stack buffer so width and precision apply to the whole text.
                let mut buf = StackText::default();
                std::fmt::Write::write_fmt(&mut buf, format_args!("{text}"))
                    .map_err(|_| io::Error::other("time text too long"))?;
                string(out, spec, buf.as_str())
            }
            None => Ok(()),
        },
        Code::UnixTime => match now {
            Some(now) => {
                let since = now
                    .system
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap_or_default();
                write!(out, "{}.{:09}", since.as_secs(), since.subsec_nanos())
            }
            None => Ok(()),
        },
        Code::Json | Code::JsonInline => match now {
            Some(now) => {
                let inline = code == Code::JsonInline;
                let nanos = now.nanos();
                json::mosquitto(out, message, now.local(), nanos, inline, json)
            }
            None => Ok(()),
        },
        Code::Length => int(out, spec, message.payload.len() as u64),
        Code::PacketId => int(out, spec, message.packet_id.into()),
        Code::Qos => write!(out, "{}", message.qos),
        Code::Retain => out.write_all(if message.retain { b"1" } else { b"0" }),
        Code::Topic => string(out, spec, message.topic()),
        Code::Payload => payload(out, spec, &message.payload),
        Code::Hex => hex(out, spec, &message.payload, b"0123456789abcdef"),
        Code::HexUpper => hex(out, spec, &message.payload, b"0123456789ABCDEF"),
        Code::Double => match <[u8; 8]>::try_from(&message.payload[..]) {
            Ok(bytes) => float(out, spec, f64::from_le_bytes(bytes)),
            Err(_) => Ok(()),
        },
        Code::Float => match <[u8; 4]>::try_from(&message.payload[..]) {
            Ok(bytes) => float(out, spec, f32::from_le_bytes(bytes).into()),
            Err(_) => Ok(()),
        },
    }
}

fn blank(out: &mut dyn Write, pad: u8, width: usize) -> io::Result<()> {
    for _ in 0..width {
        out.write_all(&[pad])?;
    }
    Ok(())
}

fn int_or_blank(out: &mut dyn Write, spec: &Spec, value: Option<u64>) -> io::Result<()> {
    match value {
        Some(value) => int(out, spec, value),
        None => blank(out, if spec.zero { b'0' } else { b' ' }, spec.width),
    }
}

fn int(out: &mut dyn Write, spec: &Spec, value: u64) -> io::Result<()> {
    let width = spec.width;
    match (spec.left, spec.zero) {
        (true, _) => write!(out, "{value:<width$}"),
        (false, true) => write!(out, "{value:0width$}"),
        (false, false) => write!(out, "{value:>width$}"),
    }
}

fn float(out: &mut dyn Write, spec: &Spec, value: f64) -> io::Result<()> {
    let width = spec.width;
    let precision = spec.precision.unwrap_or(6);
    match (spec.left, spec.zero) {
        (true, _) => write!(out, "{value:<width$.precision$}"),
        (false, true) => write!(out, "{value:0width$.precision$}"),
        (false, false) => write!(out, "{value:>width$.precision$}"),
    }
}

/// printf's `%-W.Ps`: pad to the width, cut at the precision (in characters).
fn string(out: &mut dyn Write, spec: &Spec, text: &str) -> io::Result<()> {
    let width = spec.width;
    match (spec.precision, spec.left) {
        (None, true) => write!(out, "{text:<width$}"),
        (None, false) => write!(out, "{text:>width$}"),
        (Some(precision), true) => write!(out, "{text:<width$.precision$}"),
        (Some(precision), false) => write!(out, "{text:>width$.precision$}"),
    }
}

/// mosquitto's payload printing: a width both pads and cuts.
fn payload(out: &mut dyn Write, spec: &Spec, payload: &[u8]) -> io::Result<()> {
    let shown = if spec.width > 0 {
        &payload[..payload.len().min(spec.width)]
    } else {
        payload
    };
    let pad = spec.width.saturating_sub(shown.len());
    if !spec.left {
        blank(out, if spec.zero { b'0' } else { b' ' }, pad)?;
    }
    out.write_all(shown)?;
    if spec.left {
        blank(out, b' ', pad)?;
    }
    Ok(())
}

/// Hex digits of the payload. With `.N`, groups of N nibbles joined by the separator (a space
/// when none is given). A width counts digits: shorter output is padded, longer is cut (at a
/// whole byte). mosquitto 2.0 halves the payload whenever a width is given; that is a bug, not
/// its documented behaviour, and moth does not copy it.
fn hex(out: &mut dyn Write, spec: &Spec, payload: &[u8], digits: &[u8; 16]) -> io::Result<()> {
    if let Some(group) = spec.precision {
        let separator = spec.separator.unwrap_or(b' ');
        let mut in_group = 0;
        let mut first = true;
        for byte in payload {
            for nibble in [byte >> 4, byte & 0x0f] {
                if in_group == group {
                    in_group = 0;
                }
                if in_group == 0 && !first {
                    out.write_all(&[separator])?;
                }
                out.write_all(&[digits[nibble as usize]])?;
                in_group += 1;
                first = false;
            }
        }
        return Ok(());
    }
    let shown = if spec.width > 0 {
        &payload[..payload.len().min(spec.width / 2)]
    } else {
        payload
    };
    let pad = spec.width.saturating_sub(shown.len() * 2);
    if !spec.left {
        blank(out, if spec.zero { b'0' } else { b' ' }, pad)?;
    }
    for byte in shown {
        out.write_all(&[digits[(byte >> 4) as usize], digits[(byte & 0x0f) as usize]])?;
    }
    if spec.left {
        blank(out, b' ', pad)?;
    }
    Ok(())
}
