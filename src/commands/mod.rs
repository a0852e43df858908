//! One module per subcommand. Each validates its own flags into a plan, then drives a
//! `connect::Session`.

pub mod bench;
pub mod publish;
pub mod request;
pub mod subscribe;

use std::ffi::OsStr;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use tokio::io::AsyncReadExt;

use crate::cli::PublishPropertyArgs;
use crate::connect::{ConnSpec, Properties, Protocol, io_reason};
use crate::exit::{Failure, Result};

/// The message properties to publish with: -D publish ... and the friendly flags (which win).
pub fn message_properties(
    spec: &ConnSpec,
    args: &PublishPropertyArgs,
    response_topic: Option<&String>,
) -> Result<Option<Arc<Properties>>> {
    let mut props = spec.properties.publish.clone();
    if let Some(v) = &args.content_type {
        props.content_type = Some(v.clone());
    }
    if let Some(v) = response_topic {
        crate::topic::validate_topic(v)
            .map_err(|why| Failure::usage(format!("invalid --response-topic '{v}': {why}")))?;
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
        return std::fs::read(path).map(Bytes::from).map_err(|e| {
            Failure::usage(format!(
                "cannot read -f {}: {}",
                path.display(),
                io_reason(&e)
            ))
        });
    }
    if stdin_file {
        let mut all = Vec::new();
        tokio::io::stdin()
            .read_to_end(&mut all)
            .await
            .map_err(|e| Failure::usage(format!("cannot read stdin (-s): {}", io_reason(&e))))?;
        if all.is_empty() {
            return Err(Failure::usage(
                "stdin is empty (-s): nothing to send; use -n to send an empty message",
            ));
        }
        return Ok(Bytes::from(all));
    }
    Ok(Bytes::new())
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
