//! The text after the flags in `--help` and in the man pages: examples people come back for,
//! the exit codes, and (in the man pages) the environment and files moth reads.

/// Recipes per subcommand: what each does, and the command.
pub fn recipes(subcommand: &str) -> &'static [(&'static str, &'static str)] {
    match subcommand {
        "pub" => &[
            ("One message, QoS 0", "moth pub -t sensors/kitchen -m 21.5"),
            (
                "Retained, at QoS 1 (exit 0 once the broker acknowledged it)",
                "moth pub -t sensors/kitchen -m 21.5 -q 1 -r",
            ),
            (
                "Clear a retained message",
                "moth pub -t sensors/kitchen -r -n",
            ),
            (
                "A file, byte for byte",
                "moth pub -t firmware/blob -f image.bin -q 2",
            ),
            (
                "A message per line, across broker restarts",
                "tail -f app.log | moth pub -t logs/app -l -q 1",
            ),
            (
                "Replay a recording with its gaps",
                "moth pub -V 5 --jsonl --replay < capture.jsonl",
            ),
            (
                "100 messages, 10 a second, from a template",
                "moth pub -t 'dev/{seq}' -m '{ts}' --template --repeat 100 --rate 10",
            ),
            (
                "Wait up to 30 s for a broker that is still starting",
                "moth pub -t status -m up --retry 30",
            ),
        ],
        "sub" => &[
            (
                "Topic and payload of everything below sensors/",
                "moth sub -t 'sensors/#' -v",
            ),
            (
                "One message, or exit 27 after 5 s",
                "moth sub -t status -C 1 -W 5",
            ),
            (
                "Clear every retained message (exit 0, also when there is none)",
                "moth sub -t '#' --remove-retained --retained-only --idle 1",
            ),
            (
                "Record, QoS and retain flags as published",
                "moth sub -V 5 -q 2 --retain-as-published -t 'plant/#' --json > capture.jsonl",
            ),
            (
                "Record one minute, then exit 0",
                "moth sub -t 'plant/#' --json --duration 60 > minute.jsonl",
            ),
            (
                "A work queue's worker (a persistent session, QoS 1)",
                "moth sub -t jobs -c -i worker-1 -q 1",
            ),
            (
                "mosquitto's -F format strings",
                "moth sub -t 'sensors/#' -F '@H:@M:@S %t %p'",
            ),
        ],
        "rr" => &[
            (
                "Wait for one answer and print it",
                "moth rr -t service/time -e replies/me -m now",
            ),
            (
                "... or exit 27 after 5 s without one",
                "moth rr -t service/time -e replies/me -m now -W 5",
            ),
            (
                "Every answer, until 2 s pass without one",
                "moth rr -t service/discover -e replies/me -m who --idle 2",
            ),
        ],
        "ls" => &[
            ("What is on this broker?", "moth ls"),
            (
                "One subtree, until 3 s pass without a message",
                "moth ls -t 'plant/#' --idle 3",
            ),
            (
                "Busy topics, for scripts",
                "moth ls -W 60 --json | jq -r 'select(.rate > 1) | .topic'",
            ),
        ],
        "ui" => &[
            ("Explore everything on a broker", "moth ui -h broker.local"),
            (
                "One subtree, with QoS 1, a longer history per topic",
                "moth ui -t 'plant/#' -q 1 --history 1000",
            ),
            (
                "Over TLS, with a profile from the config file",
                "moth ui --profile prod",
            ),
        ],
        "bench" => &[
            (
                "Publishers and subscribers, end-to-end latency",
                "moth bench",
            ),
            (
                "100 publishers at 10,000 msg/s in all, for 30 s",
                "moth bench pub -c 100 --rate 10000 -q 1 --duration 30",
            ),
            (
                "A closed loop (as fast as acknowledgements allow), as JSON",
                "moth bench pub -c 50 -q 1 --json run.json",
            ),
            (
                "10,000 idle connections, opened 500 a second",
                "moth bench conn -c 10000 -R 500",
            ),
            (
                "Shards of one run, merged",
                "moth bench merge a.json b.json",
            ),
        ],
        "config" => &[
            (
                "The settings pub would use, and where each comes from",
                "moth config show pub",
            ),
            ("... with a profile", "moth config show sub --profile prod"),
            ("Where the config file is", "moth config path"),
        ],
        _ => &[],
    }
}

