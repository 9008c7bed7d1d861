//! The crate's top-level error and the exit-code classes cron relies on.

/// How a failed command should be treated by whoever runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitClass {
    /// 1: a person must act (bad config, rejected job, invalid state).
    NeedsHuman = 1,
    /// 2: transient (controller or database unreachable); the next tick retries.
    Transient = 2,
}

/// The exit code of two outcomes together: "a person must act" (1) wins over
/// "transient" (2), which wins over ok (0) — cron must not read a tick that needs a
/// person as a passing outage.
pub fn combine(a: u8, b: u8) -> u8 {
    if a == ExitClass::NeedsHuman as u8 || b == ExitClass::NeedsHuman as u8 { 1 } else { a.max(b) }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Plot(#[from] crate::plot::PlotError),
    #[error(transparent)]
    Slurm(#[from] crate::slurm::SlurmError),
    #[error("{0}")]
    Usage(String),
    /// Something outside neuroflow is unavailable for now (a mapping sheet, …).
    #[error("{0}")]
    Transient(String),
    #[error("cannot {action} {path}: {source}")]
    Io { action: &'static str, path: std::path::PathBuf, source: std::io::Error },
}

impl Error {
    pub fn exit_class(&self) -> ExitClass {
        let transient = match self {
            Error::Db(e) => e.is_transient(),
            Error::Slurm(e) => e.is_transient(),
            Error::Transient(_) => true,
            _ => false,
        };
        if transient { ExitClass::Transient } else { ExitClass::NeedsHuman }
    }

    pub fn io(action: &'static str, path: impl Into<std::path::PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    #[test]
    fn a_person_wins_over_transient_which_wins_over_ok() {
        use super::combine;
        assert_eq!(
            (combine(0, 0), combine(0, 2), combine(2, 0), combine(2, 1), combine(1, 2), combine(1, 0)),
            (0, 2, 2, 1, 1, 1)
        );
    }
}
