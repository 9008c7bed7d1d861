//! Writes synthetic DICOM sessions (one folder per ScanID) and prints the ScanID → SubjectCode
//! mapping as CSV on stdout.
//!
//! ScanIDs are `YYYYMMDD_HHMM`: eight visits a day from 08:00, 75 minutes apart, from 2024-01-15.
//! Subjects get two sessions each where possible (session i belongs to subject i mod ⌈N/2⌉), so a
//! subject's second visit comes weeks after its first, as at a real centre.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use clap::{Parser, ValueEnum};
use neuroflow::synth::{Manufacturer, standard_session, write_session};
use rayon::prelude::*;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(name = "neuroflow-synth", about = "Write synthetic DICOM sessions for tests, benchmarks and demos")]
struct Args {
    /// Folder to write the session folders into (created if missing).
    dir: PathBuf,
    /// Number of sessions.
    #[arg(long)]
    sessions: usize,
    /// Files per session (at least 15).
    #[arg(long, default_value_t = 60)]
    files_per_session: usize,
    /// Scanner vendor; `mixed` cycles through all four.
    #[arg(long, value_enum, default_value_t = Vendor::Mixed)]
    manufacturer: Vendor,
    /// Prefix of the subject codes (`P` gives P0001, P0002, ...).
    #[arg(long, default_value = "P")]
    subject_prefix: String,
}

#[derive(Clone, Copy, ValueEnum)]
enum Vendor {
    Mixed,
    Siemens,
    Ge,
    Philips,
    Canon,
}

impl Vendor {
    fn for_session(self, i: usize) -> Manufacturer {
        match self {
            Vendor::Mixed => Manufacturer::ALL[i % Manufacturer::ALL.len()],
            Vendor::Siemens => Manufacturer::Siemens,
            Vendor::Ge => Manufacturer::Ge,
            Vendor::Philips => Manufacturer::Philips,
            Vendor::Canon => Manufacturer::Canon,
        }
    }
}

const VISITS_PER_DAY: usize = 8;

/// The i-th ScanID: `YYYYMMDD_HHMM`, unique for every i.
fn scan_id(i: usize) -> String {
    let first = NaiveDateTime::new(
        NaiveDate::from_ymd_opt(2024, 1, 15).unwrap_or_default(),
        NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
    );
    let day = TimeDelta::days((i / VISITS_PER_DAY) as i64);
    let slot = TimeDelta::minutes(75 * (i % VISITS_PER_DAY) as i64);
    (first + day + slot).format("%Y%m%d_%H%M").to_string()
}

fn subject_code(prefix: &str, i: usize, sessions: usize) -> String {
    let subjects = sessions.div_ceil(2).max(1);
    format!("{prefix}{:04}", i % subjects + 1)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let started = Instant::now();
    let jobs: Vec<(String, String, Manufacturer)> = (0..args.sessions)
        .map(|i| (scan_id(i), subject_code(&args.subject_prefix, i, args.sessions), args.manufacturer.for_session(i)))
        .collect();
    let written: Result<Vec<usize>, String> = jobs
        .par_iter()
        .map(|(scan, subject, vendor)| {
            let spec = standard_session(scan, subject, *vendor, args.files_per_session);
            write_session(&args.dir.join(scan), &spec).map_err(|e| format!("session {scan}: {e}"))
        })
        .collect();
    let files: usize = match written {
        Ok(counts) => counts.iter().sum(),
        Err(e) => {
            eprintln!("neuroflow-synth: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("ScanID,SubjectCode");
    for (scan, subject, _) in &jobs {
        println!("{scan},{subject}");
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "neuroflow-synth: wrote {} sessions, {files} files under {} in {secs:.2}s",
        jobs.len(),
        args.dir.display()
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_ids_are_unique_and_dated() {
        let ids: std::collections::BTreeSet<String> = (0..1000).map(scan_id).collect();
        assert_eq!(ids.len(), 1000);
        assert_eq!(scan_id(0), "20240115_0800");
        assert_eq!(scan_id(7), "20240115_1645");
        assert_eq!(scan_id(8), "20240116_0800");
    }

    #[test]
    fn subjects_get_two_sessions() {
        let codes: Vec<String> = (0..5).map(|i| subject_code("P", i, 5)).collect();
        assert_eq!(codes, ["P0001", "P0002", "P0003", "P0001", "P0002"]);
    }
}
