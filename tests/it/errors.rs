//! Bad input: each gets one line on stderr naming what is wrong and what to do, and a documented
//! exit code. Never a panic, a backtrace or a library's Debug output.

use crate::support::{Broker, free_port, moth, run};

/// Run moth with `args` and no stdin; check the exit code and the exact stderr line.
#[track_caller]
fn fails(args: &[&str], code: i32, stderr: &str) {
    let out = run(moth().args(args), b"");
    assert_eq!(out.code(), code, "moth {args:?}: {}", out.stderr);
    assert_eq!(
        out.stderr,
        format!("moth: error: {stderr}\n"),
        "moth {args:?}"
    );
    assert!(out.stdout.is_empty(), "moth {args:?} printed to stdout");
}

#[test]
fn invalid_flag_values() {
    // Each is a usage error: exit 1 and this one line.
    let cases: &[(&[&str], &str)] = &[
        (
            &["pub", "-t", "a", "-m", "x", "-k", "0"][..],
            "invalid value '0' for '--keepalive <SECONDS>': use whole seconds from 5 to 65535 (see --help)",
        ),
        (
            &["pub", "-t", "a", "-m", "x", "-k", "65536"][..],
            "invalid value '65536' for '--keepalive <SECONDS>': use whole seconds from 5 to 65535 (see --help)",
        ),
        (
            &["pub", "-t", "a", "-m", "x", "-V", "31"][..],
            "MQTT 3.1 (-V 31) is not supported: moth speaks 3.1.1 and 5; use -V 311 or -V 5",
        ),
        (
            &["pub", "-t", "a", "-m", "x", "-V", "6"][..],
            "invalid protocol version '6' (-V): use 311, 5, mqttv311 or mqttv5",
        ),
        (
            &["sub", "-t", "a", "-c"][..],
            "-c (persistent session) needs a client id: add -i ID",
        ),
        (
            &["pub", "-t", "a", "-m", "x", "-M", "0"][..],
            "invalid value '0' for '--max-inflight <COUNT>': use a count from 1 to 65535 (see --help)",
        ),
        (
            &["pub", "-t", "a", "-m", "x", "-q", "3"][..],
            "invalid value '3' for '--qos <QOS>': use 0, 1 or 2 (see --help)",
        ),
        (
            &["pub", "-t", "a", "-m", "x", "-p", "http"][..],
            "invalid value 'http' for '--port <PORT>': use a port from 1 to 65535 (see --help)",
        ),
        (
            &["pub", "-t", "a", "-m", "x", "--bogus"][..],
            "unexpected argument '--bogus' found (see --help)",
        ),
        (
            &["pub", "-t", "a"][..],
            "say what to publish: -m TEXT, -f FILE, -l (a message per stdin line), -s (all of stdin), -n (an empty message), --jsonl or --topic-lines (see --help)",
        ),
        (
            &["rr", "-t", "a", "-e", "b"][..],
            "say what to send as the request: -m TEXT, -f FILE, -s (all of stdin) or -n (an empty request) (see --help)",
        ),
        (
            &["sbu", "-t", "a"][..],
            "unrecognized subcommand 'sbu'; did you mean `moth sub`? (see --help)",
        ),
        (
            &["pub", "-t", "a", "-m", "x", "-V", "311", "-x", "10"][..],
            "-x (session expiry) is an MQTT 5 feature: add -V 5",
        ),
        (
            &["pub", "-t", "a", "-m", "x", "-V", "5", "-x", "soon"][..],
            "invalid value 'soon' for '--session-expiry <SECONDS>': use seconds from 0 to 4294967295, or -1 for never (see --help)",
        ),
        (
            &["pub", "-t", "a", "-m", "x", "-P", "pw"][..],
            "a password (-P) needs a user name (-u) in MQTT 3.1.1; add -u or use -V 5",
        ),
        (
            &["pub", "-t", "a", "-m", "x", "--repeat", "0"][..],
            "invalid value '0' for '--repeat <COUNT>': use a count from 1 to 18446744073709551615 (see --help)",
        ),
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
                "-1",
            ][..],
            "invalid value '-1' for '--repeat-delay <SECONDS>': use seconds from 0 to 31536000 (see --help)",
        ),
        (
            &["sub", "-t", "a", "-C", "0"][..],
            "invalid value '0' for '--count <COUNT>': use a count from 1 to 18446744073709551615 (see --help)",
        ),
        (
            &["sub", "-t", "a", "-W", "0"][..],
            "invalid value '0' for '--timeout <SECONDS>': use whole seconds from 1 to 4294967295 (see --help)",
        ),
        (
            &["sub", "-t", "a", "--random-filter", "0"][..],
            "invalid value '0' for '--random-filter <PERCENT>': use a percentage from 0.1 to 100 (see --help)",
        ),
        (
            &["sub", "-t", "a", "--retain-as-published"][..],
            "--retain-as-published is an MQTT 5 feature: add -V 5",
        ),
        (
            &["sub"][..],
            "give a topic filter to subscribe to with -t (or -U to unsubscribe)",
        ),
        (
            &["pub", "-m", "x"][..],
            "give the topic to publish to with -t",
        ),
    ];
    for (args, stderr) in cases {
        fails(args, 1, stderr);
    }
}

