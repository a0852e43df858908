//! `moth bench` against a real broker: small counts, exact where the protocol promises exactness.

use std::time::Duration;

use crate::support::{Broker, free_port, moth, run, spawn};

fn summary(out: &crate::support::Output) -> serde_json::Value {
    assert_eq!(out.code(), 0, "stderr: {}", out.stderr);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout_text()))
}

fn bench(broker: &Broker, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--quiet", "--json", "-"];
    all.extend_from_slice(args);
    let port = broker.port.to_string();
    let mut cmd = moth();
    match args.first() {
        Some(&mode) if ["conn", "pub", "sub", "pubsub"].contains(&mode) => {
            cmd.args(["bench", mode, "-h", "127.0.0.1", "-p", &port])
                .args(&all[..3])
                .args(&args[1..]);
        }
        _ => {
            cmd.args(["bench", "-h", "127.0.0.1", "-p", &port])
                .args(&all);
        }
    }
    summary(&run(cmd, b""))
}

#[test]
fn pubsub_counts_are_exact_at_qos_1_and_2() {
    let broker = Broker::start();
    for qos in ["1", "2"] {
        let s = bench(
            &broker,
            &[
                "-c",
                "3",
                "-L",
                "300",
                "-q",
                qos,
                "--prefix",
                &format!("ps{qos}"),
            ],
        );
        assert_eq!(s["mode"], "pubsub");
        for key in [
            "sent",
            "acked",
            "received",
            "expected",
            "latency_us_count",
            "ack_latency_us_count",
        ] {
            assert_eq!(s[key], 300, "{key} at QoS {qos}: {s}");
        }
        for key in ["lost", "duplicates", "reordered", "errors_total"] {
            assert_eq!(s[key], 0, "{key} at QoS {qos}");
        }
        let (p50, p99, max) = (
            s["latency_us_p50"].as_u64().unwrap(),
            s["latency_us_p99"].as_u64().unwrap(),
            s["latency_us_max"].as_u64().unwrap(),
        );
        assert!(0 < p50 && p50 <= p99 && p99 <= max, "{s}");
    }
}

#[test]
fn the_json_summary_has_the_documented_keys() {
    let broker = Broker::start();
    let s = bench(&broker, &["-c", "1", "-L", "20", "-q", "1"]);
    let mut keys = vec![
        "mode",
        "clients",
        "protocol",
        "qos",
        "payload_bytes",
        "subscribers",
        "measured_s",
        "warmup_s",
        "interrupted",
        "sent",
        "acked",
        "received",
        "send_rate",
        "ack_rate",
        "receive_rate",
        "expected",
        "lost",
        "duplicates",
        "reordered",
        "errors_total",
        "errors",
        "generator_limited",
    ];
    let families = [
        "latency_us",
        "service_latency_us",
        "ack_latency_us",
        "send_lag_us",
        "connect_tcp_us",
        "connect_tls_us",
        "connack_us",
    ];
    let stats = [
        "count", "min", "mean", "p50", "p90", "p99", "p999", "p9999", "max",
    ];
    let names: Vec<String> = families
        .iter()
        .flat_map(|f| stats.iter().map(move |s| format!("{f}_{s}")))
        .collect();
    keys.extend(names.iter().map(String::as_str));
    for key in keys {
        assert!(s.get(key).is_some(), "missing key {key}: {s}");
    }
}

#[test]
fn loss_is_detected_when_nobody_listens() {
    let broker = Broker::start();
    let s = bench(
        &broker,
        &[
            "-c",
            "2",
            "-L",
            "100",
            "-q",
            "1",
            "--sub-topic",
            "elsewhere/+",
        ],
    );
    assert_eq!(s["sent"], 100);
    assert_eq!(s["expected"], 100);
    assert_eq!(s["received"], 0);
    assert_eq!(s["lost"], 100);
}

#[test]
fn shared_subscriptions_split_the_stream() {
    let broker = Broker::start();
    let s = bench(
        &broker,
        &[
            "-c",
            "2",
            "-L",
            "200",
            "-q",
            "1",
            "--subscribers",
            "2",
            "--sub-topic",
            "$share/g/moth/bench/+",
        ],
    );
    assert_eq!(s["expected"], 200);
    assert_eq!(s["received"], 200);
    assert_eq!(s["lost"], 0);
}

#[test]
fn an_open_loop_rate_is_kept() {
    let broker = Broker::start();
    let s = bench(
        &broker,
        &["-c", "2", "--rate", "200", "--duration", "1", "-q", "0"],
    );
    let sent = s["sent"].as_u64().unwrap();
    assert!((180..=220).contains(&sent), "sent {sent} at 200/s for 1 s");
    assert!(s["send_lag_us_count"].as_u64().unwrap() > 0);
}

