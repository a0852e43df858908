//! Session behaviour: wills, reconnects, a broker that goes away, ids, and secrets kept out of
//! every line moth prints.

use std::process::Stdio;
use std::time::Duration;

use crate::support::{Broker, run, spawn, spawn_with_stdin};

#[test]
fn the_will_is_published_when_the_client_vanishes_not_when_it_leaves() {
    let broker = Broker::start();
    for version in ["311", "5"] {
        let watcher_id = format!("watcher-{version}");
        let watcher =
            spawn(broker.moth("sub", &["-t", "wills", "-v", "-C", "1", "-i", &watcher_id]));
        broker.wait_subscribed(&watcher_id, "wills");

        let victim_id = format!("victim-{version}");
        let victim = spawn(broker.moth(
            "sub",
            &[
                "-V",
                version,
                "-t",
                "x",
                "-i",
                &victim_id,
                "--will-topic",
                "wills",
                "--will-payload",
                "gone",
                "--will-qos",
                "1",
            ],
        ));
        broker.wait_subscribed(&victim_id, "x");
        victim.signal("KILL");
        let out = watcher.finish();
        out.assert_success();
        assert_eq!(out.stdout_text(), "wills gone\n", "v{version}");

        // A clean exit sends DISCONNECT, so no will.
        let polite_id = format!("polite-{version}");
        let polite = spawn(broker.moth(
            "sub",
            &[
                "-V",
                version,
                "-t",
                "x",
                "-i",
                &polite_id,
                "--will-topic",
                "wills",
                "--will-payload",
                "oops",
            ],
        ));
        broker.wait_subscribed(&polite_id, "x");
        let watcher = spawn(broker.moth(
            "sub",
            &["-t", "wills", "-W", "1", "-i", &format!("w2-{version}")],
        ));
        broker.wait_subscribed(&format!("w2-{version}"), "wills");
        polite.signal("INT");
        polite.finish().assert_success();
        let out = watcher.finish();
        out.assert_code(27);
        assert_eq!(out.stdout_text(), "", "no will after a clean disconnect");
    }
}

#[test]
fn sub_reconnects_and_resubscribes_after_the_broker_restarts() {
    let mut broker = Broker::start();
    let sub = spawn(broker.moth(
        "sub",
        &["-t", "re", "-C", "2", "-i", "resilient", "-q", "1"],
    ));
    broker.wait_subscribed("resilient", "re");
    run(
        broker.moth("pub", &["-t", "re", "-m", "before", "-q", "1"]),
        b"",
    )
    .assert_success();
    sub.wait_stdout_len("before\n".len(), Duration::from_secs(10));

    broker.restart();
    // The new broker has no session: moth must subscribe again by itself.
    broker.wait_subscribed("resilient", "re");
    run(
        broker.moth("pub", &["-t", "re", "-m", "after", "-q", "1"]),
        b"",
    )
    .assert_success();
    let out = sub.finish();
    out.assert_success();
    assert_eq!(out.stdout_text(), "before\nafter\n");
    let port = broker.port;
    assert_eq!(
        out.stderr,
        format!(
            "moth: warning: connection to 127.0.0.1:{port} lost: the broker closed the connection; reconnecting\n\
             moth: reconnected; the broker kept no session, subscribing again\n"
        )
    );
}

#[test]
fn pub_fails_when_the_broker_stays_away_past_the_reconnect_timeout() {
    let mut broker = Broker::start();
    let mut publisher = spawn_with_stdin(
        broker.moth(
            "pub",
            &[
                "-t",
                "v",
                "-l",
                "-q",
                "1",
                "--reconnect-timeout",
                "1",
                "-i",
                "vanishing",
            ],
        ),
        Stdio::piped(),
    );
    // Connected, then the broker freezes (nothing more is acknowledged), gets a second line
    // and dies. Closing stdin makes moth read both lines whenever it gets to them.
    broker.wait_connected("vanishing");
    std::io::Write::write_all(publisher.stdin(), b"one\n").unwrap();
    broker.freeze();
    std::io::Write::write_all(publisher.stdin(), b"two\n").unwrap();
    publisher.close_stdin();
    broker.kill();
    let out = publisher.finish();
    out.assert_code(7);
    // "one" was almost surely acknowledged before the broker froze; on a very slow machine its
    // PUBACK may still have been on the way, so either count is a correct account.
    let port = broker.port;
    let lost = format!("connection to 127.0.0.1:{port} lost: the broker closed the connection");
    let prefix = format!(
        "moth: warning: {lost}; reconnecting\n\
         moth: error: {lost}; no connection again within --reconnect-timeout 1 s: "
    );
    let counts = [
        format!("{prefix}1 of 2 message(s) not delivered\n"),
        format!("{prefix}2 of 2 message(s) not delivered\n"),
    ];
    assert!(counts.contains(&out.stderr), "{}", out.stderr);
}

#[test]
fn id_prefix_is_followed_by_the_process_id() {
    let broker = Broker::start();
    let sub = spawn(broker.moth("sub", &["-t", "idp", "-I", "pre-", "-C", "1"]));
    let id = format!("pre-{}", sub.pid());
    broker.wait_subscribed(&id, "idp");
    run(broker.moth("pub", &["-t", "idp", "-m", "x"]), b"").assert_success();
    sub.finish().assert_success();
}