#[test]
fn invalid_topics_and_filters() {
    fails(
        &["pub", "-t", "a/#", "-m", "x"],
        1,
        "invalid topic 'a/#' (-t): a topic to publish to cannot contain the wildcards + or #",
    );
    fails(
        &["pub", "-t", "a/+/b", "-m", "x"],
        1,
        "invalid topic 'a/+/b' (-t): a topic to publish to cannot contain the wildcards + or #",
    );
    fails(
        &["pub", "-t", "", "-m", "x"],
        1,
        "invalid topic '' (-t): it is empty",
    );
    fails(
        &["sub", "-t", "a/#/b"],
        1,
        "invalid filter 'a/#/b' (-t): # must be a whole level and the last one, as in a/#",
    );
    fails(
        &["sub", "-t", "a", "-T", "a+"],
        1,
        "invalid filter 'a+' (-T): + must be a whole level, as in a/+/b",
    );
    fails(
        &["sub", "-U", "x#"],
        1,
        "invalid filter 'x#' (-U): # must be a whole level and the last one, as in a/#",
    );
    fails(
        &["sub", "-t", "$share/g"],
        1,
        "invalid filter '$share/g' (-t): a shared subscription needs $share/GROUP/FILTER",
    );
    fails(
        &["pub", "-t", "a", "-m", "x", "--will-topic", "w/#"],
        1,
        "invalid --will-topic 'w/#': a topic to publish to cannot contain the wildcards + or #",
    );
}

