//! Real faults for delivery tests: a broker stopped gracefully (SIGTERM) or killed (SIGKILL) and
//! started again on the same ports, a frozen broker (SIGSTOP), and a TCP proxy that cuts every
//! connection or refuses new ones on command, or flaps: cuts each connection a while after it
//! opened, optionally passing nothing from the client after its CONNECT.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
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
    flap: Arc<Flap>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

/// How each new connection misbehaves.
#[derive(Default)]
struct Flap {
    /// Milliseconds a connection lives before it is cut; 0: for ever.
    lifetime_ms: AtomicU64,
    /// Pass the client's CONNECT, then swallow whatever it sends: nothing is ever acknowledged.
    mute: AtomicBool,
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
        let flap = Arc::new(Flap::default());
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (refusing, live, flap, stop) =
                (refusing.clone(), live.clone(), flap.clone(), stop.clone());
            thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(serve(listener, target, cut_rx, refusing, live, flap, stop));
            })
        };
        Proxy {
            port,
            cuts,
            refusing,
            live,
            flap,
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

    /// Cut each new connection `lifetime` after it opened.
    pub fn flap_every(&self, lifetime: Duration) {
        self.flap
            .lifetime_ms
            .store(lifetime.as_millis() as u64, Ordering::SeqCst);
    }

    /// Pass each new connection's CONNECT (so the broker accepts it), then nothing more from
    /// the client: the broker never sees, so never acknowledges, what follows.
    pub fn mute_after_connect(&self) {
        self.flap.mute.store(true, Ordering::SeqCst);
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
    flap: Arc<Flap>,
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
        let lifetime = match flap.lifetime_ms.load(Ordering::SeqCst) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        };
        let mute = flap.mute.load(Ordering::SeqCst);
        tokio::spawn(async move {
            let _counted = counted;
            let (mut client_read, mut client_write) = client.into_split();
            let (mut server_read, mut server_write) = server.into_split();
            let up = async {
                match mute {
                    true => first_packet_only(&mut client_read, &mut server_write).await,
                    false => copy(&mut client_read, &mut server_write).await,
                }
            };
            let down = copy(&mut server_read, &mut client_write);
            let end_of_life = async {
                match lifetime {
                    Some(after) => tokio::time::sleep(after).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = up => {}
                _ = down => {}
                _ = cut.changed() => {}
                _ = end_of_life => {}
            }
            // Dropping both halves of both sockets closes them.
        });
    }
}

/// Forward the first MQTT packet (the CONNECT), then read and drop everything else.
async fn first_packet_only(
    from: &mut tokio::net::tcp::OwnedReadHalf,
    to: &mut tokio::net::tcp::OwnedWriteHalf,
) {
    let mut seen = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut forwarded = false;
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if forwarded {
            continue;
        }
        seen.extend_from_slice(&buf[..n]);
        if let Some(len) = packet_len(&seen)
            && seen.len() >= len
        {
            if to.write_all(&seen[..len]).await.is_err() {
                return;
            }
            forwarded = true;
        }
    }
}

/// The whole length of the MQTT packet at the start of `bytes`, once its header is in.
fn packet_len(bytes: &[u8]) -> Option<usize> {
    let mut remaining = 0usize;
    for (i, b) in bytes.iter().skip(1).take(4).enumerate() {
        remaining |= ((b & 0x7f) as usize) << (7 * i);
        if b & 0x80 == 0 {
            return Some(1 + i + 1 + remaining);
        }
    }
    None
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
