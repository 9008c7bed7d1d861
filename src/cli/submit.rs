//! `neuroflow submit` and `neuroflow render`.

use super::common::{self, check_stage, resolve};
use super::common::{print_tick, slurm};
use super::output::Format;
use crate::domain::Level;
use crate::error::{Error, Result};
use crate::pipeline::plan::Filter;
use crate::workflow::lock::lock;
use crate::workflow::submit::prepare::render_unit;
use crate::workflow::tick::{TickOptions, load_templates, tick};
use crate::workflow::track::cancel::{CancelOutcome, cancel_run, live_runs_of};
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct SubmitArgs {
    /// The stage to submit (bids_conversion, qsiprep, qsirecon, qsiparc).
    #[arg(long)]
    stage: String,
    /// Only this participant (with or without `sub-`).
    #[arg(long)]
    subject: Option<String>,
    /// Only this session (session-level stages).
    #[arg(long)]
    session: Option<String>,
    /// Submit even over a completed run or one that needs a person. Over a live run
    /// nothing is submitted (exit 1) unless --replace.
    #[arg(long)]
    force: bool,
    /// With --force: cancel the unit's live run and its downstream first.
    #[arg(long, requires = "force")]
    replace: bool,
    /// Re-run on purpose the completed runs of the stage that another release made than
    /// the one it runs now (pinned or found); their downstream follows, its upstream
    /// having changed. A new image alone never redoes finished runs.
    #[arg(long, conflicts_with_all = ["force", "replace"])]
    other_release: bool,
    /// Print the scripts and sbatch commands; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Output: a table for people, or json for scripts.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// The stage whose script to print.
    #[arg(long)]
    stage: String,
    /// The participant (with or without `sub-`).
    #[arg(long)]
    subject: String,
    /// The session (session-level stages).
    #[arg(long)]
    session: Option<String>,
}

pub async fn submit(explicit: Option<&Path>, a: SubmitArgs) -> Result<u8> {
    check_stage(&a.stage)?;
    let (loaded, mut store) = common::open_for_jobs(explicit)?;
    let (subject, session) = resolve(&loaded.config, &mut store, a.subject.as_deref(), a.session.as_deref())?;
    let _lock = lock(&loaded.config, &mut store)?;
    if a.force && !a.dry_run {
        let live = live_runs_of(&mut store, &a.stage, subject, session)?;
        if !live.is_empty() && !a.replace {
            for r in &live {
                tracing::error!(run_id = r.id, job_id = r.slurm_job_id.unwrap_or_default(), status = %r.status,
                    "run {} ({}) is live: nothing submitted; add --replace to cancel it and its downstream first", r.id, r.job_name);
            }
            return Ok(1);
        }
        for r in &live {
            if let CancelOutcome::Cancelled { downstream, .. } =
                cancel_run(&loaded.config, &mut store, &slurm(&loaded.config), r.id).await?
            {
                tracing::info!(run_id = r.id, downstream, "replaced: cancelled the live run and its downstream");
            }
        }
    }
    let units = if a.other_release {
        let units = other_release_units(&loaded.config, &mut store, &a.stage, subject, session).await?;
        if units.is_empty() {
            return Ok(0);
        }
        Some(units)
    } else {
        None
    };
    let force = a.force || a.other_release;
    let filter = Filter { stage: Some(a.stage.clone()), subject, session, force, units };
    let opts = TickOptions { filter, dry_run: a.dry_run, no_discover: true, ..Default::default() };
    let report = tick(&loaded.config, &mut store, &slurm(&loaded.config), &opts).await?;
    print_tick(&report, a.format);
    Ok(report.exit)
}

/// The units whose completed run of `stage` another release made than the current one.
async fn other_release_units(
    cfg: &crate::config::Config,
    store: &mut crate::db::Store,
    stage: &str,
    subject: Option<i64>,
    session: Option<i64>,
) -> Result<Vec<(i64, Option<i64>)>> {
    let def = check_stage(stage)?;
    let now = crate::workflow::submit::tool_release::resolve_stage(cfg, Some(store), def)
        .await?
        .map_err(Error::Usage)?
        .release;
    let tool = crate::releases::tool(def.tool).expect("every stage's tool has a release table");
    let runs = store.completed_runs_with_release(stage)?;
    let other: Vec<_> = runs
        .iter()
        .filter(|r| subject.is_none_or(|s| s == r.subject_id) && session.is_none_or(|s| Some(s) == r.session_id))
        .filter(|r| r.release.as_deref().and_then(|v| tool.release(v)).is_none_or(|x| x.series != now.series))
        .collect();
    let same = runs.len() - other.len();
    tracing::info!(stage, release = %now.display(), other = other.len(), same,
        "{} completed {stage} run(s) made by another release than {} ({}); {same} by it", other.len(), now.display(), now.found_by);
    Ok(other.iter().map(|r| (r.subject_id, r.session_id)).collect())
}

pub async fn render(explicit: Option<&Path>, a: RenderArgs) -> Result<u8> {
    let def = check_stage(&a.stage)?;
    let (loaded, mut store) = common::open_for_jobs(explicit)?;
    let cfg = &loaded.config;
    if def.level == Level::Session && a.session.is_none() {
        return Err(Error::Usage(format!("{} is per session: give --session", def.name)));
    }
    let session = if def.level == Level::Session { a.session.as_deref() } else { None };
    let (subject, session) = resolve(cfg, &mut store, Some(&a.subject), session)?;
    let subject = subject.ok_or_else(|| Error::Usage("give --subject".into()))?;
    let script = render_unit(cfg, &mut store, &load_templates(cfg)?, def, (subject, session)).await?;
    print!("{script}");
    Ok(0)
}
