//! moth: an MQTT command-line client. The tree shows the architecture:
//! `cli` (clap definitions, turned into plain settings at the edge; `config` folds in the
//! environment, profiles and mosquitto's option files first) → `connect` (the only code that
//! knows rumqttc's packets: one session for pub, sub, rr and ls, and the link bench's clients drive) → `commands`
//! (one module per subcommand) → `output` (writers). `message` is the vocabulary they share;
//! `exit` owns the exit-code table, `report` stderr.

mod cli;
mod colour;
mod commands;
mod config;
mod connect;
mod exit;
mod limits;
mod message;
mod output;
mod properties;
mod random;
mod report;
mod topic;

use std::process::ExitCode;

use cli::Command;

/// The clap command tree, for the tests that generate completions and man pages from it.
pub fn command() -> clap::Command {
    cli::whole()
}

/// The man pages' sections beyond the flags, kept with the `--help` text they share.
pub mod manual {
    pub use crate::cli::FORMAT_HELP;
    pub use crate::cli::help::{ENVIRONMENT, FILES, SUBCOMMANDS, examples, recipes, ui_keys};
    pub use crate::exit::TABLE as EXIT_STATUS;
}

pub fn main() -> ExitCode {
    colour::init_stderr();
    let cli = config::parse();
    // pub, sub and rr are one connection each: a single thread starts fastest. bench spreads
    // its clients over every core.
    let builder = match &cli.command {
        Command::Bench(args) => match args.threads() {
            Some(0) => {
                report::usage_error("--threads needs at least 1");
                return ExitCode::from(exit::FAILURE);
            }
            Some(1) => tokio::runtime::Builder::new_current_thread(),
            Some(n) => {
                let mut builder = tokio::runtime::Builder::new_multi_thread();
                builder.worker_threads(n);
                builder
            }
            None => tokio::runtime::Builder::new_multi_thread(),
        },
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match { builder }.enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            report::error(&format!("cannot start the async runtime: {err}"));
            return ExitCode::from(exit::FAILURE);
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Pub(args) => commands::publish::run(args.0).await,
            Command::Sub(args) => commands::subscribe::run(args.0).await,
            Command::Rr(args) => commands::request::run(args.0).await,
            Command::Bench(args) => commands::bench::run(*args.0).await,
            Command::Config(args) => config::command(args.0),
            Command::Ls(args) => commands::ls::run(args.0).await,
            Command::Ui(args) => commands::ui::run(args.0).await,
        }
    });
    // A blocking stdin read may still be parked in tokio's thread pool; do not wait for it.
    runtime.shutdown_background();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            report::error(&failure.message);
            ExitCode::from(failure.code)
        }
    }
}
