//! `neuroflow verify`

use super::common;
use super::output::{self, Format};
use crate::error::Result;
use crate::workflow::tick::lock;
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
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Exit 1 when outputs are gone and were not requeued (a person should know).
pub fn run(explicit: Option<&Path>, a: Args) -> Result<u8> {
    if let Some(s) = &a.stage {
        super::common::check_stage(s)?;
    }
    let (loaded, mut store) = common::open(explicit)?;
    let _lock = lock(&loaded.config)?;
    let gone = crate::workflow::verify::verify(&loaded.config, &mut store, a.stage.as_deref(), a.requeue)?;
    match a.format {
        Format::Json => output::json(&gone),
        Format::Table => {
            let rows: Vec<Vec<String>> = gone
                .iter()
                .map(|g| {
                    vec![
                        g.run_id.to_string(),
                        g.stage.clone(),
                        g.participant.clone(),
                        g.session.clone().unwrap_or_else(|| "-".into()),
                        if g.requeued { "requeued".into() } else { "outputs gone".into() },
                        g.missing.join("; "),
                    ]
                })
                .collect();
            output::table(&["RUN", "STAGE", "SUBJECT", "SESSION", "STATE", "MISSING"], &rows);
        }
    }
    Ok(u8::from(!gone.is_empty() && !a.requeue))
}
