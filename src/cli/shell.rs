//! `neuroflow completions SHELL` and `neuroflow man`: generated from the CLI's own
//! definition (clap_complete, clap_mangen), so they never drift from it.

use super::Cli;
use crate::error::{Error, Result};
use clap::CommandFactory;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(after_help = "EXAMPLES:\n  neuroflow completions bash > /etc/bash_completion.d/neuroflow\n  \
    source <(neuroflow completions bash)\n  neuroflow completions zsh > \"${fpath[1]}/_neuroflow\"\n  \
    neuroflow completions fish > ~/.config/fish/completions/neuroflow.fish")]
pub struct CompletionArgs {
    /// bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "EXAMPLES:\n  neuroflow man | man -l -\n  \
    neuroflow man --dir /usr/local/share/man/man1   # neuroflow.1 and one page per subcommand")]
pub struct ManArgs {
    /// Write neuroflow.1 and a page per subcommand (neuroflow-workflow-run.1, ...) here
    /// instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn completions(a: CompletionArgs) {
    clap_complete::generate(a.shell, &mut Cli::command(), "neuroflow", &mut std::io::stdout());
}

pub fn man(a: ManArgs) -> Result<()> {
    let cmd = Cli::command();
    match a.dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
            clap_mangen::generate_to(cmd, &dir).map_err(|e| Error::io("write man pages into", &dir, e))
        }
        None => {
            let mut out = std::io::stdout();
            clap_mangen::Man::new(cmd).render(&mut out).map_err(|e| Error::io("write", "stdout", e))
        }
    }
}
