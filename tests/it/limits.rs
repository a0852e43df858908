//! Hostile input: every numeric flag fed values that overflow, underflow or are not numbers;
//! MQTT's size limits; passwords in failing commands; quoted input that would make a long or
//! unprintable line. Each ends in a documented exit code and one line, never a signal.

use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::{Broker, Output, free_port, moth, run};

const ODD_VALUES: [&str; 9] = [
    "-1",
    "0",
    "1e300",
    "1e-300",
    "18446744073709551616",
    "NaN",
    "inf",
    "abc",
    "",
];

/// One numeric flag of one subcommand: the arguments it is added to, its names (the error must
/// name one of them), the odd values it accepts and the exit code a run with them ends with.
struct Flag {
    base: Vec<String>,
    names: [&'static str; 2],
    extra: &'static [&'static str],
    accepts: &'static [&'static str],
    code: i32,
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Every numeric flag of every subcommand, with the odd values that are valid for it.
fn numeric_flags(port: &str) -> Vec<Flag> {
    let addr = ["-h", "127.0.0.1", "-p", port];
    let mut flags = Vec::new();
    let mut add = |base: &[&str],
                   names: [&'static str; 2],
                   extra: &'static [&'static str],
                   accepts: &'static [&'static str],
                   code: i32| {
        flags.push(Flag {
            base: strings(base),
            names,
            extra,
            accepts,
            code,
        })
    };

    // pub, sub and rr share the connection flags.
    let publish = [&["pub"], &addr[..], &["-t", "a", "-m", "x"]].concat();
    let subscribe = [&["sub"], &addr[..], &["-t", "a", "-E"]].concat();
    // rr waits for an answer nobody sends: an accepted value ends in -W's exit 27.
    let request = [
        &["rr"],
        &addr[..],
        &["-t", "q", "-e", "r", "-m", "x", "-W", "1"],
    ]
    .concat();
    for (base, code) in [(&publish, 0), (&subscribe, 0), (&request, 27)] {
        add(base, ["-p", "--port"], &[], &[], 1);
        add(base, ["-k", "--keepalive"], &[], &[], 1);
        add(base, ["-M", "--max-inflight"], &[], &[], 1);
        add(base, ["-q", "--qos"], &[], &["0"], code);
        add(
            base,
            ["-x", "--session-expiry"],
            // A session that never expires (-1) needs a client id to come back to.
            &["-V", "5", "-I", "limits-expiry-"],
            &["-1", "0"],
            code,
        );
        add(
            base,
            ["--will-qos", "--will-qos"],
            &["--will-topic", "w"],
            &["0"],
            code,
        );
    }
    add(&publish, ["--repeat", "--repeat"], &[], &[], 1);
    add(
        &publish,
        ["--repeat-delay", "--repeat-delay"],
        &["--repeat", "2"],
        &["0", "1e-300"],
        0,
    );
    for (base, code) in [(&publish, 0), (&request, 27)] {
        add(
            base,
            ["--message-expiry", "--message-expiry"],
            &["-V", "5"],
            &["0"],
            code,
        );
        add(
            base,
            ["--payload-format", "--payload-format"],
            &["-V", "5"],
            &["0"],
            code,
        );
    }
    for base in [&subscribe, &request] {
        add(base, ["-C", "--count"], &[], &[], 1);
        add(base, ["-W", "--timeout"], &[], &[], 1);
    }
    add(
        &subscribe,
        ["--random-filter", "--random-filter"],
        &[],
        &[],
        1,
    );

    // bench: every mode has the load and connection flags; runs are kept short by -L or
    // --duration in the base arguments.
    let modes: [(&[&str], &[&str]); 4] = [
        (&["bench"], &["-L", "5"]),
        (&["bench", "pub"], &["-L", "5"]),
        (&["bench", "sub"], &["--duration", "0.3"]),
        (&["bench", "conn"], &["--duration", "0.3"]),
    ];
    for (mode, stop) in modes {
        let base = [mode, &addr[..], stop, &["--quiet"]].concat();
        add(&base, ["-c", "--count"], &[], &[], 1);
        add(&base, ["-i", "--interval"], &[], &["0", "1e-300"], 0);
        add(&base, ["-R", "--connrate"], &[], &[], 1);
        add(&base, ["-n", "--startnumber"], &[], &["0"], 0);
        add(&base, ["--duration", "--duration"], &[], &[], 1);
        add(&base, ["--warmup", "--warmup"], &[], &["0", "1e-300"], 0);
        // Every odd value is refused: the ones that parse are times long past.
        add(&base, ["--start-at", "--start-at"], &[], &[], 0);
        add(&base, ["--threads", "--threads"], &[], &[], 1);
        add(&base, ["-p", "--port"], &[], &[], 1);
        add(&base, ["-k", "--keepalive"], &[], &[], 1);
        add(&base, ["--max-inflight", "--max-inflight"], &[], &[], 1);
        if mode.len() == 1 || mode[1] != "conn" {
            add(&base, ["-q", "--qos"], &[], &["0"], 0);
            add(&base, ["-L", "--limit"], &[], &[], 1);
        }
        if mode.len() == 1 || mode[1] == "pub" {
            add(&base, ["-I", "--interval_of_msg"], &[], &[], 1);
            add(&base, ["--rate", "--rate"], &[], &[], 1);
            // pubsub needs room for its 32-byte latency header: -s 0 is refused there.
            let size_ok: &'static [&'static str] = if mode.len() == 1 { &[] } else { &["0"] };
            add(&base, ["-s", "--size"], &[], size_ok, 0);
        }
        if mode.len() == 1 {
            add(&base, ["--subscribers", "--subscribers"], &[], &[], 1);
        }
    }
    flags
}

