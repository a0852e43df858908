//! `moth pub`: publish, and exit 0 only once every message is acknowledged at its QoS.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use crate::cli::PubArgs;
use crate::commands::{
    check_message_size, max_payload, message_properties, read_payload, refuse_closed_stdin,
    shutdown_signal,
};
use crate::connect::{
    Acks, ConnSpec, Counts, Event, OUTBOX_LIMIT, OutgoingPublish, Properties, Protocol, Publisher,
    Reconnect, Session,
};
use crate::exit::{self, Failure, Result};
use crate::{report, topic};

/// After Ctrl-C, how long to wait for messages already sent to be acknowledged.
const INTERRUPT_GRACE: Duration = Duration::from_secs(5);
/// How long to wait for the DISCONNECT to be written once everything is acknowledged.
const CLOSE_GRACE: Duration = Duration::from_secs(5);
/// How long -m, -f, -s and -n keep trying after a lost connection, unless told otherwise.
const ONE_SHOT_RECONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// stdin is read in chunks of this size; lines are cut out of them without copying.
const READ_CHUNK: usize = 64 * 1024;

enum Source {
    /// -m, -f, -s or -n: one payload, sent `repeat` times.
    Single {
        payload: Bytes,
        repeat: u64,
        delay: Option<Duration>,
    },
    /// -l: one message per stdin line.
    Lines,
}

struct Template {
    topic: String,
    qos: u8,
    retain: bool,
    properties: Option<Arc<Properties>>,
}

impl Template {
    fn with(&self, payload: Bytes) -> OutgoingPublish {
        OutgoingPublish {
            topic: self.topic.clone(),
            qos: self.qos,
            retain: self.retain,
            payload,
            properties: self.properties.clone(),
        }
    }
}

