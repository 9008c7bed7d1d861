//! One tick: lock → track → discover → plan → submit → record.

use super::counts::{TickReport, note_transient};
use super::snapshot;
use crate::config::Config;
use crate::db::Store;
use crate::domain::WorkflowStatus;
use crate::error::{Error, ExitClass, Result, combine};
use crate::pipeline::plan::{Filter, Outcome, Plan, plan, settled_subjects, summary};
use crate::slurm::Scheduler;
use crate::slurm::render::Templates;
use crate::workflow::intake::discover::discover;
use crate::workflow::submit::{SubmitReport, Submitter};
use crate::workflow::track::sync;

#[derive(Debug, Clone, Default)]
pub struct TickOptions {
    pub filter: Filter,
    pub dry_run: bool,
    /// Skip discovery (`neuroflow submit`).
    pub no_discover: bool,
    /// Cancel the live runs of disabled stages (else warn about them).
    pub cancel_disabled: bool,
    /// Dry runs: check each script with `sbatch --test-only`.
    pub test_only: bool,
}

/// Runs one tick. Transient failures are reported in `exit`, not returned, so
/// that what succeeded is recorded.
pub async fn tick<S: Scheduler>(cfg: &Config, store: &mut Store, slurm: &S, opts: &TickOptions) -> Result<TickReport> {
    let mut report = TickReport::default();
    if opts.dry_run {
        store.begin_dry_run()?;
    }
    let tick =
        if opts.dry_run { None } else { Some(store.begin_tick(&crate::domain::host(), std::process::id(), false)?) };
    report.tick_id = tick.as_ref().map(|t| t.id);
    let result = stages(cfg, store, slurm, opts, &mut report).await;
    if report.slurm_calls > 0 {
        report.slurm_release = slurm_release(slurm).await;
    }
    if let Err(e) = &result {
        tracing::error!(exit = e.exit_class() as u8, "{e}");
        report.problems.push(e.to_string());
        report.exit = combine(report.exit, e.exit_class() as u8);
        report.transient |= e.exit_class() == ExitClass::Transient;
        // Stopped before planning: what already needed a person still does (and
        // wins over the transient error), read from the store alone.
        if report.plan.is_empty()
            && let Ok((snap, labels)) = load_for(cfg, store, &opts.filter)
        {
            let planned = plan(&snap, &snapshot::policy(cfg), &opts.filter);
            report.person(needing_a_person(&planned, &labels));
        }
    }
    if let Some(t) = tick {
        let status = match (super::stop::requested(), report.exit) {
            (Some(_), _) => WorkflowStatus::Interrupted,
            (None, 0) => WorkflowStatus::Completed,
            (None, _) => WorkflowStatus::Failed,
        };
        let counts = serde_json::to_string(&report.counts()).unwrap_or_default();
        let error = (!report.problems.is_empty()).then(|| report.problems.join("; "));
        store.finish_tick(t.id, status, &counts, error.as_deref())?;
        refresh_status_page(cfg, store, &report);
        super::tell::notify(cfg, store, &report).await;
    }
    Ok(report)
}

/// The release of the Slurm commands (asked once per process; local, no controller
/// call); one warning per process when the suite never ran on anything that old.
async fn slurm_release<S: Scheduler>(slurm: &S) -> Option<String> {
    static WARNED: std::sync::Once = std::sync::Once::new();
    let r = slurm.release().await.ok()?;
    if r.standing() == crate::slurm::version::Standing::OlderThanTested {
        WARNED.call_once(|| tracing::warn!(slurm_release = %r.version, "{}", r.describe()));
    }
    Some(r.version)
}