#[test]
fn every_numeric_flag_refuses_odd_values_in_one_line_or_runs() {
    let broker = Broker::start();
    let port = broker.port.to_string();
    let flags = numeric_flags(&port);
    let cases: Vec<(&Flag, &str)> = flags
        .iter()
        .flat_map(|f| ODD_VALUES.iter().map(move |v| (f, *v)))
        .collect();
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(flag, value)) = cases.get(n) else {
                        return;
                    };
                    let mut args = flag.base.clone();
                    if args[0] == "bench" {
                        // Runs in parallel must not take over each other's sessions.
                        args.extend(strings(&["--prefix", &format!("limits-{n}")]));
                    }
                    args.extend(strings(flag.extra));
                    args.extend(strings(&[flag.names[0], value]));
                    let out = run(moth().args(&args), b"");
                    if let Some(problem) = judge(flag, value, &out) {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("moth {args:?}: {problem}"));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What is wrong with this outcome, if anything.
fn judge(flag: &Flag, value: &str, out: &Output) -> Option<String> {
    if let Some(signal) = out.status.signal() {
        return Some(format!("killed by signal {signal}; stderr: {}", out.stderr));
    }
    if flag.accepts.contains(&value) {
        return (out.code() != flag.code).then(|| {
            format!(
                "exit {} instead of {}; stderr: {}",
                out.code(),
                flag.code,
                out.stderr
            )
        });
    }
    let lines: Vec<&str> = out.stderr.lines().collect();
    let named = lines
        .first()
        .is_some_and(|l| flag.names.iter().any(|name| l.contains(name)));
    if out.code() != 1 || lines.len() != 1 || !out.stderr.starts_with("moth: error: ") || !named {
        return Some(format!(
            "exit {}, stderr {:?} (want exit 1 and one line naming the flag)",
            out.code(),
            out.stderr
        ));
    }
    None
}

#[test]
fn numbers_out_of_range_say_the_flag_and_the_range() {
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "pub",
                "-t",
                "a",
                "-m",
                "x",
                "--repeat",
                "2",
                "--repeat-delay",
                "1e300",
            ],
            "invalid value '1e300' for '--repeat-delay <SECONDS>': use seconds from 0 to 31536000 (see --help)",
        ),
        (
            &["sub", "-t", "a", "-k", "-1"],
            "invalid value '-1' for '--keepalive <SECONDS>': use whole seconds from 5 to 65535 (see --help)",
        ),
        (
            &["bench", "--duration", "1e19"],
            "invalid value '1e19' for '--duration <SECONDS>': use seconds from 0.001 to 31536000 (see --help)",
        ),
        (
            &["bench", "--rate", "1e-300"],
            "invalid value '1e-300' for '--rate <MSG_PER_S>': use messages per second from 0.001 to 1000000000 (see --help)",
        ),
        (
            &["bench", "-I", "NaN"],
            "invalid value 'NaN' for '--interval_of_msg <MS>': use milliseconds from 0.001 to 31536000000 (see --help)",
        ),
        (
            &["bench", "conn", "--start-at", "1e19"],
            "invalid value '1e19' for '--start-at <TIME>': use RFC 3339 (2026-11-24T20:00:00Z) or Unix seconds, at most a day from now (see --help)",
        ),
    ];
    for (args, line) in cases {
        let out = run(moth().args(args), b"");
        out.assert_code(1)
            .assert_stderr(&format!("moth: error: {line}"));
    }
}

