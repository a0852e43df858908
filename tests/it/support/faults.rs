//! Real faults for delivery tests: a broker stopped gracefully (SIGTERM) or killed (SIGKILL) and
//! started again on the same ports, a frozen broker (SIGSTOP), and a TCP proxy that cuts every
//! connection or refuses new ones on command.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

use super::{Broker, BrokerConfig};

impl BrokerConfig {
    /// Sessions, subscriptions and queued messages survive a graceful restart.
    pub fn persistent(mut self) -> Self {
        self.persistent = true;
        self
    }
}

impl Broker {
    fn pid(&self) -> u32 {
        self.child.as_ref().expect("the broker is not running").id()
    }

    fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &self.pid().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// SIGTERM: mosquitto closes its clients and saves its state (with `persistent`), then exits.
    pub fn terminate(&mut self) {
        self.signal("TERM");
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while child.try_wait().expect("wait").is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("mosquitto ignored SIGTERM for 20 s");
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// SIGKILL: gone at once, nothing saved.
    pub fn kill(&mut self) {
        self.stop();
    }

    /// Start again on the same ports (after `terminate` or `kill`).
    pub fn start_again(&mut self) {
        assert!(
            self.launch(),
            "mosquitto did not start again: {}",
            self.log()
        );
    }

    /// SIGSTOP: the broker keeps its sockets open but answers nothing.
    pub fn freeze(&self) {
        self.signal("STOP");
    }

    pub fn thaw(&self) {
        self.signal("CONT");
    }

    /// Wait until a line of the broker's log (since its last start) contains `needle`.
    pub fn wait_log(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.log().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "the broker never logged {needle:?}; log:\n{}",
                self.log()
            );
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Wait until the broker's log shows `client_id` connected (since its last start).
    pub fn wait_connected(&self, client_id: &str) {
        let wanted = format!(" as {client_id} ");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.log().lines().any(|line| line.contains(&wanted)) {
            assert!(
                Instant::now() < deadline,
                "{client_id} never connected; broker log:\n{}",
                self.log()
            );
            thread::sleep(Duration::from_millis(5));
        }
    }
}

/// A TCP proxy on a free port in front of `127.0.0.1:target`.
pub struct Proxy {
    pub port: u16,
    /// Bumped to cut every open connection.
    cuts: watch::Sender<u64>,
    /// While set, new connections are closed at once, as by a broker that is down.
    refusing: Arc<AtomicBool>,
    /// Connections accepted and not yet closed.
    live: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

/// Counts a proxied connection until it is dropped, after the sockets it outlives.
struct Live(Arc<AtomicUsize>);

impl Live {
    fn new(count: &Arc<AtomicUsize>) -> Live {
        count.fetch_add(1, Ordering::SeqCst);
        Live(count.clone())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Proxy {
    pub fn start(target: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let (cuts, cut_rx) = watch::channel(0u64);
        let refusing = Arc::new(AtomicBool::new(false));
        let live = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (refusing, live, stop) = (refusing.clone(), live.clone(), stop.clone());
            thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(serve(listener, target, cut_rx, refusing, live, stop));
            })
        };
        Proxy {
            port,
            cuts,
            refusing,
            live,
            stop,
            thread: Some(thread),
        }
    }

    /// `-h 127.0.0.1 -p PORT` through the proxy.
    pub fn addr(&self) -> Vec<String> {
        vec![
            "-h".into(),
            "127.0.0.1".into(),
            "-p".into(),
            self.port.to_string(),
        ]
    }

    /// Close every open connection (both sides), as a network failure would.
    pub fn cut(&self) {
        self.cuts.send_modify(|n| *n += 1);
    }

    /// Cut every connection and close new ones at once until `restore`. Returns once every
    /// connection is closed: nothing written afterwards reaches the broker.
    pub fn go_down(&self) {
        self.refusing.store(true, Ordering::SeqCst);
        self.cut();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.live.load(Ordering::SeqCst) > 0 {
            assert!(
                Instant::now() < deadline,
                "the proxy's connections never closed"
            );
            thread::sleep(Duration::from_millis(1));
        }
    }

    pub fn restore(&self) {
        self.refusing.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.cut();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    listener: TcpListener,
    target: u16,
    cuts: watch::Receiver<u64>,
    refusing: Arc<AtomicBool>,
    live: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    while !stop.load(Ordering::SeqCst) {
        let accepted = tokio::time::timeout(Duration::from_millis(50), listener.accept()).await;
        let Ok(Ok((client, _))) = accepted else {
            continue;
        };
        let counted = Live::new(&live);
        let mut cut = cuts.clone();
        cut.mark_unchanged();
        if refusing.load(Ordering::SeqCst) {
            continue;
        }
        // A cut during the connect (to a broker slow to accept) ends this connection too.
        let connect = tokio::net::TcpStream::connect(("127.0.0.1", target));
        let server = tokio::select! {
            connected = connect => connected,
            _ = cut.changed() => continue,
        };
        let Ok(server) = server else {
            continue;
        };
        tokio::spawn(async move {
            let _counted = counted;
            let (mut client_read, mut client_write) = client.into_split();
            let (mut server_read, mut server_write) = server.into_split();
            let up = copy(&mut client_read, &mut server_write);
            let down = copy(&mut server_read, &mut client_write);
            tokio::select! {
                _ = up => {}
                _ = down => {}
                _ = cut.changed() => {}
            }
            // Dropping both halves of both sockets closes them.
        });
    }
}

async fn copy(from: &mut tokio::net::tcp::OwnedReadHalf, to: &mut tokio::net::tcp::OwnedWriteHalf) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if to.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}
