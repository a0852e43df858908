//! Settings from outside the command line: MOTH_* variables, moth's config file and its
//! profiles, mosquitto's option files, passwords from files, commands and the terminal, and the
//! account -d and `moth config show` give of them. Every test has its own HOME and
//! XDG_CONFIG_HOME, so no real user's file is read.

use std::path::PathBuf;
use std::process::Command;

use crate::support::{Broker, TlsListener, moth, run, spawn};

const PASSWORD: &str = "s3cret-pw";

/// A fresh HOME and XDG_CONFIG_HOME.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let home = Home {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(home.xdg().join("moth")).unwrap();
        std::fs::create_dir_all(home.dir.path().join("home")).unwrap();
        home
    }

    fn xdg(&self) -> PathBuf {
        self.dir.path().join("xdg")
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    /// Write a file (mode 600) and return its path.
    fn write(&self, name: &str, text: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path.to_string_lossy().into_owned()
    }

    fn config(&self, text: &str) -> String {
        self.write("xdg/moth/config.toml", text)
    }

    fn moth(&self, args: &[&str]) -> Command {
        let mut cmd = moth();
        cmd.env("HOME", self.dir.path().join("home"))
            .env("XDG_CONFIG_HOME", self.xdg())
            .args(args);
        cmd
    }
}

fn password_broker() -> Broker {
    Broker::config().user("alice", PASSWORD).start()
}

#[test]
fn every_password_source_connects_and_none_shows_the_password() {
    let broker = password_broker();
    let port = broker.port.to_string();
    let home = Home::new();
    let pw_file = home.write("pw", &format!("{PASSWORD}\nignored second line\n"));
    home.config(&format!(
        "host = \"127.0.0.1\"\nport = {port}\nusername = \"alice\"\n\n\
         [profile.file]\npw-file = \"{pw_file}\"\n\n\
         [profile.command]\npw-command = \"printf '%s\\\\n' {PASSWORD}\"\n\n\
         [profile.inline]\npw = \"{PASSWORD}\"\n"
    ));
    let base = ["sub", "-t", "a", "-E", "-d"];
    let mut runs: Vec<(&str, Command)> = Vec::new();
    let mut cmd = home.moth(&base);
    cmd.args(["--pw-file", &pw_file]);
    runs.push(("--pw-file", cmd));
    let mut cmd = home.moth(&base);
    cmd.env("MOTH_PASSWORD", PASSWORD);
    runs.push(("MOTH_PASSWORD", cmd));
    for profile in ["file", "command", "inline"] {
        let mut cmd = home.moth(&base);
        cmd.args(["--profile", profile]);
        runs.push((profile, cmd));
    }
    for (what, cmd) in runs {
        let out = run(cmd, b"");
        out.assert_success();
        assert!(!out.stderr.contains(PASSWORD), "{what}: {}", out.stderr);
        assert!(
            out.stderr.contains("password ****"),
            "{what}: {}",
            out.stderr
        );
    }
    // The wrong password from the environment: the broker's refusal, and still no secret.
    let mut cmd = home.moth(&base);
    cmd.env("MOTH_PASSWORD", "wrong-one");
    let out = run(cmd, b"");
    out.assert_code(5);
    assert!(!out.stderr.contains("wrong-one"), "{}", out.stderr);
}

#[test]
fn a_leading_tilde_in_a_file_or_variable_stands_for_home() {
    let broker = password_broker();
    let port = broker.port.to_string();
    let home = Home::new();
    home.write("home/pw", &format!("{PASSWORD}\n"));
    home.config(&format!(
        "host = \"127.0.0.1\"\nport = {port}\nusername = \"alice\"\n\n\
         [profile.tilde]\npw-file = \"~/pw\"\n"
    ));
    let base = ["sub", "-t", "a", "-E"];
    let mut cmd = home.moth(&base);
    cmd.args(["--profile", "tilde"]);
    run(cmd, b"").assert_success();
    let mut cmd = home.moth(&base);
    cmd.env("MOTH_PW_FILE", "~/pw");
    run(cmd, b"").assert_success();
    // Without HOME there is nothing to put in: said, with where the value came from.
    let mut cmd = home.moth(&base);
    cmd.args(["--profile", "tilde"]).env_remove("HOME");
    let out = run(cmd, b"");
    out.assert_code(1);
    assert_eq!(
        out.stderr,
        format!(
            "moth: error: pw-file = '~/pw' (profile tilde, {} line 6): ~ stands for HOME, which is unset: give the whole path\n",
            home.path("xdg/moth/config.toml")
        )
    );
}

