//! Job arrays (`slurm.arrays`, docs/arrays.md): the runs of one stage and resource
//! request that a tick submits go out as one `sbatch --array`, chunked by the
//! cluster's MaxArraySize. Each run keeps its own script, logs, tracking and retries;
//! the array's script runs line `SLURM_ARRAY_TASK_ID + 1` of a manifest of them.
//! With arrays nothing chains on a live job (`Policy::chain_live`), so no task has a
//! dependency.

use crate::db::{Store, SubmittedJob};
use crate::error::{Error, Result};
use crate::pipeline::plan::{Plan, PlannedRun};
use crate::slurm::Scheduler;
use crate::slurm::render::shell_quote;
use crate::workflow::submit::provenance::Recorder;
use crate::workflow::submit::{Intended, Intent, SubmitReport, SubmittedRun, Submitter};
use std::path::Path;

/// `#SBATCH` options each task sets for itself, not copied to the array's script.
const PER_TASK: &[&str] = &["--job-name", "--output", "--error", "--comment", "--dependency", "--array"];

/// The array's script: the request of the first task's script, its own name, logs,
/// comment and `--array`, and a body that runs the task's line of the manifest with
/// that run's own stdout and stderr (`%j` read as `<array>_<task>`).
pub fn array_script(
    first: &str,
    name: &str,
    logs: &Path,
    manifest: &Path,
    tasks: usize,
    throttle: Option<u32>,
) -> String {
    let mut out = String::from("#!/bin/bash\n");
    for line in first.lines().filter(|l| l.starts_with("#SBATCH ")) {
        let opt = line.trim_start_matches("#SBATCH ").split('=').next().unwrap_or("");
        if !PER_TASK.contains(&opt) {
            out.push_str(line);
            out.push('\n');
        }
    }
    let log = |ext: &str| logs.join(format!("{name}-%A_%a.{ext}")).display().to_string();
    out.push_str(&format!(
        "#SBATCH --job-name={name}\n#SBATCH --output={}\n#SBATCH --error={}\n",
        log("out"),
        log("err")
    ));
    out.push_str(&format!("#SBATCH --comment=neuroflow:array={name}\n"));
    let limit = throttle.map(|t| format!("%{t}")).unwrap_or_default();
    out.push_str(&format!("#SBATCH --array=0-{}{limit}\n", tasks.saturating_sub(1)));
    out.push_str(&format!(
        "set -euo pipefail\n\
         IFS=$'\\t' read -r script out err < <(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" {})\n\
         id=\"${{SLURM_ARRAY_JOB_ID}}_${{SLURM_ARRAY_TASK_ID}}\"\n\
         exec bash \"$script\" > \"${{out//%j/$id}}\" 2> \"${{err//%j/$id}}\"\n",
        shell_quote(&manifest.display().to_string())
    ));
    out
}

