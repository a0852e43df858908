//! sub's output formats against a real broker: every -F code with exact bytes, JSON that parses
//! for any payload, colour only where it belongs.

use std::process::Command;

use crate::support::{Broker, run, spawn};

/// mosquitto_pub sends a message carrying every publish property (an independent encoder).
fn publish_with_every_property(broker: &Broker, topic: &str, payload: &str) {
    let out = run(
        broker.mosquitto(
            "mosquitto_pub",
            &[
                "-V",
                "5",
                "-q",
                "1",
                "-t",
                topic,
                "-m",
                payload,
                "-D",
                "publish",
                "content-type",
                "text/plain",
                "-D",
                "publish",
                "correlation-data",
                "corr-1",
                "-D",
                "publish",
                "message-expiry-interval",
                "3600",
                "-D",
                "publish",
                "payload-format-indicator",
                "1",
                "-D",
                "publish",
                "response-topic",
                "reply/here",
                "-D",
                "publish",
                "user-property",
                "k",
                "v1",
                "-D",
                "publish",
                "user-property",
                "k",
                "v2",
            ],
        ),
        b"",
    );
    assert_eq!(out.code(), 0, "{}", out.stderr);
}

fn subscribe(broker: &Broker, id: &str, topic: &str, args: &[&str]) -> crate::support::Running {
    let mut all = vec!["-t", topic, "-i", id, "-C", "1"];
    all.extend_from_slice(args);
    let sub = spawn({
        let mut cmd = broker.moth("sub", &all);
        cmd.env("TZ", "UTC");
        cmd
    });
    broker.wait_subscribed(id, topic);
    sub
}

#[test]
fn every_format_code_with_mqtt5_properties() {
    let broker = Broker::start();
    let format = "%%|%A|%C|%D|%F|%l|%m|%P|%p|%q|%R|%r|%S|%t|%x|%X|%.2:x|%.4x|[%5l][%-5l][%05l]|%.3t|[%8t][%-8t]|[%4p][%-6p]\\t@@";
    let sub = subscribe(
        &broker,
        "fmt5",
        "fmt/5",
        &[
            "-V",
            "5",
            "-q",
            "1",
            "-D",
            "subscribe",
            "subscription-identifier",
            "42",
            "-F",
            format,
        ],
    );
    publish_with_every_property(&broker, "fmt/5", "mes");
    let out = sub.finish();
    out.assert_success();
    assert_eq!(
        out.stdout_text(),
        "%||text/plain|corr-1|1|3|1|k:v1 k:v2|mes|1|reply/here|0|42|fmt/5|6d6573|6D6573|6d:65:73|6d65 73|[    3][3    ][00003]|fmt|[   fmt/5][fmt/5   ]|[ mes][mes   ]\t@\n"
    );
    // The broker counts message expiry down, so %E is 3600 or a second less.
    let sub = subscribe(&broker, "fmtE", "fmt/e", &["-V", "5", "-F", "%E"]);
    publish_with_every_property(&broker, "fmt/e", "x");
    let expiry = sub.finish().stdout_text();
    assert!(expiry == "3600\n" || expiry == "3599\n", "{expiry:?}");
}

#[test]
fn format_codes_on_mqtt311_leave_properties_blank() {
    let broker = Broker::start();
    let sub = subscribe(
        &broker,
        "fmt3",
        "fmt/3",
        &["-F", "[%A][%3C][%D][%E][%02F][%P][%R][%S]%t %p %l %q %r"],
    );
    run(
        broker.moth("pub", &["-t", "fmt/3", "-m", "hello", "-q", "2"]),
        b"",
    )
    .assert_success();
    let out = sub.finish();
    assert_eq!(
        out.stdout_text(),
        "[][   ][][][00][][][]fmt/3 hello 5 0 0\n"
    );
}

