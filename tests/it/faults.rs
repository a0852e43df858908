//! Delivery under real faults: printed ⇒ acknowledged, not printed ⇒ not acknowledged (sub), and
//! exit 0 only when the broker acknowledged every message, across broker restarts (SIGTERM and
//! SIGKILL), a frozen broker and a proxy that cuts connections (pub).

use std::collections::BTreeSet;
use std::io::Write;
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use crate::support::faults::Proxy;
use crate::support::{Broker, Running, args, run, spawn, spawn_with_stdin};

fn numbered(from: u64, to: u64) -> Vec<u8> {
    (from..=to)
        .map(|n| format!("{n}\n"))
        .collect::<String>()
        .into_bytes()
}

/// The distinct numbered lines in some output.
fn numbers(out: &[u8]) -> BTreeSet<u64> {
    String::from_utf8_lossy(out)
        .lines()
        .filter_map(|l| l.parse().ok())
        .collect()
}

/// Wait until `running` has printed every number from 1 to `n`.
#[track_caller]
fn wait_all(running: &Running, n: u64, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let seen = numbers(&running.stdout_now());
        if seen.len() as u64 >= n && seen.range(1..=n).count() as u64 == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} lines arrived; first missing: {:?}; stderr: {}",
            seen.len(),
            (1..=n).find(|k| !seen.contains(k)),
            running.stderr_now()
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// Wait until `running` has printed at least `n` distinct numbers.
fn wait_count(running: &Running, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while numbers(&running.stdout_now()).len() < n {
        assert!(
            Instant::now() < deadline,
            "only {} lines; stderr: {}",
            numbers(&running.stdout_now()).len(),
            running.stderr_now()
        );
        thread::sleep(Duration::from_millis(5));
    }
}

/// A mosquitto_sub that reports every line it receives on `topic` (an oracle independent of
/// moth), subscribed before this returns.
fn oracle(broker: &Broker, topic: &str, id: &str, persistent: bool) -> Running {
    let mut rest = vec!["-t", topic, "-q", "1", "-i", id];
    if persistent {
        rest.push("-c");
    }
    let sub = spawn(broker.mosquitto("mosquitto_sub", &rest));
    broker.wait_subscribed(id, topic);
    sub
}

fn work_queue_drains_completely(qos: &str) {
    let broker = Broker::start();
    let id = format!("worker-q{qos}");
    // Make the persistent session, then queue 50 jobs in it while the worker is away.
    run(
        broker.moth("sub", &["-c", "-i", &id, "-q", qos, "-t", "jobs", "-E"]),
        b"",
    )
    .assert_success();
    run(
        broker.moth("pub", &["-t", "jobs", "-q", qos, "-l"]),
        &numbered(1, 50),
    )
    .assert_success();

    let mut seen = Vec::new();
    for _ in 0..200 {
        let out = run(
            broker.moth(
                "sub",
                &[
                    "-c", "-i", &id, "-q", qos, "-t", "jobs", "-C", "1", "-W", "2",
                ],
            ),
            b"",
        );
        if out.code() == 27 {
            break;
        }
        out.assert_success();
        let text = out.stdout_text();
        assert_eq!(text.lines().count(), 1, "-C 1 prints one message: {text:?}");
        seen.push(text.trim().parse::<u64>().unwrap());
    }
    let distinct: BTreeSet<u64> = seen.iter().copied().collect();
    assert_eq!(
        distinct,
        (1..=50).collect(),
        "every job is printed at least once (in order of runs: {seen:?})"
    );
}

#[test]
fn the_work_queue_idiom_loses_no_qos1_message() {
    work_queue_drains_completely("1");
}

#[test]
fn the_work_queue_idiom_loses_no_qos2_message() {
    work_queue_drains_completely("2");
}

