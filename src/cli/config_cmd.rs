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
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

pub fn run(explicit: Option<&Path>, cmd: Command) -> Result<()> {
    let Command::Check { format } = cmd;
    let loaded = config::load(&config::locate(explicit)?)?;
    loaded.config.check_files(&loaded.path)?;
    let mut effective = serde_json::to_value(&loaded.config).expect("config serializes");
    effective["database"]["url"] = crate::db::redact(&loaded.config.database_url()).into();
    match format {
        Format::Json => output::json(&serde_json::json!({ "file": loaded.path, "config": effective })),
        Format::Table => {
            print!("# {} is valid; effective configuration:\n{}", loaded.path.display(), config::to_yaml(&effective));
        }
    }
    for stage in crate::stages::STAGES.iter().filter(|s| loaded.config.pipeline(s.name).is_none()) {
        tracing::warn!(stage = stage.name, "no `pipelines.{}` section: this stage will not run", stage.name);
    }
    Ok(())
}
