//! `neuroflow workflow run` and `neuroflow sync`.

use super::common::{self, print_tick, slurm};
use super::output::{self, Format};
use crate::db::Store;
use crate::error::Result;
use crate::pipeline::plan::Filter;
use crate::workflow::counts::TickCounts;
use crate::workflow::lock::{Attempt, lock, lock_within};
use crate::workflow::tick::{TickOptions, tick};
use crate::workflow::track::sync;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// One tick: track jobs, discover sessions, submit what is ready (the cron job).
    Run(RunArgs),
    /// Past ticks, newest first: when, how long, what they did, Slurm calls, exit class.
    List(ListArgs),
    /// Where every session stands in every stage and why, totals per stage and state,
    /// the last tick, and what needs a person.
    Status(StatusArgs),
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "EXAMPLES:\n  neuroflow workflow status\n  neuroflow workflow status --subject 0042\n  neuroflow workflow status --status failed --stage qsiprep\n  neuroflow workflow status --format json | jq '.needs_person'"
)]
pub struct StatusArgs {
    /// Only this participant (with or without `sub-`).
    #[arg(long)]
    subject: Option<String>,
    /// Only this stage.
    #[arg(long, value_parser = known_stage)]
    stage: Option<String>,
    /// Only rows with a cell in this state (completed, running, queued, failed, waiting,
    /// limited, needs_person, invalid, excluded, ...).
    #[arg(long)]
    status: Option<String>,
    /// List every session, also those of settled subjects (done, or waiting on
    /// nothing that can change) however many there are.
    #[arg(long)]
    all: bool,
    /// List the sessions of settled subjects only while there are at most this many
    /// (beyond, they are counted in the totals and as `rows_hidden`).
    #[arg(long, default_value_t = crate::workflow::views::settled::ROWS)]
    rows: usize,
    /// Output: a table for people, or json for scripts.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

fn known_stage(name: &str) -> std::result::Result<String, String> {
    common::check_stage(name).map(|d| d.name.to_string()).map_err(|e| e.to_string())
}

/// `workflow status` as people read it: the matrix, totals, the last tick and what
/// needs a person.
pub fn status_text(view: &crate::workflow::views::status::Status) -> String {
    use std::fmt::Write;
    let upper: Vec<String> = view.stages.iter().map(|s| s.to_uppercase()).collect();
    let header: Vec<&str> = ["PARTICIPANT", "SESSION"].into_iter().chain(upper.iter().map(String::as_str)).collect();
    let rows: Vec<Vec<String>> = view
        .rows
        .iter()
        .map(|r| {
            let mut line = vec![format!("sub-{}", r.participant), format!("ses-{}", r.session)];
            line.extend(view.stages.iter().map(|s| r.cells.get(*s).map_or(String::new(), short)));
            line
        })
        .collect();
    let mut out =
        output::styled_table_text(&header, &rows, |col, text| (col >= 2).then(|| state_style(text)).flatten());
    out.push('\n');
    for (stage, states) in view.stages.iter().filter_map(|s| Some((s, view.totals.get(*s)?))) {
        let parts: Vec<String> = states.iter().map(|(s, n)| format!("{n} {s}")).collect();
        let _ = writeln!(out, "{stage}: {}", parts.join(", "));
    }
    for r in view.remaining.iter().filter(|r| r.units_left > 0) {
        let when = r
            .done_by
            .map_or("no run finished in the last 4 weeks".into(), |d| format!("{:.1} a week: done by {d}", r.per_week));
        let gpu = if r.gpu_hours > 0.0 { format!(", {:.1} GPU-hours", r.gpu_hours) } else { String::new() };
        let _ = writeln!(
            out,
            "{} left: {} units, {:.1} CPU-hours{gpu} ({}); {when}",
            r.stage, r.units_left, r.cpu_hours, r.basis
        );
    }
    for r in &view.releases {
        let parts: Vec<String> = r.releases.iter().map(|(v, n)| format!("{n} by {v}")).collect();
        let _ = writeln!(out, "{} completed runs: {}", r.stage, parts.join(", "));
    }
    if let Some(t) = &view.last_tick {
        let _ = writeln!(
            out,
            "last tick {} at {} ({}, {} s): {} registered, {} submitted, {} completed, {} failed, {} Slurm calls, exit {}",
            t.id,
            t.started_at.format("%Y-%m-%d %H:%M:%S"),
            t.status,
            t.seconds.map_or("-".into(), |s| format!("{s:.2}")),
            t.counts.registered,
            t.counts.submitted,
            t.counts.completed,
            t.counts.failed,
            t.counts.slurm_calls,
            t.counts.exit
        );
    }
    if view.rows_hidden > 0 {
        let _ = writeln!(
            out,
            "{} sessions of settled subjects are not listed (they are in the totals; --all lists them)",
            view.rows_hidden
        );
    }
    if !view.needs_person.is_empty() {
        out.push_str("\nneeds a person:\n");
        for n in &view.needs_person {
            let _ = writeln!(out, "  {n}");
        }
    }
    out
}

/// Cell colours: green done, blue in flight, yellow waiting, red a person must act.
fn state_style(cell: &str) -> Option<anstyle::Style> {
    use anstyle::{AnsiColor, Style};
    let state = cell.split(' ').next().unwrap_or_default();
    let colour = match state {
        "completed" => AnsiColor::Green,
        "running" | "queued" | "planned" | "ready" => AnsiColor::Blue,
        "waiting" | "limited" => AnsiColor::Yellow,
        "failed" | "lost" | "needs_person" | "invalid" => AnsiColor::Red,
        _ => return None,
    };
    Some(Style::new().fg_color(Some(colour.into())))
}

fn short(cell: &crate::workflow::views::status::Cell) -> String {
    let mut detail = cell.detail.clone();
    if detail.chars().count() > 40 {
        detail = format!("{}…", detail.chars().take(39).collect::<String>());
    }
    if detail.is_empty() { cell.state.clone() } else { format!("{} ({detail})", cell.state) }
}

fn status(explicit: Option<&Path>, a: StatusArgs) -> Result<u8> {
    let (loaded, mut store) = common::open(explicit)?;
    let subject = a.subject.as_deref().map(|s| common::participant(&loaded.config, s));
    let mut view = crate::workflow::views::settled::view(
        &loaded.config,
        &mut store.reader(),
        subject.as_deref(),
        a.stage.as_deref(),
        (!a.all).then_some(a.rows),
    )?;
    if let Some(want) = &a.status {
        view.rows.retain(|r| r.cells.values().any(|c| &c.state == want));
    }
    if a.format == Format::Json {
        output::json(&view);
        return Ok(0);
    }
    output::print_styled(&status_text(&view));
    Ok(0)
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// At most this many ticks.
    #[arg(long, default_value_t = 20)]
    limit: i64,
    /// Only ticks that started at or after this UTC time (`2026-12-01` or `2026-12-01T08:00`).
    #[arg(long, value_parser = parse_since)]
    since: Option<chrono::NaiveDateTime>,
    /// Output: a table for people, or json for scripts.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

fn parse_since(text: &str) -> std::result::Result<chrono::NaiveDateTime, String> {
    let t = text.trim().replace(' ', "T");
    chrono::NaiveDateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M"))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(&t, "%Y-%m-%d").map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .map_err(|_| format!("{text:?} is not a date (YYYY-MM-DD) or time (YYYY-MM-DDTHH:MM[:SS]), in UTC"))
}

/// One past tick, as `workflow list` shows it.
#[derive(Debug, serde::Serialize)]
pub(super) struct TickRow {
    pub(super) id: i64,
    pub(super) started_at: chrono::NaiveDateTime,
    pub(super) seconds: Option<f64>,
    pub(super) status: String,
    pub(super) host: String,
    pub(super) dry_run: bool,
    #[serde(flatten)]
    pub(super) counts: TickCounts,
    pub(super) error: Option<String>,
}

impl output::Listing for TickRow {
    const HEADERS: &'static [&'static str] = &[
        "TICK",
        "STARTED (UTC)",
        "SECONDS",
        "STATUS",
        "REGISTERED",
        "SUBMITTED",
        "COMPLETED",
        "FAILED",
        "SLURM",
        "EXIT",
        "ERROR",
    ];
    fn cells(&self) -> Vec<String> {
        let c = &self.counts;
        let mut error = self.error.clone().unwrap_or_default();
        if error.chars().count() > 80 {
            error = format!("{}…", error.chars().take(79).collect::<String>());
        }
        vec![
            self.id.to_string(),
            self.started_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            self.seconds.map_or("-".into(), |s| format!("{s:.2}")),
            self.status.clone(),
            c.registered.to_string(),
            c.submitted.to_string(),
            c.completed.to_string(),
            c.failed.to_string(),
            c.slurm_calls.to_string(),
            c.exit.to_string(),
            error,
        ]
    }
}

fn list(explicit: Option<&Path>, a: ListArgs) -> Result<u8> {
    let (_, mut store) = common::open(explicit)?;
    let rows: Vec<TickRow> = store
        .ticks_since(a.since, a.limit.max(1))?
        .into_iter()
        .map(|t| TickRow {
            id: t.id,
            started_at: t.started_at,
            seconds: t.finished_at.map(|f| (f - t.started_at).num_milliseconds() as f64 / 1000.0),
            status: t.status.to_string(),
            host: t.host,
            dry_run: t.dry_run,
            counts: serde_json::from_str(&t.counts_json).unwrap_or_default(),
            error: t.error,
        })
        .collect();
    output::rows(&rows, a.format);
    Ok(0)
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "EXAMPLES:\n  neuroflow workflow run                        # one tick (what cron runs)\n  neuroflow workflow run --dry-run              # every script and sbatch it would run; changes nothing\n  neuroflow workflow run --sync                 # tick until no job is live\n  neuroflow workflow run --stage qsiprep\n  timeout 20m neuroflow workflow run --wait 60  # in cron, behind another login node's tick\n\nExit: 0 ok (or another tick holds the lock), 1 a person must act, 2 transient."
)]
pub struct RunArgs {
    /// Only submit this stage (tracking and discovery still run).
    #[arg(long)]
    stage: Option<String>,
    /// Print every script and sbatch command that would run; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Keep ticking (every slurm.poll_interval_seconds) until no job is live.
    #[arg(long)]
    sync: bool,
    /// Cancel the live runs of stages that are disabled (`enabled: false` or no
    /// section); without it each tick only warns about them.
    #[arg(long)]
    cancel_disabled: bool,
    /// With --dry-run: have Slurm check every script (`sbatch --test-only`; nothing is
    /// queued). A script Slurm refuses makes the dry run exit 1.
    #[arg(long, requires = "dry_run")]
    test_only: bool,
    /// With --dry-run: write every script into DIR, with a submit.sh that submits them
    /// in order with their dependencies (by hand, outside neuroflow's records).
    #[arg(long, value_name = "DIR", requires = "dry_run")]
    write_scripts: Option<std::path::PathBuf>,
    /// When another tick holds the lock, wait up to this many seconds for it instead
    /// of stopping at once (either way that is exit 0: overlapping cron calls are normal).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    wait: u64,
    /// Output: a table for people, or json for scripts.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub async fn run(explicit: Option<&Path>, cmd: Command) -> Result<u8> {
    let a = match cmd {
        Command::Run(a) => a,
        Command::List(a) => return list(explicit, a),
        Command::Status(a) => return status(explicit, a),
    };
    let (loaded, mut store) = common::open_for_jobs(explicit)?;
    let cfg = &loaded.config;
    if let Some(s) = &a.stage {
        super::common::check_stage(s)?;
    }
    let _lock = match lock_within(cfg, &mut store, Duration::from_secs(a.wait))? {
        Attempt::Taken(l) => l,
        Attempt::Busy(who) => {
            // An overlapping cron call: not a fault, nothing to do.
            tracing::info!(holder = %who, "another tick is running; this one stops (exit 0)");
            return Ok(0);
        }
    };
    let opts = TickOptions {
        filter: Filter { stage: a.stage.clone(), ..Default::default() },
        dry_run: a.dry_run,
        no_discover: false,
        cancel_disabled: a.cancel_disabled,
        test_only: a.test_only,
    };
    let slurm = slurm(cfg);
    let mut worst = 0;
    loop {
        let report = tick(cfg, &mut store, &slurm, &opts).await?;
        if let (Some(dir), Some(sub)) = (&a.write_scripts, &report.submit) {
            let path = crate::workflow::submit::scripts_out::write(dir, &sub.previews)?;
            tracing::info!(scripts = sub.previews.len(), submit = %path.display(), "dry-run scripts written");
        }
        print_tick(&report, a.format);
        worst = crate::error::combine(worst, report.exit);
        let stopped = crate::workflow::stop::requested().is_some();
        if !a.sync || a.dry_run || report.transient || stopped || store.live_runs()?.is_empty() {
            return Ok(if a.sync { worst } else { report.exit });
        }
        // Polite polling: never sooner than five times what the last query took (a
        // busy controller gets room), cut short by SIGINT/SIGTERM.
        let until = std::time::Instant::now() + poll_wait(cfg.slurm.poll_interval_seconds, slurm.last_query());
        while std::time::Instant::now() < until && crate::workflow::stop::requested().is_none() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// How long `--sync` waits between ticks: max(poll interval, 5 × the last query).
fn poll_wait(interval_seconds: u64, last_query: Duration) -> Duration {
    Duration::from_secs(interval_seconds).max(last_query * 5)
}

#[cfg(test)]
#[test]
fn polling_backs_off_from_a_slow_controller() {
    assert_eq!(poll_wait(30, Duration::from_millis(200)), Duration::from_secs(30));
    assert_eq!(poll_wait(1, Duration::from_secs(3)), Duration::from_secs(15));
}

/// `neuroflow sync`: only tracking.
pub async fn sync_only(explicit: Option<&Path>, format: Format) -> Result<u8> {
    let (loaded, mut store): (_, Store) = common::open(explicit)?;
    let _lock = lock(&loaded.config, &mut store)?;
    let report = sync(&loaded.config, &mut store, &slurm(&loaded.config)).await?;
    for line in report.needs_human.iter().chain(&report.stuck) {
        tracing::error!("{line}");
    }
    match format {
        Format::Json => output::json(&report),
        Format::Table => println!(
            "{} live runs: {} started, {} completed, {} failed, {} cancelled ({} downstream), {} lost; {} Slurm calls",
            report.live_before,
            report.started,
            report.completed,
            report.failed,
            report.cancelled,
            report.cancelled_downstream,
            report.lost,
            report.slurm_calls
        ),
    }
    let person = !report.needs_human.is_empty() || !report.stuck.is_empty();
    Ok(if person { crate::error::ExitClass::NeedsHuman as u8 } else { 0 })
}
