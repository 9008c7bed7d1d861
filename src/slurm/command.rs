//! `Scheduler` over sbatch/squeue/sacct/scancel.

use super::parse::{self, AcctRecord, QueueRow, SACCT_FORMAT, SQUEUE_FORMAT, Submitted};
use super::runner::{self, Output, display_argv};
use super::{Scheduler, SlurmError, id_list};
use crate::domain::JobId;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The production scheduler: Slurm's command-line tools.
#[derive(Debug, Clone)]
pub struct SlurmCli {
    /// Directory holding sbatch & co.; `None` = search PATH.
    pub bin_dir: Option<PathBuf>,
    pub timeout: Duration,
    /// How long the last squeue/sacct took (a busy controller answers slowly).
    last_query: std::sync::Arc<std::sync::Mutex<Duration>>,
    /// `sbatch --version`, asked once per process.
    release: std::sync::Arc<std::sync::Mutex<Option<super::SlurmRelease>>>,
}

impl SlurmCli {
    pub fn new(timeout: Duration) -> Self {
        SlurmCli { bin_dir: None, timeout, last_query: Default::default(), release: Default::default() }
    }

    /// The duration of the last squeue or sacct call (zero before any).
    pub fn last_query(&self) -> Duration {
        *self.last_query.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn argv(&self, program: &str, args: &[String]) -> Vec<String> {
        let prog = match &self.bin_dir {
            Some(d) => d.join(program).display().to_string(),
            None => program.to_string(),
        };
        std::iter::once(prog).chain(args.iter().cloned()).collect()
    }

    async fn call(&self, command: &'static str, args: Vec<String>) -> Result<(Vec<String>, Output), SlurmError> {
        let argv = self.argv(command, &args);
        let out = runner::run(&argv, self.timeout).await?;
        if matches!(command, "squeue" | "sacct") {
            *self.last_query.lock().unwrap_or_else(|p| p.into_inner()) = out.elapsed;
        }
        if !out.success() && controller_down(&out.stderr) {
            return Err(SlurmError::Unreachable { command, message: error_summary(&out.stderr) });
        }
        Ok((argv, out))
    }
}

/// Messages Slurm prints when slurmctld or slurmdbd cannot be reached.
pub(super) fn controller_down(stderr: &str) -> bool {
    [
        "Unable to contact slurm controller",
        "Socket timed out",
        "Connection refused",
        "Slurm backup controller in standby mode",
        "Unable to establish connection",
        "Problem talking to the database",
    ]
    .iter()
    .any(|m| stderr.contains(m))
}

/// The lines of stderr that say what went wrong (`error:` lines, else all), joined.
pub(super) fn error_summary(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let errors: Vec<&str> = lines.iter().copied().filter(|l| l.contains("error")).collect();
    if errors.is_empty() { lines.join("; ") } else { errors.join("; ") }
}

/// What an sbatch that accepted no job means: a rejected dependency (decided again
/// next tick, once tracking has refreshed the upstream runs: 24.11 and later refuse an
/// `afterok` on a job slurmctld no longer knows, which 22.05 silently dropped), or a
/// rejection a person must fix.
pub(super) fn submit_error(script: &str, stderr: &str) -> SlurmError {
    let message = error_summary(stderr);
    let script = script.to_string();
    if message.contains("dependency") {
        SlurmError::DependencyRejected { script, message }
    } else {
        SlurmError::Rejected { script, message }
    }
}

fn failed(argv: &[String], out: &Output) -> SlurmError {
    SlurmError::Failed { argv: display_argv(argv), code: out.code, stderr: error_summary(&out.stderr) }
}

impl Scheduler for SlurmCli {
    async fn submit(&self, script: &Path) -> Result<Submitted, SlurmError> {
        let (_, out) = self.call("sbatch", vec!["--parsable".into(), script.display().to_string()]).await?;
        if !out.success() {
            return Err(submit_error(&script.display().to_string(), &out.stderr));
        }
        Ok(parse::sbatch(&out.stdout)?)
    }

