//! `moth pub`: publish, and exit 0 only once every message is acknowledged at its QoS.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt;
use tokio::sync::{oneshot, watch};

use crate::cli::PubArgs;
use crate::commands::{
    check_message_size, message_properties, read_payload, refuse_closed_stdin, shutdown_signal,
};
use crate::connect::{
    ConnSpec, Event, OutgoingPublish, Properties, Protocol, Publisher, Reconnect, Session,
};
use crate::exit::{self, Failure, Result};
use crate::{report, topic};

/// After Ctrl-C, how long to wait for messages already sent to be acknowledged.
const INTERRUPT_GRACE: Duration = Duration::from_secs(5);
/// How long to wait for the DISCONNECT to be written once everything is acknowledged.
const CLOSE_GRACE: Duration = Duration::from_secs(5);
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

    let template = Template {
        topic,
        qos: args.qos,
        retain: args.retain,
        properties,
    };
    let mut session = Session::start(&spec, Reconnect::Never);
    match session.next().await {
        Event::Connected { .. } => {}
        Event::Failed(failure) => return Err(failure),
        other => return Err(Failure::usage(format!("unexpected first event {other:?}"))),
    }

    let queued = Arc::new(AtomicU64::new(0));
    // Only --repeat waits for each delivery; a watch per message would cost more than the send.
    let repeat_waits = matches!(source, Source::Single { repeat, .. } if repeat > 1);
    let (delivered_tx, delivered_rx) = watch::channel(0u64);
    let deliveries = session.deliveries();
    let (done_tx, mut done_rx) = oneshot::channel::<Result<()>>();
    let producer = tokio::spawn(produce(
        source,
        template,
        session.publisher(),
        queued.clone(),
        delivered_rx,
        done_tx,
    ));

    let mut signal = std::pin::pin!(shutdown_signal());
    let mut refused = 0u64;
    let mut first_refusal: Option<String> = None;
    let mut input_done = false;
    let mut interrupted: Option<tokio::time::Instant> = None;
    let mut closing: Option<tokio::time::Instant> = None;

    loop {
        let completed = deliveries.count() + refused;
        if repeat_waits && *delivered_tx.borrow() != completed {
            delivered_tx.send_replace(completed);
        }
        let all_in = input_done && completed == queued.load(Ordering::Acquire);
        if all_in && closing.is_none() {
            session.disconnect();
            closing = Some(tokio::time::Instant::now() + CLOSE_GRACE);
        }
        let give_up = closing.or(interrupted);
        let event = tokio::select! {
            biased;
            _ = &mut signal, if interrupted.is_none() => {
                producer.abort();
                input_done = true;
                interrupted = Some(tokio::time::Instant::now() + INTERRUPT_GRACE);
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
            _ = deliveries.changed() => continue,
            event = session.next() => event,
        };
        match event {
            Event::PublishRefused(why) => {
                refused += 1;
                first_refusal.get_or_insert(why);
            }
            Event::Closed => break,
            Event::Failed(failure) => {
                let sent = queued.load(Ordering::Acquire);
                let completed = deliveries.count() + refused;
                return Err(Failure::new(
                    failure.code,
                    format!(
                        "{}; {} of {sent} message(s) unconfirmed",
                        failure.message,
                        sent - completed
                    ),
                ));
            }
            _ => {}
        }
    }

    let sent = queued.load(Ordering::Acquire);
    let completed = deliveries.count() + refused;
    if completed < sent {
        let why = if interrupted.is_some() {
            "interrupted"
        } else {
            "the broker did not confirm in time"
        };
        return Err(Failure::new(
            exit::UNCONFIRMED,
            format!(
                "{why}: {} of {sent} message(s) unconfirmed",
                sent - completed
            ),
        ));
    }
    if let Some(why) = first_refusal {
        return Err(Failure::new(
            exit::REFUSED,
            format!("{refused} of {sent} message(s) refused; first: {why}"),
        ));
    }
    Ok(())
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
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
        // Range-checked by its clap parser (at most a year).
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
    loop {
        while let Some(at) = memchr::memchr(b'\n', &buf[scanned..]) {
            let mut line = buf.split_to(scanned + at + 1);
            line.truncate(line.len() - 1);
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