#[test]
fn debug_shows_packets_but_never_the_password() {
    let broker = Broker::config().user("alice", "hunter2-secret").start();
    let out = run(
        broker.moth(
            "pub",
            &[
                "-d",
                "-u",
                "alice",
                "-P",
                "hunter2-secret",
                "-t",
                "d",
                "-m",
                "x",
                "-q",
                "1",
                "-i",
                "dbg",
            ],
        ),
        b"",
    );
    out.assert_success();
    // First where each setting came from (see tests/it/config.rs), then the packets.
    let (settings, packets) = out.stderr.split_at(out.stderr.find("Client ").unwrap());
    assert!(
        settings.starts_with("settings for moth pub\n"),
        "{settings}"
    );
    assert!(
        settings.contains("\npw = ***  (command line)\n"),
        "{settings}"
    );
    assert_eq!(
        packets,
        "Client dbg sending CONNECT (p4, c1, k60, user 'alice', password ****)\n\
         Client dbg received CONNACK (0, session present 0)\n\
         Client dbg sending PUBLISH (d0, q1, r0, m1, 'd', ... (1 bytes))\n\
         Client dbg received PUBACK (m1)\n\
         Client dbg sending DISCONNECT\n"
    );
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
    // Nor in errors, whether given with -P or inside a URL.
    let out = run(
        broker.moth(
            "pub",
            &[
                "-d",
                "-u",
                "alice",
                "-P",
                "wrong-secret",
                "-t",
                "d",
                "-m",
                "x",
            ],
        ),
        b"",
    );
    out.assert_code(5);
    assert!(!out.stderr.contains("wrong-secret"), "{}", out.stderr);
    let url = format!("mqtt://alice:wrong-secret@127.0.0.1:{}/d", broker.port);
    let out = run(
        crate::support::moth().args(["pub", "-L", &url, "-m", "x", "-V", "5", "-d"]),
        b"",
    );
    out.assert_code(135);
    assert!(!out.stderr.contains("wrong-secret"), "{}", out.stderr);
}

#[test]
fn persistent_mqtt5_session_survives_a_disconnect() {
    let broker = Broker::start();
    run(
        broker.moth(
            "sub",
            &["-V", "5", "-c", "-i", "keeper", "-t", "p5", "-q", "1", "-E"],
        ),
        b"",
    )
    .assert_success();
    run(
        broker.moth("pub", &["-V", "5", "-t", "p5", "-m", "queued", "-q", "1"]),
        b"",
    )
    .assert_success();
    let out = run(
        broker.moth(
            "sub",
            &[
                "-V", "5", "-c", "-i", "keeper", "-t", "p5", "-q", "1", "-C", "1",
            ],
        ),
        b"",
    );
    out.assert_success();
    assert_eq!(out.stdout_text(), "queued\n");
    // -x 0 ends the session at disconnect: nothing is kept.
    run(
        broker.moth(
            "sub",
            &[
                "-V", "5", "-c", "-x", "0", "-i", "brief", "-t", "p5", "-q", "1", "-E",
            ],
        ),
        b"",
    )
    .assert_success();
    run(
        broker.moth("pub", &["-V", "5", "-t", "p5", "-m", "lost", "-q", "1"]),
        b"",
    )
    .assert_success();
    let out = run(
        broker.moth(
            "sub",
            &[
                "-V", "5", "-c", "-x", "0", "-i", "brief", "-t", "other", "-W", "1",
            ],
        ),
        b"",
    );
    out.assert_code(27);
    assert_eq!(out.stdout_text(), "");
}

#[test]
fn the_wrong_kind_of_port_is_named() {
    let broker = Broker::config().websockets().start();
    let (port, ws_port) = (broker.port.to_string(), broker.ws_port.to_string());
    let fails = |args: &[&str], stderr: String| {
        let mut cmd = crate::support::moth();
        cmd.arg("pub").args(args).args(["-t", "a", "-m", "x"]);
        run(cmd, b"").assert_code(1).assert_stderr(&stderr);
    };
    // MQTT to a websocket listener: the answer is HTTP.
    fails(
        &["-h", "127.0.0.1", "-p", &ws_port],
        format!(
            "moth: error: cannot connect to 127.0.0.1:{ws_port}: the server answered in HTTP, not MQTT (a websockets port? add --ws, or use ws://)"
        ),
    );
    // Websockets to a plain MQTT listener: it hangs up on the request.
    fails(
        &["--ws", "-h", "127.0.0.1", "-p", &port],
        format!(
            "moth: error: cannot connect to ws://127.0.0.1:{port}/mqtt: the server did not answer as a websocket server (is that port a plain MQTT listener? use mqtt:// or drop --ws)"
        ),
    );
    // A port in -h.
    fails(
        &["-h", &format!("localhost:{port}")],
        format!(
            "moth: error: -h takes a host name or address, not 'localhost:{port}': give the port with -p (-h localhost -p {port}) or use a URL (-L mqtt://localhost:{port})"
        ),
    );
}

#[test]
fn debug_says_what_the_broker_allows_and_what_is_subscribed() {
    let broker = Broker::config().line("max_packet_size 5000").start();
    run(broker.moth("pub", &["-t", "dd/a", "-m", "x", "-r"]), b"").assert_success();
    let out = run(
        broker.moth(
            "sub",
            &[
                "-V", "5", "-d", "-t", "dd/a", "-t", "dd/#", "-q", "1", "-C", "1", "-i", "dd",
            ],
        ),
        b"",
    );
    out.assert_success();
    let packets: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("Client dd "))
        .collect();
    assert_eq!(
        packets[..4],
        [
            "Client dd sending CONNECT (p5, c1, k60)",
            "Client dd received CONNACK (0, session present 0; receive maximum 20, maximum packet size 5000, topic alias maximum 10, maximum QoS 2, retain yes, wildcard subscriptions yes, shared subscriptions yes, subscription identifiers yes)",
            "Client dd sending SUBSCRIBE (m65280, 'dd/a' q1, 'dd/#' q1)",
            "Client dd received SUBACK (m65280, 1, 1)",
        ],
        "{}",
        out.stderr
    );
}
