//! The shapes people and scripts read: `workflow status`, `workflow list`, `runs list`
//! and `runs efficiency` as tables and JSON, pinned by snapshots (a changed shape is
//! a reviewed change; the JSON shapes are documented in docs/operations.md).

use super::output::listing_text;
use super::workflow_cmd::{TickRow, status_text};
use crate::domain::{FailureCause, RunStatus};
use crate::workflow::counts::TickCounts;
use crate::workflow::views::efficiency::StageEfficiency;
use crate::workflow::views::runs::RunRow;
use crate::workflow::views::status::{Cell, LastTick, Row, Status};
use std::collections::BTreeMap;

fn at(text: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
}

fn cell(state: &str, detail: &str, run: Option<i64>, job: Option<i64>) -> Cell {
    Cell { state: state.into(), detail: detail.into(), run_id: run, job_id: job }
}

fn counts() -> TickCounts {
    TickCounts {
        registered: 1,
        submitted: 4,
        completed: 3,
        failed: 1,
        cancelled: 0,
        slurm_calls: 6,
        exit: 1,
        transient: true,
        plan: BTreeMap::new(),
        slurm_release: Some("24.11.5".into()),
    }
}

fn status() -> Status {
    let stages = vec!["bids_conversion", "qsiprep"];
    let row = |p: &str, s: &str, a: Cell, b: Cell| Row {
        participant: p.into(),
        session: s.into(),
        cells: [("bids_conversion".to_string(), a), ("qsiprep".to_string(), b)].into_iter().collect(),
    };
    let rows = vec![
        row(
            "0001",
            "202401151430",
            cell("completed", "", Some(1), Some(4817213)),
            cell("running", "", Some(3), Some(4817215)),
        ),
        row(
            "0002",
            "202402011000",
            cell("completed", "", Some(2), Some(4817214)),
            cell("queued", "QOSMaxJobsPerUserLimit", Some(4), Some(4817216)),
        ),
        row(
            "0003",
            "202403011400",
            cell("invalid", "Missing required scans: DWI", None, None),
            cell("invalid", "Missing required scans: DWI", None, None),
        ),
    ];
    let mut totals: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    totals
        .entry("bids_conversion".into())
        .or_default()
        .extend([("completed".to_string(), 2), ("invalid".to_string(), 1)]);
    totals.entry("qsiprep".into()).or_default().extend([
        ("running".to_string(), 1),
        ("queued".to_string(), 1),
        ("invalid".to_string(), 1),
    ]);
    Status {
        stages,
        rows,
        totals,
        last_tick: Some(LastTick {
            id: 12,
            started_at: at("2026-12-02 08:00:00"),
            seconds: Some(0.42),
            status: "failed".into(),
            counts: counts(),
        }),
        needs_person: vec![
            "bids_conversion sub-0003 ses-202403011400: the session is invalid (Missing required scans: DWI)".into(),
            "folder 20240315_0900 held (unmapped): ScanID \"20240315_0900\" is not in the mapping table".into(),
        ],
        releases: vec![crate::workflow::views::status::StageReleases {
            stage: "bids_conversion",
            releases: [("1.5.1".to_string(), 2)].into(),
        }],
        remaining: vec![crate::workflow::views::figures::Remaining {
            stage: "qsiprep",
            units_left: 3,
            cpu_hours: 48.0,
            gpu_hours: 0.0,
            basis: "measured over 12 runs".into(),
            per_week: 2.5,
            done_by: chrono::NaiveDate::from_ymd_opt(2026, 12, 10),
        }],
        rows_hidden: 0,
        recent: vec![],
    }
}

#[test]
fn workflow_status_table_and_json() {
    let view = status();
    let text = status_text(&view);
    // Colour for a terminal only: the same text without its codes.
    assert!(text.contains("\u{1b}[32mcompleted\u{1b}[0m"), "{text:?}");
    insta::assert_snapshot!("workflow_status_table", anstream::adapter::strip_str(&text).to_string());
    insta::assert_snapshot!("workflow_status_json", serde_json::to_string_pretty(&view).unwrap());
}

#[test]
fn workflow_list_table_and_json() {
    let rows = vec![TickRow {
        id: 12,
        started_at: at("2026-12-02 08:00:00"),
        seconds: Some(0.42),
        status: "failed".into(),
        host: "login1".into(),
        dry_run: false,
        counts: counts(),
        error: Some("qsiprep sub-0002: sbatch: error: invalid partition specified: gpu2".into()),
    }];
    insta::assert_snapshot!("workflow_list_table", listing_text(&rows));
    insta::assert_snapshot!("workflow_list_json", serde_json::to_string_pretty(&rows).unwrap());
}

#[test]
fn runs_list_and_efficiency_tables_and_json() {
    let run = RunRow {
        id: 4,
        stage: "qsiprep".into(),
        participant: "0002".into(),
        session: None,
        attempt: 2,
        status: RunStatus::Failed,
        cause: Some(FailureCause::OutOfMemory),
        superseded: false,
        job_id: Some(4817216),
        job: Some("4817216".into()),
        slurm_state: Some("OUT_OF_MEMORY".into()),
        exit_code: Some(0),
        exit_signal: Some(9),
        elapsed_seconds: Some(3600),
        max_rss_kb: Some(33554432),
        req_mem_mb: 32768,
        req_time_minutes: 720,
        dependency: "4817214".into(),
        trigger: "retry after out_of_memory".into(),
        message: "job ran out of memory".into(),
        stdout: "/logs/qsiprep/nf-qsiprep-sub-0002-4817216.out".into(),
    };
    insta::assert_snapshot!("runs_list_table", listing_text(std::slice::from_ref(&run)));
    insta::assert_snapshot!("runs_list_json", serde_json::to_string_pretty(&[run]).unwrap());
    let eff = StageEfficiency {
        stage: "qsiprep".into(),
        runs: 40,
        requested_mem_mb: 32768,
        max_rss_mb_p50: 14000,
        max_rss_mb_p95: 21000,
        max_rss_mb_max: 23000,
        mem_used_fraction_p95: 0.64,
        time_limit_minutes: 720,
        elapsed_minutes_p95: 300,
        elapsed_minutes_max: 340,
        cpus: 8,
        cpu_efficiency_p50: Some(0.55),
        cpu_efficiency_p95: Some(0.7),
        suggested_mem_gb: 25.0,
        suggested_time_minutes: 450,
        suggested_cpus: 6,
    };
    insta::assert_snapshot!("runs_efficiency_table", listing_text(std::slice::from_ref(&eff)));
    insta::assert_snapshot!("runs_efficiency_json", serde_json::to_string_pretty(&[eff]).unwrap());
}
