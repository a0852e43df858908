//! Messages go through a real broker byte-exactly, in every direction: moth→moth,
//! moth→mosquitto_sub and mosquitto_pub→moth, on MQTT 3.1.1 and 5, at QoS 0, 1 and 2.

use std::process::Command;

use crate::support::{Broker, args, mosquitto_client, moth, run, spawn};

#[derive(Clone, Copy, Debug)]
enum Client {
    Moth,
    Mosquitto,
}

fn publisher(client: Client) -> Command {
    match client {
        Client::Moth => {
            let mut cmd = moth();
            cmd.arg("pub");
            cmd
        }
        Client::Mosquitto => mosquitto_client("mosquitto_pub"),
    }
}

fn subscriber(client: Client) -> Command {
    match client {
        Client::Moth => {
            let mut cmd = moth();
            cmd.arg("sub");
            cmd
        }
        Client::Mosquitto => mosquitto_client("mosquitto_sub"),
    }
}

/// Three messages (one of them empty) from `from` to `to`, for each protocol version and QoS.
fn round_trips(from: Client, to: Client) {
    let broker = Broker::start();
    for version in ["311", "5"] {
        for qos in ["0", "1", "2"] {
            let id = format!("rt-{version}-{qos}");
            let sub = spawn(subscriber(to).args(args(
                &broker.addr(),
                &[
                    "-V", version, "-q", qos, "-t", "rt/#", "-v", "-C", "3", "-i", &id,
                ],
            )));
            broker.wait_subscribed(&id, "rt/#");
            for (topic, message) in [
                ("rt/a", Some("one")),
                ("rt/b", None),
                ("rt/c", Some("three ✓")),
            ] {
                let mut cmd = publisher(from);
                cmd.args(args(
                    &broker.addr(),
                    &["-V", version, "-q", qos, "-t", topic],
                ));
                match message {
                    Some(m) => cmd.args(["-m", m]),
                    None => cmd.arg("-n"),
                };
                run(&mut cmd, b"").assert_success();
            }
            let out = sub.finish();
            assert_eq!(
                out.stdout_text(),
                "rt/a one\nrt/b (null)\nrt/c three ✓\n",
                "{from:?} -> {to:?}, v{version}, q{qos}; stderr: {}",
                out.stderr
            );
            assert_eq!(out.code(), 0, "{from:?} -> {to:?}: {}", out.stderr);
        }
    }
}

#[test]
fn moth_to_moth() {
    round_trips(Client::Moth, Client::Moth);
}

#[test]
fn moth_pub_to_mosquitto_sub() {
    round_trips(Client::Moth, Client::Mosquitto);
}

#[test]
fn mosquitto_pub_to_moth_sub() {
    round_trips(Client::Mosquitto, Client::Moth);
}

#[test]
fn pub_lines_are_exact_messages() {
    let broker = Broker::start();
    // Empty lines are empty messages (printed as `topic (null)` with -v), \r is kept, the last
    // line needs no newline, and a line may be longer than any read buffer.
    let long = "x".repeat(300_000);
    let input = format!("first\n\nwith\r\n{long}\nlast");
    let sub = spawn(broker.moth(
        "sub",
        &["-t", "l", "-v", "-C", "5", "-q", "1", "-i", "lines"],
    ));
    broker.wait_subscribed("lines", "l");
    run(
        broker.moth("pub", &["-t", "l", "-l", "-q", "1"]),
        input.as_bytes(),
    )
    .assert_success();
    let out = sub.finish();
    out.assert_success();
    assert_eq!(
        out.stdout_text(),
        format!("l first\nl (null)\nl with\r\nl {long}\nl last\n")
    );
}

