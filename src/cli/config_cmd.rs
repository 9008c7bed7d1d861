//! `neuroflow config check`

use super::output::{self, Format};
use crate::config;
use crate::error::Result;
use std::path::Path;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Validate the configuration (and the licence, TemplateFlow home and option paths
    /// it names) and print the effective settings.
    Check {
        /// Output: a table for people, or json for scripts.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

pub fn run(explicit: Option<&Path>, cmd: Command) -> Result<()> {
    let Command::Check { format } = cmd;
    let loaded = config::load(&config::locate(explicit)?)?;
    loaded.config.check_files(&loaded.path)?;
    check_against_the_store(&loaded.config)?;
    let effective = crate::config::effective::effective(&loaded.config);
    let releases = releases(&loaded.config);
    match format {
        Format::Json => {
            output::json(&serde_json::json!({ "file": loaded.path, "config": effective, "releases": releases }))
        }
        Format::Table => {
            print!("# {} is valid; effective configuration:\n{}", loaded.path.display(), config::to_yaml(&effective));
            for r in &releases {
                println!("# release {}: {}", r.stage, r.text);
            }
        }
    }
    for stage in crate::stages::STAGES.iter().filter(|s| loaded.config.pipeline(s.name).is_none()) {
        tracing::warn!(stage = stage.name, "no `pipelines.{}` section: this stage will not run", stage.name);
    }
    Ok(())
}

/// A stage's release as the configuration says it (pins are checked at parse time).
#[derive(serde::Serialize)]
struct StageRelease {
    stage: &'static str,
    pinned: Option<String>,
    series: Option<&'static str>,
    supported: String,
    text: String,
}

fn releases(cfg: &crate::config::Config) -> Vec<StageRelease> {
    cfg.enabled()
        .map(|(def, pipe)| {
            let tool = crate::releases::tool(def.tool).expect("every stage's tool has a release table");
            let pinned = pipe.pinned(def).and_then(|r| r.ok());
            let text = match &pinned {
                Some(r) => format!("pinned {} ({}.x, supported)", r.display(), r.series),
                None => format!(
                    "not pinned: found once per image digest before the first submission (supported: {})",
                    tool.supported()
                ),
            };
            StageRelease {
                stage: def.name,
                pinned: pinned.as_ref().map(|r| r.version.clone()),
                series: pinned.as_ref().map(|r| r.series),
                supported: tool.supported(),
                text,
            }
        })
        .collect()
}

/// Label rules that would relabel registered subjects are refused. A store that does
/// not exist yet, or cannot be reached, has nothing to check (a warning says so).
fn check_against_the_store(cfg: &crate::config::Config) -> Result<()> {
    let url = cfg.database_url();
    if let Some(path) = url.strip_prefix("sqlite://")
        && !Path::new(path).exists()
    {
        return Ok(());
    }
    match crate::db::Store::connect(&url) {
        Ok(mut store) => match crate::workflow::intake::identity::check_label_rules(cfg, &mut store) {
            Err(e @ crate::error::Error::Usage(_)) => Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "cannot check the label rules against the store");
                Ok(())
            }
            Ok(()) => Ok(()),
        },
        Err(e) => {
            tracing::warn!(error = %e, "cannot reach the store to check the label rules against it");
            Ok(())
        }
    }
}
