//! Record and replay: `sub --json` captures, `pub --jsonl` republishes them byte for byte
//! (`--replay` with the captured gaps), `pub --topic-lines` takes `sub -v`'s lines; a bad line
//! stops with an error naming it, after delivering the lines before it.

use crate::support::{Broker, run, spawn};

/// The JSON lines without their received_at, which is the only field a replay changes.
fn without_receive_times(jsonl: &str) -> Vec<String> {
    jsonl
        .lines()
        .map(|line| {
            let at = line.find(",\"received_at\":").expect("received_at");
            line[..at].to_string()
        })
        .collect()
}

fn capture(broker: &Broker, id: &str, count: usize) -> crate::support::Running {
    let sub = spawn(broker.moth(
        "sub",
        &[
            "-V",
            "5",
            "-t",
            "cap/#",
            "-q",
            "1",
            "--json",
            "-C",
            &count.to_string(),
            "-i",
            id,
        ],
    ));
    broker.wait_subscribed(id, "cap/#");
    sub
}

#[test]
fn a_capture_replays_to_identical_json() {
    let broker = Broker::start();
    let binary: Vec<u8> = (0..=255u8).rev().collect();
    let file = broker.dir().join("binary.bin");
    std::fs::write(&file, &binary).unwrap();
    let first = capture(&broker, "capture-1", 5);
    let v5 = ["-V", "5", "-q", "1"];
    let publish = |rest: &[&str]| {
        run(broker.moth("pub", &[&v5[..], rest].concat()), b"").assert_success();
    };
    publish(&["-t", "cap/bin", "-f", file.to_str().unwrap()]);
    publish(&[
        "-t",
        "cap/json",
        "-m",
        r#"{"n":1,"s":"é"}"#,
        "--content-type",
        "application/json",
    ]);
    publish(&[
        "-t",
        "cap/props",
        "-m",
        "with properties",
        "--user-property",
        "b=2",
        "--user-property",
        "a=1",
        "--user-property",
        "b=2",
        "--user-property",
        "b=3",
        "--response-topic",
        "cap/answer",
        "--correlation-data",
        "c-1",
        "--payload-format",
        "1",
    ]);
    publish(&["-t", "cap/empty", "-n"]);
    publish(&["-t", "cap/lines", "-m", "two\nlines\r\n"]);
    let captured = first.finish();
    captured.assert_success();
    let text = captured.stdout_text();
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(text.contains(r#""payload_encoding":"base64""#));
    assert!(
        text.contains(r#""user_properties":[["b","2"],["a","1"],["b","2"],["b","3"]]"#),
        "{text}"
    );

    let second = capture(&broker, "capture-2", 5);
    let out = run(
        broker.moth("pub", &["-V", "5", "--jsonl"]),
        &captured.stdout,
    );
    out.assert_success();
    assert_eq!(out.stderr, "");
    let replayed = second.finish();
    replayed.assert_success();
    assert_eq!(
        without_receive_times(&replayed.stdout_text()),
        without_receive_times(&text)
    );
}

#[test]
fn line_fields_override_the_flags() {
    let broker = Broker::start();
    let sub = spawn(broker.moth(
        "sub",
        &[
            "-t",
            "o/#",
            "-v",
            "-C",
            "3",
            "-F",
            "%t %q %r %p",
            "-q",
            "2",
            "-i",
            "over",
        ],
    ));
    broker.wait_subscribed("over", "o/#");
    let input = concat!(
        "{\"payload\":\"defaults\"}\n",
        "\n",
        "{\"topic\":\"o/own\",\"payload\":\"own\",\"qos\":2}\n",
        "{\"topic\":\"o/plain\",\"payload\":null,\"qos\":0,\"retain\":false}",
    );
    let out = run(
        broker.moth("pub", &["-t", "o/default", "-q", "1", "-r", "--jsonl"]),
        input.as_bytes(),
    );
    out.assert_success();
    let out = sub.finish();
    out.assert_success();
    // The retain flag of a live message reaches a subscriber as 0.
    // Sorted: a QoS 0 message may overtake a QoS 2 one.
    let mut lines: Vec<String> = out.stdout_text().lines().map(String::from).collect();
    lines.sort();
    assert_eq!(
        lines,
        ["o/default 1 0 defaults", "o/own 2 0 own", "o/plain 0 0 "]
    );
    // -r is the default for lines without "retain": the last line said false.
    let out = run(
        broker.moth(
            "sub",
            &["-t", "o/#", "-v", "--retained-only", "--idle", "0.3"],
        ),
        b"",
    );
    out.assert_success();
    assert_eq!(out.stdout_text(), "o/default defaults\no/own own\n");
}

#[test]
fn a_bad_line_is_named_after_the_lines_before_it_are_delivered() {
    let broker = Broker::start();
    let sub = spawn(broker.moth(
        "sub",
        &["-t", "bad/#", "-v", "-q", "1", "-C", "2", "-i", "bad"],
    ));
    broker.wait_subscribed("bad", "bad/#");
    let input = "{\"topic\":\"bad/1\",\"payload\":\"one\"}\n{\"topic\":\"bad/2\",\"payload\":\"two\"}\n{\"topic\":\"bad/3\",\"payload\":\"three\",\"retained\":true}\n{\"topic\":\"bad/4\",\"payload\":\"never\"}\n";
    let out = run(
        broker.moth("pub", &["-q", "1", "--jsonl"]),
        input.as_bytes(),
    );
    out.assert_code(1).assert_stderr(
        "moth: error: line 3 of stdin (--jsonl): unknown field `retained`, expected one of `topic`, `payload`, `payload_encoding`, `payload_json`, `qos`, `retain`, `dup`, `packet_id`, `properties`, `received_at` (the 2 message(s) before it were delivered)",
    );
    let out = sub.finish();
    assert_eq!(out.stdout_text(), "bad/1 one\nbad/2 two\n");

    for (input, error) in [
        (
            "{\"topic\":\"a\",\"payload\":\"x\"",
            "line 1 of stdin (--jsonl): not valid JSON: EOF while parsing an object (column 26)",
        ),
        (
            "[\"a\", \"x\"]",
            "line 1 of stdin (--jsonl): not a JSON object: each line is one object as `sub --json` writes it, {\"topic\":...,\"payload\":...}",
        ),
        (
            "{\"topic\":\"a\",\"payload\":7}",
            "line 1 of stdin (--jsonl): \"payload\": invalid type: integer `7`, expected a string",
        ),
        (
            "\n{\"payload\":\"x\"}",
            "line 2 of stdin (--jsonl): no \"topic\" (or give a default with -t)",
        ),
        (
            "{\"topic\":\"a/+\",\"payload\":\"x\"}",
            "line 1 of stdin (--jsonl): invalid topic 'a/+': a topic to publish to cannot contain the wildcards + or #",
        ),
        (
            "{\"topic\":\"a\",\"payload\":\"x\",\"properties\":{\"content_type\":\"t\"}}",
            "line 1 of stdin (--jsonl): message properties are an MQTT 5 feature: add -V 5",
        ),
        (
            "{\"topic\":\"a\",\"payload\":\"%%\",\"payload_encoding\":\"base64\"}",
            "line 1 of stdin (--jsonl): \"payload\" is not valid base64",
        ),
    ] {
        let out = run(broker.moth("pub", &["--jsonl"]), input.as_bytes());
        out.assert_code(1)
            .assert_stderr(&format!("moth: error: {error}"));
    }
    let out = run(
        broker.moth("pub", &["--replay", "--jsonl"]),
        b"{\"topic\":\"a\",\"payload\":\"x\"}\n",
    );
    out.assert_code(1).assert_stderr(
        "moth: error: line 1 of stdin (--jsonl): no \"received_at\" to replay it at",
    );
}

#[test]
fn replay_keeps_the_gaps_scaled_by_speed() {
    let broker = Broker::start();
    let sub = spawn(broker.moth(
        "sub",
        &["-t", "gap", "-C", "3", "-F", "%U %p", "-i", "gaps"],
    ));
    broker.wait_subscribed("gaps", "gap");
    // 2 s and 3 s apart in the capture: 200 ms and 300 ms at --speed 10.
    let input = concat!(
        "{\"topic\":\"gap\",\"payload\":\"a\",\"received_at\":\"2026-11-24T10:00:00.000Z\"}\n",
        "{\"topic\":\"gap\",\"payload\":\"b\",\"received_at\":\"2026-11-24T10:00:02.000Z\"}\n",
        "{\"topic\":\"gap\",\"payload\":\"c\",\"received_at\":\"2026-11-24T11:00:05.000+01:00\"}\n",
    );
    let out = run(
        broker.moth("pub", &["--jsonl", "--replay", "--speed", "10"]),
        input.as_bytes(),
    );
    out.assert_success();
    let out = sub.finish();
    out.assert_success();
    let times: Vec<f64> = out
        .stdout_text()
        .lines()
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect();
    let gaps = [times[1] - times[0], times[2] - times[1]];
    for (gap, want) in gaps.into_iter().zip([0.2, 0.3]) {
        assert!((gap - want).abs() < 0.04, "gap {gap} s, wanted {want} s");
    }
}

#[test]
fn topic_lines_take_what_sub_v_prints() {
    let broker = Broker::start();
    let sub = spawn(broker.moth("sub", &["-t", "tl/#", "-v", "-C", "4", "-i", "tl"]));
    broker.wait_subscribed("tl", "tl/#");
    // A CRLF line ending goes whole (a topic ending in CR would make the broker hang up).
    let input = "tl/a hello  world\ntl/b\n\ntl/c x\r\ntl/d\r\n";
    run(
        broker.moth("pub", &["--topic-lines", "-q", "1"]),
        input.as_bytes(),
    )
    .assert_success();
    let out = sub.finish();
    out.assert_success();
    assert_eq!(
        out.stdout_text(),
        "tl/a hello  world\ntl/b (null)\ntl/c x\ntl/d (null)\n"
    );
    let out = run(
        broker.moth("pub", &["--topic-lines"]),
        b"tl/a x\n payload\n",
    );
    out.assert_code(1).assert_stderr(
        "moth: error: line 2 of stdin (--topic-lines): invalid topic '': it is empty (the 1 message(s) before it were delivered)",
    );
    let out = run(broker.moth("pub", &["--topic-lines", "-t", "x"]), b"");
    assert_eq!(out.code(), 1);
    let out = run(broker.moth("pub", &["--speed", "2", "--jsonl"]), b"");
    assert_eq!(out.code(), 1);
}