#[test]
fn binary_payload_from_file_is_byte_exact() {
    let broker = Broker::start();
    let payload: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let file = broker.dir().join("payload.bin");
    std::fs::write(&file, &payload).unwrap();
    let sub = spawn(broker.moth("sub", &["-t", "bin", "-N", "-C", "1", "-i", "bin"]));
    broker.wait_subscribed("bin", "bin");
    run(broker.moth("pub", &["-t", "bin", "-f"]).arg(&file), b"").assert_success();
    let out = sub.finish();
    out.assert_success();
    assert_eq!(
        out.stdout, payload,
        "-N prints the payload bytes and nothing else"
    );
}

#[test]
fn pub_stdin_file_sends_all_of_stdin_as_one_message() {
    let broker = Broker::start();
    let sub = spawn(broker.moth("sub", &["-t", "s", "-C", "1", "-i", "whole"]));
    broker.wait_subscribed("whole", "s");
    run(broker.moth("pub", &["-t", "s", "-s"]), b"a\nb\n\nc").assert_success();
    assert_eq!(sub.finish().stdout_text(), "a\nb\n\nc\n");
}

#[test]
fn repeat_sends_the_message_n_times() {
    let broker = Broker::start();
    let sub = spawn(broker.moth("sub", &["-t", "r", "-C", "3", "-i", "rep"]));
    broker.wait_subscribed("rep", "r");
    let out = run(
        broker.moth(
            "pub",
            &[
                "-t",
                "r",
                "-m",
                "again",
                "-q",
                "1",
                "--repeat",
                "3",
                "--repeat-delay",
                "0.05",
            ],
        ),
        b"",
    );
    out.assert_success();
    assert_eq!(sub.finish().stdout_text(), "again\nagain\nagain\n");
}

#[test]
fn large_payloads_round_trip() {
    // rumqttc caps packets at 10 KiB unless told otherwise; moth must carry the MQTT maximum.
    let broker = Broker::start();
    for (size, version) in [(1usize << 20, "311"), (10usize << 20, "5")] {
        let payload: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
        let file = broker.dir().join("big.bin");
        std::fs::write(&file, &payload).unwrap();
        let id = format!("big-{version}");
        let sub = spawn(broker.moth(
            "sub",
            &[
                "-t", "big", "-N", "-C", "1", "-q", "1", "-V", version, "-i", &id,
            ],
        ));
        broker.wait_subscribed(&id, "big");
        run(
            broker
                .moth("pub", &["-t", "big", "-q", "1", "-V", version, "-f"])
                .arg(&file),
            b"",
        )
        .assert_success();
        let out = sub.finish();
        out.assert_success();
        assert_eq!(out.stdout.len(), size, "v{version}: {}", out.stderr);
        assert!(out.stdout == payload, "v{version}: payload differs");
    }
}

#[test]
fn ten_mib_from_moth_reach_mosquitto_sub() {
    let broker = Broker::start();
    let payload: Vec<u8> = (0..10usize << 20).map(|i| (i % 253) as u8).collect();
    let file = broker.dir().join("big.bin");
    std::fs::write(&file, &payload).unwrap();
    let sub = spawn(broker.mosquitto(
        "mosquitto_sub",
        &["-t", "big", "-N", "-C", "1", "-i", "ms-big"],
    ));
    broker.wait_subscribed("ms-big", "big");
    run(
        broker
            .moth("pub", &["-t", "big", "-q", "2", "-f"])
            .arg(&file),
        b"",
    )
    .assert_success();
    let out = sub.finish();
    assert!(
        out.stdout == payload,
        "mosquitto_sub received {} bytes",
        out.stdout.len()
    );
}

