//! mosquitto_sub's options, each checked against a real broker with exact output and exit codes.

use std::time::{Duration, Instant};

use crate::support::{Broker, run, spawn};

fn publish(broker: &Broker, args: &[&str]) {
    run(broker.moth("pub", args), b"").assert_success();
}

#[test]
fn retained_messages_and_dash_r() {
    let broker = Broker::start();
    publish(&broker, &["-t", "ret/a", "-m", "stale", "-r", "-q", "1"]);
    for version in ["311", "5"] {
        // A new subscriber gets the retained message at once.
        let out = run(
            broker.moth("sub", &["-V", version, "-t", "ret/#", "-v", "-C", "1"]),
            b"",
        );
        out.assert_success();
        assert_eq!(out.stdout_text(), "ret/a stale\n");

        // -R hides it, and shows the next fresh message.
        let id = format!("fresh-{version}");
        let sub = spawn(broker.moth(
            "sub",
            &[
                "-V", version, "-t", "ret/#", "-v", "-C", "1", "-R", "-i", &id,
            ],
        ));
        broker.wait_subscribed(&id, "ret/#");
        publish(&broker, &["-t", "ret/b", "-m", "fresh"]);
        let out = sub.finish();
        out.assert_success();
        assert_eq!(out.stdout_text(), "ret/b fresh\n", "v{version}");
    }
}

#[test]
fn retained_only_prints_retained_then_exits_at_the_first_fresh_message() {
    let broker = Broker::start();
    publish(&broker, &["-t", "ro/1", "-m", "one", "-r"]);
    publish(&broker, &["-t", "ro/2", "-m", "two", "-r"]);
    let sub = spawn(broker.moth("sub", &["-t", "ro/#", "-v", "--retained-only", "-i", "ro"]));
    broker.wait_subscribed("ro", "ro/#");
    publish(&broker, &["-t", "ro/3", "-m", "fresh"]);
    let out = sub.finish();
    out.assert_success();
    let mut lines: Vec<&str> = out.stdout_text().leak().lines().collect();
    lines.sort();
    assert_eq!(lines, ["ro/1 one", "ro/2 two"]);
}

#[test]
fn remove_retained_clears_them_except_hidden_ones() {
    let broker = Broker::start();
    for (topic, payload) in [("rm/a", "1"), ("rm/b", "2"), ("rm/keep", "3")] {
        publish(&broker, &["-t", topic, "-m", payload, "-r", "-q", "1"]);
    }
    let out = run(
        broker.moth(
            "sub",
            &[
                "-t",
                "rm/#",
                "-T",
                "rm/keep",
                "--remove-retained",
                "-C",
                "2",
                "-v",
            ],
        ),
        b"",
    );
    out.assert_success();
    let mut lines: Vec<String> = out.stdout_text().lines().map(String::from).collect();
    lines.sort();
    assert_eq!(lines, ["rm/a 1", "rm/b 2"]);
    // Only the hidden one is left.
    let out = run(broker.moth("sub", &["-t", "rm/#", "-v", "-W", "1"]), b"");
    out.assert_code(27);
    assert_eq!(out.stdout_text(), "rm/keep 3\n");
}

#[test]
fn filter_out_hides_matching_topics_and_they_do_not_count() {
    let broker = Broker::start();
    let sub = spawn(broker.moth(
        "sub",
        &[
            "-t",
            "f/#",
            "-T",
            "f/noise/+",
            "-T",
            "f/x",
            "-v",
            "-C",
            "2",
            "-i",
            "flt",
        ],
    ));
    broker.wait_subscribed("flt", "f/#");
    for topic in ["f/noise/1", "f/x", "f/a", "f/noise/2", "f/b", "f/c"] {
        publish(&broker, &["-t", topic, "-m", topic, "-q", "1"]);
    }
    let out = sub.finish();
    out.assert_success();
    assert_eq!(out.stdout_text(), "f/a f/a\nf/b f/b\n");
}

#[test]
fn count_stops_after_exactly_n_messages() {
    let broker = Broker::start();
    let sub = spawn(broker.moth("sub", &["-t", "c", "-C", "3", "-i", "cnt"]));
    broker.wait_subscribed("cnt", "c");
    run(
        broker.moth("pub", &["-t", "c", "-l", "-q", "1"]),
        b"1\n2\n3\n4\n5\n",
    )
    .assert_success();
    let out = sub.finish();
    out.assert_success();
    assert_eq!(out.stdout_text(), "1\n2\n3\n");
    assert_eq!(out.stderr, "");
}

