//! `neuroflow verify`

use super::common;
use super::output::{self, Format};
use crate::error::Result;
use crate::workflow::lock::lock;
use crate::workflow::track::verify::Gone;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this stage.
    #[arg(long)]
    stage: Option<String>,
    /// Take the runs whose outputs are gone out of the current set, so the next tick
    /// runs those units again (and their downstream after them).
    #[arg(long)]
    requeue: bool,
    /// Output: a table for people, or json for scripts.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

impl output::Listing for Gone {
    const HEADERS: &'static [&'static str] = &["RUN", "STAGE", "SUBJECT", "SESSION", "STATE", "MISSING"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.run_id.to_string(),
            self.stage.clone(),
            self.participant.clone(),
            self.session.clone().unwrap_or_else(|| "-".into()),
            if self.requeued { "requeued".into() } else { "outputs gone".into() },
            self.missing.join("; "),
        ]
    }
}

/// Exit 1 when outputs are gone and were not requeued (a person should know).
pub fn run(explicit: Option<&Path>, a: Args) -> Result<u8> {
    if let Some(s) = &a.stage {
        super::common::check_stage(s)?;
    }
    let (loaded, mut store) = common::open(explicit)?;
    let _lock = lock(&loaded.config, &mut store)?;
    let gone = crate::workflow::track::verify::verify(&loaded.config, &mut store, a.stage.as_deref(), a.requeue)?;
    output::rows(&gone, a.format);
    Ok(u8::from(!gone.is_empty() && !a.requeue))
}
