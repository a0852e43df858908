//! `--idle SECONDS`: end with exit 0 once the broker has been quiet that long, counted from the
//! SUBACK, for sub and rr; what was printed is acknowledged, nothing else.

use std::time::{Duration, Instant};

use crate::support::{Broker, run, spawn};

fn publish(broker: &Broker, args: &[&str]) {
    run(broker.moth("pub", args), b"").assert_success();
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines.sort();
    lines
}

fn five_retained(broker: &Broker) {
    for n in 1..=5 {
        publish(
            broker,
            &[
                "-t",
                &format!("dump/{n}"),
                "-m",
                &format!("value {n}"),
                "-r",
                "-q",
                "1",
            ],
        );
    }
}

#[test]
fn idle_dumps_the_retained_messages_and_exits_0() {
    let broker = Broker::start();
    five_retained(&broker);
    let started = Instant::now();
    let out = run(
        broker.moth("sub", &["-t", "dump/#", "-v", "--idle", "0.5"]),
        b"",
    );
    let took = started.elapsed();
    out.assert_success();
    assert_eq!(out.stderr, "");
    assert_eq!(
        sorted_lines(&out.stdout_text()),
        [
            "dump/1 value 1",
            "dump/2 value 2",
            "dump/3 value 3",
            "dump/4 value 4",
            "dump/5 value 5"
        ]
    );
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_millis(2500),
        "ended after {took:?}"
    );
}

#[test]
fn idle_with_json_format_count_and_timeout() {
    let broker = Broker::start();
    five_retained(&broker);
    // --json and -F print as usual.
    let out = run(
        broker.moth("sub", &["-t", "dump/#", "--json", "--idle", "0.3"]),
        b"",
    );
    out.assert_success();
    assert_eq!(out.stdout_text().lines().count(), 5);
    assert!(
        out.stdout_text()
            .lines()
            .all(|l| l.starts_with("{\"topic\":\"dump/"))
    );
    let out = run(
        broker.moth("sub", &["-t", "dump/#", "-F", "%t=%p", "--idle", "0.3"]),
        b"",
    );
    out.assert_success();
    assert_eq!(sorted_lines(&out.stdout_text())[0], "dump/1=value 1");
    // -C reached first: 2 lines.
    let out = run(
        broker.moth("sub", &["-t", "dump/#", "-C", "2", "--idle", "5"]),
        b"",
    );
    out.assert_success();
    assert_eq!(out.stdout_text().lines().count(), 2);
    // --idle before -W: 0; -W before --idle: 27.
    let out = run(
        broker.moth("sub", &["-t", "dump/#", "-W", "10", "--idle", "0.3"]),
        b"",
    );
    out.assert_success();
    let out = run(
        broker.moth("sub", &["-t", "none", "-W", "1", "--idle", "5"]),
        b"",
    );
    out.assert_code(27)
        .assert_stderr("moth: error: timed out after 1 s (-W) with 0 message(s) received");
    // --retained-only with --idle: the retained ones, then quiet.
    let out = run(
        broker.moth("sub", &["-t", "dump/#", "--retained-only", "--idle", "0.3"]),
        b"",
    );
    out.assert_success();
    assert_eq!(out.stdout_text().lines().count(), 5);
}

#[test]
fn idle_is_counted_from_the_last_message() {
    let broker = Broker::start();
    let sub = spawn(broker.moth("sub", &["-t", "tick", "--idle", "1", "-i", "ticks"]));
    broker.wait_subscribed("ticks", "tick");
    // Each message restarts the clock: three messages 0.4 s apart keep a 1 s idle going.
    let started = Instant::now();
    for n in 1..=3 {
        publish(&broker, &["-t", "tick", "-m", &n.to_string()]);
        sub.wait_stdout_len(2 * n, Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(400));
    }
    let out = sub.finish();
    out.assert_success();
    assert_eq!(out.stdout_text(), "1\n2\n3\n");
    assert!(started.elapsed() >= Duration::from_millis(1800));
}

#[test]
fn idle_acknowledges_what_it_printed() {
    let broker = Broker::start();
    let session = ["-t", "work/#", "-q", "1", "-c", "-i", "idle-worker"];
    run(broker.moth("sub", &[&session[..], &["-E"]].concat()), b"").assert_success();
    for n in 1..=3 {
        publish(
            &broker,
            &["-t", "work/a", "-m", &format!("job {n}"), "-q", "1"],
        );
    }
    let out = run(
        broker.moth("sub", &[&session[..], &["--idle", "0.5"]].concat()),
        b"",
    );
    out.assert_success();
    assert_eq!(out.stdout_text(), "job 1\njob 2\njob 3\n");
    // Everything printed was acknowledged: the session has nothing left to deliver.
    let out = run(
        broker.moth("sub", &[&session[..], &["--idle", "0.5"]].concat()),
        b"",
    );
    out.assert_success();
    assert_eq!(out.stdout_text(), "");
}

#[test]
fn rr_collects_responses_until_idle() {
    let broker = Broker::start();
    // Two responders answer the same request; rr takes both and stops once quiet.
    let responders: Vec<_> = (1..=2)
        .map(|n| {
            let id = format!("responder-{n}");
            let sub = spawn(broker.moth(
                "sub",
                &["-V", "5", "-t", "svc", "-C", "1", "-F", "%R", "-i", &id],
            ));
            broker.wait_subscribed(&id, "svc");
            sub
        })
        .collect();
    let rr = spawn(broker.moth(
        "rr",
        &[
            "-t", "svc", "-e", "answers", "-m", "q", "-C", "10", "--idle", "1", "-i", "asker",
        ],
    ));
    broker.wait_subscribed("asker", "answers");
    for (n, responder) in responders.into_iter().enumerate() {
        let out = responder.finish();
        out.assert_success();
        assert_eq!(out.stdout_text(), "answers\n");
        publish(
            &broker,
            &["-V", "5", "-t", "answers", "-m", &format!("answer {n}")],
        );
    }
    let out = rr.finish();
    out.assert_success();
    assert_eq!(out.stdout_text(), "answer 0\nanswer 1\n");
}

#[test]
fn idle_takes_seconds_from_a_millisecond_to_a_year() {
    for bad in ["0", "-1", "abc", "1e300", "NaN"] {
        let out = run(
            crate::support::moth().args(["sub", "-t", "a", "--idle", bad]),
            b"",
        );
        out.assert_code(1).assert_stderr(&format!(
            "moth: error: invalid value '{bad}' for '--idle <SECONDS>': use seconds from 0.001 to 31536000 (see --help)"
        ));
    }
}
