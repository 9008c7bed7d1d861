//! One way to build a job script — for the dry run, the real submission and
//! `neuroflow render` alike: the job name, run paths and template context of a
//! planned run are computed here once, so a render error means the same everywhere.

use crate::config::{Config, Pipeline};
use crate::db::Store;
use crate::error::{Error, Result};
use crate::pipeline::plan::{PlannedRun, UpstreamRef};
use crate::pipeline::request::Request;
use crate::pipeline::script::{RunIdent, RunPaths, Stage, Target, context, job_name, run_paths};
use crate::releases::Resolved;
use crate::slurm::render::Templates;
use crate::stages::StageDef;
use crate::workflow::snapshot::{self, Labels};

/// A planned run made concrete, up to its run id.
pub struct Prepared<'a> {
    pub name: String,
    pub target: Target<'a>,
    pub pipe: &'a Pipeline,
    /// `afterok` job ids.
    pub dep_jobs: Vec<String>,
    /// Every upstream run it is made from (live and completed).
    pub upstream_ids: Vec<i64>,
}

/// Names, labels and upstream of a planned run; `deps` are its (run id, job id)
/// pairs for `afterok`.
pub fn prepare<'a>(
    cfg: &'a Config,
    labels: &'a Labels,
    run: &PlannedRun,
    deps: &[(i64, String)],
) -> Result<Prepared<'a>> {
    let participant = &labels.subjects[&run.unit.0];
    let session = run.unit.1.map(|id| &labels.sessions[&id]);
    let pipe =
        cfg.pipeline(run.stage.name).ok_or_else(|| Error::Usage(format!("no pipelines.{} section", run.stage.name)))?;
    let completed = run.upstream.iter().filter_map(|u| match u {
        UpstreamRef::Run { run_id, job: None } => Some(*run_id),
        _ => None,
    });
    let sessions =
        run.covered_sessions.iter().filter_map(|id| labels.sessions.get(id)).map(|(l, _)| l.to_string()).collect();
    Ok(Prepared {
        name: job_name(run.stage.name, participant, session.map(|(l, _)| l)),
        target: Target {
            participant,
            session: session.map(|(l, _)| l),
            dicom_path: session.map(|(_, p)| p.as_str()),
            sessions,
        },
        pipe,
        dep_jobs: deps.iter().map(|(_, j)| j.clone()).collect(),
        upstream_ids: deps.iter().map(|(r, _)| *r).chain(completed).collect(),
    })
}

/// The paths and script of a prepared run with identity `ident` (the script, or
/// why it cannot be rendered).
pub fn script(
    cfg: &Config,
    templates: &Templates,
    p: &Prepared,
    run: &PlannedRun,
    ident: &RunIdent,
    release: &Resolved,
) -> (RunPaths, std::result::Result<String, String>) {
    let paths = run_paths(cfg, run.stage.name, &p.name, ident.id);
    let stage = Stage { def: run.stage, pipe: p.pipe, release };
    let ctx = context(cfg, &stage, &p.target, ident, &run.request, &p.dep_jobs);
    (paths, templates.render(run.stage.template, &ctx).map_err(|e| e.to_string()))
}

/// `neuroflow render`: the script `def` would get for a unit now (run id 0, no
/// dependency), covering the sessions the planner would give it, for the release
/// pinned or found.
pub async fn render_unit(
    cfg: &Config,
    store: &mut Store,
    templates: &Templates,
    def: &'static StageDef,
    unit: (i64, Option<i64>),
) -> Result<String> {
    let (snap, labels) = snapshot::load(&mut store.reader())?;
    let pipe = cfg.pipeline(def.name).ok_or_else(|| Error::Usage(format!("no pipelines.{} section", def.name)))?;
    let covered = match def.level {
        crate::domain::Level::Subject => {
            snap.sessions.iter().filter(|s| s.subject_id == unit.0 && s.eligible).map(|s| s.id).collect()
        }
        crate::domain::Level::Session => vec![],
    };
    let run = PlannedRun {
        stage: def,
        unit,
        attempt: 1,
        trigger: "render".into(),
        upstream: vec![],
        covered_sessions: covered,
        request: Request::from_config(pipe, &cfg.slurm),
    };
    let p = prepare(cfg, &labels, &run, &[])?;
    let tool =
        crate::workflow::submit::tool_release::resolve_stage(cfg, Some(store), def).await?.map_err(Error::Usage)?;
    let (_, text) = script(cfg, templates, &p, &run, &RunIdent { id: 0, token: "render", attempt: 1 }, &tool.release);
    text.map_err(Error::Usage)
}
