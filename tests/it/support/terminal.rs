//! A real terminal for what only a terminal shows: a tmux server of the test's own (its own
//! socket), driven with send-keys and read with capture-pane. Dropping it kills the server and
//! whatever runs in it.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

pub const TMUX_HINT: &str = "tmux is not installed: run `apt-get install -y tmux`, or run the tests with scripts/test, which installs it";

pub struct Terminal {
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Terminal {
    /// A `width`x`height` terminal running `command` (through `sh -c`).
    pub fn start(width: u16, height: u16, command: &str) -> Terminal {
        let dir = tempfile::tempdir().unwrap();
        let terminal = Terminal {
            socket: dir.path().join("tmux.sock"),
            _dir: dir,
        };
        let status = terminal
            .tmux()
            .args(["new-session", "-d", "-s", "test", "-x"])
            .arg(width.to_string())
            .arg("-y")
            .arg(height.to_string())
            .arg(command)
            .status()
            .expect(TMUX_HINT);
        assert!(status.success(), "tmux new-session failed");
        terminal
    }

    fn tmux(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.arg("-S").arg(&self.socket).env_remove("TMUX");
        cmd
    }

    /// tmux send-keys: each argument a key name (`Enter`, `C-c`) or literal text.
    pub fn keys(&self, keys: &[&str]) {
        let status = self
            .tmux()
            .args(["send-keys", "-t", "test"])
            .args(keys)
            .status()
            .unwrap();
        assert!(status.success(), "tmux send-keys {keys:?} failed");
    }

    /// What the screen shows now, one line per row.
    pub fn screen(&self) -> String {
        let out = self
            .tmux()
            .args(["capture-pane", "-p", "-t", "test"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Wait until the screen shows `text`; the screen then.
    pub fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + super::PROCESS_TIMEOUT;
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the terminal never showed {text:?}; it shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}
