//! `neuroflow runs show`: one run as an admin needs it — its job, resources asked
//! for and used, the stored sacct row, dependencies, provenance, every attempt of
//! its unit, the audit trail and, on failure, the end of its stderr.

use super::output::{self, Format};
use crate::db::{AuditEntry, Provenance, Run, Store};
use crate::domain::RunStatus;
use crate::error::Result;
use crate::workflow::provenance;
use serde::Serialize;
use std::collections::HashMap;

/// Lines of stderr shown for a failed run.
const STDERR_TAIL: usize = 20;

#[derive(Debug, Serialize)]
pub struct RunDetail {
    pub run: Run,
    pub participant: String,
    pub session: Option<String>,
    pub covered_sessions: Vec<String>,
    pub used: Usage,
    pub provenance: Option<Provenance>,
    /// `key=value` lines the job printed (tool version, resolved command).
    pub tool: HashMap<String, String>,
    /// The runs it was made from (its `afterok` dependencies among them).
    pub upstream: Vec<Brief>,
    /// Every run of the same stage and unit, oldest first.
    pub attempts: Vec<Brief>,
    pub audit: Vec<AuditEntry>,
    /// The end of stderr, for runs that did not complete.
    pub stderr_tail: Vec<String>,
}

/// What the job used against what it asked for (None until sacct has it).
#[derive(Debug, Serialize)]
pub struct Usage {
    pub max_rss_fraction_of_request: Option<f64>,
    pub elapsed_fraction_of_limit: Option<f64>,
    /// TotalCPU / (cpus × elapsed).
    pub cpu_efficiency: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct Brief {
    pub id: i64,
    pub stage: String,
    pub attempt: i32,
    pub status: RunStatus,
    pub cause: Option<String>,
    pub job_id: Option<i64>,
    pub superseded: bool,
    pub message: String,
}

fn brief(r: &Run) -> Brief {
    Brief {
        id: r.id,
        stage: r.stage.clone(),
        attempt: r.attempt,
        status: r.status,
        cause: r.failure_cause.map(|c| c.to_string()),
        job_id: r.slurm_job_id,
        superseded: r.superseded,
        message: r.message.clone(),
    }
}

fn usage(r: &Run) -> Usage {
    let ratio = |a: Option<f64>, b: f64| a.filter(|_| b > 0.0).map(|a| a / b);
    let elapsed = r.elapsed_seconds.map(|e| e as f64);
    Usage {
        max_rss_fraction_of_request: ratio(r.max_rss_kb.map(|k| k as f64 / 1024.0), r.req_mem_mb as f64),
        elapsed_fraction_of_limit: ratio(elapsed, r.req_time_minutes as f64 * 60.0),
        cpu_efficiency: ratio(r.total_cpu_seconds.map(|c| c as f64), r.req_cpus.max(1) as f64 * elapsed.unwrap_or(0.0)),
    }
}

/// The last `n` lines of a log, read from its end (a log can be gigabytes).
fn tail(path: &str, n: usize) -> Vec<String> {
    let text = crate::workflow::triage::tail(path, 64 << 10);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].iter().map(|l| l.to_string()).collect()
}

