//! Command-line types and dispatch; the only code that writes to stdout.

mod config_cmd;
mod db_cmd;
mod doctor;
mod init;
mod output;

use crate::error::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

pub use output::Format;

#[derive(Debug, Parser)]
#[command(
    name = "neuroflow",
    version,
    about = "Runs a diffusion-MRI processing chain on Slurm, from DICOM to connectomes"
)]
pub struct Cli {
    /// Configuration file (else $NEUROFLOW_CONFIG, else ./neuroflow.yaml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value = "text", env = "NEUROFLOW_LOG_FORMAT")]
    pub log_format: LogFormat,
    /// More logging (-v debug, -vv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented starter configuration.
    Init(init::Args),
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(config_cmd::Command),
    /// Manage the state store.
    #[command(subcommand)]
    Db(db_cmd::Command),
    /// Check that configuration, state store and Slurm work.
    Doctor(doctor::Args),
}

/// Runs one parsed command.
pub async fn run(cli: Cli) -> Result<()> {
    let config = cli.config.as_deref();
    match cli.command {
        Command::Init(a) => init::run(a),
        Command::Config(c) => config_cmd::run(config, c),
        Command::Db(c) => db_cmd::run(config, c),
        Command::Doctor(a) => doctor::run(config, a).await,
    }
}