#[test]
fn mqtt_limits_are_checked_before_connecting() {
    // Nothing listens here: an error about the input proves no connection was tried.
    let port = free_port().to_string();
    let addr = ["-h", "127.0.0.1", "-p", &port];
    let long = "x".repeat(65_536);
    let fails = |args: &[&str], line: &str| {
        let out = run(moth().args(["pub"]).args(addr).args(args), b"");
        out.assert_code(1)
            .assert_stderr(&format!("moth: error: {line}"));
    };
    fails(
        &["-t", "a", "-m", "x", "-u", &long],
        "the user name (-u) is 65536 bytes long; MQTT allows at most 65535",
    );
    fails(
        &["-t", "a", "-m", "x", "-u", "u", "-P", &long],
        "the password (-P) is 65536 bytes long; MQTT allows at most 65535",
    );
    fails(
        &["-t", "a", "-m", "x", "-i", &long],
        "the client id (-i) is 65536 bytes long; MQTT allows at most 65535",
    );
    fails(
        &[
            "-t",
            "a",
            "-m",
            "x",
            "--will-topic",
            "w",
            "--will-payload",
            &long,
        ],
        "the will payload (--will-payload) is 65536 bytes long; MQTT allows at most 65535",
    );
    fails(
        &["-t", "a", "-m", "x", "-V", "5", "--content-type", &long],
        "the --content-type value is 65536 bytes long; MQTT allows at most 65535",
    );
    let pair = format!("k={long}");
    fails(
        &["-t", "a", "-m", "x", "-V", "5", "--user-property", &pair],
        "--user-property: the value is 65536 bytes long; MQTT allows at most 65535",
    );
    fails(
        &[
            "-t",
            "a",
            "-m",
            "x",
            "-V",
            "5",
            "-D",
            "publish",
            "response-topic",
            &long,
        ],
        "-D publish response-topic: the value is 65536 bytes long; MQTT allows at most 65535",
    );
    let cut = format!("{}…", "x".repeat(199));
    fails(
        &["-t", "a", "-m", "x", "--will-topic", &long],
        &format!("invalid --will-topic '{cut}': it is longer than 65535 bytes"),
    );
    fails(
        &["-t", &long, "-m", "x"],
        &format!("invalid topic '{cut}' (-t): it is longer than 65535 bytes"),
    );
    fails(
        &["-t", "a", "-m", "x", "-u", "", "-P", "pw"],
        "the user name (-u) is empty: a password needs a user name in MQTT 3.1.1; give one, or use -V 5",
    );
    let out = run(
        moth().args([
            "pub",
            "-L",
            &format!("mqtt://:pw@127.0.0.1:{port}/t"),
            "-m",
            "x",
        ]),
        b"",
    );
    out.assert_code(1).assert_stderr(
        "moth: error: the -L URL has a password but no user name: a password needs a user name in MQTT 3.1.1; give one, or use -V 5",
    );

    // A payload past MQTT's largest packet: refused from the file's size, before reading it.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(268_435_456)
        .unwrap();
    let big = big.to_str().unwrap();
    fails(
        &["-t", "a", "-f", big],
        &format!(
            "-f {big} (268435456 bytes) is larger than an MQTT packet can carry (268435455 bytes)"
        ),
    );
    // A payload that fits alone but not with its topic and packet id.
    let edge = dir.path().join("edge");
    std::fs::File::create(&edge)
        .unwrap()
        .set_len(268_435_455 - 4)
        .unwrap();
    fails(
        &["-t", "ab", "-q", "1", "-f", edge.to_str().unwrap()],
        "the message is too large for MQTT: 268435451 bytes of payload make a 268435457-byte packet, and MQTT's limit is 268435455",
    );
}

