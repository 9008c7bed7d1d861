//! The static status page (`paths.status_page`, `neuroflow report --html DIR`): one
//! self-contained HTML file — no server, no external assets — with the status
//! matrix, what needs a person, totals, throughput, recent failures and efficiency.
//! Building reads the store; rendering is pure; writing replaces the file atomically.

use crate::config::Config;
use crate::db::Reader;
use crate::domain::RunStatus;
use crate::error::{Error, Result};
use crate::plot::Plot;
use crate::workflow::views::efficiency::{StageEfficiency, efficiency};
use crate::workflow::views::figures::{self, Remaining};
use crate::workflow::views::settled::{ROWS, bounded};
use crate::workflow::views::status::Status;
use crate::workflow::views::triage::{Group, failures};
use chrono::{Duration, NaiveDateTime};
use serde::Serialize;
use std::path::{Path, PathBuf};

const TEMPLATE: &str = include_str!("../../../templates/report/status.html");

#[derive(Debug, Serialize)]
pub struct Throughput {
    pub stage: String,
    pub last_day: usize,
    pub last_week: usize,
    pub total: usize,
}

#[derive(Debug, Serialize)]
pub struct TotalsRow {
    pub stage: String,
    /// Counts in the order of `Page::states`.
    pub counts: Vec<usize>,
}

#[derive(Debug, Serialize)]
pub struct Page {
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub generated_at: String,
    pub version: &'static str,
    #[serde(flatten)]
    pub status: Status,
    pub states: Vec<String>,
    #[serde(rename = "totals")]
    pub totals_rows: Vec<TotalsRow>,
    pub throughput: Vec<Throughput>,
    pub failures: Vec<Group>,
    pub efficiency: Vec<StageEfficiency>,
    /// The plots, in the order the page shows them.
    pub plots: Vec<Plot>,
    /// What is left per stage, in CPU- and GPU-hours, and when it is done.
    pub remaining: Vec<Remaining>,
    /// Finished rows left out of the matrix (past MATRIX_ROWS).
    pub hidden_rows: usize,
}

/// The matrix shows every session still in progress or stuck, then finished ones up
/// to this many rows: a page for 30,000 sessions stays a page (`workflow status
/// --format json` has every row).
pub const MATRIX_ROWS: usize = ROWS;

/// Keeps unfinished rows first, then finished ones, up to MATRIX_ROWS; returns how
/// many were left out.
fn trim_rows(status: &mut Status) -> usize {
    let finished = |r: &crate::workflow::views::status::Row| {
        r.cells.values().all(|c| matches!(c.state.as_str(), "completed" | "disabled" | "excluded" | "-"))
    };
    if status.rows.len() <= MATRIX_ROWS {
        return 0;
    }
    let (mut open, done): (Vec<_>, Vec<_>) = std::mem::take(&mut status.rows).into_iter().partition(|r| !finished(r));
    let room = MATRIX_ROWS.saturating_sub(open.len());
    let hidden = done.len().saturating_sub(room);
    open.extend(done.into_iter().take(room));
    status.rows = open;
    hidden
}

/// Reads everything the page shows: the status view, and figures the store
/// aggregates (no read of every run).
pub fn build(cfg: &Config, store: &mut Reader, now: NaiveDateTime) -> Result<Page> {
    let mut status = bounded(cfg, store, None, ROWS)?;
    let failed = store.current_runs_in(&[RunStatus::Failed, RunStatus::Lost])?;
    let failures = failures(&failed, |s| cfg.pipeline(s).map_or(1, |p| p.max_attempts));
    let newest: Vec<_> = status.recent.iter().flat_map(|(_, r)| r.iter().cloned()).collect();
    let efficiency = efficiency(&newest, None);
    let plots = figures::plots(store, &status.recent, now)?;
    let throughput = throughput(store, &status, now)?;
    let states = states(&status);
    let totals_rows = status
        .stages
        .iter()
        .map(|stage| TotalsRow {
            stage: stage.to_string(),
            counts: states
                .iter()
                .map(|s| status.totals.get(*stage).and_then(|m| m.get(s)).copied().unwrap_or(0))
                .collect(),
        })
        .collect();
    let remaining = status.remaining.clone();
    let hidden_rows = trim_rows(&mut status) + status.rows_hidden;
    Ok(Page {
        hidden_rows,
        generated_at: now.format("%Y-%m-%d %H:%M:%S").to_string(),
        version: crate::VERSION,
        status,
        states,
        totals_rows,
        throughput,
        failures,
        efficiency,
        plots,
        remaining,
    })
}

/// The states any stage is in, in a fixed order.
fn states(status: &Status) -> Vec<String> {
    let mut states: Vec<String> = status.totals.values().flat_map(|m| m.keys().cloned()).collect();
    states.sort();
    states.dedup();
    states
}

/// Completed units per stage in the last day and week, and in all (counted by the store).
fn throughput(store: &mut Reader, status: &Status, now: NaiveDateTime) -> Result<Vec<Throughput>> {
    let day = store.completed_since(now - Duration::days(1))?;
    let week = store.completed_since(now - Duration::days(7))?;
    let of = |v: &[(String, i64)], stage: &str| v.iter().find(|(s, _)| s == stage).map_or(0, |(_, n)| *n as usize);
    Ok(status
        .stages
        .iter()
        .map(|stage| Throughput {
            stage: stage.to_string(),
            last_day: of(&day, stage),
            last_week: of(&week, stage),
            total: status.totals.get(*stage).and_then(|m| m.get("completed")).copied().unwrap_or(0),
        })
        .collect())
}

/// The page as HTML (every value escaped by Tera's HTML autoescape).
pub fn render(page: &Page) -> Result<String> {
    let mut tera = tera::Tera::default();
    tera.add_raw_template("status.html", TEMPLATE).map_err(|e| Error::Usage(format!("status page template: {e}")))?;
    let ctx = tera::Context::from_serialize(page).map_err(|e| Error::Usage(format!("status page: {e}")))?;
    tera.render("status.html", &ctx).map_err(|e| Error::Usage(format!("status page: {e:?}")))
}

/// Writes `DIR/index.html` (through a temporary file and a rename: a web server
/// never serves half a page).
pub fn write(dir: &Path, html: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let path = dir.join("index.html");
    let tmp = dir.join(".index.html.tmp");
    std::fs::write(&tmp, html).map_err(|e| Error::io("write", &tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::io("write", &path, e))?;
    Ok(path)
}

/// Builds, renders and writes the page into `dir`.
pub fn publish(cfg: &Config, store: &mut Reader, dir: &Path) -> Result<PathBuf> {
    let page = build(cfg, store, chrono::Utc::now().naive_utc())?;
    write(dir, &render(&page)?)
}
