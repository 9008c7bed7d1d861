//! Pure parsers for the machine formats neuroflow asks Slurm for. Tested on
//! output recorded from the real local cluster (slurm/recorded/).

use super::state::JobState;
use crate::domain::JobId;
use chrono::NaiveDateTime;
use serde::Serialize;
use std::collections::BTreeMap;

/// squeue `--format` used by the adapter; the parser expects exactly these fields.
pub const SQUEUE_FORMAT: &str = "%A|%i|%T|%r|%j|%k";
/// sacct `--format` used by the adapter (Comment last: it may hold `|`).
pub const SACCT_FORMAT: &str =
    "JobID,JobIDRaw,JobName,State,ExitCode,Elapsed,Submit,Start,End,NodeList,MaxRSS,ReqMem,AllocTRES,TotalCPU,Comment";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("cannot parse {what} output line {line:?}: {message}")]
pub struct ParseError {
    pub what: &'static str,
    pub line: String,
    pub message: String,
}

fn perr(what: &'static str, line: &str, message: impl Into<String>) -> ParseError {
    ParseError { what, line: line.to_string(), message: message.into() }
}

/// What `sbatch --parsable` printed: `jobid` or `jobid;cluster`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Submitted {
    pub job_id: JobId,
    pub cluster: Option<String>,
}

/// Parses sbatch `--parsable` stdout. Warnings may come first; the id is the last line.
pub fn sbatch(stdout: &str) -> Result<Submitted, ParseError> {
    let line = stdout.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or("");
    let (id, cluster) = match line.split_once(';') {
        Some((id, c)) => (id, Some(c.trim().to_string()).filter(|c| !c.is_empty())),
        None => (line, None),
    };
    let job_id = id.trim().parse::<u64>().map_err(|_| perr("sbatch", line, "expected a job id"))?;
    Ok(Submitted { job_id: JobId(job_id), cluster })
}

/// `MaxArraySize` from `scontrol show config` (`MaxArraySize            = 1001`).
pub fn max_array_size(stdout: &str) -> Result<u32, ParseError> {
    let line = stdout.lines().find(|l| l.trim_start().starts_with("MaxArraySize")).unwrap_or("");
    let value = line.split_once('=').map(|(_, v)| v.trim()).unwrap_or("");
    value.parse::<u32>().map_err(|_| perr("scontrol show config", line, "expected MaxArraySize = <number>"))
}

/// One squeue line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueRow {
    /// The raw job id (`%A`): for an array task, its own id once it has one.
    pub job_id: JobId,
    /// The id as shown (`%i`): `123`, `46_0`, `46_[2-3%2]`.
    pub display_id: String,
    pub state: JobState,
    /// Why it is pending (`Dependency`, `Resources`, …); `None` when Slurm says None.
    pub reason: Option<String>,
    pub name: String,
    pub comment: Option<String>,
}

fn none_if(text: &str, empties: &[&str]) -> Option<String> {
    let t = text.trim();
    (!t.is_empty() && !empties.contains(&t)).then(|| t.to_string())
}

/// Parses `squeue --noheader --format=%A|%i|%T|%r|%j|%k` output.
pub fn squeue(stdout: &str) -> Result<Vec<QueueRow>, ParseError> {
    stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.splitn(6, '|').collect();
            if f.len() != 6 {
                return Err(perr("squeue", line, "expected 6 |-separated fields"));
            }
            let job_id = f[0].trim().parse::<u64>().map_err(|_| perr("squeue", line, "bad job id"))?;
            Ok(QueueRow {
                job_id: JobId(job_id),
                display_id: f[1].trim().to_string(),
                state: JobState::parse(f[2]),
                reason: none_if(f[3], &["None", "(null)"]),
                name: f[4].to_string(),
                comment: none_if(f[5], &["(null)"]),
            })
        })
        .collect()
}

