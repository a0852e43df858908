//! Test support: a real Mosquitto per test (own config, free ports, unix socket, TLS/mTLS and
//! password set-ups generated per test), test PKI generated in code, and process helpers with
//! timeouts so that no test can hang the suite.

#![allow(dead_code)]

pub mod faults;
pub mod forge;
pub mod oracle;
pub mod pki;
pub mod terminal;
pub mod tls_front;

use std::borrow::BorrowMut;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub use pki::Pki;

pub const INSTALL_HINT: &str = "mosquitto is not installed: run `apt-get install -y mosquitto mosquitto-clients`, or run the tests with scripts/test, which installs them";

/// How long any single process in a test may run before the test fails.
pub const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

fn require(program: &str) {
    let found = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        || Path::new("/usr/sbin").join(program).is_file();
    assert!(found, "{INSTALL_HINT} ({program} not found)");
}

fn mosquitto_binary() -> PathBuf {
    require("mosquitto");
    let in_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("mosquitto"))
            .find(|p| p.is_file())
    });
    in_path.unwrap_or_else(|| PathBuf::from("/usr/sbin/mosquitto"))
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

#[derive(Default, Clone)]
pub struct BrokerConfig {
    tls: Option<TlsListener>,
    websockets: bool,
    unix: bool,
    users: Vec<(String, String)>,
    acl: Option<String>,
    dynsec: bool,
    extra: Vec<String>,
    /// Keep sessions and queued messages across a graceful restart.
    persistent: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TlsListener {
    /// Server certificate only.
    Server,
    /// Server certificate, and clients must present one signed by the CA.
    Mutual,
}

impl BrokerConfig {
    pub fn tls(mut self, mode: TlsListener) -> Self {
        self.tls = Some(mode);
        self
    }
    pub fn websockets(mut self) -> Self {
        self.websockets = true;
        self
    }
    pub fn unix(mut self) -> Self {
        self.unix = true;
        self
    }
    /// Turn off anonymous access and accept this user.
    pub fn user(mut self, name: &str, password: &str) -> Self {
        self.users.push((name.into(), password.into()));
        self
    }
    /// The dynamic-security plugin with one user, `admin`/`adminpw`, who may subscribe only to
    /// `$SYS/#` and `$CONTROL/...` and may publish nowhere: mosquitto's acl_file never refuses a
    /// SUBSCRIBE, the plugin does.
    pub fn dynsec(mut self) -> Self {
        self.dynsec = true;
        self
    }

    /// A mosquitto ACL file's contents.
    pub fn acl(mut self, acl: &str) -> Self {
        self.acl = Some(acl.into());
        self
    }
    /// Extra raw configuration lines.
    pub fn line(mut self, line: &str) -> Self {
        self.extra.push(line.into());
        self
    }
    pub fn start(self) -> Broker {
        Broker::start_with(self)
    }
}

pub struct Broker {
    child: Option<Child>,
    dir: tempfile::TempDir,
    config: BrokerConfig,
    pub port: u16,
    pub tls_port: u16,
    pub ws_port: u16,
    /// Websockets over TLS, when both `tls` and `websockets` are configured.
    pub wss_port: u16,
    pub pki: Option<Pki>,
    /// Subscriptions already waited for, per client id and filter: a second wait for the same
    /// pair needs a second line in the log, not the first one again.
    subscribed: std::sync::Mutex<std::collections::HashMap<(String, String), usize>>,
}

impl Broker {
    /// A plain TCP broker with anonymous access.
    pub fn start() -> Broker {
        BrokerConfig::default().start()
    }

    pub fn config() -> BrokerConfig {
        BrokerConfig::default()
    }

