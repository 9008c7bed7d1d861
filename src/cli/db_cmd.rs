//! `neuroflow db migrate | status`

use super::output::{self, Format};
use crate::config;
use crate::db::{Store, redact};
use crate::error::Result;
use std::path::Path;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Apply pending migrations (they also run automatically on first use).
    Migrate,
    /// Show the backend and which migrations are applied.
    Status {
        /// Output: a table for people, or json for scripts.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

pub fn run(explicit: Option<&Path>, cmd: Command) -> Result<()> {
    let loaded = config::load(&config::locate(explicit)?)?;
    let url = loaded.config.database_url();
    let mut store = Store::connect(&url)?;
    match cmd {
        Command::Migrate => {
            let applied = store.migrate()?;
            for v in &applied {
                println!("applied {v}");
            }
            tracing::info!(count = applied.len(), backend = ?store.backend(), "database is up to date");
        }
        Command::Status { format } => {
            let migrations = store.migration_status()?;
            let pending = migrations.iter().filter(|m| !m.applied).count();
            match format {
                Format::Json => output::json(&serde_json::json!({
                    "backend": store.backend(),
                    "url": redact(&url),
                    "pending": pending,
                    "migrations": migrations,
                })),
                Format::Table => {
                    println!("backend: {:?}\nurl: {}\npending: {pending}", store.backend(), redact(&url));
                    let rows: Vec<Vec<String>> = migrations
                        .iter()
                        .map(|m| vec![m.version.clone(), if m.applied { "applied" } else { "pending" }.into()])
                        .collect();
                    output::table(&["MIGRATION", "STATE"], &rows);
                }
            }
        }
    }
    Ok(())
}