#[test]
fn a_subscriber_stopped_mid_stream_loses_nothing_across_runs() {
    const N: u64 = 20_000;
    // The broker must queue everything for the absent subscriber: no queue limit.
    let broker = Broker::config().line("max_queued_messages 0").start();
    for attempt in 0..3 {
        let id = format!("stopper-{attempt}");
        let topic = format!("stream{attempt}");
        let sub_args = ["-c", "-i", &id, "-q", "1", "-t", &topic];
        let first = spawn(broker.moth("sub", &sub_args));
        broker.wait_subscribed(&id, &topic);
        let publisher = spawn_with_stdin(
            broker.moth("pub", &["-t", &topic, "-q", "1", "-l"]),
            Stdio::piped(),
        );
        let mut publisher = publisher;
        let mut pipe = publisher.stdin().try_clone_pipe();
        let writer = thread::spawn(move || {
            pipe.write_all(&numbered(1, N)).unwrap();
        });
        // Stop the subscriber somewhere in the middle of the stream.
        wait_count(&first, 2_000 + attempt * 3_000);
        first.signal("INT");
        let first = first.finish();
        first.assert_success();
        writer.join().unwrap();
        publisher.close_stdin();
        publisher.finish().assert_success();

        let second = spawn(broker.moth("sub", &sub_args));
        let deadline = Instant::now() + Duration::from_secs(60);
        let before = numbers(&first.stdout);
        loop {
            let mut all = before.clone();
            all.extend(numbers(&second.stdout_now()));
            if all.len() as u64 == N {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "run {attempt}: {} of {N} lines in both outputs; first missing {:?}",
                all.len(),
                (1..=N).find(|k| !all.contains(k))
            );
            thread::sleep(Duration::from_millis(20));
        }
        second.signal("INT");
        second.finish().assert_success();
    }
}

trait ClonePipe {
    fn try_clone_pipe(&mut self) -> std::fs::File;
}

impl ClonePipe for std::process::ChildStdin {
    /// A second handle on the pipe, for a writer thread; the child sees end of input once both
    /// are closed.
    fn try_clone_pipe(&mut self) -> std::fs::File {
        use std::os::fd::AsFd;
        std::fs::File::from(self.as_fd().try_clone_to_owned().unwrap())
    }
}

#[test]
fn what_a_closed_pipe_took_counts_as_delivered_and_the_rest_comes_again() {
    let broker = Broker::start();
    let moth = env!("CARGO_BIN_EXE_moth");
    let port = broker.port.to_string();
    // Session made, 500 messages queued, then a reader that stops after 100 lines.
    run(
        broker.moth("sub", &["-c", "-i", "piped", "-q", "1", "-t", "p", "-E"]),
        b"",
    )
    .assert_success();
    run(
        broker.moth("pub", &["-t", "p", "-q", "1", "-l"]),
        &numbered(1, 500),
    )
    .assert_success();
    let script = format!(
        "{moth} sub -h 127.0.0.1 -p {port} -c -i piped -q 1 -t p -W 10 | head -n 100; \
         echo \"moth exit ${{PIPESTATUS[0]}}\" >&2"
    );
    let mut shell = std::process::Command::new("bash");
    shell.args(["-c", &script]);
    let out = run(shell, b"");
    out.assert_success();
    assert_eq!(out.stderr, "moth exit 0\n", "moth ends quietly");
    let head: Vec<u64> = numbers(&out.stdout).into_iter().collect();
    assert_eq!(head, (1..=100).collect::<Vec<_>>());

    let rest = run(
        broker.moth(
            "sub",
            &["-c", "-i", "piped", "-q", "1", "-t", "p", "-W", "2"],
        ),
        b"",
    );
    rest.assert_code(27);
    // What moth wrote into the pipe after line 100 was taken by the pipe and counts as
    // delivered; nothing else may be missing.
    let mut all = numbers(&out.stdout);
    all.extend(numbers(&rest.stdout));
    let missing: Vec<u64> = (1..=500).filter(|k| !all.contains(k)).collect();
    if let (Some(first), Some(last)) = (missing.first(), missing.last()) {
        assert_eq!(
            *first, 101,
            "only lines right after the 100th can be in the pipe"
        );
        assert_eq!(
            missing.len() as u64,
            last - first + 1,
            "the lines the pipe took are one run: {missing:?}"
        );
    }
}