    async fn test_submit(&self, script: &Path) -> Result<String, SlurmError> {
        let (_, out) = self.call("sbatch", vec!["--test-only".into(), script.display().to_string()]).await?;
        if !out.success() {
            let script = script.display().to_string();
            return Err(SlurmError::Rejected { script, message: error_summary(&out.stderr) });
        }
        Ok(out.stderr.trim().to_string())
    }

    async fn queue(&self, ids: &[JobId]) -> Result<Vec<QueueRow>, SlurmError> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let args = vec![
            "--noheader".into(),
            "--array".into(),
            "--states=all".into(),
            format!("--jobs={}", id_list(ids)),
            format!("--format={SQUEUE_FORMAT}"),
        ];
        let (argv, out) = self.call("squeue", args).await?;
        // Every id unknown (aged out of slurmctld): rc 1 "Invalid job id specified".
        if !out.success() && out.stderr.contains("Invalid job id specified") {
            return Ok(vec![]);
        }
        if !out.success() {
            return Err(failed(&argv, &out));
        }
        Ok(parse::squeue(&out.stdout)?)
    }

    async fn find_by_name(&self, names: &[String]) -> Result<Vec<QueueRow>, SlurmError> {
        if names.is_empty() {
            return Ok(vec![]);
        }
        let args = vec![
            "--noheader".into(),
            "--array".into(),
            "--states=all".into(),
            format!("--name={}", names.join(",")),
            format!("--format={SQUEUE_FORMAT}"),
        ];
        let (argv, out) = self.call("squeue", args).await?;
        if !out.success() {
            return Err(failed(&argv, &out));
        }
        Ok(parse::squeue(&out.stdout)?)
    }

    async fn find_finished_by_name(
        &self,
        names: &[String],
        since: chrono::NaiveDateTime,
    ) -> Result<Vec<AcctRecord>, SlurmError> {
        if names.is_empty() {
            return Ok(vec![]);
        }
        let args = vec![
            "--noheader".into(),
            "--parsable2".into(),
            format!("--name={}", names.join(",")),
            format!("--starttime={}", since.format("%Y-%m-%dT%H:%M:%S")),
            format!("--format={SACCT_FORMAT}"),
        ];
        let (argv, out) = self.call("sacct", args).await?;
        if !out.success() {
            return Err(failed(&argv, &out));
        }
        Ok(parse::sacct(&out.stdout)?)
    }

    async fn accounting(&self, ids: &[JobId]) -> Result<Vec<AcctRecord>, SlurmError> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let args = vec![
            "--noheader".into(),
            "--parsable2".into(),
            format!("--jobs={}", id_list(ids)),
            format!("--format={SACCT_FORMAT}"),
        ];
        let (argv, out) = self.call("sacct", args).await?;
        if !out.success() {
            return Err(failed(&argv, &out));
        }
        Ok(parse::sacct(&out.stdout)?)
    }

    async fn cancel(&self, ids: &[String]) -> Result<(), SlurmError> {
        if ids.is_empty() {
            return Ok(());
        }
        let (argv, out) = self.call("scancel", ids.to_vec()).await?;
        if !out.success() && !out.stderr.contains("Invalid job id") {
            return Err(failed(&argv, &out));
        }
        Ok(())
    }

    async fn max_array_size(&self) -> Result<u32, SlurmError> {
        let (argv, out) = self.call("scontrol", vec!["show".into(), "config".into()]).await?;
        if !out.success() {
            return Err(failed(&argv, &out));
        }
        Ok(parse::max_array_size(&out.stdout)?)
    }

    async fn release(&self) -> Result<super::SlurmRelease, SlurmError> {
        if let Some(r) = self.release.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(r);
        }
        let (argv, out) = self.call("sbatch", vec!["--version".into()]).await?;
        let r = super::SlurmRelease::parse(&out.stdout).ok_or_else(|| failed(&argv, &out))?;
        *self.release.lock().unwrap_or_else(|p| p.into_inner()) = Some(r.clone());
        Ok(r)
    }
}