#[test]
fn timeout_exits_27_with_what_was_printed() {
    let broker = Broker::start();
    let started = Instant::now();
    let sub = spawn(broker.moth("sub", &["-t", "w", "-W", "1", "-C", "5", "-i", "wait"]));
    broker.wait_subscribed("wait", "w");
    publish(&broker, &["-t", "w", "-m", "only one"]);
    let out = sub.finish();
    out.assert_code(27);
    assert_eq!(out.stdout_text(), "only one\n");
    assert_eq!(
        out.stderr,
        "moth: error: timed out after 1 s (-W) with 1 message(s) received\n"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn exit_after_subscribe_and_unsubscribe_in_a_persistent_session() {
    let broker = Broker::start();
    // -E with -c sets up a durable session and exits once subscribed.
    let out = run(
        broker.moth(
            "sub",
            &["-t", "dur/#", "-c", "-i", "durable", "-q", "1", "-E"],
        ),
        b"",
    );
    out.assert_success();
    assert_eq!(out.stdout_text(), "");
    // Messages published while away are kept for the session.
    publish(&broker, &["-t", "dur/1", "-m", "kept", "-q", "1"]);
    let out = run(
        broker.moth(
            "sub",
            &["-t", "dur/#", "-c", "-i", "durable", "-q", "1", "-C", "1"],
        ),
        b"",
    );
    out.assert_success();
    assert_eq!(out.stdout_text(), "kept\n");
    // -U alone removes the subscription and exits once the broker confirms it.
    let out = run(
        broker.moth("sub", &["-U", "dur/#", "-c", "-i", "durable"]),
        b"",
    );
    out.assert_success();
    publish(&broker, &["-t", "dur/2", "-m", "not kept", "-q", "1"]);
    let out = run(
        broker.moth("sub", &["-t", "other", "-c", "-i", "durable", "-W", "1"]),
        b"",
    );
    out.assert_code(27);
    assert_eq!(out.stdout_text(), "", "the session no longer holds dur/#");
}

#[test]
fn sigint_and_sigterm_flush_and_exit_zero() {
    let broker = Broker::start();
    for signal in ["INT", "TERM"] {
        let id = format!("sig-{signal}");
        let sub = spawn(broker.moth("sub", &["-t", "s", "-i", &id]));
        broker.wait_subscribed(&id, "s");
        publish(&broker, &["-t", "s", "-m", "before the signal", "-q", "1"]);
        sub.wait_stdout_len("before the signal\n".len(), Duration::from_secs(10));
        sub.signal(signal);
        let out = sub.finish();
        out.assert_success();
        assert_eq!(out.stdout_text(), "before the signal\n");
        assert_eq!(out.stderr, "");
    }
}

#[test]
fn closed_stdout_ends_quietly_with_zero() {
    let broker = Broker::start();
    // `moth sub ... | head -1`: the reader goes away after one line.
    let mut shell = std::process::Command::new("bash");
    shell.arg("-c").arg(format!(
        "{} sub -h 127.0.0.1 -p {} -t p -i piped | head -n 1; echo \"moth exited ${{PIPESTATUS[0]}}\"",
        env!("CARGO_BIN_EXE_moth"),
        broker.port
    ));
    let mut child = spawn(shell);
    broker.wait_subscribed("piped", "p");
    run(
        broker.moth("pub", &["-t", "p", "-l"]),
        b"first\nsecond\nthird\n",
    )
    .assert_success();
    // moth notices the closed pipe on its next write; keep messages coming until it exits.
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.is_running() {
        assert!(
            Instant::now() < deadline,
            "moth did not exit after its reader went away"
        );
        run(broker.moth("pub", &["-t", "p", "-m", "more"]), b"");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.finish();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "first\nmoth exited 0\n"
    );
    assert_eq!(out.stderr, "", "no broken-pipe noise");
}

#[test]
fn no_newline_and_empty_payloads() {
    let broker = Broker::start();
    let sub = spawn(broker.moth("sub", &["-t", "n", "-N", "-C", "3", "-i", "nonl"]));
    broker.wait_subscribed("nonl", "n");
    run(
        broker.moth("pub", &["-t", "n", "-l", "-q", "1"]),
        b"ab\n\ncd\n",
    )
    .assert_success();
    let out = sub.finish();
    out.assert_success();
    assert_eq!(
        out.stdout, b"abcd",
        "-N joins payloads; an empty payload prints nothing"
    );
}

#[test]
fn random_filter_prints_a_sample() {
    let broker = Broker::start();
    let sub = spawn(broker.moth(
        "sub",
        &["-t", "rnd", "--random-filter", "10", "-W", "2", "-i", "rnd"],
    ));
    broker.wait_subscribed("rnd", "rnd");
    let lines: String = (0..1000).map(|i| format!("{i}\n")).collect();
    run(
        broker.moth("pub", &["-t", "rnd", "-l", "-q", "1"]),
        lines.as_bytes(),
    )
    .assert_success();
    let out = sub.finish();
    out.assert_code(27);
    let printed = out.stdout_text().lines().count();
    // 10% of 1000: the chance of falling outside 30..=200 is far below one in a million.
    assert!((30..=200).contains(&printed), "printed {printed} of 1000");
}

#[test]
fn duration_ends_a_capture_with_exit_zero() {
    let broker = Broker::start();
    let sub = spawn(broker.moth(
        "sub",
        &["-t", "dur/#", "-v", "--duration", "1.5", "-i", "dur"],
    ));
    broker.wait_subscribed("dur", "dur/#");
    publish(&broker, &["-t", "dur/a", "-m", "one"]);
    let out = sub.finish();
    out.assert_success();
    assert_eq!(out.stdout_text(), "dur/a one\n");
    assert_eq!(out.stderr, "");
    // Nothing at all in that time is a capture of nothing, not a failure.
    let out = run(
        broker.moth("sub", &["-t", "quiet", "--duration", "0.3"]),
        b"",
    );
    out.assert_success();
    assert_eq!(out.stdout_text(), "");
    // rr collects every answer that comes in that time (not only the first).
    let responder = spawn(broker.moth(
        "sub",
        &["-V", "5", "-t", "req", "-C", "1", "-i", "responder"],
    ));
    broker.wait_subscribed("responder", "req");
    let rr = spawn(broker.moth(
        "rr",
        &[
            "-t",
            "req",
            "-e",
            "resp",
            "-m",
            "ask",
            "--duration",
            "2",
            "-i",
            "asker",
        ],
    ));
    broker.wait_subscribed("asker", "resp");
    responder.finish().assert_success();
    for answer in ["first", "second"] {
        publish(&broker, &["-V", "5", "-t", "resp", "-m", answer]);
    }
    let out = rr.finish();
    out.assert_success();
    assert_eq!(out.stdout_text(), "first\nsecond\n");
}

#[test]
fn retry_waits_for_a_broker_that_starts_late() {
    let mut broker = Broker::start();
    broker.stop();
    let sub = spawn(broker.moth(
        "sub",
        &["-t", "late", "-C", "1", "--retry", "60", "-i", "late"],
    ));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sub.stderr_now().contains("(--retry)") {
        assert!(Instant::now() < deadline, "{}", sub.stderr_now());
        std::thread::sleep(Duration::from_millis(10));
    }
    broker.restart();
    broker.wait_subscribed("late", "late");
    publish(&broker, &["-t", "late", "-m", "here"]);
    let out = sub.finish();
    out.assert_success();
    assert_eq!(out.stdout_text(), "here\n");
    let port = broker.port;
    assert_eq!(
        out.stderr,
        format!(
            "moth: 127.0.0.1:{port}: connection refused (is the broker running and listening there?); trying again for up to 60 s (--retry)\n"
        )
    );
    // Time up: the error says for how long it tried.
    broker.stop();
    let out = run(
        broker.moth("pub", &["-t", "late", "-m", "x", "--retry", "0.3"]),
        b"",
    );
    out.assert_code(1);
    assert!(
        out.stderr.ends_with(&format!(
            "moth: error: cannot connect to 127.0.0.1:{port} within --retry 0.3 s: connection refused (is the broker running and listening there?)\n"
        )),
        "{}",
        out.stderr
    );
}