#[test]
fn pub_keeps_a_stream_going_through_connection_cuts() {
    const N: u64 = 30_000;
    // No queue limit: mosquitto would drop what a slower oracle cannot take at once.
    let broker = Broker::config().line("max_queued_messages 0").start();
    let proxy = Proxy::start(broker.port);
    let sub = oracle(&broker, "cut", "cut-oracle", false);
    let mut publisher = spawn_with_stdin(
        {
            let mut cmd = crate::support::moth();
            cmd.arg("pub")
                .args(proxy.addr())
                .args(["-t", "cut", "-q", "1", "-l"]);
            cmd
        },
        Stdio::piped(),
    );
    let mut pipe = publisher.stdin().try_clone_pipe();
    publisher.close_stdin();
    let writer = thread::spawn(move || pipe.write_all(&numbered(1, N)).unwrap());
    for at in [3_000, 10_000, 20_000] {
        wait_count(&sub, at);
        proxy.cut();
    }
    writer.join().unwrap();
    let out = publisher.finish();
    out.assert_success();
    assert!(
        out.stderr.contains("; reconnecting\n") && out.stderr.contains("moth: reconnected;"),
        "{}",
        out.stderr
    );
    wait_all(&sub, N, Duration::from_secs(60));
}

#[test]
fn pub_keeps_a_stream_going_over_a_link_that_flaps() {
    const N: u64 = 20_000;
    let broker = Broker::config().line("max_queued_messages 0").start();
    let proxy = Proxy::start(broker.port);
    // Every connection is cut 300 ms after it opened: the wait before reconnecting starts short
    // again after each CONNACK, so each cut costs little.
    proxy.flap_every(Duration::from_millis(300));
    let sub = oracle(&broker, "flap", "flap-oracle", false);
    let mut cmd = crate::support::moth();
    cmd.arg("pub")
        .args(proxy.addr())
        .args(["-t", "flap", "-q", "1", "-l"]);
    let mut publisher = spawn_with_stdin(cmd, Stdio::piped());
    let mut pipe = publisher.stdin().try_clone_pipe();
    publisher.close_stdin();
    let writer = thread::spawn(move || {
        // In pieces, so the stream spans several connections.
        for from in (1..=N).step_by(2_000) {
            pipe.write_all(&numbered(from, from + 1_999)).unwrap();
            thread::sleep(Duration::from_millis(100));
        }
    });
    writer.join().unwrap();
    let out = publisher.finish_within(Duration::from_secs(120));
    out.assert_success();
    assert!(out.stderr.contains("moth: reconnected;"), "{}", out.stderr);
    wait_all(&sub, N, Duration::from_secs(60));
}

