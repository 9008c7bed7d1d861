//! `neuroflow workflow run` and `neuroflow sync`.

use super::common;
use super::output::{self, Format};
use crate::config::Config;
use crate::db::Store;
use crate::error::Result;
use crate::pipeline::plan::Filter;
use crate::slurm::SlurmCli;
use crate::workflow::tick::{TickOptions, TickReport, lock, tick};
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

pub fn slurm(cfg: &Config) -> SlurmCli {
    SlurmCli::new(Duration::from_secs(cfg.slurm.command_timeout_seconds))
}

pub async fn run(explicit: Option<&Path>, cmd: Command) -> Result<u8> {
    let Command::Run(a) = cmd;
    let (loaded, mut store) = common::open_for_jobs(explicit)?;
    let cfg = &loaded.config;
    if let Some(s) = &a.stage {
        super::submit::check_stage(s)?;
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

pub fn print_tick(r: &TickReport, format: Format) {
    if format == Format::Json {
        return println!("{}", serde_json::to_string(r).unwrap_or_default());
    }
    for p in r.submit.iter().flat_map(|s| &s.previews) {
        println!("# ---- {} (attempt {}, {}) ----", p.job_name, p.attempt, p.trigger);
        println!("# would run: {}", p.sbatch);
        print!("{}", p.script);
    }
    let submitted = r.submit.as_ref().map_or(0, |s| s.submitted.len());
    let (done, failed) = r.sync.as_ref().map_or((0, 0), |s| (s.completed, s.failed));
    let registered = r.discover.as_ref().map_or(0, |d| d.registered_valid + d.registered_invalid);
    println!(
        "tick {}: {registered} sessions registered, {submitted} jobs submitted, {done} runs completed, {failed} failed; {} Slurm calls",
        r.tick_id.map_or("(dry run)".into(), |t| t.to_string()),
        r.slurm_calls
    );
    if let Some(s) = &r.submit {
        let rows: Vec<Vec<String>> = s
            .submitted
            .iter()
            .map(|x| {
                vec![
                    x.run_id.to_string(),
                    x.job_id.map_or("-".into(), |j| j.to_string()),
                    x.job_name.clone(),
                    x.attempt.to_string(),
                    x.dependency.join(":"),
                ]
            })
            .collect();
        if !rows.is_empty() {
            output::table(&["RUN", "JOB", "NAME", "ATTEMPT", "AFTEROK"], &rows);
        }
    }
    for p in &r.problems {
        println!("problem: {p}");
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
