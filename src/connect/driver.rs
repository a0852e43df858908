//! The task that owns rumqttc's event loop: polls it, turns its events into moth's, backs off
//! between reconnects, and stops polling once the session is over (polling again would reconnect).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use super::{Event, Progress, Reconnect};
use crate::exit::Failure;

/// One poll of a protocol's event loop, already translated.
pub(super) enum Polled {
    Event(Event),
    /// One publish completed at its QoS. Counted, not queued: at one per message it would
    /// double the channel traffic of a fast publisher.
    Delivered,
    /// Nothing the session needs to hear about (pings, acks we send, ...).
    Nothing,
    /// Our DISCONNECT is on the wire.
    Closed,
}

/// Why a poll failed.
pub(super) enum Broken {
    /// The broker refused the connection (CONNACK); reconnecting cannot help.
    Refused(Failure),
    /// The connection could not be made or was lost; `cause` says why, in words.
    Lost { cause: String },
}

pub(super) trait Source {
    /// Where we connect to, for messages.
    fn endpoint(&self) -> String;
    fn uses_tls(&self) -> bool;
    async fn poll(&mut self) -> Result<Polled, Broken>;
}

const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// A connection must last this long before the backoff starts again from the beginning; otherwise
/// two clients with the same id would take the session from each other four times a second.
const STABLE: Duration = Duration::from_secs(10);

pub(super) async fn run<S: Source>(
    mut source: S,
    events: mpsc::Sender<Event>,
    reconnect: Reconnect,
    closing: Arc<AtomicBool>,
    progress: Arc<Progress>,
) {
    let mut ever_connected = false;
    let mut reconnecting = false;
    let mut backoff = FIRST_BACKOFF;
    let mut connected_at: Option<tokio::time::Instant> = None;
    loop {
        let event = match source.poll().await {
            Ok(Polled::Event(event)) => {
                if let Event::Connected { .. } = event {
                    ever_connected = true;
                    reconnecting = false;
                    connected_at = Some(tokio::time::Instant::now());
                }
                event
            }
            Ok(Polled::Nothing) => continue,
            Ok(Polled::Delivered) => {
                progress.add();
                continue;
            }
            Ok(Polled::Closed) => Event::Closed,
            // The caller asked to close only after counting every acknowledgement it needed.
            Err(_) if closing.load(Ordering::Relaxed) => Event::Closed,
            Err(Broken::Refused(failure)) => Event::Failed(failure),
            Err(Broken::Lost { cause }) if !ever_connected => {
                let hint = match (cause == super::describe::CLOSED, source.uses_tls()) {
                    (false, _) => "",
                    (true, true) => " before CONNACK (is that port a TLS listener?)",
                    (true, false) => {
                        " before CONNACK (if that port expects TLS, add --cafile or use mqtts://)"
                    }
                };
                Event::Failed(Failure::usage(format!(
                    "cannot connect to {}: {cause}{hint}",
                    source.endpoint()
                )))
            }
            Err(Broken::Lost { cause }) if reconnect == Reconnect::Never => {
                Event::Failed(Failure::new(
                    crate::exit::UNCONFIRMED,
                    format!("connection to {} lost: {cause}", source.endpoint()),
                ))
            }
            Err(Broken::Lost { cause }) => {
                // Report the loss once; failed attempts while reconnecting only lengthen the
                // sleep. rumqttc would otherwise reconnect in a hot loop (note 8).
                if connected_at.take().is_some_and(|at| at.elapsed() >= STABLE) {
                    backoff = FIRST_BACKOFF;
                }
                if !reconnecting {
                    reconnecting = true;
                    let lost = format!(
                        "connection to {} lost: {cause}; reconnecting",
                        source.endpoint()
                    );
                    if events.send(Event::ConnectionLost(lost)).await.is_err() {
                        return;
                    }
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        let last = matches!(event, Event::Closed | Event::Failed(_));
        if events.send(event).await.is_err() || last {
            return;
        }
    }
}