/// How old the status page may get while nothing changes (its "last tick" line).
const PAGE_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Rewrites `paths.status_page` after a tick that changed something (or when the
/// page is missing or older than PAGE_MAX_AGE): idle ticks stay cheap. A page that
/// cannot be written is logged, never a failed tick.
fn refresh_status_page(cfg: &Config, store: &mut Store, report: &TickReport) {
    let Some(dir) = &cfg.paths.status_page else { return };
    let c = report.counts();
    let changed = c.registered + c.submitted + c.completed + c.failed + c.cancelled > 0
        || report.sync.as_ref().is_some_and(|s| s.started > 0);
    let stale = std::fs::metadata(dir.join("index.html"))
        .and_then(|m| m.modified())
        .map_or(true, |t| t.elapsed().unwrap_or_default() > PAGE_MAX_AGE);
    if !(changed || stale) {
        return;
    }
    match crate::workflow::views::page::publish(cfg, &mut store.reader(), dir) {
        Ok(path) => tracing::debug!(page = %path.display(), "status page written"),
        Err(e) => tracing::warn!(error = %e, "cannot write the status page (paths.status_page)"),
    }
}

async fn stages<S: Scheduler>(
    cfg: &Config,
    store: &mut Store,
    slurm: &S,
    opts: &TickOptions,
    report: &mut TickReport,
) -> Result<()> {
    let tick_id = report.tick_id;
    let mut done: Vec<String> = vec![];
    let mut mark = |store: &mut Store, stage: &str| -> Result<()> {
        done.push(stage.to_string());
        match tick_id {
            Some(id) => Ok(store.tick_stage(id, stage, &done)?),
            None => Ok(()),
        }
    };
    if !opts.dry_run {
        let s = sync(cfg, store, slurm).await?;
        report.slurm_calls += s.slurm_calls;
        // The planner says again, every tick, what a failed last attempt needs; the
        // notification is made of that, so these are said here only.
        report.problems.extend(s.needs_human.iter().cloned());
        if !s.needs_human.is_empty() {
            report.exit = combine(report.exit, ExitClass::NeedsHuman as u8);
        }
        report.person(s.stuck.iter().cloned());
        report.sync = Some(s);
        let calls = crate::workflow::track::cancel::disabled_stages(cfg, store, slurm, opts.cancel_disabled).await?;
        report.slurm_calls += calls;
        mark(store, "sync")?;
    }
    super::stop::check("discovery")?;
    if !opts.no_discover {
        crate::workflow::intake::identity::check_label_rules_if_changed(cfg, store)?;
        let now = chrono::Utc::now().naive_utc();
        match discover(cfg, store, tick_id, now) {
            Ok(d) => {
                report.person(d.identity.iter().cloned());
                report.discover = Some(d)
            }
            Err(e) if e.exit_class() == ExitClass::Transient => note_transient(report, &e),
            Err(e) => return Err(e),
        }
        mark(store, "discover")?;
    }
    if !opts.dry_run {
        report.slurm_calls += crate::workflow::track::cancel::restart_for_new_sessions(cfg, store, slurm).await?;
    }
    super::stop::check("planning")?;
    let (snap, labels) = load_for(cfg, store, &opts.filter)?;
    let planned: Plan = plan(&snap, &snapshot::policy(cfg), &opts.filter);
    report.plan = summary(&planned);
    if opts.filter == Filter::default() {
        store.settle_subjects(&settled_subjects(&planned, &snap.subjects))?;
    }
    // Everything that waits for a person is said on every tick, not once.
    for line in needing_a_person(&planned, &labels) {
        tracing::warn!("{line}");
        report.person([line]);
    }
    mark(store, "plan")?;
    // Nothing to submit (the usual idle tick): no templates parsed, no file touched.
    let sub = if planned.runs.is_empty() {
        SubmitReport::default()
    } else {
        let templates = load_templates(cfg)?;
        let submitter = Submitter {
            cfg,
            slurm,
            templates: &templates,
            labels: &labels,
            tick: tick_id,
            dry_run: opts.dry_run,
            test_only: opts.test_only,
        };
        submitter.submit(store, &planned).await?
    };
    report.slurm_calls += sub.slurm_calls;
    if let Some(why) = &sub.interrupted {
        note_transient(report, &Error::Transient(why.clone()));
    }
    report.person(sub.rejected.iter().cloned());
    report.submit = Some(sub);
    mark(store, "submit")?;
    Ok(())
}

/// What planning reads: the open frontier (docs/ARCHITECTURE.md), with the subject
/// a command names; every unit when a command forces without naming one.
fn load_for(cfg: &Config, store: &mut Store, filter: &Filter) -> Result<(snapshot::Snapshot, snapshot::Labels)> {
    store.reopen_all_unless(&snapshot::policy_key(cfg))?;
    let also = match (filter.subject, filter.session) {
        (Some(s), _) => Some(s),
        (None, Some(session)) => Some(store.session(session)?.subject_id),
        (None, None) if filter.force => return snapshot::load(&mut store.reader()),
        (None, None) => None,
    };
    if also.is_none() && !store.any_open_subject()? {
        return Ok(Default::default());
    }
    snapshot::load_open(&mut store.reader(), also)
}

/// The planner's verdicts that need a person, one line each.
fn needing_a_person(planned: &Plan, labels: &snapshot::Labels) -> Vec<String> {
    planned
        .outcomes
        .iter()
        .filter_map(|(stage, unit, outcome)| match outcome {
            Outcome::NeedsHuman(why) => Some(format!("{stage} {} needs a person: {why}", labels.describe(*unit))),
            _ => None,
        })
        .collect()
}

/// Built-in templates with the site's overrides (`templates.dir`).
pub fn load_templates(cfg: &Config) -> Result<Templates> {
    let mut overrides = vec![];
    if let Some(dir) = &cfg.templates.dir {
        let entries = std::fs::read_dir(dir).map_err(|e| Error::io("read templates from", dir, e))?;
        for entry in entries.filter_map(std::result::Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tera") {
                let text = std::fs::read_to_string(entry.path()).map_err(|e| Error::io("read", entry.path(), e))?;
                overrides.push((name, text));
            }
        }
    }
    Templates::new(&overrides).map_err(|e| Error::Usage(e.to_string()))
}
