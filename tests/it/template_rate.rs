//! `pub --template` fills in placeholders for each message; `pub --rate` holds its rate on a
//! schedule fixed at the start.

use crate::support::{Broker, moth, run, spawn};

#[test]
fn every_placeholder_is_filled_in() {
    let broker = Broker::start();
    let sub = spawn(broker.moth("sub", &["-t", "tpl/#", "-v", "-C", "3", "-i", "tpl"]));
    broker.wait_subscribed("tpl", "tpl/#");
    let out = run(
        broker.moth(
            "pub",
            &[
                "--template",
                "-q",
                "1",
                "--repeat",
                "3",
                "-t",
                "tpl/{seq}",
                "-m",
                "{{seq={seq} r={random:7-9} id={uuid} ts={ts} ms={unix_ms} same={uuid}}}",
            ],
        ),
        b"",
    );
    out.assert_success();
    let out = sub.finish();
    out.assert_success();
    let text = out.stdout_text();
    let mut ids = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let (topic, payload) = line.split_once(' ').unwrap();
        assert_eq!(topic, format!("tpl/{}", n + 1));
        let inner = payload
            .strip_prefix('{')
            .and_then(|p| p.strip_suffix('}'))
            .unwrap();
        let fields: Vec<(&str, &str)> = inner
            .split(' ')
            .map(|f| f.split_once('=').unwrap())
            .collect();
        assert_eq!(fields[0], ("seq", (n + 1).to_string().as_str()));
        assert!(["7", "8", "9"].contains(&fields[1].1), "{line}");
        let id = fields[2].1;
        assert_eq!((id.len(), &id[14..15]), (36, "4"), "{line}");
        assert_eq!(fields[5].1, id, "one uuid per message");
        ids.push(id.to_string());
        let ts = fields[3].1;
        assert!(
            ts.len() == 24 && ts.ends_with('Z') && ts.as_bytes()[19] == b'.',
            "{ts}"
        );
        assert!(fields[4].1.parse::<u64>().unwrap() > 1_700_000_000_000);
    }
    ids.dedup();
    assert_eq!(ids.len(), 3, "a new uuid for each message");
}

#[test]
fn a_template_takes_each_stdin_line() {
    let broker = Broker::start();
    let sub = spawn(broker.moth("sub", &["-t", "log/#", "-v", "-C", "3", "-i", "log"]));
    broker.wait_subscribed("log", "log/#");
    let out = run(
        broker.moth(
            "pub",
            &["-l", "--template", "-t", "log/{seq}", "-m", "[{line}]"],
        ),
        b"first\n\nthird",
    );
    out.assert_success();
    assert_eq!(
        sub.finish().stdout_text(),
        "log/1 [first]\nlog/2 []\nlog/3 [third]\n"
    );
    // Without --template, braces are payload bytes like any other.
    let sub = spawn(broker.moth("sub", &["-t", "log/raw", "-C", "1", "-i", "raw"]));
    broker.wait_subscribed("raw", "log/raw");
    run(
        broker.moth("pub", &["-t", "log/raw", "-m", "{seq} {x"]),
        b"",
    )
    .assert_success();
    assert_eq!(sub.finish().stdout_text(), "{seq} {x\n");
}

#[test]
fn template_mistakes_are_named_before_connecting() {
    // Port 1 has no broker: these fail before any connection is tried.
    for (rest, error) in [
        (
            &["-t", "a/{nope}", "-m", "x"][..],
            "--template: unknown placeholder {nope} (use {seq}, {ts}, {unix_ms}, {uuid}, {random:A-B}, {line}, or {{ and }} for braces) in -t",
        ),
        (
            &["-t", "a", "-m", "{line}"][..],
            "--template: {line} needs -l (one message per stdin line) in -m",
        ),
        (
            &["-t", "a", "-m", "{random:9-1}"][..],
            "--template: {random:9-1} is not a range: use {random:A-B} with whole numbers A <= B in -m",
        ),
        (
            &["-t", "a", "-m", "x}"][..],
            "--template: a lone } in -m: write }} for a literal brace",
        ),
        (
            &["-t", "a/#{seq}", "-m", "x"][..],
            "invalid topic 'a/#{seq}' (-t): a topic to publish to cannot contain the wildcards + or #",
        ),
        (
            &["-t", "a", "-l", "-m", "x"][..],
            "--template with -l and -m: put {line} in -m (or -t) where each line goes",
        ),
    ] {
        let out = run(
            moth().args(["pub", "-p", "1", "--template"]).args(rest),
            b"",
        );
        out.assert_code(1)
            .assert_stderr(&format!("moth: error: {error}"));
    }
    let out = run(
        moth().args(["pub", "-p", "1", "-t", "a", "-l", "-m", "x"]),
        b"",
    );
    out.assert_code(1).assert_stderr(
        "moth: error: -m and -l are two message sources: give one (with --template, -m is the pattern each -l line fills in as {line})",
    );
    let out = run(
        moth().args(["pub", "-t", "a", "-m", "x", "--rate", "0"]),
        b"",
    );
    out.assert_code(1).assert_stderr(
        "moth: error: invalid value '0' for '--rate <PER_SECOND>': use messages per second from 0.001 to 1000000000 (see --help)",
    );
}

/// Arrival times (seconds) of `count` messages on `topic`, from mosquitto_sub's %U.
fn arrivals(out: &crate::support::Output) -> Vec<f64> {
    out.stdout_text()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect()
}

#[test]
fn rate_holds_over_200_lines() {
    let broker = Broker::start();
    let sub = spawn(broker.mosquitto(
        "mosquitto_sub",
        &["-t", "paced", "-C", "200", "-F", "%U", "-i", "paced"],
    ));
    broker.wait_subscribed("paced", "paced");
    let lines: String = (0..200).map(|n| format!("{n}\n")).collect();
    let out = run(
        broker.moth("pub", &["-t", "paced", "-l", "-q", "1", "--rate", "100"]),
        lines.as_bytes(),
    );
    out.assert_success();
    let out = sub.finish();
    let times = arrivals(&out);
    assert_eq!(times.len(), 200);
    // 199 intervals of 10 ms.
    let span = times[199] - times[0];
    assert!(
        (span - 1.99).abs() <= 1.99 * 0.05,
        "200 messages took {span} s"
    );
}

#[test]
fn rate_paces_repeats_without_waiting_for_each() {
    let broker = Broker::start();
    let sub = spawn(broker.mosquitto(
        "mosquitto_sub",
        &["-t", "rep", "-C", "5", "-F", "%U", "-i", "rep"],
    ));
    broker.wait_subscribed("rep", "rep");
    let out = run(
        broker.moth(
            "pub",
            &[
                "-t", "rep", "-m", "x", "--repeat", "5", "--rate", "12.5", "-q", "1",
            ],
        ),
        b"",
    );
    out.assert_success();
    let times = arrivals(&sub.finish());
    let span = times[4] - times[0];
    assert!(
        (span - 0.32).abs() < 0.06,
        "5 messages at 12.5/s took {span} s: {times:?}"
    );
}