#[test]
fn a_flag_beats_the_environment_beats_a_profile_beats_the_file_beats_mosquittos_file() {
    let home = Home::new();
    let config = home.config(
        "host = \"file-host\"\nport = 1001\nkeepalive = 30\nid = \"file-id\"\n\n\
         [profile.p]\nhost = \"profile-host\"\nport = 1002\nkeepalive = 40\n",
    );
    let options = home.write(
        "xdg/mosquitto_sub",
        "# mosquitto_sub's own defaults\n-h option-host\n-p 1003\n-k 50\n-i option-id\n-q 1\n-u bob\n-P option-pw\n",
    );
    let mut cmd = home.moth(&["config", "show", "sub", "--profile", "p"]);
    cmd.env("MOTH_PORT", "1004").env("MOTH_PASSWORD", "env-pw");
    let out = run(cmd, b"");
    out.assert_success();
    assert_eq!(
        out.stdout_text(),
        format!(
            "settings for moth sub\n\
             config file: {config}\n\
             profile: p  (command line)\n\
             option file: {options}\n\
             host = 'profile-host'  (profile p, {config} line 7)\n\
             port = 1004  (MOTH_PORT)\n\
             id = 'file-id'  ({config} line 4)\n\
             keepalive = 40  (profile p, {config} line 9)\n\
             pw = ***  (MOTH_PASSWORD)\n\
             qos = 1  ({options} line 6)\n\
             protocol-version = 311  (default)\n\
             not used: the user name from {options} line 7 is not sent: a user name and password from a file go only to the broker that file names, and this run connects to another; give -u and -P (or MOTH_USERNAME and MOTH_PASSWORD) for this broker\n"
        )
    );
    assert_eq!(out.stderr, "");

    // The same order on a real connection: the flag's port wins over all the others.
    let broker = Broker::start();
    let mut cmd = home.moth(&[
        "sub",
        "-t",
        "a",
        "-E",
        "-d",
        "-h",
        "127.0.0.1",
        "-p",
        &broker.port.to_string(),
        "-i",
        "flag-id",
        "--profile",
        "p",
    ]);
    cmd.env("MOTH_PORT", "1004").env("MOTH_USERNAME", "carol");
    let out = run(cmd, b"");
    out.assert_success();
    let lines: Vec<&str> = out.stderr.lines().collect();
    // The option file's password was written for its own broker, not this one.
    assert_eq!(
        lines[0],
        format!(
            "moth: warning: the password from {options} line 8 is not sent: a user name and password from a file go only to the broker that file names, and this run connects to another; give -u and -P (or MOTH_USERNAME and MOTH_PASSWORD) for this broker"
        )
    );
    assert_eq!(
        &lines[5..13],
        [
            "host = '127.0.0.1'  (command line)".to_string(),
            format!("port = {}  (command line)", broker.port),
            "id = 'flag-id'  (command line)".to_string(),
            format!("keepalive = 40  (profile p, {config} line 9)"),
            "username = 'carol'  (MOTH_USERNAME)".to_string(),
            format!("qos = 1  ({options} line 6)"),
            "protocol-version = 311  (default)".to_string(),
            "Client flag-id sending CONNECT (p4, c1, k40, user 'carol')".to_string(),
        ]
    );
    assert!(!out.stderr.contains("option-pw"));
}

