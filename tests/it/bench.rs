//! `moth bench` against a real broker: small counts, exact where the protocol promises exactness.

use std::time::Duration;

use crate::support::{Broker, Output, TlsListener, free_port, moth, run, spawn};

fn summary(out: &Output) -> serde_json::Value {
    assert_eq!(out.code(), 0, "stderr: {}", out.stderr);
    json(out)
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout_text()))
}

/// With `--json -` the table goes to stderr: the error is its last line.
fn last_line(out: &Output) -> &str {
    out.stderr.lines().last().unwrap_or_default()
}

fn bench(broker: &Broker, args: &[&str]) -> serde_json::Value {
    summary(&bench_out(broker, args))
}

/// `moth bench MODE -h 127.0.0.1 -p PORT --quiet --json - ARGS`, whatever it exits with.
fn bench_out(broker: &Broker, args: &[&str]) -> Output {
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
    run(cmd, b"")
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
        "lag_cause",
        "limit_reached",
        "send_window",
        "ack_window",
        "receive_window",
        "send_window_s",
        "ack_window_s",
        "receive_window_s",
        "drained",
        "drain_s",
        "received_other_shards",
        "refused",
        "window",
        "run_id",
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
    let out = bench_out(
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
    // Lost QoS 1 messages fail the run.
    out.assert_code(99);
    assert_eq!(
        last_line(&out),
        "moth: error: the run failed: 100 QoS 1/2 message(s) were lost"
    );
    let s = json(&out);
    assert_eq!(s["sent"], 100);
    assert_eq!(s["expected"], 100);
    assert_eq!(s["received"], 0);
    assert_eq!(s["lost"], 100);
    assert_eq!(s["loss_percent"], 100.0);
    assert_eq!(s["passed"], false);
    // Nothing arrived at all: a wrong filter, not a full queue, so no cause is named.
    assert_eq!(s["loss_cause"], serde_json::Value::Null);
    // At QoS 0 loss is reported and passes, unless --max-loss says otherwise.
    let qos0 = ["-c", "1", "-L", "10", "--sub-topic", "elsewhere/+"];
    let s = bench(&broker, &qos0);
    assert_eq!(
        (s["lost"].as_u64(), s["passed"].as_bool()),
        (Some(10), Some(true))
    );
    let out = bench_out(&broker, &[&qos0[..], &["--max-loss", "50"]].concat());
    out.assert_code(99);
    assert_eq!(
        last_line(&out),
        "moth: error: the run failed: loss 100% is above --max-loss 50"
    );
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
    // 200 a second: each publisher waits on its own alarm; 20,000: they share one timer thread.
    for rate in [200u64, 20_000] {
        let rate_arg = rate.to_string();
        let args = ["-c", "2", "--rate", &rate_arg, "--duration", "1", "-q", "0"];
        let s = bench(&broker, &args);
        let sent = s["sent"].as_u64().unwrap();
        let (low, high) = (rate * 9 / 10, rate * 11 / 10);
        assert!((low..=high).contains(&sent), "sent {sent} at {rate}/s");
        assert_eq!(s["send_lag_us_count"].as_u64().unwrap(), sent);
        assert_eq!(s["acked"].as_u64().unwrap(), sent);
    }
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
    // Debug logging, so that the test can wait for the first message to reach the broker.
    let broker = Broker::config().line("log_type debug").start();
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
    broker.wait_log("Received PUBLISH from moth-bench-");
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
            vec!["pub", "--max-loss", "1"],
            "moth: error: --max-loss needs pubsub: bench pub does not see both ends of a message",
        ),
        (
            vec!["--max-loss", "101"],
            "moth: error: invalid value '101' for '--max-loss <PERCENT>': use a percentage from 0 to 100 (see --help)",
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

#[test]
fn thresholds_set_the_exit_status() {
    let broker = Broker::start();
    let base = ["-c", "2", "-L", "100", "-q", "1"];
    let s = bench(
        &broker,
        &[&base[..], &["--max-p99", "60000", "--min-rate", "0.001"]].concat(),
    );
    assert_eq!(s["passed"], true);
    let checks: Vec<&str> = s["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        checks,
        [
            "clients_failed",
            "refused",
            "unconfirmed",
            "lost",
            "max_p99_ms",
            "min_rate"
        ]
    );
    let out = bench_out(&broker, &[&base[..], &["--max-p99", "0"]].concat());
    out.assert_code(99);
    let last = last_line(&out);
    assert!(
        last.starts_with("moth: error: the run failed: p99 latency ")
            && last.ends_with(" ms is above --max-p99 0"),
        "{}",
        out.stderr
    );
    let out = bench_out(
        &broker,
        &["pub", "-c", "1", "-L", "50", "--min-rate", "1e9"],
    );
    out.assert_code(99);
    assert!(
        out.stderr.contains("is below --min-rate 1000000000"),
        "{}",
        out.stderr
    );
}

#[test]
fn qos_2_over_mqtt_5_and_tls_on_the_lean_engine() {
    let broker = Broker::config().tls(TlsListener::Server).start();
    let ca = broker
        .pki
        .as_ref()
        .unwrap()
        .ca_cert
        .to_str()
        .unwrap()
        .to_string();
    let port = broker.tls_port.to_string();
    let out = run(
        moth().args([
            "bench",
            "-h",
            "localhost",
            "-p",
            &port,
            "--cafile",
            &ca,
            "-V",
            "5",
            "-q",
            "2",
            "-c",
            "2",
            "-L",
            "200",
            "--quiet",
            "--json",
            "-",
        ]),
        b"",
    );
    let s = summary(&out);
    for key in ["sent", "acked", "received", "expected"] {
        assert_eq!(s[key], 200, "{key}: {s}");
    }
    assert_eq!(s["protocol"], 5);
    assert_eq!(s["lost"], 0);
}

#[test]
fn pub_and_sub_side_by_side_keep_their_own_client_ids() {
    let broker = Broker::start();
    let port = broker.port.to_string();
    let sub = spawn(moth().args([
        "bench",
        "sub",
        "-h",
        "127.0.0.1",
        "-p",
        &port,
        "-q",
        "1",
        "-L",
        "100",
        "--quiet",
        "--json",
        "-",
    ]));
    broker.wait_subscribed("moth-bench-sub-0", "moth/bench/#");
    let p = bench(&broker, &["pub", "-c", "1", "-L", "100", "-q", "1"]);
    assert_eq!(p["acked"], 100);
    let s = summary(&sub.finish_within(Duration::from_secs(30)));
    assert_eq!(s["received"], 100);
    assert_eq!(s["reconnects"], 0);
    assert!(
        broker.log().contains(" as moth-bench-pub-0 "),
        "{}",
        broker.log()
    );
}

#[test]
fn a_broker_restart_is_survived_and_counted() {
    let mut broker = Broker::config().persistent().start();
    let port = broker.port.to_string();
    // Publishers on a schedule, QoS 1, through a graceful restart of the broker: every
    // scheduled message is still sent, every one acknowledged, and the subscriber's session
    // (kept by the broker) gets them all.
    let running = spawn(moth().args([
        "bench",
        "-h",
        "127.0.0.1",
        "-p",
        &port,
        "-c",
        "2",
        "--rate",
        "200",
        "--duration",
        "3",
        "-q",
        "1",
        "--quiet",
        "--json",
        "-",
    ]));
    broker.wait_connected("moth-bench-pubsub-1");
    broker.terminate();
    broker.start_again();
    let s = summary(&running.finish_within(Duration::from_secs(60)));
    assert_eq!(s["sent"], 600, "{s}");
    assert_eq!(s["acked"], 600, "{s}");
    assert_eq!(s["lost"], 0, "{s}");
    assert_eq!(s["unconfirmed"], 0, "{s}");
    // Two publishers and one subscriber, each back once.
    assert_eq!(s["reconnects"], 3, "{s}");
    let by_client = s["reconnects_by_client"].as_object().unwrap();
    assert_eq!(by_client.len(), 3, "{s}");
    assert!(by_client.values().all(|n| n == 1), "{s}");
    assert_eq!(s["clients_failed"], 0);
}

#[test]
fn a_broker_gone_for_good_fails_the_run() {
    let mut broker = Broker::start();
    let port = broker.port.to_string();
    let running = spawn(moth().args([
        "bench",
        "pub",
        "-h",
        "127.0.0.1",
        "-p",
        &port,
        "--rate",
        "100",
        // Long enough that the kill surely lands mid-run on a loaded machine.
        "--duration",
        "5",
        "-q",
        "1",
        "--quiet",
        "--json",
        "-",
    ]));
    broker.wait_connected("moth-bench-pub-0");
    broker.kill();
    let out = running.finish_within(Duration::from_secs(60));
    out.assert_code(7);
    let s = json(&out);
    assert_eq!(s["clients_failed"], 1, "{s}");
    assert!(
        out.stderr
            .contains("1 client(s) lost the connection and could not get it back"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_full_subscriber_queue_is_named_as_the_cause_of_loss() {
    let broker = Broker::config()
        .line("max_queued_messages 5")
        .line("max_inflight_messages 1")
        .start();
    let out = bench_out(&broker, &["-c", "4", "-L", "2000", "-q", "1"]);
    out.assert_code(99);
    let s = json(&out);
    assert!(s["lost"].as_u64().unwrap() > 0, "{s}");
    assert_eq!(s["loss_cause"], "subscriber_queue", "{s}");
    assert_eq!(s["unconfirmed"], 0, "{s}");
}

/// Each shard of one test, started together, its summary in `dir/shard-I.json`.
fn run_shards(broker: &Broker, dir: &std::path::Path, args: &[&str]) -> Vec<std::path::PathBuf> {
    let start_at = (std::time::SystemTime::now() + Duration::from_secs(2))
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let port = broker.port.to_string();
    let running: Vec<_> = ["0/2", "1/2"]
        .iter()
        .map(|shard| {
            let file = dir.join(format!("shard-{}.json", &shard[..1]));
            let mut cmd = moth();
            cmd.args(["bench"])
                .args(&args[..1])
                .args(["-h", "127.0.0.1", "-p", &port, "--quiet", "--shard", shard])
                .args(["--start-at", &start_at, "--json"])
                .arg(&file)
                .args(&args[1..]);
            (spawn(cmd), file)
        })
        .collect();
    running
        .into_iter()
        .map(|(shard, file)| {
            shard.finish().assert_success();
            file
        })
        .collect()
}

fn read_summary(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn shard_summaries_merge() {
    let broker = Broker::start();
    let dir = broker.dir().to_path_buf();
    // -L is for all shards together: each sends its half.
    let files = run_shards(&broker, &dir, &["pub", "-c", "4", "-L", "100", "-q", "1"]);
    for file in &files {
        assert_eq!(read_summary(file)["acked"], 50);
    }
    let mut cmd = moth();
    cmd.args(["bench", "merge", "--json", "-"]).args(&files);
    let m = summary(&run(cmd, b""));
    assert_eq!(m["mode"], "pub");
    assert_eq!(m["shards"], 2);
    assert_eq!(m["clients"], 4);
    assert_eq!(m["sent"], 100);
    assert_eq!(m["acked"], 100);
    assert_eq!(m["ack_latency_us_count"], 100);
    // Summaries from stdin, one per line, merge the same.
    let lines: Vec<u8> = files
        .iter()
        .flat_map(|f| std::fs::read(f).unwrap())
        .collect();
    let m = summary(&run(
        moth().args(["bench", "merge", "--json", "-", "-"]),
        &lines,
    ));
    assert_eq!(m["acked"], 100);
    let out = run(moth().args(["bench", "merge", "/nonexistent.json"]), b"");
    out.assert_code(1);
}

#[test]
fn merge_takes_only_the_shards_of_one_test() {
    let broker = Broker::start();
    let dir = broker.dir().to_path_buf();
    let files = run_shards(&broker, &dir, &["pub", "-c", "2", "-L", "20", "-q", "1"]);
    let (zero, one) = (files[0].to_str().unwrap(), files[1].to_str().unwrap());
    let lone = dir.join("lone.json");
    let s = bench(&broker, &["pub", "-c", "2", "-L", "10", "-q", "1"]);
    std::fs::write(&lone, serde_json::to_vec(&s).unwrap()).unwrap();
    let lone = lone.to_str().unwrap();
    let other = dir.join("other.json");
    let mut s = read_summary(&files[1]);
    s["run_id"] = "0123456789abcdef".into();
    std::fs::write(&other, serde_json::to_vec(&s).unwrap()).unwrap();
    let other = other.to_str().unwrap();
    // Shard 1 an hour later: without --start-at that is another run; with it, the same start.
    let later = |start_at: serde_json::Value, name: &str| {
        let mut s = read_summary(&files[1]);
        for key in ["window_start_unix_ns", "window_end_unix_ns"] {
            s[key] = (s[key].as_u64().unwrap() + 3_600_000_000_000).into();
        }
        s["start_at_unix_s"] = start_at;
        let path = dir.join(name);
        std::fs::write(&path, serde_json::to_vec(&s).unwrap()).unwrap();
        path.to_str().unwrap().to_string()
    };
    let mut unset = read_summary(&files[0]);
    unset["start_at_unix_s"] = serde_json::Value::Null;
    let zero_unset = dir.join("zero-unset.json");
    std::fs::write(&zero_unset, serde_json::to_vec(&unset).unwrap()).unwrap();
    let zero_unset = zero_unset.to_str().unwrap();
    let apart = later(serde_json::Value::Null, "apart.json");
    let together = later(
        read_summary(&files[0])["start_at_unix_s"].clone(),
        "together.json",
    );
    let force = "(--force merges anyway)";
    for (args, stderr) in [
        (
            vec![zero, zero],
            format!("shard 0/2 is given twice ({zero} and {zero}) {force}"),
        ),
        (
            vec![zero],
            format!("shard(s) 1/2 missing: merge every shard of the test {force}"),
        ),
        (
            vec![zero, lone],
            format!("{lone} is not from a --shard run: only the shards of one test merge {force}"),
        ),
        (
            vec![zero, other],
            format!(
                "{other} and {zero} are of different runs (another command line or --start-at) {force}"
            ),
        ),
        (
            vec![zero_unset, &apart],
            format!(
                "{apart} and {zero_unset} did not run at the same time: start the shards together (--start-at) {force}"
            ),
        ),
    ] {
        let out = run(moth().args(["bench", "merge"]).args(&args), b"");
        out.assert_code(1)
            .assert_stderr(&format!("moth: error: {stderr}"));
    }
    // The rare deliberate case.
    let m = summary(&run(
        moth().args(["bench", "merge", "--force", "--json", "-", zero, zero]),
        b"",
    ));
    assert_eq!(m["acked"], 20);
    // Shards that share --start-at started together, however short their measured windows;
    // one measured apart from the others was late, and the merge says so.
    let out = run(
        moth().args(["bench", "merge", "--json", "-", zero, &together]),
        b"",
    );
    out.assert_code(0);
    assert_eq!(
        out.stderr.lines().next(),
        Some(format!(
            "moth: warning: {together} and {zero} started together but measured at different times (a shard connected late?): the merged rates are over both windows"
        ).as_str()),
        "{}",
        out.stderr
    );
    let m = summary(&out);
    assert_eq!(m["acked"], 20);
    assert_eq!(m["shards"], 2);
    let _ = one;
}

#[test]
fn pubsub_shards_account_for_their_own_publishers() {
    let broker = Broker::start();
    let dir = broker.dir().to_path_buf();
    // Every subscriber hears both shards' publishers; each shard counts its own.
    let files = run_shards(
        &broker,
        &dir,
        &[
            "pubsub", "-c", "4", "-L", "400", "-q", "1", "--prefix", "acct",
        ],
    );
    let mut other_total = 0;
    for file in &files {
        let s = read_summary(file);
        assert_eq!(s["sent"], 200, "{s}");
        assert_eq!(s["expected"], 200, "{s}");
        assert_eq!(s["received"], 200, "{s}");
        assert_eq!(s["lost"], 0, "{s}");
        other_total += s["received_other_shards"].as_u64().unwrap();
    }
    // Each subscriber got the other shard's 200 too, while it listened (all, at QoS 1, as both
    // subscribed before either published: --start-at lines them up).
    assert!(other_total > 0 && other_total <= 400, "{other_total}");
    let mut cmd = moth();
    cmd.args(["bench", "merge", "--json", "-"]).args(&files);
    let m = summary(&run(cmd, b""));
    assert_eq!(m["expected"], 400);
    assert_eq!(m["received"], 400);
    assert_eq!(m["lost"], 0);
    assert_eq!(m["received_other_shards"], other_total);
}

#[test]
fn a_run_without_a_rate_keeps_to_its_duration_and_rates_over_its_windows() {
    let broker = Broker::start();
    let started = std::time::Instant::now();
    let s = bench(
        &broker,
        &["-c", "4", "--duration", "1", "--prefix", "norate"],
    );
    // A closed loop never gets far ahead of the broker: little is left to drain.
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(s["drain_s"].as_f64().unwrap() < 5.0, "{s}");
    assert_eq!(s["lost"], 0, "{s}");
    assert_eq!(s["window"], 100);
    for (count, rate, window) in [
        ("sent", "send_rate", "send_window_s"),
        ("acked", "ack_rate", "ack_window_s"),
        ("received", "receive_rate", "receive_window_s"),
    ] {
        let (n, rate, window) = (
            s[count].as_f64().unwrap(),
            s[rate].as_f64().unwrap(),
            s[window].as_f64().unwrap(),
        );
        assert!(n > 0.0, "{s}");
        assert!(
            (rate - n / window).abs() <= 0.1,
            "{count}: {rate} vs {n} / {window}"
        );
    }
    assert_eq!(s["send_window_s"], 1.0, "{s}");
}

#[test]
fn sub_with_a_limit_says_the_limit_ended_it() {
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
        "lim/#",
        "-L",
        "20",
        "--json",
        "-",
        "--quiet",
        "--prefix",
        "lim",
    ]));
    broker.wait_subscribed("lim-0", "lim/#");
    let lines: Vec<u8> = (0..20)
        .flat_map(|n| format!("{n}\n").into_bytes())
        .collect();
    run(
        broker.moth("pub", &["-t", "lim/a", "-l", "-q", "1"]),
        &lines,
    )
    .assert_success();
    let out = sub.finish();
    let s = summary(&out);
    assert_eq!(s["limit_reached"], true);
    assert_eq!(s["interrupted"], false);
    assert_eq!(s["received"], 20);
    assert!(out.stderr.contains("(limit reached)"), "{}", out.stderr);
    assert!(!out.stderr.contains("sent"), "{}", out.stderr);
}

#[test]
fn failures_fail_the_run_unless_allowed() {
    let broker = Broker::config().line("max_connections 3").start();
    let out = bench_out(&broker, &["conn", "-c", "5", "--duration", "0.2"]);
    out.assert_code(7);
    let failed = json(&out)["connect_failures"].as_u64().unwrap();
    assert!(failed > 0);
    assert_eq!(
        last_line(&out),
        format!("moth: error: the run failed: {failed} connection(s) failed")
    );
    let s = summary(&bench_out(
        &broker,
        &["conn", "-c", "5", "--duration", "0.2", "--max-errors", "5"],
    ));
    assert_eq!(s["passed"], true);
    // Every publish refused by the broker (MQTT 5 and an ACL that forbids the topic).
    let broker = Broker::config().acl("topic read denied/#\n").start();
    let out = bench_out(
        &broker,
        &[
            "pub",
            "-V",
            "5",
            "-q",
            "1",
            "-c",
            "1",
            "-L",
            "5",
            "-t",
            "denied/%i",
        ],
    );
    out.assert_code(12);
    assert_eq!(
        last_line(&out),
        "moth: error: the run failed: the broker refused 5 publish(es)"
    );
}

#[test]
fn a_start_in_the_past_is_refused() {
    let out = run(moth().args(["bench", "--start-at", "1700000000"]), b"");
    out.assert_code(1);
    assert!(
        out.stderr.starts_with(
            "moth: error: invalid value '1700000000' for '--start-at <TIME>': that was "
        ) && out.stderr.contains("s ago: give a time ahead"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_kubernetes_job_runs_locally_for_two_shards_and_merges() {
    let broker = Broker::start();
    let results = broker.dir().join("results");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/k8s");
    let start_at = (std::time::SystemTime::now() + Duration::from_secs(2))
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let script = |name: &str, index: Option<&str>| {
        let mut cmd = std::process::Command::new("sh");
        cmd.arg(root.join(name))
            .env("MOTH", env!("CARGO_BIN_EXE_moth"))
            .env("SHARDS", "2")
            .env("START_AT", &start_at)
            .env("RESULTS", &results)
            .env("WAIT_S", "60")
            .env(
                "BENCH_ARGS",
                format!(
                    "pub -h 127.0.0.1 -p {} -c 4 -q 1 --rate 200 --duration 1",
                    broker.port
                ),
            );
        if let Some(index) = index {
            cmd.env("JOB_COMPLETION_INDEX", index);
        }
        cmd
    };
    // Both shards at once, as the Job's pods run, so that --start-at lines them up.
    let shards: Vec<_> = ["0", "1"]
        .iter()
        .map(|i| spawn(script("shard.sh", Some(i))))
        .collect();
    for shard in shards {
        shard
            .finish_within(Duration::from_secs(60))
            .assert_success();
    }
    let out = run(script("merge.sh", None), b"");
    out.assert_success();
    assert!(
        out.stdout_text().contains("4 client(s)"),
        "{}",
        out.stdout_text()
    );
    let merged: serde_json::Value =
        serde_json::from_slice(&std::fs::read(results.join("merged.json")).unwrap()).unwrap();
    assert_eq!(merged["shards"], 2);
    assert_eq!(merged["clients"], 4);
    // 200/s in all for 1 s, split over the shards; every message acknowledged.
    assert_eq!(merged["sent"], 200, "{merged}");
    assert_eq!(merged["acked"], 200, "{merged}");
    assert_eq!(merged["ack_latency_us_count"], 200, "{merged}");
    assert_eq!(merged["passed"], true);
}

#[test]
fn the_kubernetes_manifests_are_valid() {
    let job = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/k8s/job.yaml");
    let out = std::process::Command::new("kubernetes-validate")
        .arg("--strict")
        .arg(&job)
        .output()
        .expect(
            "kubernetes-validate is not installed: run `pip install kubernetes-validate`, or run the tests with scripts/test, which installs it",
        );
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    for resource in [
        "persistentvolumeclaim/moth-bench-results",
        "job/moth-bench",
        "job/moth-bench-merge",
    ] {
        assert!(
            text.contains(&format!("passed for resource {resource}")),
            "{text}"
        );
    }
    // The image the Job runs is the one deploy/Containerfile builds.
    let manifest = std::fs::read_to_string(&job).unwrap();
    assert!(manifest.contains("deploy/Containerfile"), "{manifest}");
}

#[test]
fn a_frozen_broker_is_blamed_not_the_load_generator() {
    let broker = Broker::start();
    let port = broker.port.to_string();
    let mut cmd = moth();
    cmd.args([
        "bench",
        "pub",
        "-h",
        "127.0.0.1",
        "-p",
        &port,
        "--json",
        "-",
        "--quiet",
    ])
    .args([
        "-c",
        "2",
        "-q",
        "1",
        "--rate",
        "1000",
        "--duration",
        "5",
        "--prefix",
        "frozen",
    ]);
    let bench = spawn(cmd);
    // The fault itself lasts a set time: frozen from 1.5 s to 4 s of a 5 s run.
    std::thread::sleep(Duration::from_millis(1500));
    broker.freeze();
    std::thread::sleep(Duration::from_millis(2500));
    broker.thaw();
    let out = bench.finish();
    let s = json(&out);
    assert_eq!(s["lag_cause"], "broker", "{}", out.stderr);
    assert_eq!(s["generator_limited"], false);
    assert!(
        out.stderr
            .contains("waiting for acknowledgements: the broker could not\n  keep up"),
        "{}",
        out.stderr
    );
}

#[test]
fn payloads_and_topics_from_text_files_and_templates() {
    let broker = Broker::start();
    let sub = spawn(broker.moth("sub", &["-t", "tb/#", "-v", "-C", "3", "-i", "tb-watch"]));
    broker.wait_subscribed("tb-watch", "tb/#");
    let s = bench(
        &broker,
        &[
            "pub",
            "-c",
            "1",
            "-L",
            "3",
            "-q",
            "1",
            "--template",
            "-t",
            "tb/{seq}",
            "-m",
            "n={seq}",
        ],
    );
    assert_eq!(s["acked"], 3);
    assert_eq!(sub.finish().stdout_text(), "tb/1 n=1\ntb/2 n=2\ntb/3 n=3\n");
    // pubsub keeps its latency header before the text, so it still counts and times.
    let file = broker.dir().join("payload.bin");
    std::fs::write(&file, b"\x00binary\xff").unwrap();
    let file = file.to_str().unwrap();
    for content in [["-m", "hello"], ["--payload-file", file]] {
        let s = bench(
            &broker,
            &[&["-c", "2", "-L", "20", "-q", "1"][..], &content].concat(),
        );
        assert_eq!(s["lost"], 0, "{s}");
        assert_eq!(s["latency_us_count"], 20, "{s}");
    }
    // emqtt-bench's -V 4 is MQTT 3.1.1.
    let s = bench(
        &broker,
        &["pub", "-V", "4", "-c", "1", "-L", "2", "-q", "1"],
    );
    assert_eq!(s["protocol"], 311);
}
