//! `neuroflow workflow run` and `neuroflow sync`.

use super::common::{self, print_tick, slurm};
use super::output::{self, Format};
use crate::db::Store;
use crate::error::Result;
use crate::pipeline::plan::Filter;
use crate::workflow::tick::{TickOptions, lock, tick};
use crate::workflow::track::sync;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// One tick: track jobs, discover sessions, submit what is ready (the cron job).
    Run(RunArgs),
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Only submit this stage (tracking and discovery still run).
    #[arg(long)]
    stage: Option<String>,
    /// Print every script and sbatch command that would run; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Keep ticking (every slurm.poll_interval_seconds) until no job is live.
    #[arg(long)]
    sync: bool,
    /// Cancel the live runs of stages that are disabled (`enabled: false` or no
    /// section); without it each tick only warns about them.
    #[arg(long)]
    cancel_disabled: bool,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub async fn run(explicit: Option<&Path>, cmd: Command) -> Result<u8> {
    let Command::Run(a) = cmd;
    let (loaded, mut store) = common::open_for_jobs(explicit)?;
    let cfg = &loaded.config;
    if let Some(s) = &a.stage {
        super::common::check_stage(s)?;
    }
    let _lock = lock(cfg)?;
    let opts = TickOptions {
        filter: Filter { stage: a.stage.clone(), ..Default::default() },
        dry_run: a.dry_run,
        no_discover: false,
        cancel_disabled: a.cancel_disabled,
    };
    let slurm = slurm(cfg);
    let mut worst = 0;
    loop {
        let report = tick(cfg, &mut store, &slurm, &opts).await?;
        print_tick(&report, a.format);
        worst = worst.max(report.exit);
        if !a.sync || a.dry_run || report.exit == 2 || store.live_runs()?.is_empty() {
            return Ok(if a.sync { worst } else { report.exit });
        }
        tokio::time::sleep(Duration::from_secs(cfg.slurm.poll_interval_seconds)).await;
    }
}

/// `neuroflow sync`: only tracking.
pub async fn sync_only(explicit: Option<&Path>, format: Format) -> Result<u8> {
    let (loaded, mut store): (_, Store) = common::open(explicit)?;
    let _lock = lock(&loaded.config)?;
    let report = sync(&loaded.config, &mut store, &slurm(&loaded.config)).await?;
    for line in &report.needs_human {
        tracing::error!("{line}");
    }
    match format {
        Format::Json => output::json(&report),
        Format::Table => println!(
            "{} live runs: {} started, {} completed, {} failed, {} cancelled ({} downstream), {} lost; {} Slurm calls",
            report.live_before,
            report.started,
            report.completed,
            report.failed,
            report.cancelled,
            report.cancelled_downstream,
            report.lost,
            report.slurm_calls
        ),
    }
    Ok(if report.needs_human.is_empty() { 0 } else { crate::error::ExitClass::NeedsHuman as u8 })
}
