//! `neuroflow runs show`: prints one run as views::runs::detail made it.

use super::output::{self, Format};
use crate::db::Run;
use crate::workflow::views::runs::RunDetail;

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
