//! `neuroflow templates export DIR`

use crate::error::{Error, Result};
use crate::slurm::render::BUILTIN;
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Write the built-in templates to DIR, to start a site's own (templates.dir).
    Export {
        /// The folder to write the templates into.
        dir: PathBuf,
        /// Overwrite templates already there.
        #[arg(long)]
        force: bool,
    },
}

pub fn run(cmd: Command) -> Result<u8> {
    let Command::Export { dir, force } = cmd;
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
    for (name, text) in BUILTIN {
        let path = dir.join(name);
        if path.exists() && !force {
            return Err(Error::Usage(format!("{} exists; pass --force to overwrite", path.display())));
        }
        std::fs::write(&path, text).map_err(|e| Error::io("write", &path, e))?;
        println!("{}", path.display());
    }
    Ok(0)
}
