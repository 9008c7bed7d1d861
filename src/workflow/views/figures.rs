//! What the page draws and what is left to do, from figures the store aggregates
//! (`db/figures.rs`): weekly counts, the newest completed runs of each stage, the
//! newest runs. Every list is in chain order (the stage table's).

use crate::config::Config;
use crate::db::{Reader, Run, WeeklyCounts};
use crate::domain::{FailureCause, RunStatus};
use crate::error::Result;
use crate::plot::{self, Asked, Plot, Span, StageTimes, Weekly};
use crate::stages::STAGES;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use serde::Serialize;
use std::collections::BTreeMap;

/// Weeks the weekly plots show (this one included).
pub const WEEKS: i64 = 26;
/// Completed runs per stage that the distributions and the cost estimate read.
pub const RECENT: i64 = 500;
/// Runs on the timeline.
pub const TIMELINE: i64 = 30;

/// Per stage: the work not yet done, in the units an allocation is counted in.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Remaining {
    pub stage: &'static str,
    /// Units not completed (and not excluded, invalid or disabled).
    pub units_left: usize,
    pub cpu_hours: f64,
    pub gpu_hours: f64,
    /// `measured over N runs`, or `from the time limit` (no completed run yet: the
    /// request's CPUs and GPUs for its whole time limit).
    pub basis: String,
    /// Units completed per week over the last 4 weeks.
    pub per_week: f64,
    /// When the backlog is done at that rate (None: nothing finished lately).
    pub done_by: Option<NaiveDate>,
}

/// The Monday, 00:00, of the week `weeks_back` weeks before `now`'s.
fn monday(now: NaiveDateTime, weeks_back: i64) -> NaiveDateTime {
    let d = now.date() - Duration::days(i64::from(now.weekday().num_days_from_monday())) - Duration::weeks(weeks_back);
    d.and_hms_opt(0, 0, 0).unwrap_or(now)
}

/// The newest completed runs of every stage in the chain (`(stage, runs)`).
pub fn recent(store: &mut Reader) -> Result<Vec<(&'static str, Vec<Run>)>> {
    STAGES.iter().map(|d| Ok((d.name, store.recent_completed(d.name, RECENT)?))).collect()
}