/// `moth ui`'s keys, as its `?`, --help and man page show them.
pub const UI_KEYS: &[(&str, &str)] = &[
    ("↑ ↓  j k", "move"),
    ("PgUp PgDn  Home End", "move by a page, to the ends"),
    ("→ Enter Space  l", "open a level"),
    ("← h", "close a level, or go up"),
    ("s", "sort by name or by rate"),
    ("/", "filter topics by a part of their name"),
    ("p", "publish to the selected topic"),
    ("d", "clear its retained message"),
    ("c  y", "copy the topic, the payload"),
    ("n", "chart the next number of the payload"),
    (
        "f",
        "freeze: messages stop redrawing the view (keys still do)",
    ),
    ("q Esc Ctrl-C", "quit"),
];

/// The keys as text, for --help and the man page.
pub fn ui_keys() -> String {
    UI_KEYS
        .iter()
        .map(|(keys, what)| format!("{keys:<22}{what}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// moth's subcommands, in the order the help and the man pages list them.
pub const SUBCOMMANDS: &[&str] = &["pub", "sub", "rr", "ls", "ui", "bench", "config"];

/// The recipes as text: each description, and its command below it.
pub fn examples(subcommand: &str) -> String {
    recipes(subcommand)
        .iter()
        .map(|(what, command)| format!("{what}:\n    {command}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `--help`'s closing text: the output formats (for the commands that print messages), the
/// examples, then the exit codes (config has none of its own).
pub fn after_long_help(subcommand: &str) -> String {
    let mut parts = Vec::new();
    if matches!(subcommand, "sub" | "rr") {
        parts.push(super::output::FORMAT_HELP.to_string());
    }
    if subcommand == "ui" {
        let keys: Vec<String> = ui_keys().lines().map(|l| format!("  {l}")).collect();
        parts.push(format!("Keys:\n{}", keys.join("\n")));
    }
    let indented: Vec<String> = examples(subcommand)
        .lines()
        .map(|line| format!("  {line}"))
        .collect();
    parts.push(format!("Examples:\n{}", indented.join("\n")));
    if subcommand != "config" {
        parts.push(crate::exit::TABLE.to_string());
    }
    parts.join("\n\n")
}

/// The variables moth reads, for the man pages.
pub const ENVIRONMENT: &str = "\
MOTH_<KEY>       a config key as a variable, in capitals, _ for -:
                 MOTH_HOST, MOTH_PORT, MOTH_CAFILE, ... (below a flag,
                 above a profile)
MOTH_PASSWORD    the password (pw)
MOTH_PROFILE     the profile to use, as --profile
MOTH_CONFIG      the config file, as --config
XDG_CONFIG_HOME  where config.toml and mosquitto's option files are
HOME             ~/.config when XDG_CONFIG_HOME is unset
NO_COLOR         no colour on a terminal
COLUMNS          the width ls cuts payloads to, off a terminal";

/// The files moth reads, for the man pages.
pub const FILES: &str = "\
$XDG_CONFIG_HOME/moth/config.toml
        moth's config file (~/.config/moth/config.toml): defaults and
        [profile.NAME] tables; the keys are the long flags
$XDG_CONFIG_HOME/mosquitto_pub, mosquitto_sub, mosquitto_rr
        mosquitto's option files, read by pub, sub and rr as mosquitto
        reads them (-o FILE reads another instead)";

#[cfg(test)]
mod tests {
    use super::*;

    /// Every example is a command moth's parser takes, so the help never shows a stale flag.
    #[test]
    fn every_example_parses() {
        for subcommand in SUBCOMMANDS {
            for (_, line) in recipes(subcommand) {
                let start = line.find("moth ").expect("a moth command");
                let command = line[start..]
                    .split(['|', '>', '<'])
                    .next()
                    .unwrap_or_default();
                let words = shell_words(command);
                if let Err(err) = crate::cli::try_parse_from(&words) {
                    panic!("{command}: {err}");
                }
            }
        }
    }

    /// Words as a shell splits them, with single quotes.
    fn shell_words(line: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut word = String::new();
        let mut quoted = false;
        let mut any = false;
        for c in line.chars() {
            match c {
                '\'' => {
                    quoted = !quoted;
                    any = true;
                }
                ' ' if !quoted => {
                    if any {
                        words.push(std::mem::take(&mut word));
                        any = false;
                    }
                }
                c => {
                    word.push(c);
                    any = true;
                }
            }
        }
        if any {
            words.push(word);
        }
        words
    }
}