pub async fn run(args: PubArgs) -> Result<()> {
    let spec = ConnSpec::from_args(&args.conn, Protocol::V311)?;
    let properties = message_properties(&spec, &args.properties, args.response_topic.as_ref())?;
    let topic = args
        .topic
        .clone()
        .or_else(|| spec.url_topic.clone())
        .ok_or_else(|| Failure::usage("give the topic to publish to with -t"))?;
    topic::validate_topic(&topic).map_err(|why| {
        Failure::usage(format!(
            "invalid topic {} (-t): {why}",
            report::quote(&topic)
        ))
    })?;
    if args.qos == 2 && spec.protocol == Protocol::V311 && spec.max_inflight > 20 {
        report::warning(&format!(
            "-M {} at QoS 2: a broker that allows fewer messages in flight (mosquitto: 20) drops the excess of an MQTT 3.1.1 client without saying so; use -V 5 to be told",
            spec.max_inflight
        ));
    }
    // Read -f and -s before connecting, so a missing file costs no connection.
    let source = source(&args).await?;
    if let Source::Single { payload, .. } = &source {
        check_message_size(
            &topic,
            args.qos,
            properties.as_deref(),
            spec.protocol == Protocol::V5,
            payload.len(),
        )?;
    }
    report::set_quiet(args.conn.quiet);
    // A stream keeps going across broker restarts for as long as it takes (as mosquitto_pub);
    // a one-shot publish should fail while someone is still watching.
    let reconnect_timeout = args.reconnect_timeout.or(match source {
        Source::Lines => None,
        Source::Single { .. } => Some(ONE_SHOT_RECONNECT_TIMEOUT),
    });
    let reconnect = match reconnect_timeout {
        Some(t) if t.is_zero() => Reconnect::Never,
        _ => Reconnect::Always,
    };

    let template = Template {
        topic,
        qos: args.qos,
        retain: args.retain,
        properties,
    };
    let mut session = Session::start(&spec, reconnect, Acks::OnReceipt);
    match session.next().await {
        Event::Connected { .. } => {}
        Event::Failed(failure) => return Err(failure),
        other => return Err(Failure::usage(format!("unexpected first event {other:?}"))),
    }

    let read = Arc::new(AtomicU64::new(0));
    let repeats = match source {
        Source::Single { repeat, .. } => Some(repeat),
        Source::Lines => None,
    };
    // Only --repeat waits for each delivery; a watch per message would cost more than the send.
    let repeat_waits = repeats.is_some_and(|n| n > 1);
    let (settled_tx, settled_rx) = watch::channel(0u64);
    let deliveries = session.deliveries();
    let (done_tx, mut done_rx) = oneshot::channel::<Result<()>>();
    let producer = tokio::spawn(produce(
        source,
        template,
        session.publisher(),
        read.clone(),
        settled_rx,
        done_tx,
    ));

    let mut signal = std::pin::pin!(shutdown_signal());
    let mut first_refusal: Option<String> = None;
    let mut input_done = false;
    let mut interrupted: Option<Instant> = None;
    let mut closing: Option<Instant> = None;
    // Set while the connection is down: when to give up, and why it went down.
    let mut lost: Option<(Option<Instant>, String)> = None;

    loop {
        let counts = deliveries.counts();
        let settled = counts.accepted - counts.unsettled();
        if repeat_waits && *settled_tx.borrow() != settled {
            settled_tx.send_replace(settled);
        }
        if input_done && counts.unsettled() == 0 && closing.is_none() && lost.is_none() {
            session.disconnect();
            closing = Some(Instant::now() + CLOSE_GRACE);
        }
        let give_up = closing.or(interrupted);
        let reconnect_deadline = lost.as_ref().and_then(|(at, _)| *at);
        let event = tokio::select! {
            biased;
            _ = &mut signal, if interrupted.is_none() => {
                producer.abort();
                input_done = true;
                interrupted = Some(Instant::now() + INTERRUPT_GRACE);
                continue;
            }
            done = &mut done_rx, if !input_done => {
                input_done = true;
                if let Ok(Err(failure)) = done {
                    // Bad input: stop, but still say what happened to what was sent.
                    return Err(failure);
                }
                continue;
            }
            _ = sleep_until(give_up) => break,
            _ = sleep_until(reconnect_deadline) => {
                let (_, why) = lost.take().unwrap_or_default();
                return Err(not_delivered(
                    &deliveries.counts(),
                    &format!(
                        "{why}; no connection again within --reconnect-timeout {}",
                        seconds(reconnect_timeout.unwrap_or_default())
                    ),
                ));
            }
            _ = deliveries.changed() => continue,
            event = session.next() => event,
        };
        match event {
            Event::PublishRefused(why) => {
                first_refusal.get_or_insert(why);
            }
            Event::ConnectionLost(why) => {
                report::warning(&why);
                let why = why.trim_end_matches("; reconnecting").to_string();
                lost = Some((reconnect_timeout.map(|t| Instant::now() + t), why));
            }
            Event::Connected { .. } if lost.take().is_some() => {
                let due = deliveries.counts().unsettled();
                report::note(&format!(
                    "reconnected; sending the {due} unconfirmed message(s) again"
                ));
            }
            Event::Closed => break,
            Event::Failed(failure) => {
                let counts = deliveries.counts();
                return Err(Failure::new(
                    failure.code,
                    format!(
                        "{}; {} of {} message(s) not delivered",
                        failure.message,
                        counts.unsettled() + counts.dropped,
                        counts.accepted
                    ),
                ));
            }
            _ => {}
        }
    }

    let counts = deliveries.counts();
    if interrupted.is_some() {
        let read = read.load(Ordering::Acquire);
        report::note(&match repeats {
            Some(total) => format!(
                "interrupted: {} of {total} message(s) not sent",
                total.saturating_sub(counts.accepted)
            ),
            None => format!("interrupted: stopped reading stdin after {read} line(s)"),
        });
    }
    if counts.unsettled() > 0 {
        let why = if interrupted.is_some() {
            "interrupted"
        } else {
            "the broker did not confirm in time"
        };
        return Err(not_delivered(&counts, why));
    }
    if counts.dropped > 0 {
        return Err(not_delivered(
            &counts,
            &format!(
                "more than {OUTBOX_LIMIT} QoS 0 messages waited while the broker was unreachable"
            ),
        ));
    }
    if let Some(why) = first_refusal {
        return Err(Failure::new(
            exit::REFUSED,
            format!(
                "{} of {} message(s) refused; first: {why}",
                counts.refused, counts.accepted
            ),
        ));
    }
    Ok(())
}

