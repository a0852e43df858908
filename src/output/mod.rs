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
pub use tree::{Layout, Tree};

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
        return Ok(Box::new(JsonLines::new(style.colour)));
    }
    Ok(Box::new(TextFormat::new(
        style.verbose,
        style.newline,
        style.colour,
        style.timestamp,
    )))
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