#[test]
fn strings_mqtt_forbids_are_refused_before_connecting() {
    // Nothing listens on the port: each refusal comes before any connection is tried.
    let dead = free_port().to_string();
    let base = ["-p", dead.as_str()];
    let forbids = |what: &str, found: &str| {
        format!(
            "{what} contains {found}, which MQTT forbids in strings (the broker would close the connection)"
        )
    };
    let in_topic = |found: &str| {
        format!(
            "it contains {found}, which MQTT forbids in topics (the broker would close the connection)"
        )
    };
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["pub", "-t", "a\u{1}b", "-m", "x", "-q", "1"],
            format!(
                "invalid topic 'a\\x01b' (-t): {}",
                in_topic("a control character (U+0001)")
            ),
        ),
        (
            vec!["pub", "-t", "a\u{ffff}", "-m", "x"],
            format!(
                "invalid topic 'a\u{ffff}' (-t): {}",
                in_topic("a Unicode noncharacter (U+FFFF)")
            ),
        ),
        (
            vec!["sub", "-t", "a\u{1}b", "-E"],
            format!(
                "invalid filter 'a\\x01b' (-t): {}",
                in_topic("a control character (U+0001)")
            ),
        ),
        (
            vec![
                "pub",
                "-V",
                "5",
                "-t",
                "t",
                "-m",
                "x",
                "-q",
                "1",
                "--content-type",
                "x\ty",
            ],
            forbids("the --content-type value", "a control character (U+0009)"),
        ),
        (
            vec![
                "pub",
                "-V",
                "5",
                "-t",
                "t",
                "-m",
                "x",
                "-D",
                "publish",
                "user-property",
                "k",
                "v\u{7f}",
            ],
            format!(
                "-D publish user-property: {}",
                forbids("the value", "a control character (U+007F)")
            ),
        ),
        (
            vec![
                "pub",
                "-V",
                "5",
                "-t",
                "t",
                "-m",
                "x",
                "--user-property",
                "k\u{fdd0}=v",
            ],
            format!(
                "--user-property: {}",
                forbids("the key", "a Unicode noncharacter (U+FDD0)")
            ),
        ),
        (
            vec!["pub", "-t", "t", "-m", "x", "-i", "worker\u{85}"],
            forbids("the client id (-i)", "a control character (U+0085)"),
        ),
        (
            vec!["pub", "-t", "t", "-m", "x", "-u", "al\u{1b}ice", "-P", "pw"],
            forbids("the user name (-u)", "a control character (U+001B)"),
        ),
        (
            vec!["pub", "-t", "t", "-m", "x", "--will-topic", "w\u{2}"],
            format!(
                "invalid --will-topic 'w\\x02': {}",
                in_topic("a control character (U+0002)")
            ),
        ),
    ];
    for (args, sentence) in cases {
        let mut all = args.clone();
        all.extend(base);
        fails(&all, 1, &sentence);
    }
    // From stdin, read once connected: the bad line is named, the lines before it delivered.
    let broker = Broker::start();
    let live = broker.port.to_string();
    for (flag, input, sentence) in [
        (
            "--jsonl",
            "{\"topic\":\"a\\uffff\",\"payload\":\"x\"}\n",
            format!(
                "line 1 of stdin (--jsonl): invalid topic 'a\u{ffff}': {}",
                in_topic("a Unicode noncharacter (U+FFFF)")
            ),
        ),
        (
            "--topic-lines",
            "a\u{1}b x\n",
            format!(
                "line 1 of stdin (--topic-lines): invalid topic 'a\\x01b': {}",
                in_topic("a control character (U+0001)")
            ),
        ),
    ] {
        let mut cmd = moth();
        cmd.args(["pub", flag, "-p", &live]);
        let out = run(cmd, input.as_bytes());
        out.assert_code(1)
            .assert_stderr(&format!("moth: error: {sentence}"));
    }
}

#[test]
fn unusable_input() {
    fails(
        &["pub", "-t", "a", "-f", "/nonexistent/file"],
        1,
        "cannot read -f /nonexistent/file: No such file or directory",
    );
    let broker = Broker::start();
    let out = run(broker.moth("pub", &["-t", "a", "-s"]), b"");
    out.assert_code(1).assert_stderr(
        "moth: error: stdin is empty (-s): nothing to send; use -n to send an empty message",
    );
}

#[test]
fn mosquitto_options_rustls_cannot_honour_are_refused_by_name() {
    fails(
        &[
            "pub",
            "-t",
            "a",
            "-m",
            "x",
            "--psk",
            "00ff",
            "--psk-identity",
            "me",
        ],
        1,
        "--psk is not supported: TLS-PSK is not supported by rustls; use certificates",
    );
    fails(
        &["pub", "-t", "a", "-m", "x", "--ciphers", "DEFAULT"],
        1,
        "--ciphers is not supported: OpenSSL cipher lists do not apply to rustls, which only offers safe suites; drop the option",
    );
    fails(
        &["sub", "-t", "a", "--tls-engine", "pkcs11"],
        1,
        "--tls-engine is not supported: OpenSSL engines are not supported",
    );
    fails(
        &["sub", "-t", "a", "--proxy", "socks5h://h:1080"],
        1,
        "--proxy is not supported: SOCKS proxies are not supported yet",
    );
    fails(
        &["sub", "-t", "a", "-A", "10.0.0.1"],
        1,
        "-A is not supported: binding a local address is not supported; the OS picks the route",
    );
}

#[test]
fn bad_urls() {
    fails(
        &["pub", "-L", "http://h/t", "-m", "x"],
        1,
        "invalid -L URL 'http://h/t': the scheme must be mqtt, mqtts, ws or wss; expected mqtt://[user[:password]@]host[:port]/topic",
    );
    fails(
        &["pub", "-L", "mqtt://u:hunter2@h:0/t", "-m", "x"],
        1,
        "invalid -L URL 'mqtt://u:***@h:0/t': the port is not a number from 1 to 65535; expected mqtt://[user[:password]@]host[:port]/topic",
    );
    fails(
        &["pub", "-L", "mqtt://h/t", "-p", "1883", "-m", "x"],
        1,
        "-L gives the broker address already: drop -h, -p and --unix",
    );
}