fn head(path: &str, bytes: usize) -> String {
    use std::io::Read;
    let mut buf = vec![];
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(bytes as u64).read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

pub fn detail(store: &mut Store, r: Run, labels: &super::runs::Labels) -> Result<RunDetail> {
    let label = |id: &i64| labels.1.get(id).cloned();
    let attempts = store.run_history(&r.stage, r.subject_id, r.session_id)?.iter().map(brief).collect();
    let upstream = store.runs_by_ids(&r.upstream_ids())?.iter().map(brief).collect();
    let stderr_tail = match r.status {
        RunStatus::Failed | RunStatus::Lost | RunStatus::Cancelled => tail(&r.stderr_path, STDERR_TAIL),
        _ => vec![],
    };
    Ok(RunDetail {
        participant: labels.0.get(&r.subject_id).cloned().unwrap_or_default(),
        session: r.session_id.as_ref().and_then(label),
        covered_sessions: r.covered_sessions().iter().filter_map(label).collect(),
        used: usage(&r),
        provenance: store.provenance_of(r.id)?,
        tool: provenance::from_stdout(&head(&r.stdout_path, 64 * 1024)).into_iter().collect(),
        upstream,
        attempts,
        audit: store.audit_trail("run", r.id)?,
        stderr_tail,
        run: r,
    })
}

fn pct(f: Option<f64>) -> String {
    f.map_or("-".into(), |f| format!("{:.0}%", f * 100.0))
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or("-".into(), |v| v.to_string())
}

pub fn print(d: &RunDetail, format: Format) {
    if format == Format::Json {
        output::json(d);
        return;
    }
    let r = &d.run;
    let unit = match &d.session {
        Some(s) => format!("sub-{} ses-{s}", d.participant),
        None => format!("sub-{} (sessions {})", d.participant, d.covered_sessions.join(" ")),
    };
    let cause = r.failure_cause.map_or(String::new(), |c| format!(" ({c})"));
    println!("run {}: {} {unit}, attempt {}, {}{cause}", r.id, r.stage, r.attempt, r.status);
    if !r.message.is_empty() {
        println!("  message:  {}", r.message);
    }
    let array = match (r.slurm_array_job_id, r.slurm_array_task_id) {
        (Some(a), Some(t)) => format!(" (array {a}_{t})"),
        _ => String::new(),
    };
    println!("  job:      {}{array} {} on {}", opt(&r.slurm_job_id), r.job_name, opt(&r.slurm_cluster));
    println!("  slurm:    {} exit {} nodes {}", opt(&r.slurm_state), exit(r), opt(&r.node_list));
    println!(
        "  asked:    cpus {} mem {} MB gpus {} time {} min partition {} account {} qos {}",
        r.req_cpus,
        r.req_mem_mb,
        r.req_gpus,
        r.req_time_minutes,
        opt(&r.req_partition),
        opt(&r.req_account),
        opt(&r.req_qos)
    );
    println!(
        "  used:     MaxRSS {} ({} of asked), elapsed {} ({} of limit), CPU time {} ({} of cpus x elapsed)",
        r.max_rss_kb.map_or("-".into(), |k| format!("{} MB", k / 1024)),
        pct(d.used.max_rss_fraction_of_request),
        r.elapsed_seconds.map_or("-".into(), |e| format!("{e} s")),
        pct(d.used.elapsed_fraction_of_limit),
        r.total_cpu_seconds.map_or("-".into(), |c| format!("{c} s")),
        pct(d.used.cpu_efficiency)
    );
    println!("  alloc:    {}", opt(&r.alloc_tres));
    println!("  sacct:    {}", opt(&r.sacct_row));
    println!("  depends:  afterok {}", if r.dependency_job_ids.is_empty() { "-" } else { &r.dependency_job_ids });
    for u in &d.upstream {
        println!("    from run {} {} attempt {} {} (job {})", u.id, u.stage, u.attempt, u.status, opt(&u.job_id));
    }
    let script_hash = d.provenance.as_ref().map_or("-".into(), |p| p.script_sha256.clone());
    println!("  script:   {} (sha256 {script_hash})", r.script_path);
    println!("  stdout:   {}\n  stderr:   {}", r.stdout_path, r.stderr_path);
    print_provenance(d);
    println!("  attempts:");
    for a in &d.attempts {
        let sup = if a.superseded { " superseded" } else { "" };
        let cause = a.cause.as_ref().map_or(String::new(), |c| format!(" ({c})"));
        println!("    #{} run {} {}{cause}{sup} job {} {}", a.attempt, a.id, a.status, opt(&a.job_id), a.message);
    }
    println!("  audit:");
    for a in &d.audit {
        let (old, new) = (a.old_value.clone().unwrap_or_default(), a.new_value.clone().unwrap_or_default());
        println!("    {}  {} {old} -> {new}  {}", a.at, a.action, a.message);
    }
    if !d.stderr_tail.is_empty() {
        println!("  stderr (last {} lines):", d.stderr_tail.len());
        d.stderr_tail.iter().for_each(|l| println!("    {l}"));
    }
}

fn exit(r: &Run) -> String {
    r.exit_code.map_or("-".into(), |c| format!("{c}:{}", r.exit_signal.unwrap_or(0)))
}

fn print_provenance(d: &RunDetail) {
    match &d.provenance {
        Some(p) => {
            println!("  made by:  neuroflow {}, config sha256 {}", p.neuroflow_version, p.config_sha256);
            match (&p.image_path, &p.image_sha256, &p.command_path) {
                (Some(i), Some(h), _) => println!("  image:    {i} (sha256 {h})"),
                (_, _, Some(c)) => println!("  command:  {c} (resolved on the submitting host)"),
                _ => {}
            }
            if let Some(r) = &p.tool_release {
                println!("  release:  {r} ({})", p.tool_release_found_by.as_deref().unwrap_or("-"));
            }
        }
        None => {
            println!("  made by:  (no provenance recorded: run made before neuroflow recorded it, or never submitted)")
        }
    }
    let mut tool: Vec<_> = d.tool.iter().collect();
    tool.sort();
    for (k, v) in tool {
        println!("  {k}: {v}");
    }
}
