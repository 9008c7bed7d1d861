//! Owns: the command line — clap types, one file per subcommand, printing (the only
//! code that writes to stdout). May import: workflow, and below it what a command
//! needs to open (config, db, slurm). Must not be imported by: anything but main.rs.

mod common;
mod config_cmd;
mod db_cmd;
mod discover;
mod doctor;
mod explain;
#[cfg(test)]
mod help_tests;
mod init;
mod output;
mod report;
mod runs;
mod runs_show;
mod sessions;
mod shell;
mod submit;
mod templates_cmd;
mod verify;
#[cfg(test)]
mod views_tests;
mod workflow_cmd;

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
    /// Scan dicom_incoming: register new sessions, hold the rest with a reason.
    Discover(discover::Args),
    /// Registered sessions and held folders.
    #[command(subcommand)]
    Sessions(sessions::Command),
    /// The tick: track, discover, submit (run it from cron).
    #[command(subcommand)]
    Workflow(workflow_cmd::Command),
    /// Only track live jobs (one squeue, at most one sacct).
    Sync {
        /// Output: a table for people, or json for scripts.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Submit one stage now (optionally for one subject/session).
    Submit(submit::SubmitArgs),
    /// Print the sbatch script a stage would get for a unit.
    Render(submit::RenderArgs),
    /// Pipeline runs: list, show, retry, cancel.
    #[command(subcommand)]
    Runs(runs::Command),
    /// The sbatch templates.
    #[command(subcommand)]
    Templates(templates_cmd::Command),
    /// Re-check that completed runs' outputs are still on disk (--requeue to redo them).
    Verify(verify::Args),
    /// For each stage of a participant (or one session): what the planner decides and
    /// why, with the runs on record.
    Explain(explain::Args),
    /// Write the static HTML status page (matrix, needs a person, throughput,
    /// failures, efficiency) into a folder.
    Report(report::Args),
    /// Print a shell completion script.
    Completions(shell::CompletionArgs),
    /// Print the man page (or write every page into a folder).
    Man(shell::ManArgs),
}

/// Runs one parsed command; returns the exit code (0 ok, 1 a person must act, 2 transient).
pub async fn run(cli: Cli) -> Result<u8> {
    let config = cli.config.as_deref();
    let ok = |r: Result<()>| r.map(|()| 0);
    match cli.command {
        Command::Init(a) => ok(init::run(a)),
        Command::Config(c) => ok(config_cmd::run(config, c)),
        Command::Db(c) => ok(db_cmd::run(config, c)),
        Command::Doctor(a) => doctor::run(config, a).await,
        Command::Discover(a) => ok(discover::run(config, a)),
        Command::Sessions(c) => ok(sessions::run(config, c).await),
        Command::Workflow(c) => workflow_cmd::run(config, c).await,
        Command::Sync { format } => workflow_cmd::sync_only(config, format).await,
        Command::Submit(a) => submit::submit(config, a).await,
        Command::Render(a) => submit::render(config, a).await,
        Command::Runs(c) => runs::run(config, c).await,
        Command::Templates(c) => templates_cmd::run(c),
        Command::Verify(a) => verify::run(config, a),
        Command::Explain(a) => explain::run(config, a),
        Command::Report(a) => ok(report::run(config, a)),
        Command::Completions(a) => {
            shell::completions(a);
            Ok(0)
        }
        Command::Man(a) => ok(shell::man(a)),
    }
}