#[test]
fn nothing_listening() {
    let port = free_port().to_string();
    fails(
        &["pub", "-h", "127.0.0.1", "-p", &port, "-t", "a", "-m", "x"],
        1,
        &format!(
            "cannot connect to 127.0.0.1:{port}: connection refused (is the broker running and listening there?)"
        ),
    );
    fails(
        &["sub", "-h", "127.0.0.1", "-p", &port, "-t", "a"],
        1,
        &format!(
            "cannot connect to 127.0.0.1:{port}: connection refused (is the broker running and listening there?)"
        ),
    );
    fails(
        &["sub", "--unix", "/nonexistent/mosquitto.sock", "-t", "a"],
        1,
        "cannot connect to unix socket /nonexistent/mosquitto.sock: no such socket file",
    );
    fails(
        &["pub", "-h", "no-such-host.invalid", "-t", "a", "-m", "x"],
        1,
        "cannot connect to no-such-host.invalid:1883: cannot resolve the host name (check -h)",
    );
}

#[test]
fn quiet_silences_runtime_errors_but_keeps_the_exit_code() {
    let port = free_port().to_string();
    let out = run(
        moth().args([
            "pub",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-t",
            "a",
            "-m",
            "x",
            "--quiet",
        ]),
        b"",
    );
    out.assert_code(1);
    assert_eq!(out.stderr, "");
    // Argument errors are still shown, as mosquitto does.
    let out = run(moth().args(["pub", "-t", "a/#", "-m", "x", "--quiet"]), b"");
    out.assert_code(1);
    assert!(
        out.stderr.starts_with("moth: error: invalid topic"),
        "{}",
        out.stderr
    );
}

#[test]
fn connack_refusals_exit_with_the_code_itself() {
    let broker = Broker::config().user("alice", "s3cret").start();
    let port = broker.port.to_string();
    let base = ["-h", "127.0.0.1", "-p", &port];
    for (version, code) in [("311", 5), ("5", 135)] {
        let mut args: Vec<&str> = vec!["pub"];
        args.extend(base);
        args.extend([
            "-V", version, "-t", "a", "-m", "x", "-u", "alice", "-P", "wrong",
        ]);
        fails(
            &args,
            code,
            &format!(
                "the broker refused the connection: not authorized (code {code}); check -u and -P, and the broker's access rules"
            ),
        );
    }
    let ok = run(
        broker.moth(
            "pub",
            &["-t", "a", "-m", "x", "-u", "alice", "-P", "s3cret"],
        ),
        b"",
    );
    ok.assert_success();
}

#[test]
fn a_publish_the_broker_refuses_is_an_error() {
    // mosquitto_pub exits 0 here; moth exits 12 and says why.
    let broker = Broker::config().dynsec().start();
    for qos in ["1", "2"] {
        let out = run(
            broker.moth(
                "pub",
                &[
                    "-V",
                    "5",
                    "-q",
                    qos,
                    "-t",
                    "forbidden",
                    "-m",
                    "x",
                    "-u",
                    "admin",
                    "-P",
                    "adminpw",
                ],
            ),
            b"",
        );
        let packet = if qos == "1" { "PUBACK" } else { "PUBREC" };
        out.assert_code(12).assert_stderr(&format!(
            "moth: error: 1 of 1 message(s) refused; first: the broker refused message 1 (topic 'forbidden'): not authorized (code 135, in {packet})"
        ));
    }
}

