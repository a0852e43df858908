//! Where received messages go: a buffered stdout that the caller flushes when no further message
//! is waiting, so a reader sees each message at once without a write per message under load.

mod json;
mod template;
mod text;
mod tree;

use std::io::{self, Write};

pub use json::JsonLines;
pub use template::Template;
pub use text::TextFormat;
pub use tree::{Layout, SortBy, Tree};

use crate::exit::Failure;
use crate::message::Message;

/// How `sub`, `rr` and `ls` are asked to print, as plain settings.
pub struct Style<'a> {
    /// -F.
    pub format: Option<&'a str>,
    pub json: bool,
    pub pretty: bool,
    pub verbose: bool,
    pub newline: bool,
    pub timestamp: bool,
    pub colour: bool,
}

/// The writer `sub` and `rr` print with: -F, --json, or mosquitto's text.
pub fn format_for(style: &Style) -> crate::exit::Result<Box<dyn Format>> {
    if let Some(format) = style.format {
        let template = Template::compile(format, style.newline, style.pretty)
            .map_err(|why| Failure::usage(format!("invalid -F format: {why}")))?;
        return Ok(Box::new(template));
    }
    if style.json {
        return Ok(Box::new(JsonLines::new(style.colour, style.pretty)));
    }
    if style.pretty {
        return Err(Failure::usage(
            "--pretty indents JSON: add --json, or -F with %j or %J",
        ));
    }
    Ok(Box::new(TextFormat::new(
        style.verbose,
        style.newline,
        style.colour,
        style.timestamp,
    )))
}

/// Resolves once stdout is a pipe whose reader has gone (`| head -n 2` after its lines). A
/// subscriber that waits for the next message would only notice at its next write, which may
/// never come; it must end as soon as nobody reads. Never resolves for a terminal or a file.
pub async fn reader_gone() {
    use std::os::fd::AsRawFd;
    let fd = io::stdout().as_raw_fd();
    // SAFETY: fstat fills the zeroed struct for our own stdout.
    let is_pipe = unsafe {
        let mut status: libc::stat = std::mem::zeroed();
        libc::fstat(fd, &mut status) == 0 && (status.st_mode & libc::S_IFMT) == libc::S_IFIFO
    };
    if !is_pipe {
        return std::future::pending().await;
    }
    let (gone, watch) = tokio::sync::oneshot::channel();
    // poll(2) with no events asked still reports POLLERR on a pipe whose reader closed. A
    // thread, since tokio cannot wait for that on a pipe it does not own.
    let spawned = std::thread::Builder::new()
        .name("moth-stdout-watch".into())
        .spawn(move || {
            let mut watched = libc::pollfd {
                fd,
                events: 0,
                revents: 0,
            };
            loop {
                // SAFETY: one valid pollfd, no timeout.
                let ready = unsafe { libc::poll(&mut watched, 1, -1) };
                if ready > 0 && watched.revents & (libc::POLLERR | libc::POLLHUP) != 0 {
                    let _ = gone.send(());
                    return;
                }
                if ready < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                    return;
                }
            }
        });
    if spawned.is_err() || watch.await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// How one message is rendered.
pub trait Format {
    fn write(&mut self, out: &mut dyn Write, message: &Message) -> io::Result<()>;
}

pub struct Sink {
    out: io::BufWriter<io::StdoutLock<'static>>,
}

/// What a failed write means for the run.
pub enum WriteError {
    /// The reader went away (`| head -1`): end quietly, exit 0.
    Closed,
    Failed(io::Error),
}

impl From<io::Error> for WriteError {
    fn from(err: io::Error) -> Self {
        if err.kind() == io::ErrorKind::BrokenPipe {
            WriteError::Closed
        } else {
            WriteError::Failed(err)
        }
    }
}

/// A fixed buffer for short texts (times), so formatting them needs no allocation.
pub struct StackText {
    buf: [u8; 64],
    len: usize,
}

impl Default for StackText {
    fn default() -> Self {
        StackText {
            buf: [0; 64],
            len: 0,
        }
    }
}

impl StackText {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl Sink {
    pub fn stdout() -> Sink {
        Sink {
            out: io::BufWriter::with_capacity(64 * 1024, io::stdout().lock()),
        }
    }

    pub fn write(&mut self, format: &mut dyn Format, message: &Message) -> Result<(), WriteError> {
        format
            .write(&mut self.out, message)
            .map_err(WriteError::from)
    }

    pub fn flush(&mut self) -> Result<(), WriteError> {
        self.out.flush().map_err(WriteError::from)
    }
}
