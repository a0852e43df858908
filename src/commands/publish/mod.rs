//! `moth pub`: publish, and exit 0 only once every message is acknowledged at its QoS. `plan`
//! turns the flags into a source of messages, `input` produces them (paced by `pace`, filled in
//! by `commands::placeholders`, decoded by `jsonl`), and `deliver` sees each through to delivery.

mod deliver;
mod input;
mod jsonl;
mod pace;
mod plan;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{oneshot, watch};

use crate::cli::PubArgs;
use crate::connect::{Acks, Event, OutgoingPublish, Properties, Protocol, Reconnect, Session};
use crate::exit::{Failure, Result};
use crate::report;
use input::{Input, Producer};

/// How long -m, -f, -s and -n keep trying after a lost connection, unless told otherwise.
const ONE_SHOT_RECONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// What every message gets unless its input line says otherwise: -t, -q, -r and properties.
pub struct Defaults {
    /// `None` with --topic-lines, and with --jsonl without -t: each line names its topic.
    pub topic: Option<String>,
    pub qos: u8,
    pub retain: bool,
    pub properties: Option<Arc<Properties>>,
    pub v5: bool,
}

impl Defaults {
    fn with(&self, payload: Bytes) -> OutgoingPublish {
        OutgoingPublish {
            topic: self.topic.clone().unwrap_or_default(),
            qos: self.qos,
            retain: self.retain,
            payload,
            properties: self.properties.clone(),
        }
    }
}

pub async fn run(args: PubArgs) -> Result<()> {
    let spec = crate::commands::connection(&args.conn, Protocol::V311)?;
    if args.qos == 2 && spec.protocol == Protocol::V311 && spec.max_inflight > 20 {
        report::warning(&format!(
            "-M {} at QoS 2: a broker that allows fewer messages in flight (mosquitto: 20) drops the excess of an MQTT 3.1.1 client without saying so; use -V 5 to be told",
            spec.max_inflight
        ));
    }
    // Everything is read and checked before connecting, so a missing file costs no connection.
    let plan = plan::plan(&args, &spec).await?;
    report::set_quiet(args.conn.quiet);
    // A stream keeps going across broker restarts for as long as it takes (as mosquitto_pub);
    // a one-shot publish should fail while someone is still watching.
    let reconnect_timeout = args.reconnect_timeout.or(match plan.source {
        Input::Lines(_) => None,
        Input::Single { .. } => Some(ONE_SHOT_RECONNECT_TIMEOUT),
    });
    let reconnect = match reconnect_timeout {
        Some(t) if t.is_zero() => Reconnect::Never,
        _ => Reconnect::Always,
    };

    let mut session = Session::start(&spec, reconnect, Acks::OnReceipt);
    match session.next().await {
        Event::Connected { .. } => {}
        Event::Failed(failure) => return Err(failure),
        other => return Err(Failure::usage(format!("unexpected first event {other:?}"))),
    }

    let read = Arc::new(AtomicU64::new(0));
    let repeats = match plan.source {
        Input::Single { repeat, .. } => Some(repeat),
        Input::Lines(_) => None,
    };
    // Only --repeat without --rate waits for each delivery; a watch per message would cost more
    // than the send.
    let repeat_waits = repeats.is_some_and(|n| n > 1) && plan.schedule.is_free();
    let (settled_tx, settled_rx) = watch::channel(0u64);
    let (done_tx, done) = oneshot::channel::<Result<()>>();
    let producer = Producer {
        source: plan.source,
        defaults: plan.defaults,
        template: plan.template,
        schedule: plan.schedule,
        publisher: session.publisher(),
        queued: read.clone(),
        delivered: settled_rx,
    };
    let producer = tokio::spawn(async move {
        let _ = done_tx.send(producer.run().await);
    });
    deliver::deliver(deliver::Delivery {
        session,
        producer,
        done,
        read,
        repeats,
        settled: repeat_waits.then_some(settled_tx),
        reconnect_timeout,
    })
    .await
}
