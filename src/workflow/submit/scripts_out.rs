//! `workflow run --dry-run --write-scripts DIR`: the scripts a tick would submit, as
//! files a person can submit by hand, and a submit.sh that does so in order, passing
//! each job's id to the jobs that wait on it (they have no id before sbatch).

use crate::error::{Error, Result};
use crate::workflow::submit::Preview;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Writes `NN-<job name>.sh` per preview and `submit.sh`; returns submit.sh's path.
pub fn write(dir: &Path, previews: &[Preview]) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let mut submit = String::from(
        "#!/bin/bash\n# Written by `neuroflow workflow run --dry-run --write-scripts`: submits these\n\
         # scripts in order, each waiting (afterok) on the jobs it depends on. Jobs submitted\n\
         # this way are not in neuroflow's records; the next tick does not adopt them.\nset -euo pipefail\ncd \"$(dirname \"$0\")\"\n",
    );
    let mut var: HashMap<&str, String> = HashMap::new();
    for (i, p) in previews.iter().enumerate() {
        let file = format!("{:02}-{}.sh", i + 1, p.job_name);
        let path = dir.join(&file);
        std::fs::write(&path, &p.script).map_err(|e| Error::io("write", &path, e))?;
        let v = format!("job{}", i + 1);
        let mut deps: Vec<String> = p.after_jobs.clone();
        deps.extend(p.after_planned.iter().filter_map(|n| var.get(n.as_str())).map(|v| format!("${v}")));
        // A dependency on the command line replaces the script's own #SBATCH one.
        let dep = if deps.is_empty() { String::new() } else { format!(" --dependency=afterok:{}", deps.join(":")) };
        submit
            .push_str(&format!("{v}=$(sbatch --parsable{dep} {file}); {v}=${{{v}%%;*}}\necho \"{file}: job ${v}\"\n"));
        var.insert(p.job_name.as_str(), v);
    }
    let path = dir.join("submit.sh");
    std::fs::write(&path, submit).map_err(|e| Error::io("write", &path, e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preview(name: &str, after_jobs: &[&str], after_planned: &[&str]) -> Preview {
        Preview {
            job_name: name.into(),
            attempt: 1,
            trigger: "new".into(),
            sbatch: String::new(),
            script: format!("#!/bin/bash\n# {name}\n"),
            after_jobs: after_jobs.iter().map(|s| s.to_string()).collect(),
            after_runs: vec![],
            after_planned: after_planned.iter().map(|s| s.to_string()).collect(),
            test_only: None,
        }
    }

    #[test]
    fn submit_sh_chains_the_jobs_of_the_dry_run_and_keeps_live_ones() {
        let dir = tempfile::tempdir().unwrap();
        let previews = [preview("nf-a", &[], &[]), preview("nf-b", &["4817213"], &["nf-a"])];
        let path = write(dir.path(), &previews).unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains("job1=$(sbatch --parsable 01-nf-a.sh)"), "{text}");
        assert!(text.contains("job2=$(sbatch --parsable --dependency=afterok:4817213:$job1 02-nf-b.sh)"), "{text}");
        assert!(dir.path().join("02-nf-b.sh").is_file());
    }
}