#[test]
fn mosquittos_option_file_is_read_for_its_own_command_and_o_replaces_it() {
    let broker = Broker::start();
    let home = Home::new();
    let port = broker.port.to_string();
    // mosquitto_pub's file serves pub; sub's is missing, so sub uses the defaults.
    home.write(
        "xdg/mosquitto_pub",
        &format!("-h 127.0.0.1\n-p {port}\n-q 1\n"),
    );
    let sub =
        crate::support::spawn(broker.moth("sub", &["-t", "o/#", "-v", "-C", "2", "-i", "watch-o"]));
    broker.wait_subscribed("watch-o", "o/#");
    run(home.moth(&["pub", "-t", "o/default", "-m", "one"]), b"").assert_success();
    let other = home.write("other-options", &format!("-h 127.0.0.1\n--port {port}\n"));
    run(
        home.moth(&["pub", "-o", &other, "-t", "o/other", "-m", "two"]),
        b"",
    )
    .assert_success();
    let out = sub.finish();
    out.assert_success();
    assert_eq!(out.stdout_text(), "o/default one\no/other two\n");

    // XDG_CONFIG_HOME first, then ~/.config.
    let mut cmd = home.moth(&["config", "show", "rr"]);
    cmd.env_remove("XDG_CONFIG_HOME");
    let out = run(cmd, b"");
    let rr_file = format!("{}/home/.config/mosquitto_rr", home.dir.path().display());
    assert!(
        out.stdout_text()
            .contains(&format!("option file: {rr_file} (not found)\n")),
        "{}",
        out.stdout_text()
    );

    // Errors name the file and line; -o with a missing file is one.
    let bad = home.write("bad-options", "-h 127.0.0.1\n--bogus 1\n");
    let out = run(home.moth(&["pub", "-o", &bad, "-t", "a", "-m", "x"]), b"");
    out.assert_code(1).assert_stderr(&format!(
        "moth: error: {bad} line 2: unknown option '--bogus' for moth pub"
    ));
    let missing = home.path("missing");
    let out = run(
        home.moth(&["pub", "-o", &missing, "-t", "a", "-m", "x"]),
        b"",
    );
    out.assert_code(1).assert_stderr(&format!(
        "moth: error: cannot read the option file {missing}: No such file or directory"
    ));
}

#[test]
fn bench_reads_the_profile_but_no_mosquitto_option_file() {
    let home = Home::new();
    home.config("[profile.load]\nhost = \"bench-host\"\nkeepalive = 20\nqos = 1\n");
    home.write("xdg/mosquitto_pub", "-p 1999\n");
    let mut cmd = home.moth(&["config", "show", "bench"]);
    cmd.env("MOTH_PROFILE", "load");
    let out = run(cmd, b"");
    out.assert_success();
    let config = home.path("xdg/moth/config.toml");
    assert_eq!(
        out.stdout_text(),
        format!(
            "settings for moth bench\n\
             config file: {config}\n\
             profile: load  (MOTH_PROFILE)\n\
             option file: none (bench reads no mosquitto option file)\n\
             host = 'bench-host'  (profile load, {config} line 2)\n\
             keepalive = 20  (profile load, {config} line 3)\n\
             qos = 1  (profile load, {config} line 4)\n\
             port = 1883  (default)\n\
             protocol-version = 311  (default)\n"
        )
    );
}