#[test]
fn time_codes() {
    let broker = Broker::start();
    let sub = subscribe(&broker, "tm", "tm", &["-F", "%I|%U|@Y-@m-@d|@N|@H:@M:@S"]);
    run(broker.moth("pub", &["-t", "tm", "-m", "x"]), b"").assert_success();
    let text = sub.finish().stdout_text();
    let fields: Vec<&str> = text.trim_end().split('|').collect();
    assert_eq!(fields.len(), 5, "{text}");
    // %I: 2026-11-24T19:42:52+0000 (TZ=UTC)
    assert_eq!(fields[0].len(), 24, "{text}");
    assert!(
        fields[0].ends_with("+0000") && fields[0].as_bytes()[10] == b'T',
        "{text}"
    );
    // %U: seconds.nanoseconds
    let (secs, nanos) = fields[1].split_once('.').unwrap();
    assert!(
        secs.parse::<u64>().unwrap() > 1_700_000_000 && nanos.len() == 9,
        "{text}"
    );
    assert_eq!(fields[2], &fields[0][..10], "{text}");
    assert!(
        fields[3].len() == 9 && fields[3].bytes().all(|b| b.is_ascii_digit()),
        "{text}"
    );
    assert_eq!(fields[4], &fields[0][11..19], "{text}");
}

#[test]
fn bad_format_strings_are_usage_errors_naming_the_code() {
    for (format, why) in [
        ("%Z", "unknown code %Z"),
        ("@Q", "unknown time code @Q"),
        ("a\\q", "unknown escape \\q"),
        ("%", "it ends with an unfinished % code"),
    ] {
        let out = run(
            crate::support::moth().args(["sub", "-t", "x", "-F", format]),
            b"",
        );
        out.assert_code(1)
            .assert_stderr(&format!("moth: error: invalid -F format: {why}"));
    }
}

/// Payloads that break naive JSON writers (mosquitto's %j among them).
fn awkward_payloads(broker: &Broker, topic: &str) {
    for payload in [
        &b"plain utf-8 \xe2\x9c\x93"[..],
        b"{\"n\": [1, 2]}",
        b"\x00\xff\xfe binary",
        b"quote \" and \\ and \n newline",
    ] {
        run(broker.moth("pub", &["-t", topic, "-s", "-q", "1"]), payload).assert_success();
    }
    run(broker.moth("pub", &["-t", topic, "-n", "-q", "1"]), b"").assert_success();
}

#[test]
fn json_lines_are_valid_for_every_payload() {
    let broker = Broker::start();
    let sub = spawn(broker.moth(
        "sub",
        &["-t", "js", "-q", "1", "-C", "5", "--json", "-i", "js"],
    ));
    broker.wait_subscribed("js", "js");
    awkward_payloads(&broker, "js");
    let out = sub.finish();
    out.assert_success();
    let lines: Vec<serde_json::Value> = out
        .stdout_text()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert_eq!(lines.len(), 5);
    for line in &lines {
        for key in [
            "topic",
            "payload",
            "qos",
            "retain",
            "dup",
            "packet_id",
            "received_at",
        ] {
            assert!(line.get(key).is_some(), "missing {key}: {line}");
        }
        assert_eq!(line["topic"], "js");
        assert_eq!(line["qos"], 1);
        assert!(line["packet_id"].as_u64().unwrap() > 0);
        let at = line["received_at"].as_str().unwrap();
        assert!(
            at.ends_with('Z') && at.len() == "2026-11-24T19:42:52.123456789Z".len(),
            "{at}"
        );
    }
    assert_eq!(lines[0]["payload"], "plain utf-8 ✓");
    assert!(lines[0].get("payload_json").is_none());
    assert_eq!(lines[1]["payload_json"]["n"][1], 2);
    assert_eq!(lines[2]["payload_encoding"], "base64");
    assert_eq!(lines[2]["payload"], "AP/+IGJpbmFyeQ==");
    assert_eq!(lines[3]["payload"], "quote \" and \\ and \n newline");
    assert_eq!(lines[4]["payload"], serde_json::Value::Null);
}

