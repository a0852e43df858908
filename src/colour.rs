//! Colour: the one place that decides whether a stream is coloured (`--color`, NO_COLOR,
//! TERM=dumb, a terminal), and the colours themselves, from `colored`. stderr's messages go
//! through `colored` directly; the output writers colour millions of fields, so they take the
//! same colours as ready-made escape sequences instead of allocating a `ColoredString` each.

use std::io::IsTerminal;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Only on a terminal, and never with NO_COLOR set (no-color.org) or TERM=dumb.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Whether to colour `stream`.
pub fn wanted(choice: Choice, stream: Stream) -> bool {
    match choice {
        Choice::Always => true,
        Choice::Never => false,
        Choice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
            let terminal = match stream {
                Stream::Stdout => std::io::stdout().is_terminal(),
                Stream::Stderr => std::io::stderr().is_terminal(),
            };
            terminal && !no_color && !dumb
        }
    }
}

/// stderr's messages (`moth: error: ...`) colour through `colored`'s global switch.
pub fn init_stderr() {
    colored::control::set_override(wanted(Choice::Auto, Stream::Stderr));
}

// The escape sequences the output writers use: `colored`'s colours (a test holds them to it),
// as constants, so that colouring a field costs two writes and no allocation.
/// Topics and topic-tree names: cyan.
pub const NAME: &[u8] = b"\x1b[36m";
/// JSON keys: blue.
pub const KEY: &[u8] = b"\x1b[34m";
/// Marks such as "retained" in the topic tree: yellow.
pub const MARK: &[u8] = b"\x1b[33m";
/// Secondary details (QoS and retain flags, times): dimmed.
pub const DIM: &[u8] = b"\x1b[2m";
pub const RESET: &[u8] = b"\x1b[0m";

#[cfg(test)]
mod tests {
    use super::*;
    use colored::{Color, Colorize};

    #[test]
    fn the_writers_colours_are_colored_s() {
        let fg = |color: Color| format!("\x1b[{}m", color.to_fg_str()).into_bytes();
        assert_eq!(NAME, fg(Color::Cyan));
        assert_eq!(KEY, fg(Color::Blue));
        assert_eq!(MARK, fg(Color::Yellow));
        colored::control::set_override(true);
        let dim = "x".dimmed().to_string();
        colored::control::unset_override();
        assert_eq!(dim.as_bytes(), [DIM, b"x", RESET].concat());
        assert!(wanted(Choice::Always, Stream::Stdout));
        assert!(!wanted(Choice::Never, Stream::Stderr));
    }
}