    fn start_with(config: BrokerConfig) -> Broker {
        let dir = tempfile::tempdir().expect("tempdir");
        let pki = config.tls.map(|_| Pki::generate(dir.path()));
        let mut broker = Broker {
            child: None,
            dir,
            config,
            port: 0,
            tls_port: 0,
            ws_port: 0,
            wss_port: 0,
            pki,
            subscribed: Default::default(),
        };
        // A port picked free can be taken by a parallel test before mosquitto binds it: retry.
        for attempt in 0..5 {
            broker.port = free_port();
            broker.tls_port = if broker.config.tls.is_some() {
                free_port()
            } else {
                0
            };
            broker.ws_port = if broker.config.websockets {
                free_port()
            } else {
                0
            };
            broker.wss_port = match (broker.config.websockets, broker.config.tls) {
                (true, Some(_)) => free_port(),
                _ => 0,
            };
            broker.write_config();
            if broker.launch() {
                return broker;
            }
            eprintln!(
                "mosquitto did not start (attempt {attempt}): {}",
                broker.log()
            );
        }
        panic!("mosquitto would not start: {}", broker.log());
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn unix_path(&self) -> PathBuf {
        self.dir.path().join("mosquitto.sock")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("mosquitto.log")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn write_config(&self) {
        let dir = self.dir.path();
        let mut conf = String::new();
        // As root mosquitto drops to the `mosquitto` user, which cannot read a private temp dir.
        if is_root() {
            conf.push_str("user root\n");
        }
        conf.push_str(&format!(
            "log_dest file {}\nlog_type error\nlog_type warning\nlog_type notice\n\
             log_type information\nlog_type subscribe\nlog_type unsubscribe\n",
            self.log_path().display()
        ));
        if self.config.persistent {
            conf.push_str(&format!(
                "persistence true\npersistence_location {}/\n",
                dir.display()
            ));
        } else {
            conf.push_str("persistence false\n");
        }
        conf.push_str(&format!("listener {} 127.0.0.1\n", self.port));
        if self.config.unix {
            conf.push_str(&format!("listener 0 {}\n", self.unix_path().display()));
        }
        if self.config.websockets {
            conf.push_str(&format!(
                "listener {} 127.0.0.1\nprotocol websockets\n",
                self.ws_port
            ));
        }
        if let (Some(mode), Some(pki)) = (self.config.tls, &self.pki) {
            conf.push_str(&format!(
                "listener {} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\n",
                self.tls_port,
                pki.ca_cert.display(),
                pki.server_cert.display(),
                pki.server_key.display()
            ));
            if mode == TlsListener::Mutual {
                conf.push_str("require_certificate true\n");
            }
            if self.config.websockets {
                conf.push_str(&format!(
                    "listener {} 127.0.0.1\nprotocol websockets\ncafile {}\ncertfile {}\nkeyfile {}\n",
                    self.wss_port,
                    pki.ca_cert.display(),
                    pki.server_cert.display(),
                    pki.server_key.display()
                ));
            }
        }
        if self.config.dynsec {
            // The plugin does authentication.
        } else if self.config.users.is_empty() {
            conf.push_str("allow_anonymous true\n");
        } else {
            let passwd = dir.join("passwd");
            std::fs::write(&passwd, "").unwrap();
            for (user, password) in &self.config.users {
                require("mosquitto_passwd");
                let status = Command::new("mosquitto_passwd")
                    .args(["-b"])
                    .arg(&passwd)
                    .args([user, password])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .expect("mosquitto_passwd");
                assert!(status.success(), "mosquitto_passwd failed");
            }
            conf.push_str(&format!(
                "allow_anonymous false\npassword_file {}\n",
                passwd.display()
            ));
        }
        if self.config.dynsec {
            let path = dir.join("dynamic-security.json");
            if !path.exists() {
                require("mosquitto_ctrl");
                let status = Command::new("mosquitto_ctrl")
                    .args(["dynsec", "init"])
                    .arg(&path)
                    .args(["admin", "adminpw"])
                    .stdout(Stdio::null())
                    .status()
                    .expect("mosquitto_ctrl");
                assert!(status.success(), "mosquitto_ctrl dynsec init failed");
                let mut json: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                for role in json["roles"].as_array_mut().unwrap() {
                    role["acls"].as_array_mut().unwrap().retain(|acl| {
                        !(acl["acltype"] == "subscribePattern" && acl["topic"] == "#")
                    });
                }
                std::fs::write(&path, json.to_string()).unwrap();
            }
            let plugin = ["/usr/lib/x86_64-linux-gnu", "/usr/lib", "/usr/local/lib"]
                .iter()
                .map(|d| Path::new(d).join("mosquitto_dynamic_security.so"))
                .find(|p| p.is_file())
                .expect("mosquitto_dynamic_security.so not found; install mosquitto");
            conf.push_str(&format!(
                "plugin {}\nplugin_opt_config_file {}\n",
                plugin.display(),
                path.display()
            ));
        }
        if let Some(acl) = &self.config.acl {
            let path = dir.join("acl");
            std::fs::write(&path, acl).unwrap();
            conf.push_str(&format!("acl_file {}\n", path.display()));
        }
        for line in &self.config.extra {
            conf.push_str(line);
            conf.push('\n');
        }
        std::fs::write(dir.join("mosquitto.conf"), conf).unwrap();
    }

    /// Start mosquitto and wait until every listener accepts. False if it did not come up.
    fn launch(&mut self) -> bool {
        let _ = std::fs::remove_file(self.log_path());
        // A new log: what was waited for in the old one counts no more.
        self.subscribed.get_mut().unwrap().clear();
        let child = Command::new(mosquitto_binary())
            .arg("-c")
            .arg(self.dir.path().join("mosquitto.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot run mosquitto");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        let ports: Vec<u16> = [self.port, self.tls_port, self.ws_port, self.wss_port]
            .into_iter()
            .filter(|p| *p != 0)
            .collect();
        loop {
            if let Some(Ok(Some(_))) = self.child.as_mut().map(|c| c.try_wait()) {
                self.child = None;
                return false;
            }
            let tcp_up = ports
                .iter()
                .all(|p| TcpStream::connect(("127.0.0.1", *p)).is_ok());
            let unix_up = !self.config.unix
                || std::os::unix::net::UnixStream::connect(self.unix_path()).is_ok();
            if tcp_up && unix_up {
                return true;
            }
            if Instant::now() > deadline {
                self.stop();
                return false;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stop and start again on the same ports, with a fresh (non-persistent) state.
    pub fn restart(&mut self) {
        self.stop();
        self.relaunch();
    }

    /// Start again on the same ports (the clients under test know them). Another test can hold
    /// a port for a moment (a free-port probe), so try a few times before failing.
    pub(crate) fn relaunch(&mut self) {
        for _ in 0..20 {
            if self.launch() {
                return;
            }
            thread::sleep(Duration::from_millis(100));
        }
        panic!("mosquitto did not start again on its ports: {}", self.log());
    }

    /// `-h 127.0.0.1 -p PORT` for the plain listener.
    pub fn addr(&self) -> Vec<String> {
        vec![
            "-h".into(),
            "127.0.0.1".into(),
            "-p".into(),
            self.port.to_string(),
        ]
    }

    /// `moth SUBCOMMAND -h 127.0.0.1 -p PORT ARGS...`
    pub fn moth(&self, subcommand: &str, rest: &[&str]) -> Command {
        let mut cmd = moth();
        cmd.arg(subcommand).args(self.addr()).args(rest);
        cmd
    }

    /// A mosquitto client pointed at the plain listener.
    pub fn mosquitto(&self, program: &str, rest: &[&str]) -> Command {
        let mut cmd = mosquitto_client(program);
        cmd.args(self.addr()).args(rest);
        cmd
    }

    /// Wait until the broker logs that `client_id` subscribed to `filter`.
    pub fn wait_subscribed(&self, client_id: &str, filter: &str) {
        let wanted = format!(": {client_id} ");
        let ending = format!(" {filter}");
        let pair = (client_id.to_string(), filter.to_string());
        let waited = *self.subscribed.lock().unwrap().get(&pair).unwrap_or(&0);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let found = self
                .log()
                .lines()
                .filter(|line| line.contains(&wanted) && line.ends_with(&ending))
                .count();
            if found > waited {
                // Each wait takes one line, so a second wait for a client that subscribed
                // twice returns at once, and one for a client that has not yet waits.
                *self.subscribed.lock().unwrap().entry(pair).or_default() += 1;
                return;
            }
            thread::sleep(Duration::from_millis(5));
        }
        panic!(
            "{client_id} never subscribed to {filter} (again); broker log:\n{}",
            self.log()
        );
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

fn is_root() -> bool {
    // SAFETY-free check: /proc/self/status holds the effective uid.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// The moth binary under test, with an isolated environment.
pub fn moth() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_moth"));
    isolate(&mut cmd);
    cmd
}

/// A mosquitto client (mosquitto_pub, mosquitto_sub, ...), with an isolated environment.
pub fn mosquitto_client(name: &str) -> Command {
    require(name);
    let mut cmd = Command::new(name);
    isolate(&mut cmd);
    cmd
}

fn isolate(cmd: &mut Command) {
    let home = empty_home();
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("LANG", "C");
}

/// An empty home directory for this test process, so that no test reads a config file or a
/// mosquitto option file that the machine's user (or another test) left lying around.
fn empty_home() -> &'static Path {
    static HOME: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    HOME.get_or_init(|| {
        let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("empty-home");
        std::fs::create_dir_all(&home).expect("create the tests' empty home");
        home
    })
}

#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Output {
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            code,
            "exit code; stdout: {:?}; stderr: {}",
            self.stdout_text(),
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        self.assert_code(0)
    }

    /// stderr is exactly this one line.
    #[track_caller]
    pub fn assert_stderr(&self, line: &str) -> &Self {
        assert_eq!(self.stderr, format!("{line}\n"), "stderr");
        self
    }
}

/// A process running in the background, with its output collected as it comes.
pub struct Running {
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<thread::JoinHandle<()>>,
}

pub fn spawn(cmd: impl BorrowMut<Command>) -> Running {
    spawn_with_stdin(cmd, Stdio::null())
}

pub fn spawn_with_stdin(mut cmd: impl BorrowMut<Command>, stdin: Stdio) -> Running {
    use std::os::unix::process::CommandExt;
    let mut child = cmd
        .borrow_mut()
        // Its own process group, so that a shell pipeline's children die with it.
        .process_group(0)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = Arc::new(Mutex::new(Vec::new()));
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let readers = vec![
        collect(child.stdout.take().unwrap(), stdout.clone()),
        collect(child.stderr.take().unwrap(), stderr.clone()),
    ];
    Running {
        child,
        stdout,
        stderr,
        readers,
    }
}

fn collect(
    mut pipe: impl Read + Send + 'static,
    into: Arc<Mutex<Vec<u8>>>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut buf = [0u8; 64 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => into.lock().unwrap().extend_from_slice(&buf[..n]),
            }
        }
    })
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stdin(&mut self) -> &mut std::process::ChildStdin {
        self.child.stdin.as_mut().expect("stdin was not piped")
    }

    pub fn close_stdin(&mut self) {
        self.child.stdin.take();
    }

    pub fn stdout_now(&self) -> Vec<u8> {
        self.stdout.lock().unwrap().clone()
    }

    pub fn stderr_now(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Wait until stdout holds at least `n` bytes.
    pub fn wait_stdout_len(&self, n: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.stdout.lock().unwrap().len() < n {
            assert!(
                Instant::now() < deadline,
                "stdout has {} of {n} bytes; stderr: {}",
                self.stdout.lock().unwrap().len(),
                self.stderr_now()
            );
            thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Wait for the process to end on its own.
    pub fn finish(self) -> Output {
        self.finish_within(PROCESS_TIMEOUT)
    }

    pub fn finish_within(mut self, timeout: Duration) -> Output {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                self.kill_group();
                panic!(
                    "process did not finish within {timeout:?}; stdout: {:?}; stderr: {}",
                    String::from_utf8_lossy(&self.stdout_now()),
                    self.stderr_now()
                );
            }
            thread::sleep(Duration::from_millis(5));
        };
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        Output {
            status,
            stdout: std::mem::take(&mut self.stdout.lock().unwrap()),
            stderr: String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned(),
        }
    }

    /// Still running (not yet exited)?
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn kill(mut self) {
        self.kill_group();
    }

    /// Kill the process and everything it started (a shell pipeline's children too).
    fn kill_group(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill_group();
        }
    }
}

/// Run to completion with `stdin` as input.
pub fn run(cmd: impl BorrowMut<Command>, stdin: &[u8]) -> Output {
    let mut running = spawn_with_stdin(cmd, Stdio::piped());
    let mut pipe = running.child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let writer = thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let output = running.finish();
    let _ = writer.join();
    output
}

/// `[prefix...]` + `args` as owned strings, for building argument lists.
pub fn args(prefix: &[String], rest: &[&str]) -> Vec<String> {
    prefix
        .iter()
        .cloned()
        .chain(rest.iter().map(|s| s.to_string()))
        .collect()
}
