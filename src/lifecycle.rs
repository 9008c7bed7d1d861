//! The run state machine: the one place that decides a run's next status.
//! The store applies it inside one transaction with one audit row.

use crate::domain::{FailureCause, RunStatus};
use std::fmt;

/// Something that happened to a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEvent {
    /// sbatch accepted the job.
    Submitted,
    /// Slurm reports the job running.
    Started,
    /// Slurm put a running job back in the queue (REQUEUED, preempt-requeue).
    Requeued,
    /// COMPLETED in Slurm and the stage's success markers exist.
    Succeeded,
    /// The run failed for this cause (uses up an attempt).
    Failed(FailureCause),
    /// Cancelled by a person or because an upstream run failed (no attempt used).
    Cancelled(FailureCause),
    /// Unknown to squeue and sacct for several polls.
    Lost,
}

impl fmt::Display for RunEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunEvent::Failed(c) => write!(f, "failed ({c})"),
            RunEvent::Cancelled(c) => write!(f, "cancelled ({c})"),
            other => write!(f, "{}", format!("{other:?}").to_lowercase()),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a {from} run cannot become {event}")]
pub struct TransitionError {
    pub from: RunStatus,
    pub event: String,
}

/// The status a run moves to when `event` happens in status `from`.
pub fn next_status(from: RunStatus, event: RunEvent) -> Result<RunStatus, TransitionError> {
    use RunEvent as E;
    use RunStatus as S;
    let to = match (from, event) {
        (S::Planned, E::Submitted) => S::Queued,
        (S::Queued, E::Started) => S::Running,
        (S::Running, E::Requeued) => S::Queued,
        (S::Queued | S::Running, E::Succeeded) => S::Completed,
        (S::Planned | S::Queued | S::Running, E::Failed(_)) => S::Failed,
        (S::Planned | S::Queued | S::Running, E::Cancelled(_)) => S::Cancelled,
        (S::Planned | S::Queued | S::Running, E::Lost) => S::Lost,
        _ => return Err(TransitionError { from, event: event.to_string() }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENTS: &[RunEvent] = &[
        RunEvent::Submitted,
        RunEvent::Started,
        RunEvent::Requeued,
        RunEvent::Succeeded,
        RunEvent::Failed(FailureCause::NonzeroExit),
        RunEvent::Cancelled(FailureCause::UpstreamFailed),
        RunEvent::Lost,
    ];

    #[test]
    fn every_status_but_planned_is_reachable_and_planned_only_by_insert() {
        for target in RunStatus::ALL {
            let reachable =
                RunStatus::ALL.iter().any(|from| EVENTS.iter().any(|e| next_status(*from, *e) == Ok(*target)));
            assert_eq!(reachable, *target != RunStatus::Planned, "{target}");
        }
    }

    #[test]
    fn terminal_statuses_are_final() {
        for from in [RunStatus::Completed, RunStatus::Failed, RunStatus::Cancelled, RunStatus::Lost] {
            for e in EVENTS {
                assert!(next_status(from, *e).is_err(), "{from} accepted {e}");
            }
        }
    }

    #[test]
    fn the_happy_path() {
        let s = next_status(RunStatus::Planned, RunEvent::Submitted).unwrap();
        let s = next_status(s, RunEvent::Started).unwrap();
        assert_eq!(next_status(s, RunEvent::Succeeded), Ok(RunStatus::Completed));
        assert!(next_status(RunStatus::Planned, RunEvent::Succeeded).is_err());
    }
}
