//! `moth ls`: the topic tree of a broker, from retained and live messages; counted messages are
//! acknowledged, the rest stays the session's.

use std::time::{Duration, Instant};

use crate::support::{Broker, run, spawn};

fn publish(broker: &Broker, args: &[&str]) {
    run(broker.moth("pub", args), b"").assert_success();
}

fn retained_plant(broker: &Broker) {
    for (topic, payload) in [
        ("plant/line1/temp", "21.5"),
        ("plant/line1/pressure", "1013"),
        ("plant/status", "ok"),
    ] {
        publish(broker, &["-t", topic, "-m", payload, "-r", "-q", "1"]);
    }
}

#[test]
fn ls_prints_the_retained_tree_and_stops_after_a_quiet_second() {
    let broker = Broker::start();
    retained_plant(&broker);
    publish(&broker, &["-t", "other", "-m", "x", "-r"]);
    let started = Instant::now();
    let out = run(broker.moth("ls", &["-t", "plant/#"]), b"");
    let took = started.elapsed();
    out.assert_success();
    assert_eq!(out.stderr, "");
    assert_eq!(
        out.stdout_text(),
        "\
TOPIC        MESSAGES   RATE/S    BYTES RETAINED LAST PAYLOAD
plant
  line1
    pressure        1     0.00        4 retained 1013
    temp            1     0.00        4 retained 21.5
  status            1     0.00        2 retained ok
"
    );
    // The default end: --idle 1.
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[test]
fn ls_counts_live_and_retained_messages() {
    let broker = Broker::start();
    retained_plant(&broker);
    let ls = spawn(broker.moth(
        "ls",
        &["-t", "plant/#", "--json", "--idle", "1", "-i", "lister"],
    ));
    broker.wait_subscribed("lister", "plant/#");
    publish(
        &broker,
        &["-t", "plant/line1/temp", "-m", "21.7", "-q", "1"],
    );
    publish(&broker, &["-t", "plant/events", "-m", "start"]);
    publish(&broker, &["-t", "plant/events", "-f", "/dev/null"]);
    let bin = broker.dir().join("bin");
    std::fs::write(&bin, [0u8, 255]).unwrap();
    publish(&broker, &["-t", "plant/raw", "-f", bin.to_str().unwrap()]);
    let out = ls.finish();
    out.assert_success();
    // Rates depend on timing; everything else is exact.
    let lines: Vec<String> = out
        .stdout_text()
        .lines()
        .map(|l| {
            let (before, after) = l.split_once(",\"rate\":").unwrap();
            let after = &after[after.find(',').unwrap()..];
            format!("{before}{after}")
        })
        .collect();
    assert_eq!(
        lines,
        [
            r#"{"topic":"plant/events","messages":2,"retained":false,"last_payload_bytes":0,"last_payload":null}"#,
            r#"{"topic":"plant/line1/pressure","messages":1,"retained":true,"last_payload_bytes":4,"last_payload":"1013"}"#,
            r#"{"topic":"plant/line1/temp","messages":2,"retained":true,"last_payload_bytes":4,"last_payload":"21.7"}"#,
            r#"{"topic":"plant/raw","messages":1,"retained":false,"last_payload_bytes":2,"last_payload":"AP8=","last_payload_encoding":"base64"}"#,
            r#"{"topic":"plant/status","messages":1,"retained":true,"last_payload_bytes":2,"last_payload":"ok"}"#,
        ]
    );
    assert!(
        out.stdout_text()
            .contains(r#""topic":"plant/line1/pressure","messages":1,"rate":0.0,"#)
    );
}

#[test]
fn ls_acknowledges_what_it_counted_and_nothing_else() {
    let broker = Broker::start();
    let session = ["-t", "jobs/#", "-q", "1", "-c", "-i", "ls-session"];
    run(broker.moth("sub", &[&session[..], &["-E"]].concat()), b"").assert_success();
    // --idle: all three counted and acknowledged. -C 2: two counted, the third left for the
    // session, and only it.
    for (payload, watch, counted, left) in [
        ("job", &["--idle", "0.5"][..], 3, ""),
        ("again", &["-C", "2"][..], 2, "jobs/3 again\n"),
    ] {
        for n in 1..=3 {
            publish(
                &broker,
                &["-t", &format!("jobs/{n}"), "-m", payload, "-q", "1"],
            );
        }
        let out = run(
            broker.moth("ls", &[&session[..], watch, &["--json"]].concat()),
            b"",
        );
        out.assert_success();
        assert_eq!(
            out.stdout_text().lines().count(),
            counted,
            "{}",
            out.stdout_text()
        );
        let out = run(
            broker.moth("sub", &[&session[..], &["-v", "--idle", "0.5"]].concat()),
            b"",
        );
        out.assert_success();
        assert_eq!(out.stdout_text(), left, "{payload}");
    }
    // -W is how long ls watches: the tree, exit 0.
    let out = run(
        broker.moth("ls", &[&session[..], &["-W", "1"]].concat()),
        b"",
    );
    out.assert_success();
    assert_eq!(
        out.stdout_text(),
        "TOPIC MESSAGES   RATE/S    BYTES RETAINED LAST PAYLOAD\n"
    );
}

#[test]
fn ls_takes_connection_settings_from_the_environment_and_profiles() {
    let broker = Broker::start();
    retained_plant(&broker);
    let mut cmd = crate::support::moth();
    cmd.args(["ls", "-t", "plant/status", "--idle", "0.3"])
        .env("MOTH_HOST", "127.0.0.1")
        .env("MOTH_PORT", broker.port.to_string());
    let out = run(cmd, b"");
    out.assert_success();
    assert!(
        out.stdout_text().ends_with(" retained ok\n"),
        "{}",
        out.stdout_text()
    );
}

#[test]
fn ls_sorts_busiest_first_and_folds_below_a_depth() {
    let broker = Broker::start();
    retained_plant(&broker);
    publish(
        &broker,
        &["-t", "office/door", "-m", "open", "-r", "-q", "1"],
    );
    let out = run(
        broker.moth("ls", &["--sort", "messages", "--depth", "1"]),
        b"",
    );
    out.assert_success();
    assert_eq!(
        out.stdout_text(),
        "\
TOPIC    MESSAGES   RATE/S    BYTES RETAINED LAST PAYLOAD
plant/#         3     0.00       10 retained (3 topics)
office/#        1     0.00        4 retained open
"
    );
    let out = run(
        broker.moth("ls", &["--json", "--depth", "2", "-t", "plant/#"]),
        b"",
    );
    out.assert_success();
    assert_eq!(
        out.stdout_text(),
        "{\"topic\":\"plant/line1/#\",\"topics\":2,\"messages\":2,\"rate\":0.0,\"retained\":true,\"last_payload_bytes\":8,\"last_payload\":null}\n\
         {\"topic\":\"plant/status\",\"messages\":1,\"rate\":0.0,\"retained\":true,\"last_payload_bytes\":2,\"last_payload\":\"ok\"}\n"
    );
}

#[test]
fn ls_watch_redraws_a_terminal_and_leaves_the_tree_at_ctrl_c() {
    let broker = Broker::start();
    retained_plant(&broker);
    let moth = env!("CARGO_BIN_EXE_moth");
    let port = broker.port;
    let terminal = crate::support::terminal::Terminal::start(
        100,
        20,
        &format!(
            "{moth} ls -h 127.0.0.1 -p {port} -t 'plant/#' --watch -i watcher; echo exit=$?; sleep 60"
        ),
    );
    terminal.wait_for("watching for");
    broker.wait_subscribed("watcher", "plant/#");
    publish(&broker, &["-t", "plant/fresh", "-m", "live!"]);
    terminal.wait_for("live!");
    terminal.keys(&["C-c"]);
    let screen = terminal.wait_for("exit=0");
    assert!(
        screen.contains("    temp            1     0.00        4 retained 21.5"),
        "{screen}"
    );
    assert!(!screen.contains("watching for"), "{screen}");
    // Not a terminal: refused, with what to do instead.
    let out = run(broker.moth("ls", &["--watch"]), b"");
    out.assert_code(1).assert_stderr(
        "moth: error: --watch redraws a terminal, and stdout is not one: drop --watch (or use --json for scripts)",
    );
}
