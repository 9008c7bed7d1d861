//! `neuroflow report --html DIR`

use super::common;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
#[command(after_help = "EXAMPLES:\n  neuroflow report --html /var/www/neuroflow\n  \
    neuroflow report              # into paths.status_page\n\n\
    Ticks that change something rewrite paths.status_page/index.html on their own.")]
pub struct Args {
    /// Folder to write index.html into (default: paths.status_page).
    #[arg(long, value_name = "DIR")]
    html: Option<PathBuf>,
}

/// Writes the static status page and prints its path.
pub fn run(explicit: Option<&Path>, a: Args) -> Result<()> {
    let (loaded, mut store) = common::open(explicit)?;
    let dir = a.html.or_else(|| loaded.config.paths.status_page.clone()).ok_or_else(|| {
        Error::Usage("no folder for the page: give --html DIR or set paths.status_page in the config".into())
    })?;
    let path = crate::workflow::views::page::publish(&loaded.config, &mut store.reader(), &dir)?;
    println!("{}", path.display());
    Ok(())
}