#[test]
fn a_bad_config_file_names_the_file_line_and_key() {
    let home = Home::new();
    let cases = [
        (
            "host = \"a\"\nhots = \"b\"\n",
            "line 2: unknown key 'hots' (did you mean host?)",
        ),
        (
            "port = \"x\"\n",
            "line 1: port = 'x': use a port from 1 to 65535",
        ),
        (
            "insecure = \"yes\"\n",
            "line 1: insecure must be true or false",
        ),
        ("pw = 1234567\n", "line 1: pw must be a string (in quotes)"),
        ("host = \n", "line 1: "),
    ];
    for (text, wanted) in cases {
        let config = home.config(text);
        let out = run(home.moth(&["pub", "-t", "a", "-m", "x"]), b"");
        out.assert_code(1);
        assert!(
            out.stderr
                .starts_with(&format!("moth: error: {config} {wanted}")),
            "{text:?}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("1234567"), "{}", out.stderr);
    }
    // A broken profile stops only the commands that use it; `config show` keeps working.
    let config = home.config("\n[profile.p]\nkeepalive = \"1\"\n\n[profile.q]\nhostname = \"h\"\n");
    let out = run(
        home.moth(&["pub", "-t", "a", "-m", "x", "--profile", "p"]),
        b"",
    );
    out.assert_code(1).assert_stderr(&format!(
        "moth: error: {config} line 3: keepalive = '1' in profile p: use whole seconds from 5 to 65535"
    ));
    let mut cmd = home.moth(&["pub", "-t", "a", "-m", "x"]);
    cmd.env("MOTH_PROFILE", "q");
    run(cmd, b"").assert_code(1).assert_stderr(&format!(
        "moth: error: {config} line 6: unknown key 'hostname' in profile q (did you mean host?)"
    ));
    let out = run(home.moth(&["config", "show", "sub"]), b"");
    out.assert_success();
    assert!(out.stdout_text().starts_with("settings for moth sub\n"));
    let config = home.config("[profile.a]\n[profile.b]\n");
    let out = run(home.moth(&["sub", "-t", "a", "--profile", "c"]), b"");
    out.assert_code(1).assert_stderr(&format!(
        "moth: error: no profile 'c' (command line) in {config}: it has a, b"
    ));
    let mut cmd = home.moth(&["config", "show"]);
    cmd.env("MOTH_PORT", "seventy");
    run(cmd, b"")
        .assert_code(1)
        .assert_stderr("moth: error: MOTH_PORT='seventy': use a port from 1 to 65535");
}

#[test]
fn a_password_in_a_file_others_can_read_gets_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    let config = home.config("pw = \"hidden\"\n");
    let out = run(home.moth(&["config", "show"]), b"");
    out.assert_success();
    assert_eq!(out.stderr, "");
    assert!(
        out.stdout_text()
            .contains(&format!("pw = ***  ({config} line 1)\n"))
    );
    assert!(!out.stdout_text().contains("hidden"));
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(home.moth(&["config", "show"]), b"");
    out.assert_success().assert_stderr(&format!(
        "moth: warning: {config} holds a password and other users can read it: chmod 600 {config}"
    ));
    // No password, no warning.
    home.config("host = \"h\"\n");
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(run(home.moth(&["config", "show"]), b"").stderr, "");
}

#[test]
fn config_path_follows_moth_config_and_xdg() {
    let home = Home::new();
    let out = run(home.moth(&["config", "path"]), b"");
    out.assert_success();
    assert_eq!(
        out.stdout_text(),
        format!("{}\n", home.path("xdg/moth/config.toml"))
    );
    let mut cmd = home.moth(&["config", "path"]);
    cmd.env("MOTH_CONFIG", "/etc/moth.toml");
    assert_eq!(run(cmd, b"").stdout_text(), "/etc/moth.toml\n");
    let mut cmd = home.moth(&["config", "path"]);
    cmd.env_remove("XDG_CONFIG_HOME");
    assert_eq!(
        run(cmd, b"").stdout_text(),
        format!("{}\n", home.path("home/.config/moth/config.toml"))
    );
    // A named config file must exist; the default one need not.
    let out = run(
        home.moth(&["sub", "-t", "a", "--config", "/nonexistent.toml"]),
        b"",
    );
    out.assert_code(1).assert_stderr(
        "moth: error: cannot read the config file /nonexistent.toml: No such file or directory",
    );
}

