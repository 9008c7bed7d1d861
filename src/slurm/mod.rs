//! Owns: the Slurm seam — a small trait, one implementation over the command-line
//! tools, pure parsers, the templates' renderer and the one process runner.
//! May import: domain, stages, releases, pipeline's script context. Must not be imported
//! by: db, config, pipeline.

mod command;
pub mod parse;
pub mod render;
pub mod runner;
mod state;
pub mod version;

#[cfg(test)]
pub mod fake;
#[cfg(test)]
mod recorded_tests;
#[cfg(test)]
mod render_tests;

pub use command::SlurmCli;
pub use parse::{AcctRecord, QueueRow, Submitted};
pub use state::JobState;
pub use state::never_starts;
pub use version::SlurmRelease;

use crate::domain::JobId;
use std::future::Future;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum SlurmError {
    #[error("Slurm controller unreachable ({command}): {message}")]
    Unreachable { command: &'static str, message: String },
    #[error("{0}")]
    Run(#[from] runner::RunError),
    #[error("sbatch rejected {script}: {message}")]
    Rejected { script: String, message: String },
    #[error("sbatch rejected the dependency of {script}: {message}")]
    DependencyRejected { script: String, message: String },
    #[error("`{argv}` failed (exit {code}): {stderr}")]
    Failed { argv: String, code: i32, stderr: String },
    #[error("{0}")]
    Parse(#[from] parse::ParseError),
}

impl SlurmError {
    /// Worth retrying next tick without a person (controller down, slow, timed out).
    pub fn is_transient(&self) -> bool {
        matches!(self, SlurmError::Unreachable { .. } | SlurmError::Run(runner::RunError::Timeout { .. }))
    }
}

/// What neuroflow needs from a scheduler. Every method takes many ids at once:
/// one call per tick, never one per job.
pub trait Scheduler {
    /// Submits a rendered batch script (its `#SBATCH` lines carry the request).
    fn submit(&self, script: &Path) -> impl Future<Output = Result<Submitted, SlurmError>>;
    /// Validates a script without creating a job (`sbatch --test-only`).
    fn test_submit(&self, script: &Path) -> impl Future<Output = Result<String, SlurmError>>;
    /// Live view of these jobs; jobs Slurm no longer knows are simply absent.
    fn queue(&self, ids: &[JobId]) -> impl Future<Output = Result<Vec<QueueRow>, SlurmError>>;
    /// Accounting records of these jobs; jobs without a record are absent.
    fn accounting(&self, ids: &[JobId]) -> impl Future<Output = Result<Vec<AcctRecord>, SlurmError>>;
    /// Jobs slurmctld still knows with these names (to find a job whose sbatch
    /// answer was lost: its comment carries the run's token).
    fn find_by_name(&self, names: &[String]) -> impl Future<Output = Result<Vec<QueueRow>, SlurmError>>;
    /// Accounting records of jobs with these names that started since `since`
    /// (finished jobs keep their comment there).
    fn find_finished_by_name(
        &self,
        names: &[String],
        since: chrono::NaiveDateTime,
    ) -> impl Future<Output = Result<Vec<AcctRecord>, SlurmError>>;
    /// Cancels these jobs, `123` or an array task `123_4` (unknown ids are not an error).
    fn cancel(&self, ids: &[String]) -> impl Future<Output = Result<(), SlurmError>>;
    /// The cluster's `MaxArraySize` (array indexes stay below it).
    fn max_array_size(&self) -> impl Future<Output = Result<u32, SlurmError>>;
    /// The release of the client commands (`sbatch --version`: local, no controller
    /// call), asked once per process.
    fn release(&self) -> impl Future<Output = Result<SlurmRelease, SlurmError>>;
}

/// Joins ids for `--jobs=`.
pub fn id_list(ids: &[JobId]) -> String {
    ids.iter().map(|i| i.0.to_string()).collect::<Vec<_>>().join(",")
}
