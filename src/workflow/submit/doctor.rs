//! `neuroflow doctor`: every check a site needs before cron runs it, each one line
//! with the fix when it fails. Nothing is changed (migrations are counted, not
//! applied; writability is tested with a temporary file that is removed).

use crate::config::{Config, Runtime};
use crate::db::Store;
use crate::domain::JobId;
use crate::pipeline::request::Request;
use crate::slurm::{Scheduler, SlurmCli};
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Serialize)]
pub struct Check {
    pub check: String,
    pub ok: bool,
    /// What was found, or what is wrong and how to fix it.
    pub detail: String,
}

fn ok(check: impl Into<String>, detail: impl Into<String>) -> Check {
    Check { check: check.into(), ok: true, detail: detail.into() }
}

fn fail(check: impl Into<String>, detail: impl Into<String>) -> Check {
    Check { check: check.into(), ok: false, detail: detail.into() }
}

/// Runs every check (the configuration is already parsed).
pub async fn checks(cfg: &Config, slurm: &SlurmCli) -> Vec<Check> {
    let mut out: Vec<Check> =
        cfg.file_problems().into_iter().map(|(key, message)| fail(format!("config {key}"), message)).collect();
    out.push(store(cfg));
    out.extend(paths(cfg));
    out.push(mapping(cfg));
    let mut cache = release_cache(cfg);
    for (def, pipe) in cfg.enabled() {
        out.push(tool(cfg, def.name, pipe, def.tool).await);
        out.push(release(cfg, cache.as_mut(), def).await);
        out.push(sbatch_test(cfg, slurm, def.name, &Request::from_config(pipe, &cfg.slurm)).await);
    }
    out.push(match slurm.release().await {
        Ok(r) => ok("slurm release", r.describe()),
        Err(e) => fail("slurm release", format!("{e}; install the Slurm client commands (sbatch) on this host")),
    });
    out.push(match slurm.accounting(&[JobId(1)]).await {
        Ok(_) => ok("slurm accounting", "sacct answers"),
        Err(e) => fail("slurm accounting", format!("{e}; neuroflow reads every job's end from sacct: start slurmdbd")),
    });
    out
}

fn store(cfg: &Config) -> Check {
    let url = crate::db::redact(&cfg.database_url());
    match Store::connect(&cfg.database_url()).and_then(|mut s| s.migration_status().map(|m| (s.backend(), m))) {
        Ok((backend, m)) => {
            let pending = m.iter().filter(|m| !m.applied).count();
            ok("store", format!("{url} ({backend:?}); {pending} migration(s) pending, applied on first use"))
        }
        Err(e) => fail("store", format!("{e}; check database.url (or $NEUROFLOW_DATABASE_URL)")),
    }
}

/// A folder neuroflow writes into: it exists (or its nearest parent does) and takes a file.
fn writable(key: &str, dir: &Path) -> Check {
    let mut probe_dir = dir;
    while !probe_dir.exists() {
        match probe_dir.parent() {
            Some(p) => probe_dir = p,
            None => break,
        }
    }
    let probe = probe_dir.join(format!(".neuroflow-doctor-{}", std::process::id()));
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            ok(format!("path {key}"), format!("{} is writable", dir.display()))
        }
        Err(e) => fail(
            format!("path {key}"),
            format!("cannot write in {}: {e}; make it writable by the user that runs neuroflow", probe_dir.display()),
        ),
    }
}

fn paths(cfg: &Config) -> Vec<Check> {
    let p = &cfg.paths;
    let incoming = match std::fs::read_dir(&p.dicom_incoming) {
        Ok(_) => ok("path paths.dicom_incoming", format!("{} is readable", p.dicom_incoming.display())),
        Err(e) => fail(
            "path paths.dicom_incoming",
            format!("cannot list {}: {e}; point it at the folder the scanner exports into", p.dicom_incoming.display()),
        ),
    };
    let mut out = vec![incoming];
    for (key, dir) in [
        ("paths.bids_root", &p.bids_root),
        ("paths.derivatives", &p.derivatives),
        ("paths.work_dir", &p.work_dir),
        ("paths.log_dir", &p.log_dir),
    ] {
        out.push(writable(key, dir));
    }
    if let Some(d) = &p.status_page {
        out.push(writable("paths.status_page", d));
    }
    out
}

fn mapping(cfg: &Config) -> Check {
    match crate::workflow::intake::discover::load_mapping(cfg, false).and_then(|m| {
        m.map(|m| crate::workflow::intake::discover::table_of(&m).map(|t| (t.entries.len(), m.origin.clone())))
            .transpose()
    }) {
        Ok(Some((n, origin))) => {
            ok("mapping", format!("{n} ScanIDs from {}", crate::workflow::intake::discover::describe(&origin)))
        }
        Ok(None) => ok("mapping", "none configured (folders are named by their path pattern)"),
        Err(e) => fail("mapping", format!("{e}; fix mapping.csv_file or mapping.url")),
    }
}

