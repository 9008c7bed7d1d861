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