#[test]
fn json_lines_carry_every_mqtt5_property() {
    let broker = Broker::start();
    let sub = subscribe(
        &broker,
        "jp",
        "jp",
        &[
            "-V",
            "5",
            "-q",
            "1",
            "--json",
            "-D",
            "subscribe",
            "subscription-identifier",
            "7",
        ],
    );
    publish_with_every_property(&broker, "jp", "{\"ok\":true}");
    let out = sub.finish();
    let line: serde_json::Value = serde_json::from_str(out.stdout_text().trim_end()).unwrap();
    let p = &line["properties"];
    assert_eq!(p["content_type"], "text/plain");
    assert_eq!(p["correlation_data"], "corr-1");
    assert_eq!(p["payload_format_indicator"], 1);
    assert_eq!(p["response_topic"], "reply/here");
    assert_eq!(
        p["user_properties"],
        serde_json::json!([["k", "v1"], ["k", "v2"]])
    );
    assert_eq!(p["subscription_identifiers"], serde_json::json!([7]));
    assert!(p["message_expiry_interval"].as_u64().unwrap() >= 3599);
    assert_eq!(line["payload_json"]["ok"], true);
}

#[test]
fn mosquitto_json_codes_are_valid_json_too() {
    let broker = Broker::start();
    let sub = spawn(broker.moth(
        "sub",
        &["-t", "mj", "-q", "1", "-C", "5", "-F", "%j", "-i", "mj"],
    ));
    broker.wait_subscribed("mj", "mj");
    awkward_payloads(&broker, "mj");
    let out = sub.finish();
    let lines: Vec<serde_json::Value> = out
        .stdout_text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    for key in [
        "tst",
        "topic",
        "qos",
        "retain",
        "payloadlen",
        "mid",
        "payload",
    ] {
        assert!(lines[0].get(key).is_some(), "{key}");
    }
    assert_eq!(lines[2]["payload"], "AP/+IGJpbmFyeQ==");
    assert_eq!(lines[2]["payload_encoding"], "base64");
    assert_eq!(lines[2]["payloadlen"], 10);
    assert_eq!(lines[4]["payload"], serde_json::Value::Null);

    // %J inlines JSON payloads and says on stderr which ones are not JSON, without stopping.
    let sub = spawn(broker.moth(
        "sub",
        &["-t", "mJ", "-q", "1", "-C", "5", "-F", "%J", "-i", "mJ"],
    ));
    broker.wait_subscribed("mJ", "mJ");
    awkward_payloads(&broker, "mJ");
    let out = sub.finish();
    out.assert_success();
    let lines: Vec<&str> = out.stdout_text().leak().lines().collect();
    assert_eq!(lines.len(), 5);
    let inlined: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(inlined["payload"]["n"][0], 1);
    assert_eq!(lines[0], "");
    assert_eq!(
        out.stderr
            .lines()
            .filter(|l| l.contains("is not valid JSON (%J)"))
            .count(),
        3,
        "{}",
        out.stderr
    );
}

#[test]
fn pretty_indents_json_codes() {
    let broker = Broker::start();
    let sub = subscribe(&broker, "pj", "pj", &["-F", "%J", "--pretty"]);
    run(broker.moth("pub", &["-t", "pj", "-m", "{\"a\":1}"]), b"").assert_success();
    let text = sub.finish().stdout_text();
    assert!(text.starts_with("{\n\t\"tst\": "), "{text}");
    assert!(
        text.contains("\t\"payload\": {\n\t\t\"a\": 1\n\t}"),
        "{text}"
    );
    serde_json::from_str::<serde_json::Value>(&text).unwrap();
}

