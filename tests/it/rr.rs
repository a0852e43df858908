//! `moth rr` against responders made of moth and of mosquitto's clients, and mosquitto_rr
//! against a moth responder.

use std::process::Command;

use crate::support::{Broker, Running, run, spawn};

/// A one-shot responder in a shell pipeline: wait for one request, answer on its response topic
/// with the same correlation data.
fn responder(broker: &Broker, request_topic: &str, id: &str, with_mosquitto: bool) -> Running {
    let port = broker.port;
    let moth = env!("CARGO_BIN_EXE_moth");
    let script = if with_mosquitto {
        format!(
            "mosquitto_sub -p {port} -h 127.0.0.1 -V 5 -t {request_topic} -C 1 -i {id} -F '%R|%D|%p' | \
             while IFS='|' read -r rt corr req; do mosquitto_pub -p {port} -h 127.0.0.1 -V 5 -t \"$rt\" \
             ${{corr:+-D publish correlation-data \"$corr\"}} -m \"pong to $req\"; done"
        )
    } else {
        format!(
            "{moth} sub -p {port} -h 127.0.0.1 -t {request_topic} -C 1 -i {id} -V 5 -F '%R|%D|%p' | \
             while IFS='|' read -r rt corr req; do {moth} pub -p {port} -h 127.0.0.1 -V 5 -t \"$rt\" \
             ${{corr:+--correlation-data \"$corr\"}} -m \"pong to $req\"; done"
        )
    };
    let mut shell = Command::new("bash");
    shell.args(["-c", &script]);
    let child = spawn(shell);
    broker.wait_subscribed(id, request_topic);
    child
}

#[test]
fn moth_rr_with_a_moth_responder() {
    let broker = Broker::start();
    let answer = responder(&broker, "svc/a", "answerer", false);
    let out = run(
        broker.moth(
            "rr",
            &["-t", "svc/a", "-e", "replies/me", "-m", "ping", "-W", "10"],
        ),
        b"",
    );
    out.assert_success();
    assert_eq!(out.stdout_text(), "pong to ping\n");
    answer.finish().assert_success();
}

#[test]
fn moth_rr_with_a_mosquitto_responder_and_json_output() {
    let broker = Broker::start();
    let answer = responder(&broker, "svc/b", "mosq-answerer", true);
    let out = run(
        broker.moth(
            "rr",
            &[
                "-t",
                "svc/b",
                "-e",
                "replies/b",
                "-m",
                "ping",
                "-W",
                "10",
                "--json",
            ],
        ),
        b"",
    );
    out.assert_success();
    let line: serde_json::Value = serde_json::from_str(out.stdout_text().trim_end()).unwrap();
    assert_eq!(line["topic"], "replies/b");
    assert_eq!(line["payload"], "pong to ping");
    assert!(
        line["properties"]["correlation_data"]
            .as_str()
            .unwrap()
            .starts_with("moth-")
    );
    answer.finish().assert_success();
}

#[test]
fn mosquitto_rr_with_a_moth_responder() {
    let broker = Broker::start();
    let answer = responder(&broker, "svc/c", "moth-answerer", false);
    let out = run(
        broker.mosquitto(
            "mosquitto_rr",
            &["-t", "svc/c", "-e", "replies/c", "-m", "ping", "-W", "10"],
        ),
        b"",
    );
    assert_eq!(out.code(), 0, "{}", out.stderr);
    assert_eq!(out.stdout_text(), "pong to ping\n");
    answer.finish().assert_success();
}

#[test]
fn rr_times_out_with_27() {
    let broker = Broker::start();
    let out = run(
        broker.moth(
            "rr",
            &[
                "-t",
                "nobody/home",
                "-e",
                "replies/x",
                "-m",
                "hello?",
                "-W",
                "1",
            ],
        ),
        b"",
    );
    out.assert_code(27)
        .assert_stderr("moth: error: timed out after 1 s (-W) with 0 message(s) received");
    let out = run(broker.moth("rr", &["-t", "a", "-e", "b/#", "-m", "x"]), b"");
    out.assert_code(1).assert_stderr(
        "moth: error: invalid response topic 'b/#' (-e): a topic to publish to cannot contain the wildcards + or #",
    );
}

#[test]
fn rr_on_mqtt_311_takes_any_message_on_the_response_topic_as_the_answer() {
    // As mosquitto_rr 2.1: 3.1.1 has no response-topic property, so the responder answers on a
    // topic it knows, and whatever arrives there is the response.
    let broker = Broker::start();
    let responder = spawn(broker.moth(
        "sub",
        &["-t", "service/311", "-C", "1", "-i", "responder-311"],
    ));
    broker.wait_subscribed("responder-311", "service/311");
    let rr = spawn(broker.moth(
        "rr",
        &[
            "-V",
            "311",
            "-t",
            "service/311",
            "-e",
            "replies/311",
            "-m",
            "ping",
            "-i",
            "rr-311",
            "-W",
            "10",
        ],
    ));
    broker.wait_subscribed("rr-311", "replies/311");
    let request = responder.finish();
    request.assert_success();
    assert_eq!(request.stdout_text(), "ping\n");
    run(
        broker.moth("pub", &["-t", "replies/311", "-m", "pong"]),
        b"",
    )
    .assert_success();
    let out = rr.finish();
    out.assert_success();
    assert_eq!(out.stdout_text(), "pong\n");
}
