//! A session leaves the chain: a person excludes it (e.g. withdrawn consent), or a
//! revalidation finds it invalid. Its live jobs — and those of subject-level runs
//! that read it — are cancelled in one scancel, their live downstream follows, and
//! the finished runs that read it stop being current (superseded, history kept), so
//! the subject is processed again without it. Every step is an audit row.

use crate::db::{Run, Store};
use crate::domain::FailureCause;
use crate::error::Result;
use crate::slurm::Scheduler;
use crate::workflow::track::{cancel_downstream_of_ended, cancel_live};
use serde::Serialize;

/// What leaving the chain did.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Withdrawn {
    /// Live runs that read the session, cancelled.
    pub cancelled: Vec<i64>,
    /// Live runs downstream of those, cancelled with them.
    pub downstream_cancelled: usize,
    /// Finished runs that read the session, no longer current.
    pub withdrawn: Vec<i64>,
}

fn reads(run: &Run, session_id: i64) -> bool {
    match run.session_id {
        Some(s) => s == session_id,
        None => run.covered_sessions().contains(&session_id),
    }
}

/// Takes session `session_id` (of subject `subject_id`) out of the chain; `why` is
/// recorded on every run touched. The caller holds the tick lock.
pub async fn withdraw_session<S: Scheduler>(
    store: &mut Store,
    slurm: &S,
    subject_id: i64,
    session_id: i64,
    why: &str,
) -> Result<Withdrawn> {
    let touching: Vec<Run> = store
        .current_runs_touching_session(subject_id, session_id)?
        .into_iter()
        .filter(|r| reads(r, session_id))
        .collect();
    let live: Vec<&Run> = touching.iter().filter(|r| r.status.is_live()).collect();
    let reasons: Vec<(&Run, String)> = live.iter().map(|r| (*r, format!("cancelled by neuroflow: {why}"))).collect();
    cancel_live(store, slurm, &reasons, FailureCause::SessionWithdrawn).await?;
    let mut out = Withdrawn { cancelled: live.iter().map(|r| r.id).collect(), ..Default::default() };
    out.downstream_cancelled = cancel_downstream_of_ended(store, slurm).await?;
    out.withdrawn = touching.iter().map(|r| r.id).collect();
    store.withdraw_runs(&out.withdrawn, &format!("no longer current: {why}"))?;
    Ok(out)
}