impl<S: Scheduler> Submitter<'_, S> {
    /// Submits the plan as arrays: per stage and resource request, in plan order; a
    /// group of one run is a plain job.
    pub(super) async fn submit_arrays(
        &self,
        store: &mut Store,
        recorder: &mut Recorder,
        plan: &Plan,
        report: &mut SubmitReport,
    ) -> Result<()> {
        let mut groups: Vec<Vec<&PlannedRun>> = vec![];
        for run in &plan.runs {
            match groups.iter_mut().find(|g| g[0].stage.name == run.stage.name && g[0].request == run.request) {
                Some(g) => g.push(run),
                None => groups.push(vec![run]),
            }
        }
        let mut max: Option<usize> = None;
        for group in groups {
            if let Some(why) = crate::workflow::submit::halted(report) {
                report.skipped.extend(group.iter().map(|r| format!("{}: {why}", self.name(r))));
                continue;
            }
            if let Err(why) = recorder.tools.get(group[0].stage.name) {
                report.skipped.extend(group.iter().map(|r| format!("{}: {why}", self.name(r))));
                continue;
            }
            if group.len() == 1 {
                self.one_run(store, recorder, group[0], report).await?;
                continue;
            }
            let size = match max {
                Some(m) => m,
                None => {
                    report.slurm_calls += 1;
                    let m = match self.slurm.max_array_size().await {
                        Ok(m) => usize::try_from(m).unwrap_or(1).max(1),
                        Err(e) if e.is_transient() => {
                            report.interrupted = Some(e.to_string());
                            continue;
                        }
                        Err(e) => return Err(e.into()),
                    };
                    *max.insert(m)
                }
            };
            for chunk in group.chunks(size) {
                self.one_array(store, recorder, chunk, report).await?;
            }
        }
        Ok(())
    }

    /// Records the intents of an array's runs; the ones that can go out.
    fn intents<'r>(
        &self,
        store: &mut Store,
        recorder: &mut Recorder,
        runs: &[&'r PlannedRun],
        report: &mut SubmitReport,
    ) -> Result<Vec<(&'r PlannedRun, Intent)>> {
        let mut ready = vec![];
        for run in runs {
            if let Intended::Ready(i) = self.record_intent(store, recorder, run, &[], report)? {
                ready.push((*run, *i));
            }
        }
        Ok(ready)
    }

    async fn one_array(
        &self,
        store: &mut Store,
        recorder: &mut Recorder,
        runs: &[&PlannedRun],
        report: &mut SubmitReport,
    ) -> Result<()> {
        // Every intent (and its array name and task) commits once, before sbatch.
        let ready = store.batch(|store| self.intents(store, recorder, runs, report))?;
        let Some((first, i)) = ready.first() else { return Ok(()) };
        let stage = first.stage.name;
        // Unique to this array, also among other stores on the cluster: a lost sbatch
        // answer is found by this name and the task id.
        let token: String = i.stored.token.chars().take(12).collect();
        let name = format!("nf-{stage}-array-{token}");
        let dir = self.cfg.paths.work_dir.join("arrays");
        let manifest = dir.join(format!("{name}.tsv"));
        let mut lines = String::new();
        store.batch(|store| {
            for (t, (_, i)) in ready.iter().enumerate() {
                store.mark_array_task(i.stored.id, &name, i32::try_from(t).unwrap_or(i32::MAX))?;
                lines.push_str(&format!(
                    "{}\t{}\t{}\n",
                    i.script.display(),
                    i.stored.stdout_path,
                    i.stored.stderr_path
                ));
            }
            Ok::<_, Error>(())
        })?;
        let logs = self.cfg.paths.log_dir.join(stage);
        let text = array_script(&ready[0].1.text, &name, &logs, &manifest, ready.len(), self.cfg.slurm.array_throttle);
        let script = dir.join(format!("{name}.sh"));
        for (path, body) in [(&manifest, &lines), (&script, &text)] {
            std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
            std::fs::create_dir_all(&logs).map_err(|e| Error::io("create", &logs, e))?;
            std::fs::write(path, body).map_err(|e| Error::io("write", path, e))?;
        }
        report.slurm_calls += 1;
        match self.slurm.submit(&script).await {
            Ok(sub) => store.batch(|store| {
                for (t, (run, i)) in ready.into_iter().enumerate() {
                    let task = i32::try_from(t).unwrap_or(i32::MAX);
                    let job = SubmittedJob {
                        cluster: sub.cluster.clone(),
                        ..SubmittedJob::task(sub.job_id.0, task, &i.stored.stdout_path, &i.stored.stderr_path)
                    };
                    store.record_submission(i.stored.id, &job)?;
                    tracing::info!(stage, subject = %i.participant, session = %i.session.clone().unwrap_or_default(),
                        run_id = i.stored.id, job_id = %format!("{}_{t}", sub.job_id), "submitted as an array task");
                    report.submitted.push(SubmittedRun {
                        run_id: i.stored.id,
                        stage: stage.into(),
                        job_name: i.name,
                        job_id: Some(sub.job_id.0),
                        dependency: vec![],
                        attempt: run.attempt,
                    });
                }
                Ok(())
            }),
            Err(e) => {
                let (transient, text) = (e.is_transient(), e.to_string());
                let mut first_error = Some(e);
                for (_, i) in ready {
                    let err = first_error.take().unwrap_or_else(|| same_error(transient, &text));
                    self.failed_submission(store, i.stored.id, &i.name, err, report)?;
                }
                Ok(())
            }
        }
    }
}

/// The error of an array's sbatch, for each of its runs after the first.
fn same_error(transient: bool, text: &str) -> crate::slurm::SlurmError {
    if transient {
        crate::slurm::SlurmError::Unreachable { command: "sbatch", message: text.to_string() }
    } else {
        crate::slurm::SlurmError::Rejected { script: "the array".into(), message: text.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_array_script_keeps_the_request_and_runs_its_tasks_line() {
        let first = "#!/bin/bash\n#SBATCH --job-name=nf-x\n#SBATCH --output=/l/x-%j.out\n#SBATCH --error=/l/x-%j.err\n\
                     #SBATCH --cpus-per-task=4\n#SBATCH --mem=8192M\n#SBATCH --comment=neuroflow:run=1:token=t\n\
                     #SBATCH --time=01:00:00\necho body\n";
        let s =
            array_script(first, "nf-q-array-0123456789ab", Path::new("/logs/q"), Path::new("/w/a b.tsv"), 5, Some(2));
        assert!(s.contains("#SBATCH --cpus-per-task=4\n#SBATCH --mem=8192M\n#SBATCH --time=01:00:00\n"), "{s}");
        assert!(s.contains("#SBATCH --array=0-4%2\n") && s.contains("#SBATCH --job-name=nf-q-array-0123456789ab\n"));
        assert!(s.contains("--output=/logs/q/nf-q-array-0123456789ab-%A_%a.out"));
        assert!(!s.contains("token=t") && !s.contains("echo body") && !s.contains("nf-x"), "{s}");
        assert!(s.contains("sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" '/w/a b.tsv'"), "{s}");
        assert!(array_script(first, "n", Path::new("/l"), Path::new("/m"), 3, None).contains("#SBATCH --array=0-2\n"));
    }
}