#[test]
fn refused_subscriptions() {
    let broker = Broker::config().dynsec().start();
    let creds = ["-u", "admin", "-P", "adminpw"];
    // Every filter refused: an error (mosquitto_sub would wait forever, printing nothing).
    let mut all = vec!["-t", "forbidden/a", "-t", "forbidden/b"];
    all.extend(creds);
    let out = run(
        broker.moth("sub", &[all.as_slice(), &["-V", "5"]].concat()),
        b"",
    );
    out.assert_code(12).assert_stderr(
        "moth: error: the broker refused every subscription: 'forbidden/a': not authorized (code 135); 'forbidden/b': not authorized (code 135)",
    );
    let out = run(broker.moth("sub", &all), b"");
    out.assert_code(12).assert_stderr(
        "moth: error: the broker refused every subscription: 'forbidden/a': refused (code 128); 'forbidden/b': refused (code 128)",
    );
    // Some refused: a warning, and the rest works.
    let mut some = vec!["-t", "forbidden/a", "-t", "$SYS/broker/version", "-C", "1"];
    some.extend(creds);
    let out = run(broker.moth("sub", &some), b"");
    out.assert_success();
    assert_eq!(
        out.stderr,
        "moth: warning: the broker refused the subscription to 'forbidden/a': refused (code 128)\n"
    );
    assert!(
        out.stdout_text().starts_with("mosquitto version 2."),
        "{}",
        out.stdout_text()
    );
}

#[test]
fn property_errors_name_the_property() {
    fails(
        &[
            "pub",
            "-V",
            "5",
            "-t",
            "a",
            "-m",
            "x",
            "-D",
            "publish",
            "message-expiry-interval",
            "soon",
        ],
        1,
        "-D publish message-expiry-interval: 'soon' is not a number from 0 to 4294967295",
    );
    fails(
        &[
            "pub",
            "-V",
            "5",
            "-t",
            "a",
            "-m",
            "x",
            "-D",
            "connect",
            "content-type",
            "x",
        ],
        1,
        "-D connect content-type: not a connect property; connect takes session-expiry-interval, receive-maximum, maximum-packet-size, topic-alias-maximum, request-problem-information, request-response-information, user-property",
    );
    fails(
        &[
            "sub",
            "-V",
            "5",
            "-t",
            "a",
            "-D",
            "subscribe",
            "subscription-identifier",
            "0",
        ],
        1,
        "-D subscribe subscription-identifier: '0' is not a number from 1 to 268435455",
    );
    fails(
        &[
            "pub",
            "-V",
            "5",
            "-t",
            "a",
            "-m",
            "x",
            "-D",
            "publish",
            "user-property",
            "lonely",
        ],
        1,
        "-D publish user-property: user-property takes a name and a value",
    );
    fails(
        &[
            "pub", "-V", "5", "-t", "a", "-m", "x", "-D", "fly", "x", "y",
        ],
        1,
        "unknown -D command 'fly': use connect, publish, subscribe, unsubscribe, disconnect or will",
    );
    fails(
        &[
            "pub",
            "-t",
            "a",
            "-m",
            "x",
            "-D",
            "publish",
            "content-type",
            "x",
        ],
        1,
        "-D (properties) is an MQTT 5 feature: add -V 5",
    );
    fails(
        &["pub", "-t", "a", "-m", "x", "--content-type", "x"],
        1,
        "message properties are an MQTT 5 feature: add -V 5",
    );
    fails(
        &[
            "pub",
            "-V",
            "5",
            "-t",
            "a",
            "-m",
            "x",
            "--user-property",
            "novalue",
        ],
        1,
        "invalid --user-property 'novalue': use KEY=VALUE",
    );
    fails(
        &["sub", "-t", "a", "--no-local"],
        1,
        "--no-local is an MQTT 5 feature: add -V 5",
    );
}

#[test]
fn mosquitto_pub_flag_combinations_it_ignores_are_accepted() {
    let broker = Broker::start();
    // mosquitto_pub takes --repeat-delay without --repeat, and --repeat with -l, and ignores them.
    run(
        broker.moth("pub", &["-t", "a", "-m", "x", "--repeat-delay", "1"]),
        b"",
    )
    .assert_success();
    run(
        broker.moth("pub", &["-t", "a", "-l", "--repeat", "3"]),
        b"one\n",
    )
    .assert_success()
    .assert_stderr(
        "moth: warning: --repeat and --repeat-delay apply to -m, -f, -s and -n; ignored with -l",
    );
    // As mosquitto: a session that never expires needs a client id to come back to.
    fails(
        &["pub", "-V", "5", "-x", "-1", "-t", "a", "-m", "x"],
        1,
        "-x -1 (a session that never expires) needs a client id: add -i ID",
    );
}