#[test]
fn the_reconnect_timeout_counts_time_without_progress_not_one_outage() {
    let broker = Broker::start();
    let proxy = Proxy::start(broker.port);
    // The link comes back each time, but nothing moth sends after its CONNECT gets through.
    proxy.flap_every(Duration::from_millis(1_500));
    proxy.mute_after_connect();
    let mut cmd = crate::support::moth();
    cmd.arg("pub").args(proxy.addr()).args([
        "-t",
        "stuck",
        "-m",
        "x",
        "-q",
        "1",
        "--reconnect-timeout",
        "2",
    ]);
    let out = spawn(cmd).finish_within(Duration::from_secs(60));
    out.assert_code(7);
    let last = out.stderr.lines().last().unwrap_or_default().to_string();
    assert!(
        last.ends_with(
            "; nothing delivered within --reconnect-timeout 2 s, though the connection came back 1 time(s): 1 of 1 message(s) not delivered"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn pub_keeps_a_stream_going_through_a_graceful_broker_restart() {
    const N: u64 = 30_000;
    // No queue limit: the oracle is away during the restart too.
    let mut broker = Broker::config()
        .persistent()
        .line("max_queued_messages 0")
        .start();
    let sub = oracle(&broker, "term", "term-oracle", true);
    let mut publisher = spawn_with_stdin(
        broker.moth("pub", &["-t", "term", "-q", "1", "-l"]),
        Stdio::piped(),
    );
    let mut pipe = publisher.stdin().try_clone_pipe();
    publisher.close_stdin();
    let writer = thread::spawn(move || pipe.write_all(&numbered(1, N)).unwrap());
    wait_count(&sub, 5_000);
    broker.terminate();
    broker.start_again();
    writer.join().unwrap();
    let out = publisher.finish();
    out.assert_success();
    assert!(out.stderr.contains("moth: reconnected;"), "{}", out.stderr);
    wait_all(&sub, N, Duration::from_secs(60));
}

#[test]
fn pub_keeps_a_stream_going_through_broker_kills() {
    let mut broker = Broker::config().line("max_queued_messages 0").start();
    let mut publisher = spawn_with_stdin(
        broker.moth("pub", &["-t", "kill", "-q", "1", "-l", "-i", "killed-pub"]),
        Stdio::piped(),
    );
    // Each kill lands right after a burst of lines, while some are surely unacknowledged.
    for burst in 0..3 {
        broker.wait_connected("killed-pub");
        publisher
            .stdin()
            .write_all(&numbered(burst * 10_000 + 1, burst * 10_000 + 10_000))
            .unwrap();
        broker.kill();
        broker.start_again();
    }
    // A killed broker forgets what it had not forwarded yet, so the oracle checks the stream
    // after the last kill: moth must go on with it and exit 0.
    broker.wait_connected("killed-pub");
    let sub = oracle(&broker, "kill", "kill-oracle", false);
    publisher
        .stdin()
        .write_all(&numbered(30_001, 35_000))
        .unwrap();
    publisher.close_stdin();
    let out = publisher.finish();
    out.assert_success();
    assert_eq!(
        out.stderr.matches("moth: reconnected;").count(),
        3,
        "{}",
        out.stderr
    );
    wait_range(&sub, 30_001, 35_000);
}

/// Wait until `running` has printed every number from `from` to `to`.
fn wait_range(running: &Running, from: u64, to: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let seen = numbers(&running.stdout_now());
        if seen.range(from..=to).count() as u64 == to - from + 1 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "first missing: {:?}; stderr: {}",
            (from..=to).find(|k| !seen.contains(k)),
            running.stderr_now()
        );
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn pub_gives_up_after_the_reconnect_timeout_and_counts_what_is_missing() {
    let broker = Broker::start();
    let proxy = Proxy::start(broker.port);
    let sub = oracle(&broker, "gone", "gone-oracle", false);
    let mut cmd = crate::support::moth();
    cmd.arg("pub").args(args(
        &proxy.addr(),
        &[
            "-t",
            "gone",
            "-q",
            "1",
            "-l",
            "-d",
            "--reconnect-timeout",
            "1",
        ],
    ));
    let mut publisher = spawn_with_stdin(cmd, Stdio::piped());
    publisher.stdin().write_all(&numbered(1, 100)).unwrap();
    // Every one of the first 100 acknowledged (seen in -d), then the broker "goes away".
    let deadline = Instant::now() + Duration::from_secs(30);
    while publisher.stderr_now().matches("received PUBACK").count() < 100 {
        assert!(Instant::now() < deadline, "{}", publisher.stderr_now());
        thread::sleep(Duration::from_millis(5));
    }
    proxy.go_down();
    publisher.stdin().write_all(&numbered(101, 150)).unwrap();
    publisher.close_stdin();
    let out = publisher.finish();
    out.assert_code(7);
    let last = out.stderr.lines().last().unwrap_or_default().to_string();
    assert!(
        last.starts_with(&format!("moth: error: connection to 127.0.0.1:{} lost: ", proxy.port))
            && last.ends_with(
                "; no connection again within --reconnect-timeout 1 s: 50 of 150 message(s) not delivered"
            ),
        "{last}"
    );
    wait_all(&sub, 100, Duration::from_secs(10));
    assert_eq!(
        numbers(&sub.stdout_now()).len(),
        100,
        "the subscriber lacks the same 50"
    );
}

#[test]
fn pub_waits_through_a_frozen_broker_and_delivers_after_it_thaws() {
    let broker = Broker::start();
    let sub = oracle(&broker, "frozen", "frozen-oracle", false);
    let mut publisher = spawn_with_stdin(
        broker.moth("pub", &["-t", "frozen", "-q", "1", "-l", "-k", "5"]),
        Stdio::piped(),
    );
    publisher.stdin().write_all(&numbered(1, 10)).unwrap();
    wait_all(&sub, 10, Duration::from_secs(10));
    broker.freeze();
    publisher.stdin().write_all(&numbered(11, 20)).unwrap();
    publisher.close_stdin();
    // Nothing can be acknowledged while frozen; moth must neither exit 0 nor give up.
    thread::sleep(Duration::from_millis(500));
    assert!(
        publisher.stderr_now().is_empty(),
        "{}",
        publisher.stderr_now()
    );
    broker.thaw();
    publisher.finish().assert_success();
    wait_all(&sub, 20, Duration::from_secs(10));
}

#[test]
fn an_interrupted_pub_delivers_what_it_read_and_says_where_it_stopped() {
    let broker = Broker::start();
    let sub = oracle(&broker, "int", "int-oracle", false);
    let mut publisher = spawn_with_stdin(
        broker.moth("pub", &["-t", "int", "-q", "1", "-l"]),
        Stdio::piped(),
    );
    publisher.stdin().write_all(&numbered(1, 3)).unwrap();
    wait_all(&sub, 3, Duration::from_secs(10));
    publisher.signal("INT");
    let out = publisher.finish();
    out.assert_success();
    out.assert_stderr("moth: interrupted: stopped reading stdin after 3 line(s)");
}

#[test]
fn an_unsubscribed_filter_stays_gone_after_a_reconnect() {
    let mut broker = Broker::start();
    let sub = spawn(broker.moth(
        "sub",
        &[
            "-t", "u/a", "-t", "u/b", "-U", "u/a", "-v", "-C", "1", "-i", "unsub",
        ],
    ));
    broker.wait_subscribed("unsub", "u/b");
    broker.restart();
    broker.wait_subscribed("unsub", "u/b");
    for (topic, message) in [("u/a", "A"), ("u/b", "B")] {
        run(
            broker.moth("pub", &["-t", topic, "-m", message, "-q", "1"]),
            b"",
        )
        .assert_success();
    }
    let out = sub.finish();
    out.assert_success();
    assert_eq!(out.stdout_text(), "u/b B\n");
}

#[test]
fn sub_count_acknowledges_exactly_what_it_printed() {
    // The acknowledgements of the last printed messages go out just before DISCONNECT; they
    // must reach the broker every time (a close with unread data used to lose them).
    let broker = Broker::start();
    for round in 0..10 {
        let id = format!("counted-{round}");
        let topic = format!("counted/{round}");
        let sub = |rest: &[&str]| {
            let mut all = vec!["-c", "-i", &id, "-q", "1", "-t", &topic];
            all.extend_from_slice(rest);
            broker.moth("sub", &all)
        };
        run(sub(&["-E"]), b"").assert_success();
        run(
            broker.moth("pub", &["-t", &topic, "-q", "1", "-l"]),
            b"1\n2\n3\n",
        )
        .assert_success();
        let first = run(sub(&["-C", "2"]), b"");
        first.assert_success();
        assert_eq!(first.stdout_text(), "1\n2\n");
        let rest = run(sub(&["--idle", "0.5"]), b"");
        rest.assert_success();
        assert_eq!(rest.stdout_text(), "3\n", "round {round}");
    }
}

#[test]
fn mixed_qos_1_and_2_publishes_all_arrive_and_exit_zero() {
    // rumqttc gives a packet id to a QoS 1 message as soon as PUBREC frees it, before the QoS 2
    // message's PUBCOMP: each acknowledgement must still find its own message.
    let broker = Broker::start();
    let sub = spawn(broker.mosquitto(
        "mosquitto_sub",
        &["-t", "mixed", "-q", "2", "-i", "mixed-oracle"],
    ));
    broker.wait_subscribed("mixed-oracle", "mixed");
    let lines: String = (1..=300)
        .map(|n| {
            let qos = if n % 5 == 0 { 2 } else { 1 };
            format!("{{\"topic\":\"mixed\",\"payload\":\"{n}\",\"qos\":{qos}}}\n")
        })
        .collect();
    let out = crate::support::run(broker.moth("pub", &["--jsonl"]), lines.as_bytes());
    out.assert_success();
    wait_all(&sub, 300, Duration::from_secs(30));
}

#[test]
fn qos2_refusals_on_mqtt5_never_stall_the_publisher() {
    // Each PUBREC refusal leaves a place in rumqttc's in-flight window taken; more refusals
    // than the window (20) used to stop all sending for good.
    let broker = Broker::config().acl("topic read denied/#\n").start();
    let out = run(
        broker.moth(
            "pub",
            &[
                "-V", "5", "-q", "2", "-t", "denied/x", "-m", "hi", "--repeat", "25",
            ],
        ),
        b"",
    );
    out.assert_code(12);
    let last = out.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("moth: error: 25 of 25 message(s) refused; first: the broker refused"),
        "{}",
        out.stderr
    );
}

#[test]
fn pub_ends_at_once_when_everything_was_delivered_before_the_broker_went() {
    let mut broker = Broker::start();
    let mut publisher = spawn_with_stdin(
        broker.moth(
            "pub",
            &["-t", "went", "-q", "1", "-l", "-d", "-i", "went-pub"],
        ),
        Stdio::piped(),
    );
    publisher.stdin().write_all(b"only\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !publisher.stderr_now().contains("received PUBACK") {
        assert!(Instant::now() < deadline, "{}", publisher.stderr_now());
        thread::sleep(Duration::from_millis(5));
    }
    broker.kill();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !publisher.stderr_now().contains("; reconnecting") {
        assert!(Instant::now() < deadline, "{}", publisher.stderr_now());
        thread::sleep(Duration::from_millis(5));
    }
    // With -l there is no reconnect timeout: only the finished input may end the run, and it
    // must, with everything acknowledged.
    publisher.close_stdin();
    publisher
        .finish_within(Duration::from_secs(20))
        .assert_success();
}

#[test]
fn repeats_never_sent_count_as_not_delivered() {
    let broker = Broker::start();
    let proxy = Proxy::start(broker.port);
    let sub = oracle(&broker, "rep", "rep-oracle", false);
    let mut cmd = crate::support::moth();
    cmd.arg("pub").args(args(
        &proxy.addr(),
        &[
            "-t",
            "rep",
            "-m",
            "x",
            "-q",
            "1",
            "--repeat",
            "20",
            "--repeat-delay",
            "0.05",
            "--reconnect-timeout",
            "1",
        ],
    ));
    let publisher = spawn(cmd);
    wait_lines(&sub, 3);
    proxy.go_down();
    let out = publisher.finish();
    out.assert_code(7);
    let arrived = sub.stdout_now().iter().filter(|b| **b == b'\n').count();
    let last = out.stderr.lines().last().unwrap_or_default().to_string();
    // The message in flight when the connection went may have arrived unconfirmed.
    let counts =
        [20 - arrived, 20 - arrived + 1].map(|n| format!(": {n} of 20 message(s) not delivered"));
    assert!(
        counts.iter().any(|c| last.ends_with(c)),
        "{arrived} arrived; {last}"
    );
}

#[test]
fn an_interrupted_repeat_is_no_success() {
    let broker = Broker::start();
    let sub = oracle(&broker, "irep", "irep-oracle", false);
    let publisher = spawn(broker.moth(
        "pub",
        &[
            "-t",
            "irep",
            "-m",
            "x",
            "-q",
            "1",
            "--repeat",
            "100000",
            "--repeat-delay",
            "0.01",
        ],
    ));
    wait_lines(&sub, 3);
    publisher.signal("INT");
    let out = publisher.finish();
    out.assert_code(7);
    // "interrupted: M of 100000 message(s) not delivered (N never sent)", M >= N > 0.
    let line = out.stderr.trim_end();
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(
        line.starts_with("moth: error: interrupted: ")
            && line.ends_with(" never sent)")
            && numbers.len() == 3
            && numbers[1] == 100_000
            && numbers[0] >= numbers[2]
            && numbers[2] > 0
            && numbers[0] < 100_000,
        "{line}"
    );
}

/// Wait until `running` has printed at least `n` lines.
fn wait_lines(running: &Running, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while running.stdout_now().iter().filter(|b| **b == b'\n').count() < n {
        assert!(Instant::now() < deadline, "{}", running.stderr_now());
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn sub_into_head_ends_when_head_does_even_if_no_message_follows() {
    let broker = Broker::start();
    let moth = env!("CARGO_BIN_EXE_moth");
    let port = broker.port.to_string();
    run(
        broker.moth("sub", &["-c", "-i", "headed", "-q", "1", "-t", "hq", "-E"]),
        b"",
    )
    .assert_success();
    run(
        broker.moth("pub", &["-t", "hq", "-q", "1", "-l"]),
        &numbered(1, 5),
    )
    .assert_success();
    let script = format!(
        "{moth} sub -h 127.0.0.1 -p {port} -c -i headed -q 1 -t hq | head -n 2; \
         echo \"moth exit ${{PIPESTATUS[0]}}\" >&2"
    );
    let mut shell = std::process::Command::new("bash");
    shell.args(["-c", &script]);
    // No further message is published: moth must notice the reader is gone by itself.
    let out = spawn(shell).finish_within(Duration::from_secs(20));
    out.assert_success();
    assert_eq!(out.stdout_text(), "1\n2\n");
    assert_eq!(out.stderr, "moth exit 0\n");
}
