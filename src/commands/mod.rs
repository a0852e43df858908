//! One module per subcommand. Each validates its own flags into a plan, then drives a
//! `connect::Session`.

pub mod bench;
pub mod ls;
mod placeholders;
pub mod publish;
mod receive;
pub mod request;
pub mod subscribe;
pub mod ui;

use std::ffi::OsStr;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use tokio::io::AsyncReadExt;

use crate::cli::{ConnArgs, PublishPropertyArgs};
use crate::connect::{ConnOptions, ConnSpec, Protocol};
use crate::exit::{Failure, Result};
use crate::limits::{MAX_PACKET_SIZE, check_field, check_publish, check_string, properties_len};
use crate::message::Properties;
use crate::report::io_reason;
use crate::report::quote;

/// The validated connection for a subcommand's flags; what the connection layer warns about
/// (an unverified certificate) goes to stderr.
pub fn connection(args: &ConnArgs, default: Protocol) -> Result<ConnSpec> {
    spec_from(&args.options()?, default)
}

/// `connection`, from settings built in code.
pub fn spec_from(options: &ConnOptions, default: Protocol) -> Result<ConnSpec> {
    let spec = ConnSpec::new(options, default)?;
    for warning in &spec.warnings {
        crate::report::warning(warning);
    }
    Ok(spec)
}

/// Every topic filter given with each flag is valid, or the error names the first that is not.
pub fn validate_filters(flags: &[(&str, &Vec<String>)]) -> Result<()> {
    for (flag, filters) in flags {
        for filter in filters.iter() {
            crate::topic::validate_filter(filter).map_err(|why| {
                Failure::usage(format!("invalid filter {} ({flag}): {why}", quote(filter)))
            })?;
        }
    }
    Ok(())
}

/// The message properties to publish with: -D publish ... and the friendly flags (which win).
pub fn message_properties(
    spec: &ConnSpec,
    args: &PublishPropertyArgs,
    response_topic: Option<&String>,
) -> Result<Option<Arc<Properties>>> {
    let mut props = spec.properties.publish.clone();
    if let Some(v) = &args.content_type {
        check_string("the --content-type value", v).map_err(Failure::usage)?;
    }
    if let Some(v) = &args.correlation_data {
        check_field("the --correlation-data value", v.len()).map_err(Failure::usage)?;
    }
    if let Some(v) = &args.content_type {
        props.content_type = Some(v.clone());
    }
    if let Some(v) = response_topic {
        crate::topic::validate_topic(v).map_err(|why| {
            Failure::usage(format!("invalid --response-topic {}: {why}", quote(v)))
        })?;
        props.response_topic = Some(v.clone());
    }
    if let Some(v) = &args.correlation_data {
        props.correlation_data = Some(Bytes::copy_from_slice(v.as_bytes()));
    }
    if let Some(v) = args.message_expiry {
        props.message_expiry_interval = Some(v);
    }
    if let Some(v) = args.payload_format {
        props.payload_format_indicator = Some(v);
    }
    for pair in &args.user_property {
        props
            .user_properties
            .push(crate::properties::user_property(pair)?);
    }
    if props == Properties::default() {
        return Ok(None);
    }
    if spec.protocol != Protocol::V5 {
        return Err(Failure::usage(
            "message properties are an MQTT 5 feature: add -V 5",
        ));
    }
    Ok(Some(Arc::new(props)))
}

/// One payload from -m, -f or -s (or empty, for -n). Read before connecting, so that a missing
/// file costs no connection.
pub async fn read_payload(
    message: Option<&OsStr>,
    file: Option<&Path>,
    stdin_file: bool,
) -> Result<Bytes> {
    if let Some(message) = message {
        use std::os::unix::ffi::OsStrExt;
        return Ok(Bytes::copy_from_slice(message.as_bytes()));
    }
    if let Some(path) = file {
        let unreadable = |e: std::io::Error| {
            Failure::usage(format!(
                "cannot read -f {}: {}",
                crate::report::shorten(&path.to_string_lossy()),
                io_reason(&e)
            ))
        };
        // Refuse an oversized file before reading it all into memory.
        let len = std::fs::metadata(path).map_err(unreadable)?.len();
        if len > MAX_PACKET_SIZE as u64 {
            let path = crate::report::shorten(&path.to_string_lossy());
            return Err(too_large(&format!("-f {path} ({len} bytes)")));
        }
        return std::fs::read(path).map(Bytes::from).map_err(unreadable);
    }
    if stdin_file {
        refuse_closed_stdin("-s")?;
        let mut all = Vec::new();
        // One byte past the limit is enough to know the message cannot be sent.
        tokio::io::stdin()
            .take(MAX_PACKET_SIZE as u64 + 1)
            .read_to_end(&mut all)
            .await
            .map_err(|e| Failure::usage(format!("cannot read stdin (-s): {}", io_reason(&e))))?;
        if all.len() > MAX_PACKET_SIZE {
            return Err(too_large("stdin (-s)"));
        }
        if all.is_empty() {
            return Err(Failure::usage(
                "stdin is empty (-s): nothing to send; use -n to send an empty message",
            ));
        }
        return Ok(Bytes::from(all));
    }
    Ok(Bytes::new())
}

fn too_large(source: &str) -> Failure {
    Failure::usage(format!(
        "{source} is larger than an MQTT packet can carry ({MAX_PACKET_SIZE} bytes)"
    ))
}

/// A message must fit one MQTT packet with its topic and properties; say so before connecting.
pub fn check_message_size(
    topic: &str,
    qos: u8,
    properties: Option<&Properties>,
    v5: bool,
    payload: usize,
) -> Result<()> {
    let properties = v5.then(|| properties.map_or(0, properties_len));
    check_publish(topic.len(), qos, properties, payload).map_err(Failure::usage)
}

/// The largest payload a message to `topic` can carry. Counts the MQTT 5 properties' length
/// byte even on 3.1.1, one byte short of the limit there: `lines` does not know the protocol.
pub fn max_payload(topic: &str, qos: u8, properties: Option<&Properties>) -> usize {
    let properties = Some(properties.map_or(0, properties_len));
    MAX_PACKET_SIZE.saturating_sub(crate::limits::publish_size(topic.len(), qos, properties, 0))
}

/// Rust's runtime opens /dev/null read-write in place of a closed stdin (so that no file the
/// process opens becomes fd 0); a shell's `< /dev/null` opens it read-only. So a read-write
/// /dev/null on fd 0 means the caller closed stdin (`<&-`): say so rather than send nothing.
pub fn refuse_closed_stdin(flag: &str) -> Result<()> {
    if stdin_was_closed() {
        return Err(Failure::usage(format!(
            "stdin is closed ({flag}): give the message on stdin, e.g. `echo hi | moth pub ... {flag}`"
        )));
    }
    Ok(())
}

fn stdin_was_closed() -> bool {
    use std::os::unix::fs::MetadataExt;
    let (Ok(stdin), Ok(null)) = (
        std::fs::metadata("/proc/self/fd/0"),
        std::fs::metadata("/dev/null"),
    ) else {
        return false;
    };
    if stdin.rdev() != null.rdev() || stdin.ino() != null.ino() {
        return false;
    }
    // `flags:` in fdinfo is octal; O_RDWR is 2 in the access mode bits.
    std::fs::read_to_string("/proc/self/fdinfo/0")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("flags:"))
                .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
        })
        .is_some_and(|flags| flags & 0o3 == 0o2)
}

/// Resolves on the first SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        // Without signal handlers the default action (exit) still applies.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
}