/// The stage's tool: its image is readable, or its command resolves after `setup`.
async fn tool(cfg: &Config, stage: &str, pipe: &crate::config::Pipeline, default: &str) -> Check {
    let name = format!("stage {stage} tool");
    let setup = pipe.setup.join("\n");
    let (command, what) = match pipe.runtime {
        Runtime::Apptainer => {
            let image = pipe.image.as_deref().unwrap_or(Path::new(""));
            if let Err(e) = std::fs::File::open(image).and_then(|mut f| std::io::Read::read(&mut f, &mut [0u8; 1])) {
                return fail(
                    name,
                    format!("cannot read the image {}: {e}; fix pipelines.{stage}.image", image.display()),
                );
            }
            (cfg.containers.apptainer.clone(), format!("image {}", image.display()))
        }
        Runtime::Native => (pipe.command.clone().unwrap_or_else(|| default.to_string()), String::new()),
    };
    let script = format!("{setup}\ncommand -v {}", shlex::try_quote(&command).unwrap_or_default());
    let argv = vec!["bash".to_string(), "-c".to_string(), script];
    match crate::slurm::runner::run(&argv, std::time::Duration::from_secs(30)).await {
        Ok(out) if out.success() => {
            let found = out.stdout.trim().lines().last().unwrap_or_default().to_string();
            ok(name, format!("{what}{}{found}", if what.is_empty() { "" } else { " via " }))
        }
        Ok(_) => fail(
            name,
            format!(
                "`{command}` is not on PATH after the stage's setup lines; install it, fix pipelines.{stage}.command/setup (or containers.apptainer)"
            ),
        ),
        Err(e) => fail(name, e.to_string()),
    }
}

/// The store as the release cache, when it exists with every migration applied
/// (doctor applies none); None means every release is asked afresh.
fn release_cache(cfg: &Config) -> Option<Store> {
    let mut s = Store::connect(&cfg.database_url()).ok()?;
    s.migration_status().ok()?.iter().all(|m| m.applied).then_some(s)
}

/// The release the stage's tool holds (pinned or found), and whether neuroflow
/// supports it: the same resolution a tick makes before it renders.
async fn release(cfg: &Config, store: Option<&mut Store>, def: &'static crate::stages::StageDef) -> Check {
    let name = format!("stage {} release", def.name);
    match crate::workflow::submit::tool_release::resolve_stage(cfg, store, def).await {
        Ok(Ok(t)) => {
            let r = &t.release;
            ok(name, format!("{} ({}): supported ({}.x)", r.display(), r.found_by, r.series))
        }
        Ok(Err(why)) => fail(name, why),
        Err(e) => fail(name, e.to_string()),
    }
}

/// sbatch --test-only with the stage's partition, account, QOS and resources.
async fn sbatch_test(cfg: &Config, slurm: &SlurmCli, stage: &str, r: &Request) -> Check {
    let name = format!("stage {stage} sbatch --test-only");
    let text = probe_script(&format!("nf-doctor-{stage}"), r, None, "true");
    let dir = cfg.paths.work_dir.join("doctor");
    let path = dir.join(format!("{stage}.sh"));
    if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, text)) {
        return fail(name, format!("cannot write {}: {e}", path.display()));
    }
    match slurm.test_submit(&path).await {
        Ok(plan) => ok(name, plan),
        Err(e) => fail(
            name,
            format!("{e}; fix pipelines.{stage}.resources or slurm.partition/account/qos (sinfo, sacctmgr show assoc)"),
        ),
    }
}

/// A small job script asking for `r` (doctor's sbatch --test-only per stage and its
/// probe job).
pub fn probe_script(name: &str, r: &Request, output: Option<&Path>, body: &str) -> String {
    let mut lines = vec![
        "#!/bin/bash".to_string(),
        format!("#SBATCH --job-name={name}"),
        "#SBATCH --nodes=1".into(),
        format!("#SBATCH --cpus-per-task={}", r.cpus),
        format!("#SBATCH --mem={}M", r.mem_mb),
        format!("#SBATCH --time={}", r.time_minutes),
    ];
    if let Some(o) = output {
        lines.push(format!("#SBATCH --output={}", shlex::try_quote(&o.display().to_string()).unwrap_or_default()));
    }
    if r.gpus > 0 {
        lines.push(format!("#SBATCH --gres=gpu:{}", r.gpus));
    }
    for (flag, v) in [("partition", &r.partition), ("account", &r.account), ("qos", &r.qos)] {
        if let Some(v) = v {
            lines.push(format!("#SBATCH --{flag}={v}"));
        }
    }
    lines.push(body.to_string());
    lines.join("\n") + "\n"
}