/// Run moth in a pseudo-terminal (python3's pty module), answer the password prompt, and return
/// (exit code, everything the terminal showed).
fn in_pty(cmd: &Command, answer: &str) -> (i32, String) {
    const SCRIPT: &str = r#"
import os, pty, sys, termios, time
answer = sys.argv[1].encode() + b"\n"
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
seen = b""
answered = False
while True:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
    if not answered and b"password for" in seen:
        # The prompt comes before echo is turned off: answer once the terminal echoes no more.
        deadline = time.time() + 10
        while termios.tcgetattr(fd)[3] & termios.ECHO and time.time() < deadline:
            time.sleep(0.001)
        os.write(fd, answer)
        answered = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    let mut py = Command::new("python3");
    py.env_clear();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            py.env(key, value);
        }
    }
    py.arg("-c")
        .arg(SCRIPT)
        .arg(answer)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    let out = run(py, b"");
    (out.code(), out.stdout_text().replace('\r', ""))
}

#[test]
fn the_password_is_asked_for_on_a_terminal_without_echo() {
    let broker = password_broker();
    let home = Home::new();
    let mut args = vec!["sub", "-t", "a", "-E", "-u", "alice"];
    let addr = broker.addr();
    args.extend(addr.iter().map(String::as_str));
    // -u without a password at a terminal: a prompt, not a refused connection.
    let (code, screen) = in_pty(&home.moth(&args), PASSWORD);
    assert_eq!((code, screen.as_str()), (0, "password for alice: \n"));
    // --pw-prompt asks even without a terminal on stdin; a wrong answer is the broker's 5.
    args.push("--pw-prompt");
    let (code, screen) = in_pty(&home.moth(&args), "wrong");
    assert_eq!(code, 5, "{screen}");
    assert!(screen.starts_with("password for alice: \n"), "{screen}");
    assert!(!screen.contains("wrong"), "{screen}");
    // Without a terminal there is nobody to ask: connect without a password (refused here).
    let mut args = vec!["sub", "-t", "a", "-E", "-u", "alice"];
    args.extend(addr.iter().map(String::as_str));
    let out = run(home.moth(&args), b"");
    out.assert_code(5);
}

#[test]
fn ws_no_tls_and_tls_keylog_as_in_mosquitto_2_1() {
    let broker = Broker::config()
        .websockets()
        .tls(TlsListener::Server)
        .start();
    let home = Home::new();
    let ws_port = broker.ws_port.to_string();
    run(
        home.moth(&[
            "sub",
            "--ws",
            "-h",
            "127.0.0.1",
            "-p",
            &ws_port,
            "-t",
            "a",
            "-E",
        ]),
        b"",
    )
    .assert_success();
    let pki = broker.pki.as_ref().unwrap();
    let ca = pki.ca_cert.to_string_lossy().into_owned();
    let keylog = home.path("keys.log");
    let tls_port = broker.tls_port.to_string();
    run(
        home.moth(&[
            "sub",
            "-h",
            "localhost",
            "-p",
            &tls_port,
            "--cafile",
            &ca,
            "--tls-keylog",
            &keylog,
            "-t",
            "a",
            "-E",
        ]),
        b"",
    )
    .assert_success();
    let log = std::fs::read_to_string(&keylog).unwrap();
    assert!(
        log.lines()
            .any(|l| l.starts_with("CLIENT_TRAFFIC_SECRET_0 ") && l.split(' ').count() == 3),
        "{log}"
    );
    // --no-tls overrides TLS settings from the config file.
    home.config(&format!("cafile = \"{ca}\"\n"));
    let port = broker.port.to_string();
    run(
        home.moth(&[
            "sub",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-t",
            "a",
            "-E",
            "--no-tls",
        ]),
        b"",
    )
    .assert_success();
}

/// A listener that takes one connection and keeps the first bytes it sends (the CONNECT), then
/// hangs up: where a stored password would go if moth sent it to the wrong broker.
struct Capture {
    port: u16,
    got: std::sync::mpsc::Receiver<Vec<u8>>,
}

