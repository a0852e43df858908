//! `moth config` flags.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub action: ConfigAction,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ConfigAction {
    /// Print the connection settings a command would use and where each comes from (flags,
    /// MOTH_* variables, profile, config file, mosquitto option file, default); passwords as ***
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Show(ConfigShowArgs),
    /// Print the path of the config file moth reads
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Path,
}

#[derive(Debug, Clone, Args)]
pub struct ConfigShowArgs {
    /// The command whose settings to show
    #[arg(value_enum, default_value_t = Target::Sub)]
    pub command: Target,

    /// Show this profile's settings [env: MOTH_PROFILE]
    #[arg(long, value_name = "NAME", value_hint = clap::ValueHint::Other)]
    pub profile: Option<String>,

    /// Read this config file [env: MOTH_CONFIG]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    Pub,
    Sub,
    Rr,
    Bench,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Pub => "pub",
            Target::Sub => "sub",
            Target::Rr => "rr",
            Target::Bench => "bench",
        }
    }
}
