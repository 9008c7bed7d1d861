//! What most subcommands start with: the configuration and the store.

use super::output::{self, Format};
use crate::config::{self, Config, Loaded};
use crate::db::Store;
use crate::error::{Error, Result};
use crate::slurm::SlurmCli;
use crate::stages::{StageDef, stage};
use crate::workflow::counts::TickReport;
use std::path::Path;
use std::time::Duration;

/// Loads the configuration and opens (and migrates) the store.
pub fn open(explicit: Option<&Path>) -> Result<(Loaded, Store)> {
    let loaded = config::load(&config::locate(explicit)?)?;
    let store = Store::open(&loaded.config.database_url())?;
    Ok((loaded, store))
}

/// Like `open`, for commands that submit or render jobs: also checks the files the
/// configuration names (licence, TemplateFlow home, option paths).
pub fn open_for_jobs(explicit: Option<&Path>) -> Result<(Loaded, Store)> {
    let loaded = config::load(&config::locate(explicit)?)?;
    loaded.config.check_files(&loaded.path)?;
    let store = Store::open(&loaded.config.database_url())?;
    Ok((loaded, store))
}

/// A participant as a person types it (`sub-0042`, `0042` or the raw code `42`),
/// normalised by the same rules discovery uses.
pub fn participant(cfg: &crate::config::Config, input: &str) -> String {
    let bare = input.trim_start_matches("sub-");
    let pad = cfg.mapping.as_ref().map_or(4, |m| m.pad_numeric_to);
    crate::discovery::labels::participant_label(bare, pad).map(|l| l.to_string()).unwrap_or_else(|_| bare.to_string())
}

/// The Slurm command-line adapter with the configured timeout.
pub fn slurm(cfg: &Config) -> SlurmCli {
    SlurmCli::new(Duration::from_secs(cfg.slurm.command_timeout_seconds))
}

pub fn check_stage(name: &str) -> Result<&'static StageDef> {
    stage(name)
        .ok_or_else(|| Error::Usage(format!("unknown stage {name:?}; stages: {}", crate::stages::names().join(", "))))
}

/// Subject and session ids from labels (with or without `sub-`/`ses-`).
pub fn resolve(
    cfg: &crate::config::Config,
    store: &mut Store,
    subject: Option<&str>,
    session: Option<&str>,
) -> Result<(Option<i64>, Option<i64>)> {
    let subject = subject.map(|s| participant(cfg, s));
    let Some(p) = subject.as_deref() else {
        return match session {
            Some(_) => Err(Error::Usage("--session needs --subject".into())),
            None => Ok((None, None)),
        };
    };
    let subj = store.subject_by_label(p)?.ok_or_else(|| Error::Usage(format!("no subject sub-{p}")))?;
    let sess = match session.map(|s| s.trim_start_matches("ses-")) {
        Some(s) => Some(
            store.session_by_labels(p, s)?.ok_or_else(|| Error::Usage(format!("no session sub-{p} ses-{s}")))?.0.id,
        ),
        None => None,
    };
    Ok((Some(subj.id), sess))
}

/// A tick report: JSON, or a summary with the submitted jobs and the problems.
pub fn print_tick(r: &TickReport, format: Format) {
    if format == Format::Json {
        return println!("{}", serde_json::to_string(r).unwrap_or_default());
    }
    for p in r.submit.iter().flat_map(|s| &s.previews) {
        println!("# ---- {} (attempt {}, {}) ----", p.job_name, p.attempt, p.trigger);
        println!("# would run: {}", p.sbatch);
        let waits: Vec<String> = p
            .after_runs
            .iter()
            .cloned()
            .chain(p.after_planned.iter().map(|n| format!("{n} (submitted by this tick)")))
            .collect();
        if !waits.is_empty() {
            println!("# waits on (afterok): {}", waits.join(", "));
        }
        if let Some(t) = &p.test_only {
            println!("# sbatch --test-only: {t}");
        }
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
