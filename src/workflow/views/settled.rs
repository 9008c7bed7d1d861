//! `workflow status` at scale: the rows of the subjects that can still change (the
//! open frontier, planned as the tick plans them), and the settled subjects — done,
//! or waiting on nothing the store can change — counted by the store instead of
//! listed. A small store lists every row (the exact view, `status::status`).

use crate::config::Config;
use crate::db::{Reader, SettledCounts};
use crate::domain::Level;
use crate::error::Result;
use crate::stages::STAGES;
use crate::workflow::snapshot;
use crate::workflow::views::status::{Status, Totals, finish, matrix, stages_of, status};
use std::collections::HashMap;

/// Finished sessions listed before the rest are only counted (the page's matrix too).
pub const ROWS: usize = 1000;

/// The status view listing at most `rows` sessions of settled subjects: all of them
/// when they are that few, else none (they are in the totals, and `rows_hidden`).
pub fn bounded(cfg: &Config, store: &mut Reader, stage: Option<&str>, rows: usize) -> Result<Status> {
    let settled = store.settled_counts()?;
    let hidden: i64 = settled.sessions.iter().map(|(_, _, n)| n).sum();
    if usize::try_from(hidden).unwrap_or(usize::MAX) <= rows {
        return status(cfg, store, None, stage);
    }
    let frontier = store.open_frontier(None)?;
    let sessions = with_subjects(&frontier, None);
    let (snap, labels, runs) = snapshot::build(frontier)?;
    let stages = stages_of(stage);
    let (rows, mut totals, needs_person) = matrix(cfg, &snap, &labels, &runs, sessions, None, &stages);
    add_settled(cfg, &settled, &stages, &mut totals);
    finish(cfg, store, stages, rows, totals, needs_person, usize::try_from(hidden).unwrap_or(0))
}

/// Adds the settled subjects' cells to `totals`, as `matrix` would count them: a
/// disabled stage is `disabled`; an excluded session `excluded`; else its run's
/// status; else `invalid` (an invalid session) or `waiting`.
pub fn add_settled(cfg: &Config, c: &SettledCounts, stages: &[&'static str], totals: &mut Totals) {
    let sessions = |valid: Option<bool>, excluded: bool| -> usize {
        c.sessions
            .iter()
            .filter(|(v, e, _)| *e == excluded && valid.is_none_or(|want| *v == want))
            .map(|(_, _, n)| usize::try_from(*n).unwrap_or(0))
            .sum()
    };
    for def in STAGES.iter().filter(|d| stages.contains(&d.name)) {
        let t = totals.entry(def.name.to_string()).or_default();
        let mut add = |state: &str, n: usize| {
            if n > 0 {
                *t.entry(state.to_string()).or_default() += n;
            }
        };
        let runs = |valid: bool| c.runs.iter().filter(move |r| r.0 == def.name && r.2 == valid);
        let units = match def.level {
            Level::Session => sessions(None, true) + sessions(None, false),
            Level::Subject => usize::try_from(c.subjects).unwrap_or(0),
        };
        if cfg.pipeline(def.name).is_none_or(|p| !p.enabled) {
            add("disabled", units);
            continue;
        }
        let mut with_run = [0usize, 0usize];
        for valid in [false, true] {
            for (_, status, _, n) in runs(valid) {
                let n = usize::try_from(*n).unwrap_or(0);
                with_run[usize::from(valid)] += n;
                add(status.as_str(), n);
            }
        }
        match def.level {
            Level::Session => {
                add("excluded", sessions(None, true));
                add("invalid", sessions(Some(false), false).saturating_sub(with_run[0]));
                add("waiting", sessions(Some(true), false).saturating_sub(with_run[1]));
            }
            Level::Subject => add("waiting", units.saturating_sub(with_run[0] + with_run[1])),
        }
    }
}

/// What `workflow status` shows: every row (`rows` None: `--all`), one participant's
/// rows (planned with the open frontier, as `explain` is), or the bounded view.
pub fn view(
    cfg: &Config,
    store: &mut Reader,
    subject: Option<&str>,
    stage: Option<&str>,
    rows: Option<usize>,
) -> Result<Status> {
    let Some(rows) = rows else { return status(cfg, store, subject, stage) };
    let Some(label) = subject else { return bounded(cfg, store, stage, rows) };
    let Some(id) = store.subject_by_label(label)?.map(|s| s.id) else {
        return finish(cfg, store, stages_of(stage), vec![], Totals::new(), vec![], 0);
    };
    let frontier = store.open_frontier(Some(id))?;
    let sessions = with_subjects(&frontier, Some(id));
    let (snap, labels, runs) = snapshot::build(frontier)?;
    let stages = stages_of(stage);
    let (rows, totals, needs_person) = matrix(cfg, &snap, &labels, &runs, sessions, Some(label), &stages);
    finish(cfg, store, stages, rows, totals, needs_person, 0)
}

/// The frontier's sessions (of subject `only`, or all) paired with their subjects.
fn with_subjects(f: &crate::db::Frontier, only: Option<i64>) -> Vec<(crate::db::Session, crate::db::Subject)> {
    let subjects: HashMap<i64, &crate::db::Subject> = f.subjects.iter().map(|s| (s.id, s)).collect();
    f.sessions
        .iter()
        .filter(|s| only.is_none_or(|id| s.subject_id == id))
        .filter_map(|s| Some((s.clone(), (*subjects.get(&s.subject_id)?).clone())))
        .collect()
}
