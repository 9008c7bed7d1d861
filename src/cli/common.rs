//! What most subcommands start with: the configuration and the store.

use crate::config::{self, Loaded};
use crate::db::Store;
use crate::error::Result;
use std::path::Path;

/// Loads the configuration and opens (and migrates) the store.
pub fn open(explicit: Option<&Path>) -> Result<(Loaded, Store)> {
    let loaded = config::load(&config::locate(explicit)?)?;
    let store = Store::open(&loaded.config.database_url())?;
    Ok((loaded, store))
}

/// Like `open`, for commands that submit or render jobs: also checks the files the
/// configuration names (licence, TemplateFlow home, option paths).
pub fn open_for_jobs(explicit: Option<&Path>) -> Result<(Loaded, Store)> {
    let loaded = config::load(&config::locate(explicit)?)?;
    loaded.config.check_files(&loaded.path)?;
    let store = Store::open(&loaded.config.database_url())?;
    Ok((loaded, store))
}

/// A participant as a person types it (`sub-0042`, `0042` or the raw code `42`),
/// normalised by the same rules discovery uses.
pub fn participant(cfg: &crate::config::Config, input: &str) -> String {
    let bare = input.trim_start_matches("sub-");
    let pad = cfg.mapping.as_ref().map_or(4, |m| m.pad_numeric_to);
    crate::discovery::labels::participant_label(bare, pad).map(|l| l.to_string()).unwrap_or_else(|_| bare.to_string())
}
