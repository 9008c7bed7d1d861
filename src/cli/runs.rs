//! `neuroflow runs list | show | retry | cancel`

use super::common;
use super::common::{print_tick, slurm};
use super::output::{self, Format};
use crate::db::RunsFilter;
use crate::domain::RunStatus;
use crate::error::Result;
use crate::pipeline::plan::Filter;
use crate::workflow::lock::lock;
use crate::workflow::tick::{TickOptions, tick};
use crate::workflow::track::cancel::{CancelOutcome, cancel_run};
use crate::workflow::views::runs::{RunRow, labels, row};
use std::path::Path;

fn known_stage(name: &str) -> std::result::Result<String, String> {
    common::check_stage(name).map(|d| d.name.to_string()).map_err(|e| e.to_string())
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List runs (current ones; --all adds superseded history).
    List {
        /// Only this stage (bids_conversion, qsiprep, qsirecon, qsiparc).
        #[arg(long, value_parser = known_stage)]
        stage: Option<String>,
        /// Only this status (planned, queued, running, completed, failed, cancelled, lost).
        #[arg(long, value_parser = clap::value_parser!(RunStatus))]
        status: Option<RunStatus>,
        /// Only this participant (with or without `sub-`).
        #[arg(long)]
        subject: Option<String>,
        /// The run of this Slurm job id (history included).
        #[arg(long)]
        job_id: Option<i64>,
        /// Superseded runs too (the whole history).
        #[arg(long)]
        all: bool,
        /// At most this many runs, the newest (0: every one).
        #[arg(long, default_value_t = 200)]
        limit: i64,
        /// Output: a table for people, or json for scripts.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// One run with its Slurm record and audit trail (by run id, or --job-id).
    #[command(
        after_help = "EXAMPLES:\n  neuroflow runs show 17\n  neuroflow runs show --job-id 4817213   # the job id squeue/sacct show\n  neuroflow runs show 17 --format json"
    )]
    Show {
        /// The run id (RUN in `runs list`).
        #[arg(required_unless_present = "job_id")]
        id: Option<i64>,
        /// The run of this Slurm job id (what an admin sees in squeue/sacct).
        #[arg(long, conflicts_with = "id")]
        job_id: Option<i64>,
        /// Output: a table for people, or json for scripts.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Current failed runs grouped by stage, cause and a signature read from their
    /// stderr (out of memory, time limit, licence, disk quota, ...), with the fix and
    /// the command that retries each group.
    Failures {
        /// Output: a table for people, or json for scripts.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Requested vs used memory and time of completed runs per stage, with a suggested
    /// `resources` block (p95 MaxRSS + 20 %, p95 elapsed x 1.5).
    Efficiency {
        /// Only this stage.
        #[arg(long, value_parser = known_stage)]
        stage: Option<String>,
        /// Output: a table for people, or json for scripts.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Submit a new attempt for this run's stage and unit (after it needed a person).
    Retry {
        /// The run id (RUN in `runs list`).
        id: i64,
        /// Output: a table for people, or json for scripts.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Cancel a live run's job and its live downstream. Slurm is asked first: a job
    /// that already ended is recorded as it ended (exit 1, nothing cancelled).
    Cancel {
        /// The run id (RUN in `runs list`).
        id: i64,
        /// Output: a table for people, or json for scripts.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

pub async fn run(explicit: Option<&Path>, cmd: Command) -> Result<u8> {
    let (loaded, mut store) = common::open(explicit)?;
    match cmd {
        Command::List { stage, status, subject, job_id, all, limit, format } => {
            let subject = subject.map(|s| common::participant(&loaded.config, &s));
            let subject_id = match &subject {
                Some(label) => match store.subject_by_label(label)? {
                    Some(s) => Some(s.id),
                    None => {
                        output::rows::<RunRow>(&[], format);
                        return Ok(0);
                    }
                },
                None => None,
            };
            let filter = RunsFilter {
                stage: stage.clone(),
                status,
                subject_id,
                history: all,
                limit: (limit > 0).then_some(limit),
            };
            let mut runs = match job_id {
                Some(j) => store.run_by_job_id(j)?.into_iter().filter(|r| filter_keeps(&filter, r)).collect(),
                None => store.runs_matching(&filter)?,
            };
            runs.reverse();
            let (subjects, sessions) = store.labels_of_runs(&runs)?;
            let rows: Vec<RunRow> = runs.iter().map(|r| row(r, &subjects, &sessions)).collect();
            output::rows(&rows, format);
        }
        Command::Efficiency { stage, format } => {
            let rows = crate::workflow::views::efficiency::efficiency(&store.current_runs()?, stage.as_deref());
            output::rows(&rows, format);
        }
        Command::Failures { format } => {
            let cfg = &loaded.config;
            let groups = crate::workflow::views::triage::failures(&store.current_runs()?, |s| {
                cfg.pipeline(s).map_or(1, |p| p.max_attempts)
            });
            if format == Format::Json {
                output::json(&groups);
                return Ok(0);
            }
            for g in &groups {
                let sig = g.signature.map_or(String::new(), |s| format!(" [{s}]"));
                println!("{} × {} {} ({}){sig}", g.runs.len(), g.stage, g.cause, g.attempts);
                if !g.example.is_empty() {
                    println!("    e.g. {}", g.example);
                }
                if let Some(fix) = g.fix {
                    println!("    fix: {fix}");
                }
                let ids: Vec<String> = g.runs.iter().map(|i| i.to_string()).collect();
                println!("    runs: {}\n    then: {}", ids.join(", "), g.retry);
            }
        }
        Command::Show { id, job_id, format } => {
            let r = match (id, job_id) {
                (Some(id), _) => store.run(id)?,
                (None, Some(j)) => store
                    .run_by_job_id(j)?
                    .ok_or_else(|| crate::error::Error::Usage(format!("no run has Slurm job {j}")))?,
                (None, None) => return Err(crate::error::Error::Usage("give a run id or --job-id".into())),
            };
            let mut reader = store.reader();
            let labels = labels(&mut reader)?;
            let detail = crate::workflow::views::runs::detail(&mut reader, r, &labels)?;
            super::runs_show::print(&detail, format);
        }
        Command::Retry { id, format } => {
            let r = store.run(id)?;
            let _lock = lock(&loaded.config, &mut store)?;
            // The run's own unit, by id (labels are for people).
            let filter = Filter {
                stage: Some(r.stage.clone()),
                subject: Some(r.subject_id),
                session: r.session_id,
                force: true,
                units: None,
            };
            let report = tick(
                &loaded.config,
                &mut store,
                &slurm(&loaded.config),
                &TickOptions { filter, no_discover: true, ..Default::default() },
            )
            .await?;
            print_tick(&report, format);
            return Ok(report.exit);
        }
        Command::Cancel { id, format } => {
            // Not while a tick may be submitting this very run.
            let _lock = lock(&loaded.config, &mut store)?;
            let outcome = cancel_run(&loaded.config, &mut store, &slurm(&loaded.config), id).await?;
            match format {
                Format::Json => output::json(&outcome),
                Format::Table => match &outcome {
                    CancelOutcome::Cancelled { downstream, .. } => {
                        println!("cancelled run {id} and {downstream} live downstream run(s)")
                    }
                    CancelOutcome::AlreadyEnded { status, slurm_state, .. } => println!(
                        "run {id} had already ended ({status}, Slurm {}): nothing cancelled",
                        slurm_state.as_deref().unwrap_or("-")
                    ),
                },
            }
            if matches!(outcome, CancelOutcome::AlreadyEnded { .. }) {
                return Ok(1);
            }
        }
    }
    Ok(0)
}

impl output::Listing for crate::workflow::views::efficiency::StageEfficiency {
    const HEADERS: &'static [&'static str] = &[
        "STAGE",
        "RUNS",
        "MEM ASKED",
        "MAXRSS p50/p95/max",
        "USED p95",
        "TIME LIMIT",
        "ELAPSED p95/max",
        "CPU p50/p95",
        "SUGGEST",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.stage.clone(),
            self.runs.to_string(),
            format!("{} MB", self.requested_mem_mb),
            format!("{}/{}/{} MB", self.max_rss_mb_p50, self.max_rss_mb_p95, self.max_rss_mb_max),
            format!("{:.0}%", self.mem_used_fraction_p95 * 100.0),
            format!("{} min", self.time_limit_minutes),
            format!("{}/{} min", self.elapsed_minutes_p95, self.elapsed_minutes_max),
            match (self.cpu_efficiency_p50, self.cpu_efficiency_p95) {
                (Some(a), Some(b)) => format!("{:.0}%/{:.0}% of {}", a * 100.0, b * 100.0, self.cpus),
                _ => "-".into(),
            },
            format!(
                "cpus: {}, mem_gb: {}, time: {}",
                self.suggested_cpus, self.suggested_mem_gb, self.suggested_time_minutes
            ),
        ]
    }
}

impl output::Listing for RunRow {
    const HEADERS: &'static [&'static str] =
        &["RUN", "STAGE", "SUBJECT", "SESSION", "TRY", "STATUS", "JOB", "SLURM", "EXIT", "ELAPSED", "MESSAGE"];
    fn cells(&self) -> Vec<String> {
        let r = self;
        vec![
            r.id.to_string(),
            r.stage.clone(),
            r.participant.clone(),
            r.session.clone().unwrap_or_else(|| "-".into()),
            r.attempt.to_string(),
            if r.superseded { format!("{} (superseded)", r.status) } else { r.status.to_string() },
            r.job.clone().unwrap_or_else(|| "-".into()),
            r.slurm_state.clone().unwrap_or_default(),
            r.exit_code.map_or(String::new(), |c| format!("{c}:{}", r.exit_signal.unwrap_or(0))),
            r.elapsed_seconds.map_or(String::new(), |e| format!("{e}s")),
            r.message.clone(),
        ]
    }
}

/// A run found by job id, held to the list's other filters.
fn filter_keeps(f: &RunsFilter, r: &crate::db::Run) -> bool {
    f.stage.as_deref().is_none_or(|s| r.stage == s)
        && f.status.is_none_or(|s| r.status == s)
        && f.subject_id.is_none_or(|id| r.subject_id == id)
}