impl Capture {
    fn start() -> Capture {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, got) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
                let mut buf = vec![0u8; 4096];
                let n = stream.read(&mut buf).unwrap_or(0);
                buf.truncate(n);
                let _ = tx.send(buf);
            }
        });
        Capture { port, got }
    }

    fn connect_packet(&self) -> String {
        let bytes = self
            .got
            .recv_timeout(crate::support::PROCESS_TIMEOUT)
            .expect("moth never connected");
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[test]
fn stored_credentials_go_only_to_the_broker_stored_with_them() {
    let home = Home::new();
    let stored = Capture::start();
    let config = home.config(&format!(
        "host = \"127.0.0.1\"\nport = {}\nusername = \"alice\"\npw = \"s3cr3t-PW\"\n\n\
         [profile.prod]\nhost = \"127.0.0.1\"\nport = {}\nusername = \"prod-user\"\npw-command = \"echo prod-s3cr3t\"\n",
        stored.port, stored.port
    ));
    // The broker the file names gets them: the capture works.
    let out = run(home.moth(&["pub", "-t", "t", "-m", "x"]), b"");
    assert_ne!(out.code(), 0);
    let packet = stored.connect_packet();
    assert!(
        packet.contains("alice") && packet.contains("s3cr3t-PW"),
        "{packet:?}"
    );

    // Another broker, named by -h/-p, a -L URL or the environment: they stay home.
    let warning = |source: &str| {
        format!(
            "moth: warning: the user name and password from {source} are not sent: a user name and password from a file go only to the broker that file names, and this run connects to another; give -u and -P (or MOTH_USERNAME and MOTH_PASSWORD) for this broker"
        )
    };
    for (how, profile) in [
        ("-h", false),
        ("-L", false),
        ("MOTH_PORT", false),
        ("-h", true),
    ] {
        let other = Capture::start();
        let port = other.port.to_string();
        let url = format!("mqtt://127.0.0.1:{port}/t");
        let mut cmd = home.moth(&["pub", "-t", "t", "-m", "x"]);
        match how {
            "-h" => cmd.args(["-h", "127.0.0.1", "-p", &port]),
            "-L" => cmd.args(["-L", &url]),
            _ => cmd.env("MOTH_PORT", &port),
        };
        if profile {
            cmd.args(["--profile", "prod"]);
        }
        let out = run(cmd, b"");
        let packet = other.connect_packet();
        for secret in ["alice", "s3cr3t-PW", "prod-user", "prod-s3cr3t"] {
            assert!(!packet.contains(secret), "{how}: {secret} sent: {packet:?}");
        }
        let source = match profile {
            true => format!("profile prod, {config} line 9"),
            false => format!("{config} line 3"),
        };
        assert_eq!(
            out.stderr.lines().next().unwrap(),
            warning(&source),
            "{how}"
        );
    }
}

#[test]
fn ctrl_c_at_the_password_prompt_gives_the_terminal_its_echo_back() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("stty");
    let moth = env!("CARGO_BIN_EXE_moth");
    let terminal = crate::support::terminal::Terminal::start(100, 20, "sh");
    terminal.keys(&[
        &format!("{moth} pub -p 1 -t t -m x -u alice --pw-prompt; echo exit $?"),
        "Enter",
    ]);
    terminal.wait_for("password for alice:");
    terminal.keys(&["C-c"]);
    terminal.wait_for("exit 130");
    terminal.keys(&[&format!("stty -a > {}", settings.display()), "Enter"]);
    let deadline = std::time::Instant::now() + crate::support::PROCESS_TIMEOUT;
    let words = loop {
        let text = std::fs::read_to_string(&settings).unwrap_or_default();
        if text.contains("echo") {
            break text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            terminal.screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(
        words.split_whitespace().any(|w| w == "echo"),
        "echo is off after Ctrl-C: {words}"
    );
}

#[test]
fn a_config_others_can_change_runs_no_command_and_reads_no_password_file() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    let marker = home.path("ran");
    let config = home.config(&format!(
        "host = \"127.0.0.1\"\nport = 1\nusername = \"alice\"\npw-command = \"touch {marker}; echo pw\"\n"
    ));
    let dir = home.path("xdg/moth");
    for (path, mode, shown) in [(&config, 0o620, &config), (&dir, 0o777, &dir)] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        let out = run(home.moth(&["pub", "-t", "t", "-m", "x"]), b"");
        out.assert_code(1).assert_stderr(&format!(
            "moth: error: {shown} can be changed by other users (mode {mode:o}), and {config} sets pw-command, a shell command moth runs: run `chmod go-w {shown}`"
        ));
        assert!(!std::path::Path::new(&marker).exists(), "pw-command ran");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    // Made private again, it runs (and nothing listens on port 1: exit 1 after the command ran).
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(home.moth(&["pub", "-t", "t", "-m", "x"]), b"");
    assert_eq!(out.code(), 1, "{}", out.stderr);
    assert!(std::path::Path::new(&marker).exists(), "{}", out.stderr);
    // A typo never runs it: clap refuses first.
    std::fs::remove_file(&marker).unwrap();
    let out = run(home.moth(&["pub", "-t", "t", "-m", "x", "--bogus"]), b"");
    out.assert_code(1);
    assert!(!std::path::Path::new(&marker).exists(), "pw-command ran");
}

#[test]
fn a_pw_command_gets_no_stdin_meant_for_pub() {
    let broker = password_broker();
    let home = Home::new();
    home.config(&format!(
        "host = \"127.0.0.1\"\nport = {}\nusername = \"alice\"\npw-command = \"cat > /dev/null; echo {PASSWORD}\"\n",
        broker.port
    ));
    let sub = spawn(broker.moth(
        "sub",
        &[
            "-t",
            "lines",
            "-C",
            "3",
            "-i",
            "lines-sub",
            "-u",
            "alice",
            "-P",
            PASSWORD,
        ],
    ));
    broker.wait_subscribed("lines-sub", "lines");
    let out = run(
        home.moth(&["pub", "-t", "lines", "-l", "-q", "1"]),
        b"1\n2\n3\n",
    );
    out.assert_success();
    assert_eq!(sub.finish().stdout_text(), "1\n2\n3\n");
}

#[test]
fn empty_and_readable_password_files_are_said() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    let empty = home.write("home/empty.pw", "\n");
    let out = run(
        home.moth(&[
            "pub",
            "-p",
            "1",
            "-t",
            "t",
            "-m",
            "x",
            "-u",
            "a",
            "--pw-file",
            &empty,
        ]),
        b"",
    );
    out.assert_code(1).assert_stderr(&format!(
        "moth: error: the password file {empty} (--pw-file) has nothing on its first line, so moth would send an empty password; write the password there (or give -P '' for an empty one)"
    ));
    for command in ["true", "echo"] {
        let config = home.config(&format!(
            "host = \"127.0.0.1\"\nport = 1\nusername = \"a\"\npw-command = \"{command}\"\n"
        ));
        let out = run(home.moth(&["pub", "-t", "t", "-m", "x"]), b"");
        out.assert_code(1).assert_stderr(&format!(
            "moth: error: pw-command ({config} line 4) printed nothing on its first line, so moth would send an empty password; make it print the password"
        ));
    }
    let open = home.write("home/open.pw", "pw\n");
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(
        home.moth(&[
            "pub",
            "-p",
            "1",
            "-t",
            "t",
            "-m",
            "x",
            "-u",
            "a",
            "--pw-file",
            &open,
        ]),
        b"",
    );
    assert_eq!(
        out.stderr.lines().next().unwrap(),
        format!(
            "moth: warning: the password file {open} can be read by every user: chmod 600 {open}"
        )
    );
}