/// A job's accounting record (the job row merged with its `.batch` step).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AcctRecord {
    pub job_id: JobId,
    /// As sacct shows it: `123` or `46_0` for an array task.
    pub display_id: String,
    pub array_job_id: Option<JobId>,
    pub array_task_id: Option<u32>,
    pub name: String,
    pub state: JobState,
    /// The state text as sacct printed it (`CANCELLED by 0`).
    pub state_text: String,
    pub exit_code: i32,
    pub exit_signal: i32,
    pub elapsed_seconds: i64,
    pub submit: Option<NaiveDateTime>,
    pub start: Option<NaiveDateTime>,
    pub end: Option<NaiveDateTime>,
    pub node_list: Option<String>,
    /// Peak resident memory of the batch step (only step rows carry it).
    pub max_rss_kb: Option<i64>,
    pub req_mem: Option<String>,
    pub alloc_tres: Option<String>,
    /// User + system CPU time of all the job's steps (None when not asked for).
    pub total_cpu_seconds: Option<i64>,
    pub comment: Option<String>,
    /// The job row as sacct printed it.
    pub raw: String,
}

/// Parses `sacct --noheader --parsable2 --format=<SACCT_FORMAT>` output, job rows
/// and step rows, into one record per job (keyed by raw id).
pub fn sacct(stdout: &str) -> Result<Vec<AcctRecord>, ParseError> {
    sacct_in(stdout, SACCT_FORMAT)
}

/// Where each field is in a `--format` list (Comment must be last: it may hold `|`).
struct Columns {
    names: Vec<String>,
}

impl Columns {
    fn get<'a>(&self, f: &[&'a str], name: &str) -> &'a str {
        self.names.iter().position(|n| n.eq_ignore_ascii_case(name)).and_then(|i| f.get(i).copied()).unwrap_or("")
    }
}

/// [`sacct`] for output printed with another `--format` list (recorded output of
/// an older field list, say); the fields are found by name.
pub fn sacct_in(stdout: &str, format: &str) -> Result<Vec<AcctRecord>, ParseError> {
    let cols = Columns { names: format.split(',').map(|n| n.trim().to_string()).collect() };
    let n = cols.names.len();
    let mut jobs: BTreeMap<u64, AcctRecord> = BTreeMap::new();
    let mut rss: BTreeMap<u64, i64> = BTreeMap::new();
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.splitn(n, '|').collect();
        if f.len() != n {
            return Err(perr("sacct", line, format!("expected {n} |-separated fields")));
        }
        let id = cols.get(&f, "JobIDRaw");
        let (raw, step) = match id.split_once('.') {
            Some((r, s)) => (r, Some(s)),
            None => (id, None),
        };
        let raw: u64 = raw.parse().map_err(|_| perr("sacct", line, "bad JobIDRaw"))?;
        if step.is_some() {
            if let Some(kb) = memory_kb(cols.get(&f, "MaxRSS")) {
                let e = rss.entry(raw).or_insert(0);
                *e = (*e).max(kb);
            }
            continue;
        }
        jobs.insert(raw, job_row(raw, &cols, &f, line)?);
    }
    Ok(jobs
        .into_values()
        .map(|mut r| {
            r.max_rss_kb = rss.get(&r.job_id.0).copied().or(r.max_rss_kb);
            r
        })
        .collect())
}

fn job_row(raw: u64, cols: &Columns, f: &[&str], line: &str) -> Result<AcctRecord, ParseError> {
    let get = |name: &str| cols.get(f, name);
    let (array_job_id, array_task_id) = match get("JobID").split_once('_') {
        Some((a, t)) => (a.parse().ok().map(JobId), t.parse().ok()),
        None => (None, None),
    };
    let (exit_code, exit_signal) = exit_code(get("ExitCode")).ok_or_else(|| perr("sacct", line, "bad ExitCode"))?;
    Ok(AcctRecord {
        job_id: JobId(raw),
        display_id: get("JobID").to_string(),
        array_job_id,
        array_task_id,
        name: get("JobName").to_string(),
        state: JobState::parse(get("State")),
        state_text: get("State").to_string(),
        exit_code,
        exit_signal,
        elapsed_seconds: duration_seconds(get("Elapsed")).ok_or_else(|| perr("sacct", line, "bad Elapsed"))?,
        submit: timestamp(get("Submit")),
        start: timestamp(get("Start")),
        end: timestamp(get("End")),
        node_list: none_if(get("NodeList"), &["None assigned", "(null)"]),
        max_rss_kb: memory_kb(get("MaxRSS")),
        req_mem: none_if(get("ReqMem"), &[]),
        alloc_tres: none_if(get("AllocTRES"), &[]),
        total_cpu_seconds: duration_seconds(get("TotalCPU")),
        comment: none_if(get("Comment"), &["(null)"]),
        raw: line.to_string(),
    })
}