#[test]
fn pub_mode_delivers_what_it_counts() {
    let broker = Broker::start();
    // One line per message whatever the payload bytes are (the header can hold a newline byte).
    let counter = spawn(broker.mosquitto(
        "mosquitto_sub",
        &[
            "-t",
            "moth/bench/#",
            "-q",
            "1",
            "-C",
            "150",
            "-i",
            "bench-counter",
            "-F",
            "x",
        ],
    ));
    broker.wait_subscribed("bench-counter", "moth/bench/#");
    let s = bench(&broker, &["pub", "-c", "3", "-L", "150", "-q", "1"]);
    assert_eq!(
        (s["sent"].as_u64(), s["acked"].as_u64()),
        (Some(150), Some(150))
    );
    assert_eq!(counter.finish().stdout_text().lines().count(), 150);
}

#[test]
fn sub_mode_counts_what_arrives() {
    let broker = Broker::start();
    let port = broker.port.to_string();
    let sub = spawn(moth().args([
        "bench",
        "sub",
        "-h",
        "127.0.0.1",
        "-p",
        &port,
        "-t",
        "feed/#",
        "-q",
        "1",
        "-L",
        "50",
        "--quiet",
        "--json",
        "-",
        "--prefix",
        "bsub",
    ]));
    broker.wait_subscribed("bsub-0", "feed/#");
    let lines: String = (0..50).map(|i| format!("{i}\n")).collect();
    run(
        broker.moth("pub", &["-t", "feed/x", "-l", "-q", "1"]),
        lines.as_bytes(),
    )
    .assert_success();
    let s = summary(&sub.finish());
    assert_eq!(s["mode"], "sub");
    assert_eq!(s["received"], 50);
}

#[test]
fn conn_mode_holds_connections_and_reports_their_cost() {
    let broker = Broker::start();
    let s = bench(&broker, &["conn", "-c", "20", "--duration", "0.5"]);
    assert_eq!(s["connected"], 20);
    assert_eq!(s["connect_failures"], 0);
    assert_eq!(s["connack_us_count"], 20);
    assert!(s["rss_per_connection_bytes"].as_u64().is_some());
    // Against a port with nothing behind it every attempt fails, each for the same reason.
    let port = free_port().to_string();
    let out = run(
        moth().args([
            "bench",
            "conn",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-c",
            "3",
            "--duration",
            "0.1",
            "--quiet",
            "--json",
            "-",
        ]),
        b"",
    );
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("no connection succeeded: 3 x connection refused"),
        "{}",
        out.stderr
    );
}

#[test]
fn hdr_log_and_interrupt() {
    let broker = Broker::start();
    let log = broker.dir().join("latency.hlog");
    let port = broker.port.to_string();
    let running = spawn(moth().args([
        "bench",
        "-h",
        "127.0.0.1",
        "-p",
        &port,
        "-c",
        "2",
        "--rate",
        "100",
        "--duration",
        "60",
        "--quiet",
        "--json",
        "-",
        "--hdr-out",
        log.to_str().unwrap(),
    ]));
    std::thread::sleep(Duration::from_millis(1500));
    running.signal("INT");
    let s = summary(&running.finish());
    assert_eq!(s["interrupted"], true);
    assert!(s["sent"].as_u64().unwrap() > 0);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("#[StartTime: "), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("Tag=latency,")),
        "{text}"
    );
}

#[test]
fn bad_combinations_are_refused() {
    for (args, stderr) in [
        (
            vec!["-s", "8"],
            "moth: error: -s 8 is too small: pubsub payloads carry a 32-byte latency header",
        ),
        (
            vec!["--shard", "2/2"],
            "moth: error: invalid --shard '2/2': use I/N with 0 <= I < N, e.g. 0/4",
        ),
        (
            vec!["-c", "0"],
            "moth: error: invalid value '0' for '--count <N>': use a count from 1 to 10000000 (see --help)",
        ),
        (
            vec!["--subscribers", "0"],
            "moth: error: invalid value '0' for '--subscribers <COUNT>': use a count from 1 to 10000000 (see --help)",
        ),
        (
            vec!["-L", "0"],
            "moth: error: invalid value '0' for '--limit <COUNT>': use a count from 1 to 18446744073709551615 (see --help)",
        ),
        (
            vec!["-c", "2", "--shard", "0/3"],
            "moth: error: --shard 0/3 splits 2 client(s) into more shards than clients: use N up to -c",
        ),
        (
            vec!["--ifaddr", "127.0.0.1"],
            "moth: error: --ifaddr works with bench conn only: rumqttc, which pub and sub use, cannot bind a source address",
        ),
        (
            vec!["--start-at", "soon"],
            "moth: error: invalid value 'soon' for '--start-at <TIME>': use RFC 3339 (2026-11-24T20:00:00Z) or Unix seconds, at most a day from now (see --help)",
        ),
        (
            vec!["-t", "a/#"],
            "moth: error: invalid -t 'a/#': a topic to publish to cannot contain the wildcards + or #",
        ),
    ] {
        let out = run(moth().arg("bench").args(&args), b"");
        out.assert_code(1).assert_stderr(stderr);
    }
    let out = run(moth().args(["bench", "-I", "10", "--rate", "5"]), b"");
    out.assert_code(1);
    assert!(out.stderr.starts_with("moth: error: the argument '--interval_of_msg <MS>' cannot be used with '--rate <MSG_PER_S>'"), "{}", out.stderr);
}