/// Mosquitto 2.0.11's own `mosquitto_pub -l -q 1` loses every line past packet id 65,535 and
/// still exits 0. moth delivers all 200,000 lines, in order, and says so with exit 0.
#[test]
fn two_hundred_thousand_lines_at_qos1_all_arrive() {
    let broker = Broker::config().line("max_queued_messages 0").start();
    let lines: String = (0..200_000).map(|i| format!("line {i:06}\n")).collect();
    let sub = spawn(broker.mosquitto(
        "mosquitto_sub",
        &["-t", "many", "-q", "1", "-C", "200000", "-i", "counter"],
    ));
    broker.wait_subscribed("counter", "many");
    let out = run(
        broker.moth("pub", &["-t", "many", "-l", "-q", "1"]),
        lines.as_bytes(),
    );
    out.assert_success();
    assert_eq!(out.stderr, "");
    let received = sub.finish();
    assert_eq!(
        received.stdout.len(),
        lines.len(),
        "bytes received by mosquitto_sub"
    );
    assert!(received.stdout == lines.as_bytes(), "every line, in order");
}

#[test]
fn unix_socket_and_websockets_transports() {
    let broker = Broker::config().unix().websockets().start();
    let unix = broker.unix_path();
    let ws_url = format!("ws://127.0.0.1:{}/mqtt", broker.ws_port);
    for (name, transport) in [
        (
            "unix",
            vec!["--unix".to_string(), unix.display().to_string()],
        ),
        ("ws", vec!["-L".to_string(), ws_url.clone()]),
    ] {
        let id = format!("via-{name}");
        let sub = spawn(
            moth()
                .arg("sub")
                .args(&transport)
                .args(["-V", "5", "-t", "tr", "-C", "1", "-i", &id]),
        );
        broker.wait_subscribed(&id, "tr");
        run(
            moth()
                .arg("pub")
                .args(&transport)
                .args(["-t", "tr", "-m", name]),
            b"",
        )
        .assert_success();
        let out = sub.finish();
        out.assert_success();
        assert_eq!(out.stdout_text(), format!("{name}\n"));
    }
}

/// A burst of QoS 2 messages must not outrun the broker's in-flight limit: mosquitto answers
/// the excess of an MQTT 3.1.1 client with a PUBREC and then drops it, unsaid (its log shows
/// "quota exceeded"). moth keeps to mosquitto's default of 20 in flight.
#[test]
fn a_burst_at_qos2_is_not_dropped_by_the_broker() {
    let broker = Broker::start();
    for version in ["311", "5"] {
        let id = format!("burst-{version}");
        let sub = spawn(broker.moth(
            "sub",
            &[
                "-t", "burst", "-q", "2", "-C", "300", "-V", version, "-i", &id,
            ],
        ));
        broker.wait_subscribed(&id, "burst");
        let lines: String = (0..300).map(|i| format!("{i}\n")).collect();
        run(
            broker.moth("pub", &["-t", "burst", "-q", "2", "-l", "-V", version]),
            lines.as_bytes(),
        )
        .assert_success();
        let out = sub.finish();
        out.assert_success();
        assert_eq!(out.stdout_text(), lines, "v{version}");
    }
}

#[test]
fn a_last_line_without_a_newline_is_sent_in_every_line_mode() {
    let broker = Broker::start();
    for (mode, input, expected) in [
        ("-l", "abc", "lastline abc\n"),
        ("-l", "x\nabc", "lastline x\nlastline abc\n"),
        (
            "--jsonl",
            "{\"topic\":\"lastline\",\"payload\":\"x\"}",
            "lastline x\n",
        ),
        ("--topic-lines", "lastline y", "lastline y\n"),
    ] {
        let count = expected.lines().count().to_string();
        let id = format!("lastline-{}", mode.trim_start_matches('-'));
        let sub = spawn(broker.moth(
            "sub",
            &["-t", "lastline", "-v", "-C", &count, "-q", "1", "-i", &id],
        ));
        broker.wait_subscribed(&id, "lastline");
        // --topic-lines takes the topic from each line.
        let args: &[&str] = match mode {
            "--topic-lines" => &[mode, "-q", "1"],
            _ => &["-t", "lastline", mode, "-q", "1"],
        };
        run(broker.moth("pub", args), input.as_bytes()).assert_success();
        let out = sub.finish();
        out.assert_success();
        assert_eq!(out.stdout_text(), expected, "{mode} {input:?}");
    }
}