#[test]
fn quoted_input_is_cut_and_escaped() {
    // A NUL can only arrive percent-encoded; it must reach stderr as an escape, not a byte.
    let out = run(
        moth().args(["pub", "-L", "mqtt://h/a%00b\u{1b}[31m", "-m", "x"]),
        b"",
    );
    out.assert_code(1);
    assert!(!out.stderr.contains(['\0', '\u{1b}']), "{:?}", out.stderr);
    assert_eq!(
        out.stderr,
        "moth: error: invalid topic 'a\\0b\\x1b[31m' (-t): it contains a NUL character (U+0000), which MQTT forbids in topics (the broker would close the connection)\n"
    );
    // clap's own messages quote the value whole; moth cuts them too.
    let long = "9".repeat(65_536);
    let out = run(moth().args(["sub", "-t", "a", "-W", &long]), b"");
    out.assert_code(1);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.len() < 400, "{}", out.stderr);
    assert!(out.stderr.contains("9…' for '--timeout"), "{}", out.stderr);
    let out = run(moth().args(["sub", "-t", "a", &format!("--{long}")]), b"");
    out.assert_code(1);
    assert!(out.stderr.len() < 400, "{}", out.stderr);
}

#[test]
fn the_broker_refusing_a_packet_as_too_large_is_a_refusal() {
    // mosquitto answers an oversized PUBLISH with reason 149 (packet too large), a code the MQTT
    // 5 spec does not list for PUBACK or PUBREC (rumqttc's tables refuse to read it).
    let broker = Broker::config().line("message_size_limit 10").start();
    for qos in ["1", "2"] {
        let out = run(
            broker.moth(
                "pub",
                &["-V", "5", "-q", qos, "-t", "a", "-m", "more than ten bytes"],
            ),
            b"",
        );
        out.assert_code(12);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        let packet = if qos == "1" { "PUBACK" } else { "PUBREC" };
        assert_eq!(
            out.stderr,
            format!(
                "moth: error: 1 of 1 message(s) refused; first: the broker refused message 1 (topic 'a'): packet too large (code 149, in {packet})\n"
            )
        );
    }
    // Small enough: delivered.
    run(
        broker.moth("pub", &["-V", "5", "-q", "1", "-t", "a", "-m", "ok"]),
        b"",
    )
    .assert_success();
}

