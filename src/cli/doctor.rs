//! `neuroflow doctor`: is everything neuroflow needs reachable?

use crate::config::{self, Config};
use crate::domain::JobId;
use crate::error::{Error, Result};
use crate::slurm::{Scheduler, SlurmCli};
use crate::workflow::submit::doctor::Check;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "EXAMPLES:\n  neuroflow doctor\n  neuroflow doctor --probe-job        # also runs a tiny job through sbatch, squeue and sacct\n  neuroflow doctor --format json\n\nOne line per check (config files, store and pending migrations, paths, mapping,\neach enabled stage's tool and sbatch --test-only, sacct); exit 1 if any fails."
)]
pub struct Args {
    /// Also submit a tiny real job and wait for its accounting record.
    #[arg(long)]
    probe_job: bool,
    /// Seconds to wait for the probe job.
    #[arg(long, default_value_t = 120)]
    probe_timeout: u64,
    /// Output: a table for people, or json for scripts.
    #[arg(long, value_enum, default_value_t)]
    format: super::output::Format,
}

impl super::output::Listing for Check {
    const HEADERS: &'static [&'static str] = &["", "CHECK", "DETAIL"];
    fn cells(&self) -> Vec<String> {
        vec![if self.ok { "ok" } else { "FAIL" }.into(), self.check.clone(), self.detail.clone()]
    }
}

/// Exit 1 when any check fails (each failure names its fix).
pub async fn run(explicit: Option<&Path>, a: Args) -> Result<u8> {
    let loaded = config::load(&config::locate(explicit)?)?;
    let cfg = &loaded.config;
    let slurm = super::common::slurm(cfg);
    let mut checks = vec![Check { check: "config".into(), ok: true, detail: loaded.path.display().to_string() }];
    checks.extend(crate::workflow::submit::doctor::checks(cfg, &slurm).await);
    if a.probe_job {
        let probe = match write_probe(cfg) {
            Ok(script) => probe(&slurm, &script, Duration::from_secs(a.probe_timeout)).await,
            Err(e) => Err(e),
        };
        checks.push(match probe {
            Ok(detail) => Check { check: "probe job".into(), ok: true, detail },
            Err(e) => Check { check: "probe job".into(), ok: false, detail: e.to_string() },
        });
    }
    super::output::rows(&checks, a.format);
    Ok(u8::from(checks.iter().any(|c| !c.ok)))
}

fn write_probe(cfg: &Config) -> Result<PathBuf> {
    let dir = cfg.paths.work_dir.join("doctor");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
    std::fs::create_dir_all(&cfg.paths.log_dir).map_err(|e| Error::io("create", &cfg.paths.log_dir, e))?;
    let name = |n: &Option<crate::config::SlurmName>| n.as_ref().map(|n| n.0.clone());
    let request = crate::pipeline::request::Request {
        cpus: 1,
        mem_mb: 100,
        gpus: 0,
        time_minutes: 1,
        partition: name(&cfg.slurm.partition),
        account: name(&cfg.slurm.account),
        qos: name(&cfg.slurm.qos),
    };
    let output = cfg.paths.log_dir.join("nf-doctor-probe-%j.out");
    let text = crate::workflow::submit::doctor::probe_script(
        "nf-doctor-probe",
        &request,
        Some(&output),
        "echo neuroflow probe on \"$(hostname)\"",
    );
    let path = dir.join("probe.sh");
    std::fs::write(&path, text).map_err(|e| Error::io("write", &path, e))?;
    Ok(path)
}

async fn probe(slurm: &SlurmCli, script: &Path, wait: Duration) -> Result<String> {
    let sub = slurm.submit(script).await?;
    let started = Instant::now();
    while started.elapsed() < wait {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let recs = slurm.accounting(&[JobId(sub.job_id.0)]).await?;
        if let Some(r) = recs.into_iter().find(|r| r.state.is_terminal()) {
            return Ok(format!(
                "job {} {} exit {}:{} elapsed {}s on {}",
                r.job_id,
                r.state_text,
                r.exit_code,
                r.exit_signal,
                r.elapsed_seconds,
                r.node_list.unwrap_or_default()
            ));
        }
    }
    Err(Error::Usage(format!("probe job {} did not finish within {} s", sub.job_id, wait.as_secs())))
}