fn colour_run(broker: &Broker, id: &str, args: &[&str], env: &[(&str, &str)], tty: bool) -> String {
    let mut sub_args = vec!["sub", "-h", "127.0.0.1"];
    let port = broker.port.to_string();
    sub_args.extend(["-p", &port, "-t", "col", "-v", "-C", "1", "-i", id]);
    sub_args.extend_from_slice(args);
    let mut cmd = if tty {
        // `script` runs moth on a pseudo-terminal, as a user at a terminal would.
        let line = std::iter::once(env!("CARGO_BIN_EXE_moth").to_string())
            .chain(sub_args.iter().map(|a| format!("'{a}'")))
            .collect::<Vec<_>>()
            .join(" ");
        let mut cmd = Command::new("script");
        cmd.args(["-qec", &line, "/dev/null"]);
        cmd
    } else {
        let mut cmd = crate::support::moth();
        cmd.args(&sub_args);
        cmd
    };
    cmd.env("TERM", "xterm");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let sub = spawn(cmd);
    broker.wait_subscribed(id, "col");
    run(broker.moth("pub", &["-t", "col", "-m", "payload"]), b"").assert_success();
    let out = sub.finish();
    out.assert_success();
    out.stdout_text()
}

#[test]
fn colour_only_on_a_terminal_without_no_color() {
    let broker = Broker::start();
    assert_eq!(
        colour_run(&broker, "c1", &[], &[], false),
        "col payload\n",
        "a pipe gets plain bytes"
    );
    let tty = colour_run(&broker, "c2", &[], &[], true);
    assert!(
        tty.contains("\x1b[36mcol\x1b[0m"),
        "a terminal gets colour: {tty:?}"
    );
    let no_color = colour_run(&broker, "c3", &[], &[("NO_COLOR", "1")], true);
    assert!(
        !no_color.contains('\x1b') && no_color.contains("col payload"),
        "{no_color:?}"
    );
    let never = colour_run(&broker, "c4", &["--color", "never"], &[], true);
    assert!(!never.contains('\x1b'), "{never:?}");
    let always = colour_run(&broker, "c5", &["--color", "always"], &[], false);
    // The topic in colour, and the line otherwise mosquitto_sub's (no QoS or retain marks).
    assert_eq!(always, "\x1b[36mcol\x1b[0m payload\n");
}

#[test]
fn timestamp_prefix() {
    let broker = Broker::start();
    let sub = subscribe(&broker, "ts", "ts", &["-v", "--timestamp"]);
    run(broker.moth("pub", &["-t", "ts", "-m", "tick"]), b"").assert_success();
    let text = sub.finish().stdout_text();
    // 2026-11-24T19:42:52.406622+00:00 ts tick
    let (stamp, rest) = text.split_once(' ').unwrap();
    assert_eq!(rest, "ts tick\n");
    assert_eq!(
        stamp.len(),
        "2026-11-24T19:42:52.406622+00:00".len(),
        "{stamp}"
    );
    assert!(stamp.ends_with("+00:00"), "{stamp}");
}

#[test]
fn pretty_indents_json_lines_and_says_when_there_is_no_json() {
    let broker = Broker::start();
    run(
        broker.moth("pub", &["-t", "pp", "-m", "{\"a\":1}", "-r", "-q", "1"]),
        b"",
    )
    .assert_success();
    let out = run(
        broker.moth("sub", &["-t", "pp", "-C", "1", "--json", "--pretty"]),
        b"",
    );
    out.assert_success();
    let text = out.stdout_text();
    let (head, stamp) = text.split_at(text.find("\t\"received_at\"").unwrap());
    assert_eq!(
        head,
        "{\n\t\"topic\": \"pp\",\n\t\"payload\": \"{\\\"a\\\":1}\",\n\t\"payload_json\": {\n\t\t\"a\": 1\n\t},\n\t\"qos\": 0,\n\t\"retain\": true,\n\t\"dup\": false,\n\t\"packet_id\": null,\n"
    );
    assert!(stamp.ends_with("Z\"\n}\n"), "{stamp}");
    run(
        broker.moth("sub", &["-t", "pp", "-C", "1", "--pretty"]),
        b"",
    )
    .assert_code(1)
    .assert_stderr("moth: error: --pretty indents JSON: add --json, or -F with %j or %J");
}