/// `code:signal` → (code, signal).
pub fn exit_code(text: &str) -> Option<(i32, i32)> {
    let (c, s) = text.trim().split_once(':')?;
    Some((c.parse().ok()?, s.parse().ok()?))
}

/// Slurm durations: `[D-]HH:MM:SS`, `MM:SS`, with optional `.fraction`.
pub fn duration_seconds(text: &str) -> Option<i64> {
    let t = text.trim();
    let t = t.split('.').next()?;
    let (days, rest) = match t.split_once('-') {
        Some((d, r)) => (d.parse::<i64>().ok()?, r),
        None => (0, t),
    };
    let parts: Vec<i64> = rest.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let secs = match parts.as_slice() {
        [s] => *s,
        [m, s] => m * 60 + s,
        [h, m, s] => h * 3600 + m * 60 + s,
        _ => return None,
    };
    Some(days * 86400 + secs)
}

/// sacct times: `2026-11-26T08:57:15`; `Unknown`/`None` → None.
pub fn timestamp(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S").ok()
}

/// Memory like `316904K`, `1.5M`, `2G`, `1024` (bytes? no: sacct prints K by default) → KiB.
pub fn memory_kb(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let (num, mult) = match t.chars().last()? {
        'K' => (&t[..t.len() - 1], 1.0),
        'M' => (&t[..t.len() - 1], 1024.0),
        'G' => (&t[..t.len() - 1], 1024.0 * 1024.0),
        'T' => (&t[..t.len() - 1], 1024.0 * 1024.0 * 1024.0),
        _ => (t, 1.0 / 1024.0),
    };
    let v: f64 = num.parse().ok()?;
    Some((v * mult).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sbatch_forms() {
        assert_eq!(sbatch("123\n").unwrap(), Submitted { job_id: JobId(123), cluster: None });
        assert_eq!(sbatch("123;localcluster\n").unwrap().cluster.as_deref(), Some("localcluster"));
        assert_eq!(sbatch("sbatch: warning: x\n77\n").unwrap().job_id, JobId(77));
        assert!(sbatch("").is_err());
        assert!(sbatch("Submitted batch job 5").is_err());
    }

    #[test]
    fn small_values() {
        assert_eq!(exit_code("3:0"), Some((3, 0)));
        assert_eq!(exit_code("0:125"), Some((0, 125)));
        assert_eq!(duration_seconds("1-02:03:04"), Some(93784));
        assert_eq!(duration_seconds("00:01:17"), Some(77));
        assert_eq!(duration_seconds("05:01.123"), Some(301));
        assert_eq!(memory_kb("316904K"), Some(316904));
        assert_eq!(memory_kb("1.5M"), Some(1536));
        assert_eq!(memory_kb(""), None);
        assert_eq!(timestamp("Unknown"), None);
        assert!(timestamp("2026-11-26T08:57:15").is_some());
    }
}

#[cfg(test)]
mod max_array_size_tests {
    #[test]
    fn reads_the_line_scontrol_prints() {
        let out = "Configuration data as of 2026-12-02T07:00:00\nMaxArraySize            = 1001\nMaxJobCount             = 10000\n";
        assert_eq!(super::max_array_size(out).unwrap(), 1001);
        assert!(super::max_array_size("MaxJobCount = 3\n").is_err());
    }
}
