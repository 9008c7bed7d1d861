//! `neuroflow init [DIR]`

use crate::config::STARTER;
use crate::error::{Error, Result};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "EXAMPLES:\n  neuroflow init /data/site          # writes /data/site/neuroflow.yaml\n  neuroflow init                     # into the current folder\n\nThen set paths, images and partition/account, add license.txt and templateflow/,\nand run `neuroflow config check` and `neuroflow doctor`."
)]
pub struct Args {
    /// Directory to write neuroflow.yaml into (created if missing).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Overwrite an existing neuroflow.yaml.
    #[arg(long)]
    force: bool,
}

pub fn run(a: Args) -> Result<()> {
    std::fs::create_dir_all(&a.dir).map_err(|e| Error::io("create", &a.dir, e))?;
    let path = a.dir.join("neuroflow.yaml");
    if path.exists() && !a.force {
        return Err(Error::Usage(format!("{} exists; pass --force to overwrite it", path.display())));
    }
    std::fs::write(&path, STARTER).map_err(|e| Error::io("write", &path, e))?;
    println!("{}", path.display());
    tracing::info!(path = %path.display(), "wrote starter configuration; edit it, then run `neuroflow config check`");
    Ok(())
}
