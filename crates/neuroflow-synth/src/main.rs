//! Writes synthetic DICOM sessions (one folder per ScanID) and prints the ScanID → SubjectCode
//! mapping as CSV on stdout.
//!
//! ScanIDs are `YYYYMMDD_HHMM`: eight visits a day from 08:00, 75 minutes apart, from 2024-01-15.
//! Subjects get two sessions each where possible (session i belongs to subject i mod ⌈N/2⌉), so a
//! subject's second visit comes weeks after its first, as at a real centre.

use clap::{Parser, ValueEnum};
use neuroflow_synth::{Manufacturer, write_site};
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
    fn manufacturer(self) -> Option<Manufacturer> {
        match self {
            Vendor::Mixed => None,
            Vendor::Siemens => Some(Manufacturer::Siemens),
            Vendor::Ge => Some(Manufacturer::Ge),
            Vendor::Philips => Some(Manufacturer::Philips),
            Vendor::Canon => Some(Manufacturer::Canon),
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let started = Instant::now();
    let written = write_site(
        &args.dir,
        args.sessions,
        args.files_per_session,
        args.manufacturer.manufacturer(),
        &args.subject_prefix,
    );
    let (jobs, files) = match written {
        Ok(w) => w,
        Err(e) => {
            eprintln!("neuroflow-synth: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("ScanID,SubjectCode");
    for (scan, subject) in &jobs {
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