#[test]
fn values_beginning_with_a_dash_stay_values() {
    let broker = Broker::start();
    let home = Home::new();
    home.config(&format!(
        "host = \"127.0.0.1\"\nport = {}\nid = \"-worker-1\"\nwill-topic = \"-w\"\nwill-payload = \"-1\"\n",
        broker.port
    ));
    let out = run(home.moth(&["pub", "-t", "t", "-m", "x", "-d"]), b"");
    out.assert_success();
    assert!(
        out.stderr.contains("Client -worker-1 sending CONNECT"),
        "{}",
        out.stderr
    );
    // And on the command line, as mosquitto_pub takes them.
    let out = run(
        broker.moth(
            "pub",
            &[
                "-t",
                "-t-",
                "-m",
                "-x",
                "-i",
                "-worker-2",
                "--will-topic",
                "w",
                "--will-payload",
                "-1",
                "-d",
            ],
        ),
        b"",
    );
    out.assert_success();
    assert!(
        out.stderr.contains("Client -worker-2 sending CONNECT"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_unreadable_home_is_a_missing_config() {
    use std::os::unix::fs::PermissionsExt;
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let locked = dir.path().join("locked");
    std::fs::create_dir_all(locked.join(".config/moth")).unwrap();
    std::fs::write(locked.join(".config/moth/config.toml"), "qos = 1\n").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
    // A HOME moth may not read: as root, moth runs as nobody; otherwise the directory is locked.
    let moth = dir.path().join("moth");
    std::fs::copy(env!("CARGO_BIN_EXE_moth"), &moth).unwrap();
    let mut cmd = if unsafe { libc::getuid() } == 0 {
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
            .arg(&moth);
        cmd
    } else {
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        std::process::Command::new(&moth)
    };
    cmd.env_clear().env("HOME", &locked).args([
        "pub",
        "-h",
        "127.0.0.1",
        "-p",
        &broker.port.to_string(),
        "-t",
        "t",
        "-m",
        "x",
        "-d",
    ]);
    let out = run(cmd, b"");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
    out.assert_success();
    let config = locked.join(".config/moth/config.toml");
    assert!(
        out.stderr.lines().any(|l| l
            == format!(
                "config file: {} (permission denied: ignored)",
                config.display()
            )),
        "{}",
        out.stderr
    );
}

#[test]
fn bench_takes_the_connection_settings_pub_takes() {
    // A password user, on TCP and on a unix socket.
    let broker = Broker::config().user("alice", PASSWORD).unix().start();
    let home = Home::new();
    let port = broker.port.to_string();
    home.config(&format!(
        "[profile.local]\nhost = \"127.0.0.1\"\nport = {port}\nusername = \"alice\"\npw = \"{PASSWORD}\"\n"
    ));
    let pw_file = home.write("pw", &format!("{PASSWORD}\n"));
    let unix = broker.unix_path();
    let unix = unix.to_str().unwrap();
    let load = [
        "-c", "1", "-L", "3", "--rate", "100", "-q", "1", "-t", "b/%i",
    ];
    let cases: [Vec<&str>; 3] = [
        vec!["--profile", "local"],
        vec![
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-u",
            "alice",
            "--pw-file",
            &pw_file,
        ],
        vec!["--unix", unix, "-u", "alice", "--pw-file", &pw_file],
    ];
    for flags in cases {
        let mut args = vec!["bench", "pub"];
        args.extend(&flags);
        args.extend(load);
        let out = run(home.moth(&args), b"");
        out.assert_success();
        let text = out.stdout_text();
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().take(2).eq(["acked", "3"])),
            "{flags:?}: {text}{}",
            out.stderr
        );
        assert!(!out.stderr.contains(PASSWORD), "{}", out.stderr);
    }
    // A wrong password in the file is the broker's refusal, in words.
    let wrong = home.write("wrong", "nope\n");
    let mut args = vec!["bench", "pub", "-h", "127.0.0.1", "-p", &port];
    args.extend(["-u", "alice", "--pw-file", &wrong]);
    args.extend(load);
    let out = run(home.moth(&args), b"");
    assert_ne!(out.code(), 0, "{}", out.stderr);
    assert!(!out.stderr.contains("nope"), "{}", out.stderr);
}