/// Exit 7, saying why and how many messages are not known to have arrived.
fn not_delivered(counts: &Counts, why: &str) -> Failure {
    Failure::new(
        exit::UNCONFIRMED,
        format!(
            "{why}: {} of {} message(s) not delivered",
            counts.unsettled() + counts.dropped,
            counts.accepted
        ),
    )
}

fn seconds(t: Duration) -> String {
    format!("{} s", t.as_secs_f64())
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn source(args: &PubArgs) -> Result<Source> {
    if args.stdin_line {
        refuse_closed_stdin("-l")?;
        return Ok(Source::Lines);
    }
    let payload = read_payload(
        args.message.as_deref(),
        args.file.as_deref(),
        args.stdin_file,
    )
    .await?;
    if args.repeat == 0 {
        return Err(Failure::usage("--repeat needs a count of at least 1"));
    }
    Ok(Source::Single {
        payload,
        repeat: args.repeat,
        delay: args.repeat_delay,
    })
}

async fn produce(
    source: Source,
    template: Template,
    publisher: Publisher,
    queued: Arc<AtomicU64>,
    mut delivered: watch::Receiver<u64>,
    done: oneshot::Sender<Result<()>>,
) {
    let result = match source {
        Source::Single {
            payload,
            repeat,
            delay,
        } => {
            for n in 1..=repeat {
                queued.store(n, Ordering::Release);
                if publisher
                    .publish(template.with(payload.clone()))
                    .await
                    .is_err()
                    || n == repeat
                {
                    break;
                }
                // As mosquitto_pub: the next repeat starts after this one is delivered.
                if delivered.wait_for(|&d| d >= n).await.is_err() {
                    break;
                }
                if let Some(delay) = delay {
                    tokio::time::sleep(delay).await;
                }
            }
            Ok(())
        }
        Source::Lines => lines(&template, &publisher, &queued).await,
    };
    let _ = done.send(result);
}

/// Publish each line of stdin. Lines are sliced out of shared read buffers (no copy per line); a
/// last line without a newline is sent too; `\r` is kept, as mosquitto_pub keeps it.
async fn lines(template: &Template, publisher: &Publisher, queued: &AtomicU64) -> Result<()> {
    let mut stdin = tokio::io::stdin();
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let mut scanned = 0;
    let mut count = 0u64;
    // A line that no MQTT packet can carry stops the input, rather than being buffered without
    // bound and then failing inside the connection.
    let longest = max_payload(
        &template.topic,
        template.qos,
        template.properties.as_deref(),
    );
    let too_long = |n: u64| {
        Failure::usage(format!(
            "line {n} of stdin (-l) is longer than an MQTT message can carry ({longest} bytes with this topic)"
        ))
    };
    loop {
        while let Some(at) = memchr::memchr(b'\n', &buf[scanned..]) {
            let mut line = buf.split_to(scanned + at + 1);
            line.truncate(line.len() - 1);
            if line.len() > longest {
                return Err(too_long(count + 1));
            }
            scanned = 0;
            count += 1;
            queued.store(count, Ordering::Release);
            if publisher
                .publish(template.with(line.freeze()))
                .await
                .is_err()
            {
                return Ok(());
            }
        }
        scanned = buf.len();
        if buf.len() > longest {
            return Err(too_long(count + 1));
        }
        if buf.capacity() - buf.len() < READ_CHUNK / 4 {
            buf.reserve(READ_CHUNK);
        }
        let read = stdin.read_buf(&mut buf).await.map_err(|e| {
            Failure::usage(format!(
                "cannot read stdin (-l): {}",
                crate::connect::io_reason(&e)
            ))
        })?;
        if read == 0 {
            if !buf.is_empty() {
                queued.store(count + 1, Ordering::Release);
                let _ = publisher.publish(template.with(buf.split().freeze())).await;
            }
            return Ok(());
        }
    }
}