/// What is left per enabled stage: `left` units (from the status totals) at the mean
/// allocation of the recent runs, done at the last 4 weeks' rate.
pub fn remaining(
    cfg: &Config,
    left: &BTreeMap<String, BTreeMap<String, usize>>,
    recent: &[(&'static str, Vec<Run>)],
    last_4_weeks: &[(String, i64)],
    now: NaiveDateTime,
) -> Vec<Remaining> {
    let open = |states: &BTreeMap<String, usize>| {
        states
            .iter()
            .filter(|(s, _)| !matches!(s.as_str(), "completed" | "disabled" | "excluded" | "invalid" | "-"))
            .map(|(_, n)| n)
            .sum()
    };
    cfg.enabled()
        .map(|(def, p)| {
            let units_left: usize = left.get(def.name).map_or(0, open);
            let runs = recent.iter().find(|(s, _)| *s == def.name).map_or(&[][..], |(_, r)| r);
            let measured: Vec<(f64, f64)> = runs
                .iter()
                .filter_map(|r| {
                    let h = r.elapsed_seconds? as f64 / 3600.0;
                    Some((h * f64::from(r.req_cpus.max(1)), h * f64::from(r.req_gpus.max(0))))
                })
                .collect();
            let (cpu, gpu, basis) = if measured.is_empty() {
                let h = p.resources.time.minutes as f64 / 60.0;
                (
                    h * f64::from(p.resources.cpus.0),
                    h * f64::from(p.resources.gpus.0),
                    "from the time limit".to_string(),
                )
            } else {
                let n = measured.len() as f64;
                let (c, g) = measured.iter().fold((0.0, 0.0), |a, m| (a.0 + m.0, a.1 + m.1));
                (c / n, g / n, format!("measured over {} runs", measured.len()))
            };
            let done: i64 = last_4_weeks.iter().filter(|(s, _)| s == def.name).map(|(_, n)| n).sum();
            let per_week = done as f64 / 4.0;
            let done_by = (per_week > 0.0)
                .then(|| (now + Duration::hours((units_left as f64 / per_week * 168.0).ceil() as i64)).date());
            Remaining {
                stage: def.name,
                units_left,
                cpu_hours: cpu * units_left as f64,
                gpu_hours: gpu * units_left as f64,
                basis,
                per_week,
                done_by,
            }
        })
        .collect()
}

/// Units of each stage completed in the last 4 weeks (the rate `remaining` uses).
pub fn last_4_weeks(store: &mut Reader, now: NaiveDateTime) -> Result<Vec<(String, i64)>> {
    Ok(store.completed_since(now - Duration::weeks(4))?)
}

/// The weekly series, one value per week, oldest first, stages in chain order.
fn weekly(c: &WeeklyCounts, now: NaiveDateTime) -> Weekly {
    let start = monday(now, WEEKS - 1);
    let series = |pairs: &mut dyn Iterator<Item = (i64, i64)>| {
        let mut v = vec![0u64; WEEKS as usize];
        for (w, n) in pairs {
            if let Some(slot) = usize::try_from(w).ok().and_then(|w| v.get_mut(w)) {
                *slot += n.max(0) as u64;
            }
        }
        v
    };
    Weekly {
        weeks: (0..WEEKS).map(|i| (start + Duration::weeks(i)).date()).collect(),
        arrivals: series(&mut c.arrivals.iter().copied()),
        finished: STAGES
            .iter()
            .filter(|d| c.finished.iter().any(|(s, _, _)| s == d.name))
            .map(|d| (d.name.to_string(), series(&mut c.finished.iter().filter(|f| f.0 == d.name).map(|f| (f.1, f.2)))))
            .collect(),
        failed: FailureCause::ALL
            .iter()
            .filter(|k| c.failed.iter().any(|(f, _, _)| f == *k))
            .map(|k| (*k, series(&mut c.failed.iter().filter(|f| f.0 == *k).map(|f| (f.1, f.2)))))
            .collect(),
    }
}

/// Seconds between two optional times, if both are known.
fn secs(a: Option<NaiveDateTime>, b: Option<NaiveDateTime>) -> Option<f64> {
    Some((b? - a?).num_seconds().max(0) as f64)
}

fn times(recent: &[(&'static str, Vec<Run>)]) -> Vec<StageTimes> {
    recent
        .iter()
        .map(|(stage, runs)| {
            let mut waits_s: Vec<f64> = runs.iter().filter_map(|r| secs(r.submitted_at, r.started_at)).collect();
            let mut runs_s: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.elapsed_seconds.map(|s| s as f64).or_else(|| secs(r.started_at, r.ended_at)))
                .collect();
            waits_s.sort_by(f64::total_cmp);
            runs_s.sort_by(f64::total_cmp);
            StageTimes { stage: stage.to_string(), waits_s, runs_s }
        })
        .collect()
}

fn asked(recent: &[(&'static str, Vec<Run>)]) -> Vec<Asked> {
    recent
        .iter()
        .filter_map(|(stage, runs)| {
            let mut rss: Vec<f64> = runs.iter().filter_map(|r| r.max_rss_kb).map(|k| k as f64 / 1_048_576.0).collect();
            if rss.is_empty() {
                return None;
            }
            rss.sort_by(f64::total_cmp);
            let mut busy: Vec<f64> = runs
                .iter()
                .filter_map(|r| Some(r.total_cpu_seconds? as f64 / (r.elapsed_seconds? as f64).max(1.0)))
                .collect();
            busy.sort_by(f64::total_cmp);
            Some(Asked {
                stage: stage.to_string(),
                mem_asked_gb: runs.iter().map(|r| r.req_mem_mb).max().unwrap_or(0) as f64 / 1024.0,
                mem_used_p50_gb: plot::quantile(&rss, 0.5).unwrap_or(0.0),
                mem_used_p95_gb: plot::quantile(&rss, 0.95).unwrap_or(0.0),
                cpus_asked: f64::from(runs.iter().map(|r| r.req_cpus).max().unwrap_or(1)),
                cpus_used_p50: plot::quantile(&busy, 0.5),
            })
        })
        .collect()
}

fn spans(rows: Vec<crate::db::SpanRow>) -> Vec<Span> {
    rows.into_iter()
        .filter_map(|r| {
            let session = r.session.map_or(String::new(), |s| format!(" ses-{s}"));
            Some(Span {
                label: format!("{} sub-{}{session} #{}", r.stage, r.participant, r.id),
                stage_index: STAGES.iter().position(|d| d.name == r.stage).unwrap_or(0),
                submitted: r.submitted_at?,
                started: r.started_at,
                ended: r.ended_at,
                failed: matches!(r.status, RunStatus::Failed | RunStatus::Lost),
            })
        })
        .collect()
}

/// Every plot of the page, in the order it shows them.
pub fn plots(store: &mut Reader, recent: &[(&'static str, Vec<Run>)], now: NaiveDateTime) -> Result<Vec<Plot>> {
    let w = weekly(&store.weekly_counts(monday(now, WEEKS - 1))?, now);
    let title = format!("The newest {TIMELINE} runs");
    let spans = spans(store.newest_runs(TIMELINE)?);
    let drawn = [
        plot::throughput(&w),
        plot::durations(&times(recent)),
        plot::failures(&w),
        plot::asked_vs_used(&asked(recent)),
        plot::timeline(&title, &spans, now),
    ];
    drawn.into_iter().map(|p| p.map_err(Into::into)).collect()
}

#[cfg(test)]
mod tests {
    use super::monday;
    use chrono::NaiveDate;

    #[test]
    fn weeks_start_on_monday() {
        let thu = NaiveDate::from_ymd_opt(2026, 12, 3).and_then(|d| d.and_hms_opt(15, 4, 0)).unwrap();
        assert_eq!(monday(thu, 0).to_string(), "2026-11-30 00:00:00");
        assert_eq!(monday(thu, 25).date().to_string(), "2026-06-08");
    }
}
