//! `neuroflow discover [--dry-run]`

use super::common;
use super::output::{self, Format};
use crate::error::Result;
use crate::workflow::intake::DiscoverReport;
use crate::workflow::intake::discover::discover;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Report what would be registered or held; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Output: a table for people, or json for scripts.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn run(explicit: Option<&Path>, a: Args) -> Result<()> {
    let (loaded, mut store) = common::open(explicit)?;
    let _lock = crate::workflow::lock::lock(&loaded.config, &mut store)?;
    if a.dry_run {
        store.begin_dry_run()?;
    }
    let now = chrono::Utc::now().naive_utc();
    let report = discover(&loaded.config, &mut store, None, now)?;
    print(&report, a.format);
    Ok(())
}

pub fn print(r: &DiscoverReport, format: Format) {
    if format == Format::Json {
        return output::json(r);
    }
    let verb = if r.dry_run { "would register" } else { "registered" };
    println!(
        "folders: {} seen, {} already registered; {verb}: {} valid, {} invalid; held: {}",
        r.folders_seen,
        r.already_registered,
        r.registered_valid,
        r.registered_invalid,
        r.held.len()
    );
    if !r.held.is_empty() {
        let rows: Vec<Vec<String>> =
            r.held.iter().map(|h| vec![h.folder.clone(), h.state.to_string(), h.reason.clone()]).collect();
        output::table(&["FOLDER", "STATE", "REASON"], &rows);
    }
}
