//! Where received messages go: a buffered stdout that the caller flushes when no further message
//! is waiting, so a reader sees each message at once without a write per message under load.

mod text;

use std::io::{self, Write};

pub use text::TextFormat;

use crate::connect::Message;

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
