//! Dry runs: each script as it would be submitted, with the live jobs it would wait on
//! named, the jobs of this same dry run named by job name, and optionally checked by
//! `sbatch --test-only` (nothing is queued).

use super::prepare::script;
use super::provenance::Recorder;
use super::{Done, Preview, SubmitReport, Submitter, write_script};
use crate::error::Result;
use crate::pipeline::plan::PlannedRun;
use crate::pipeline::script::RunIdent;
use crate::slurm::Scheduler;

impl<S: Scheduler> Submitter<'_, S> {
    /// A dry run's script: rendered with the live jobs it waits on, the ones of this
    /// dry run named instead (no id exists), optionally checked by sbatch --test-only.
    pub(super) async fn preview(
        &self,
        mut p: super::prepare::Prepared<'_>,
        recorder: &Recorder,
        run: &PlannedRun,
        deps: &[(i64, String)],
        report: &mut SubmitReport,
    ) -> Result<Done> {
        let name = p.name.clone();
        let (planned, live): (Vec<String>, Vec<String>) = p.dep_jobs.drain(..).partition(|d| d.starts_with('<'));
        p.dep_jobs = live.clone();
        let live_runs: Vec<String> =
            deps.iter().filter(|(_, j)| !j.starts_with('<')).map(|(r, j)| format!("run {r} (job {j})")).collect();
        let ident = RunIdent { id: 0, token: "dry-run", attempt: run.attempt };
        let Ok(tool) = recorder.tools.get(run.stage.name) else { return Ok(Done::Failed) };
        let (paths, text) = script(self.cfg, self.templates, &p, run, &ident, &tool.release);
        let Ok(text) = text.map_err(|e| report.rejected.push(format!("{name}: {e}"))) else {
            return Ok(Done::Failed);
        };
        let test_only = if self.test_only { Some(self.test_only(&name, &text, report).await?) } else { None };
        report.previews.push(Preview {
            job_name: name.clone(),
            attempt: run.attempt,
            trigger: run.trigger.clone(),
            sbatch: format!("sbatch --parsable {}", paths.script.display()),
            script: text,
            after_jobs: live,
            after_runs: live_runs,
            after_planned: planned.iter().map(|d| d.trim_matches(['<', '>']).to_string()).collect(),
            test_only,
        });
        Ok(Done::DryRun { run_id: 0, name })
    }

    /// `sbatch --test-only` on the script (written under work_dir/dry-run/); a refusal
    /// is a rejection (a person must fix the request before it is real).
    async fn test_only(&self, name: &str, text: &str, report: &mut SubmitReport) -> Result<String> {
        let path = self.cfg.paths.work_dir.join("dry-run").join(format!("{name}.sh"));
        write_script(&path, text, &[])?;
        report.slurm_calls += 1;
        Ok(match self.slurm.test_submit(&path).await {
            Ok(answer) => answer,
            Err(e) if e.is_transient() => {
                report.interrupted = Some(e.to_string());
                format!("not checked: {e}")
            }
            Err(e) => {
                report.rejected.push(format!("{name}: sbatch --test-only: {e}"));
                format!("refused: {e}")
            }
        })
    }
}
