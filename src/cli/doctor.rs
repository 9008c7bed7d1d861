//! `neuroflow doctor`: is everything neuroflow needs reachable?

use crate::config::{self, Config};
use crate::db::Store;
use crate::domain::JobId;
use crate::error::{Error, Result};
use crate::slurm::{Scheduler, SlurmCli};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "EXAMPLES:\n  neuroflow doctor\n  neuroflow doctor --probe-job        # also runs a tiny job through sbatch, squeue and sacct"
)]
pub struct Args {
    /// Also submit a tiny real job and wait for its accounting record.
    #[arg(long)]
    probe_job: bool,
    /// Seconds to wait for the probe job.
    #[arg(long, default_value_t = 120)]
    probe_timeout: u64,
}

pub async fn run(explicit: Option<&Path>, a: Args) -> Result<()> {
    let loaded = config::load(&config::locate(explicit)?)?;
    loaded.config.check_files(&loaded.path)?;
    println!("config: ok ({})", loaded.path.display());
    let cfg = &loaded.config;
    let mut store = Store::open(&cfg.database_url())?;
    let pending = store.migration_status()?.iter().filter(|m| !m.applied).count();
    println!("database: ok ({:?}, {pending} pending migrations)", store.backend());
    let slurm = super::common::slurm(cfg);
    let script = write_probe(cfg)?;
    let plan = slurm.test_submit(&script).await?;
    println!("slurm: ok (sbatch --test-only: {plan})");
    if a.probe_job {
        probe(&slurm, &script, Duration::from_secs(a.probe_timeout)).await?;
    }
    Ok(())
}

fn write_probe(cfg: &Config) -> Result<PathBuf> {
    let dir = cfg.paths.work_dir.join("doctor");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
    std::fs::create_dir_all(&cfg.paths.log_dir).map_err(|e| Error::io("create", &cfg.paths.log_dir, e))?;
    let mut lines = vec![
        "#!/bin/bash".to_string(),
        "#SBATCH --job-name=nf-doctor-probe".into(),
        format!(
            "#SBATCH --output={}",
            shlex::try_quote(&cfg.paths.log_dir.join("nf-doctor-probe-%j.out").display().to_string())
                .unwrap_or_default()
        ),
        "#SBATCH --time=00:01:00".into(),
        "#SBATCH --mem=100M".into(),
    ];
    for (flag, v) in [("partition", &cfg.slurm.partition), ("account", &cfg.slurm.account), ("qos", &cfg.slurm.qos)] {
        if let Some(v) = v {
            lines.push(format!("#SBATCH --{flag}={v}"));
        }
    }
    lines.push("echo neuroflow probe on \"$(hostname)\"".into());
    let path = dir.join("probe.sh");
    std::fs::write(&path, lines.join("\n") + "\n").map_err(|e| Error::io("write", &path, e))?;
    Ok(path)
}

async fn probe(slurm: &SlurmCli, script: &Path, wait: Duration) -> Result<()> {
    let sub = slurm.submit(script).await?;
    println!("probe job: submitted {}", sub.job_id);
    let started = Instant::now();
    while started.elapsed() < wait {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let recs = slurm.accounting(&[JobId(sub.job_id.0)]).await?;
        if let Some(r) = recs.into_iter().find(|r| r.state.is_terminal()) {
            println!(
                "probe job: {} {} exit {}:{} elapsed {}s on {}",
                r.job_id,
                r.state_text,
                r.exit_code,
                r.exit_signal,
                r.elapsed_seconds,
                r.node_list.unwrap_or_default()
            );
            return Ok(());
        }
    }
    Err(Error::Usage(format!("probe job {} did not finish within {} s", sub.job_id, wait.as_secs())))
}
