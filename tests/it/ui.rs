//! `moth ui` in a real terminal (tmux) against a real broker: the tree fills from retained and
//! live messages, keys open it, the publish form and the retained-clearing reach the broker on
//! the explorer's own session, and quitting gives the terminal back with exit 0.

use std::time::Duration;

use crate::support::terminal::Terminal;
use crate::support::{Broker, run, spawn};

fn publish(broker: &Broker, args: &[&str]) {
    run(broker.moth("pub", args), b"").assert_success();
}

/// The screen's row that holds `text` (the first).
fn row<'s>(screen: &'s str, text: &str) -> &'s str {
    screen
        .lines()
        .find(|line| line.contains(text))
        .unwrap_or_else(|| panic!("no row holds {text:?}:\n{screen}"))
}

#[test]
fn ui_browses_publishes_clears_retained_and_quits() {
    let broker = Broker::start();
    publish(
        &broker,
        &["-t", "plant/line1/temp", "-m", "21.5", "-r", "-q", "1"],
    );
    publish(
        &broker,
        &["-t", "plant/status", "-m", "ok", "-r", "-q", "1"],
    );
    let moth = env!("CARGO_BIN_EXE_moth");
    let port = broker.port;
    let terminal = Terminal::start(
        110,
        32,
        &format!("{moth} ui -h 127.0.0.1 -p {port} -i explorer -q 1; echo exit=$?; sleep 60"),
    );
    broker.wait_subscribed("explorer", "#");
    let screen = terminal.wait_for("Topics (2)");
    assert!(row(&screen, "▸ plant").starts_with("│▸ plant "), "{screen}");
    let broker_at = format!(" 127.0.0.1:{port} connected · ");
    assert!(screen.contains(&broker_at), "{screen}");

    // Open plant, then line1, and select its temp.
    terminal.keys(&["Enter"]);
    terminal.wait_for("│  ▸ line1 ");
    terminal.keys(&["j", "Enter"]);
    terminal.wait_for("│      temp ");
    terminal.keys(&["j"]);
    let screen = terminal.wait_for("QoS 1 · retained · number · 4 bytes · 1 message(s)");
    assert!(row(&screen, "      temp ").contains("      1 "), "{screen}");

    // A live message joins the history, and with two numbers the chart appears.
    publish(
        &broker,
        &["-t", "plant/line1/temp", "-m", "22.5", "-q", "1"],
    );
    let screen = terminal.wait_for("QoS 1 · live · number · 4 bytes · 2 message(s)");
    assert!(row(&screen, "      temp ").contains("      2 "), "{screen}");
    terminal.wait_for("value: 2 values over");

    // p opens the form with the topic and its last payload; what is typed is published.
    let listener = spawn(broker.moth(
        "sub",
        &["-t", "plant/line1/temp", "-R", "-C", "1", "-i", "listener"],
    ));
    broker.wait_subscribed("listener", "plant/line1/temp");
    terminal.keys(&["p"]);
    terminal.wait_for("payload 22.5▏");
    terminal.keys(&["C-u", "23.5", "Enter"]);
    terminal.wait_for("published to 'plant/line1/temp' at QoS 0: written");
    let heard = listener.finish_within(Duration::from_secs(30));
    heard.assert_success();
    assert_eq!(heard.stdout_text(), "23.5\n");

    // d asks before it clears the retained message; y clears it at QoS 1.
    terminal.keys(&["d"]);
    terminal.wait_for("Clear the retained message of 'plant/line1/temp'?");
    terminal.keys(&["y"]);
    terminal.wait_for("published to 'plant/line1/temp' at QoS 1: acknowledged");
    let left = run(
        broker.moth("sub", &["-t", "plant/#", "--retained-only", "-W", "2"]),
        b"",
    );
    left.assert_code(27);
    assert_eq!(left.stdout_text(), "ok\n");

    terminal.keys(&["q"]);
    let screen = terminal.wait_for("exit=0");
    assert!(
        !screen.contains("Topics ("),
        "the view stayed on screen:\n{screen}"
    );
}

#[test]
fn ui_without_a_terminal_says_what_to_use_instead() {
    let broker = Broker::start();
    let out = run(broker.moth("ui", &[]), b"");
    out.assert_code(1).assert_stderr(
        "moth: error: moth ui needs a terminal on stdin and stdout: use moth sub -t '#' for a stream, or moth ls for the topic tree once",
    );
    assert_eq!(out.stdout_text(), "");
}

#[test]
fn ui_says_when_the_broker_goes_and_resubscribes_when_it_is_back() {
    let mut broker = Broker::start();
    let moth = env!("CARGO_BIN_EXE_moth");
    let port = broker.port;
    let terminal = Terminal::start(
        110,
        20,
        &format!(
            "{moth} ui -h 127.0.0.1 -p {port} -i explorer -t 'plant/#'; echo exit=$?; sleep 60"
        ),
    );
    broker.wait_subscribed("explorer", "plant/#");
    terminal.wait_for(&format!(" 127.0.0.1:{port} connected · "));
    broker.stop();
    terminal.wait_for(&format!(" 127.0.0.1:{port} reconnecting… · "));
    broker.relaunch();
    broker.wait_subscribed("explorer", "plant/#");
    terminal.wait_for(&format!(" 127.0.0.1:{port} connected · "));
    publish(&broker, &["-t", "plant/after", "-m", "back"]);
    terminal.wait_for("▸ plant ");
    // SIGTERM ends it as q does: exit 0, the terminal given back. (Only moth: the shell
    // around it has the same words further in its command line.)
    let status = std::process::Command::new("pkill")
        .args([
            "-TERM",
            "-f",
            &format!("^{moth} ui -h 127.0.0.1 -p {port} "),
        ])
        .status()
        .unwrap();
    assert!(status.success(), "no moth ui to signal");
    let screen = terminal.wait_for("exit=0");
    assert!(
        !screen.contains("Topics ("),
        "the view stayed on screen:\n{screen}"
    );
}

#[test]
fn ui_that_cannot_connect_gives_the_terminal_back_and_says_why() {
    let moth = env!("CARGO_BIN_EXE_moth");
    let port = crate::support::free_port();
    let terminal = Terminal::start(
        110,
        20,
        &format!("{moth} ui -h 127.0.0.1 -p {port}; echo exit=$?; sleep 60"),
    );
    let screen = terminal.wait_for("exit=1");
    let expected = format!("moth: error: cannot connect to 127.0.0.1:{port}: connection refused");
    assert!(screen.starts_with(&expected), "{screen}");
    assert!(
        !screen.contains("Topics ("),
        "the view stayed on screen:\n{screen}"
    );
}