#[test]
fn a_message_the_broker_will_not_take_is_named_not_resent_forever() {
    let broker = Broker::config().line("max_packet_size 1000").start();
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big");
    std::fs::write(&big, "x".repeat(2000)).unwrap();
    let big = big.to_str().unwrap();
    // MQTT 3.1.1: the broker just closes the connection; after three times in a row with
    // nothing acknowledged, the message is named and the run gives up.
    let out = run(broker.moth("pub", &["-q", "1", "-t", "t", "-f", big]), b"");
    out.assert_code(7);
    assert!(
        out.stderr.ends_with(
            "moth: error: the broker closed the connection 3 times in a row right after message 1 (topic 't', 2000 bytes) without acknowledging it: it will not take that message (too large for it? a topic it rejects?); giving up; 1 of 1 message(s) not delivered\n"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(
        out.stderr.matches("reconnected;").count(),
        2,
        "{}",
        out.stderr
    );
    // MQTT 5: the CONNACK says how large a packet may be, so the message is refused unsent, at
    // QoS 0 too.
    for (qos, size) in [("0", 2007), ("1", 2009)] {
        let out = run(
            broker.moth("pub", &["-V", "5", "-q", qos, "-t", "t", "-f", big]),
            b"",
        );
        out.assert_code(12).assert_stderr(&format!(
            "moth: error: 1 of 1 message(s) refused; first: the broker takes packets of at most 1000 bytes (its CONNACK said so), and message 1 (topic 't') makes one of {size} bytes"
        ));
    }
    // In a stream the messages before it are delivered; the one after it is not sent.
    let mut input = b"a\nb\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', 2000));
    input.extend(b"\nc\n");
    let out = run(broker.moth("pub", &["-q", "1", "-t", "t", "-l"]), &input);
    out.assert_code(7);
    assert!(
        out.stderr.ends_with(
            "right after message 3 (topic 't', 2000 bytes) without acknowledging it: it will not take that message (too large for it? a topic it rejects?); giving up; 2 of 4 message(s) not delivered\n"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn closed_stdin_is_an_error_not_an_empty_input() {
    let broker = Broker::start();
    for flag in ["-l", "-s"] {
        let script = format!(
            "exec \"$0\" pub -h 127.0.0.1 -p {} -t a {flag} <&-",
            broker.port
        );
        let mut cmd = Command::new("sh");
        cmd.args(["-c", &script, env!("CARGO_BIN_EXE_moth")]);
        let out = run(cmd, b"");
        out.assert_code(1).assert_stderr(&format!(
            "moth: error: stdin is closed ({flag}): give the message on stdin, e.g. `echo hi | moth pub ... {flag}`"
        ));
    }
    // An empty stdin is not a closed one: -l sends nothing and succeeds.
    let mut cmd = broker.moth("pub", &["-t", "a", "-l"]);
    cmd.stdin(std::process::Stdio::null());
    let out = crate::support::spawn_with_stdin(cmd, std::process::Stdio::null()).finish();
    out.assert_success();
}

const SECRET: &str = "Pa55w0rd-s3cr3t";

#[test]
fn passwords_never_appear_in_output() {
    let broker = Broker::config().user("alice", "right").start();
    let live = broker.port.to_string();
    let dead = free_port().to_string();
    let dashed = format!("--{SECRET}");
    let slashed = format!("{SECRET}/x");
    let encoded = format!("{SECRET}%2Fx");
    let at = |port: &str, password: &str, path: &str| {
        format!("mqtt://alice:{password}@127.0.0.1:{port}/{path}")
    };
    let live_url = at(&live, SECRET, "t");
    let dead_url = at(&dead, SECRET, "t");
    let slashed_url = at(&live, &slashed, "t");
    let encoded_url = at(&dead, &encoded, "t");
    let creds = ["-u", "alice", "-P", SECRET];
    let dashed_creds = ["-u", "alice", "-P", &dashed];
    let commands: Vec<Vec<&str>> = vec![
        // Refused by the broker, with and without -d, both protocols.
        vec![
            "pub",
            "-h",
            "127.0.0.1",
            "-p",
            &live,
            "-t",
            "a",
            "-m",
            "x",
            "-d",
        ],
        vec![
            "pub",
            "-h",
            "127.0.0.1",
            "-p",
            &live,
            "-t",
            "a",
            "-m",
            "x",
            "-V",
            "5",
            "-d",
        ],
        vec!["sub", "-h", "127.0.0.1", "-p", &live, "-t", "a", "-d"],
        vec!["sub", "-h", "127.0.0.1", "-p", &live, "-t", "a", "-V", "5"],
        vec![
            "rr",
            "-h",
            "127.0.0.1",
            "-p",
            &live,
            "-t",
            "a",
            "-e",
            "b",
            "-m",
            "x",
            "-d",
        ],
        // Nothing listening.
        vec![
            "pub",
            "-h",
            "127.0.0.1",
            "-p",
            &dead,
            "-t",
            "a",
            "-m",
            "x",
            "-d",
        ],
        vec!["sub", "-h", "127.0.0.1", "-p", &dead, "-t", "a"],
        // Bad input of every kind next to the password.
        vec!["pub", "-t", "a/#", "-m", "x", "-d"],
        vec!["pub", "-t", "a", "-m", "x", "-k", "0"],
        vec!["pub", "-t", "a", "-m", "x", "-q", "3"],
        vec!["pub", "-t", "a", "-m", "x", "--bogus"],
        vec![
            "pub",
            "-t",
            "a",
            "-m",
            "x",
            "--cafile",
            "/nonexistent/ca.pem",
        ],
        vec!["pub", "-t", "a", "-m", "x", "-V", "31"],
        vec!["sub", "-t", "a", "-C", "0", "-d"],
        vec!["sub", "-t", "a", "-W", "-1"],
        vec!["pub", "-t", "a"],
    ];
    let mut runs: Vec<Vec<&str>> = Vec::new();
    for command in &commands {
        for credentials in [&creds, &dashed_creds] {
            let mut args = command.clone();
            args.extend(credentials.iter());
            runs.push(args);
        }
    }
    // The password in a URL: valid, refused, unreachable, malformed in several ways.
    runs.extend([
        vec!["pub", "-L", &live_url, "-m", "x", "-d"],
        vec!["sub", "-L", &live_url, "-V", "5", "-d"],
        vec!["pub", "-L", &dead_url, "-m", "x"],
        vec!["pub", "-L", &slashed_url, "-m", "x"],
        vec!["pub", "-L", &encoded_url, "-m", "x", "-d"],
        vec!["pub", "-L", "mqtt://alice:Pa55w0rd-s3cr3t@h:0/t", "-m", "x"],
        vec!["pub", "-L", "http://alice:Pa55w0rd-s3cr3t@h/t", "-m", "x"],
        vec!["pub", "-L", "mqtt://alice:Pa55w0rd-s3cr3t@h/%zz", "-m", "x"],
        vec!["pub", "-L", "mqtt://:Pa55w0rd-s3cr3t@h/t", "-m", "x"],
        vec!["pub", "-L", &live_url, "-p", "1", "-m", "x"],
        vec!["bench", "--url", &dead_url, "-L", "1"],
        vec![
            "bench", "-p", &live, "-u", "alice", "-P", SECRET, "-L", "1", "--quiet",
        ],
        vec![
            "bench",
            "conn",
            "-p",
            &dead,
            "-u",
            "alice",
            "-P",
            &dashed,
            "--duration",
            "0.1",
        ],
    ]);
    assert!(runs.len() >= 36, "a few dozen commands");
    for args in runs {
        let out = run(moth().args(&args), b"");
        let stdout = out.stdout_text();
        for shown in [&out.stderr, &stdout] {
            assert!(
                !shown.contains("s3cr3t"),
                "moth {args:?} showed the password: {shown}"
            );
        }
        assert!(
            out.status.signal().is_none(),
            "moth {args:?}: {}",
            out.stderr
        );
        assert_ne!(out.code(), 0, "moth {args:?} should fail");
    }
}

#[test]
fn malformed_urls_never_show_their_password() {
    let dir = tempfile::tempdir().unwrap();
    let malformed = [
        format!("mqtt//alice:{SECRET}@127.0.0.1/t"),
        format!("mqtt:/alice:{SECRET}@127.0.0.1/t"),
        format!("mqtts:alice:{SECRET}@127.0.0.1/t"),
        format!("mqtt://alice:{SECRET}"),
        format!("mqtt://alice:{SECRET}/t"),
        format!("mqtt://alice:{SECRET}@127.0.0.1:1883:9/t"),
        format!("mqtt://alice:{SECRET}@[::1/t"),
    ];
    for (n, url) in malformed.iter().enumerate() {
        let config = dir.path().join(format!("config{n}.toml"));
        std::fs::write(&config, format!("url = \"{url}\"\n")).unwrap();
        let options = dir.path().join(format!("options{n}"));
        std::fs::write(&options, format!("-L {url}\n")).unwrap();
        let config = config.to_str().unwrap();
        let options = options.to_str().unwrap();
        let mut runs: Vec<std::process::Command> = Vec::new();
        for args in [
            vec!["pub", "-L", url, "-m", "x"],
            vec!["pub", "-L", url, "-m", "x", "-d"],
            vec!["sub", "-L", url, "-t", "a"],
            vec!["rr", "-L", url, "-e", "r", "-m", "x"],
            vec!["ls", "-L", url],
            vec!["bench", "--url", url, "-L", "1"],
            vec!["pub", "--config", config, "-t", "a", "-m", "x", "-d"],
            vec!["config", "show", "pub", "--config", config],
            vec!["pub", "-o", options, "-t", "a", "-m", "x", "-d"],
        ] {
            let mut cmd = moth();
            cmd.args(&args);
            runs.push(cmd);
        }
        let mut env = moth();
        env.env("MOTH_URL", url).args(["pub", "-m", "x", "-d"]);
        runs.push(env);
        for mut cmd in runs {
            let shown = format!("{:?}", cmd.get_args().collect::<Vec<_>>());
            let out = run(&mut cmd, b"");
            for text in [&out.stderr, &out.stdout_text()] {
                assert!(
                    !text.contains("s3cr3t"),
                    "moth {shown} showed the password: {text}"
                );
            }
            assert!(
                out.status.signal().is_none(),
                "moth {shown}: {}",
                out.stderr
            );
        }
    }
}

#[test]
fn a_stdin_line_no_packet_can_carry_stops_the_input() {
    let broker = Broker::start();
    let out = run(
        broker.moth("pub", &["-t", "a", "-l"]),
        &vec![b'x'; 268_435_460],
    );
    out.assert_code(1).assert_stderr(
        "moth: error: line 1 of stdin (-l) is longer than an MQTT message can carry (268435451 bytes with this topic)",
    );
}
