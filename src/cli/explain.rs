//! `neuroflow explain`

use super::common;
use super::output::{self, Format};
use crate::error::Result;
use std::path::Path;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "EXAMPLES:\n  neuroflow explain 0042\n  neuroflow explain sub-0042 ses-202403011400 --format json"
)]
pub struct Args {
    /// The participant (`sub-0042`, `0042` or the subject code as in the mapping).
    participant: String,
    /// One of its sessions (all when absent).
    session: Option<String>,
    /// Output: a table for people, or json for scripts.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn run(explicit: Option<&Path>, a: Args) -> Result<u8> {
    let (loaded, mut store) = common::open(explicit)?;
    let p = common::participant(&loaded.config, &a.participant);
    let ses = a.session.as_deref().map(|s| s.trim_start_matches("ses-"));
    let decisions = crate::workflow::views::explain::explain(&loaded.config, &mut store.reader(), &p, ses)?;
    if a.format == Format::Json {
        output::json(&decisions);
        return Ok(0);
    }
    println!("sub-{p}");
    for d in &decisions {
        let unit = d.session.as_ref().map_or(String::new(), |s| format!(" ses-{s}"));
        println!("  {}{unit}: {} — {}", d.stage, d.decision, d.why);
        for r in &d.runs {
            println!(
                "      run {} attempt {} {}{}{} job {}{}{}",
                r.run_id,
                r.attempt,
                r.status,
                r.cause.as_ref().map_or(String::new(), |c| format!(" ({c})")),
                if r.superseded { " superseded" } else { "" },
                r.job_id.map_or("-".into(), |j| j.to_string()),
                r.release.as_ref().map_or(String::new(), |v| format!(" release {v}")),
                if r.message.is_empty() { String::new() } else { format!(": {}", r.message) }
            );
        }
    }
    Ok(0)
}
