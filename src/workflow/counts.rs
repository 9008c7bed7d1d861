//! What a tick did and found: its report (printed, told, recorded) and the counts kept
//! with its record (`workflow list`). Below the tick and the views that read them.

use crate::error::{Error, ExitClass, combine};
use crate::workflow::intake::DiscoverReport;
use crate::workflow::submit::SubmitReport;
use crate::workflow::track::SyncReport;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Default, Serialize)]
pub struct TickReport {
    pub tick_id: Option<i64>,
    pub sync: Option<SyncReport>,
    pub discover: Option<DiscoverReport>,
    pub plan: BTreeMap<String, BTreeMap<String, usize>>,
    pub submit: Option<SubmitReport>,
    pub slurm_calls: u32,
    /// The Slurm release of the client commands, when the tick called Slurm.
    pub slurm_release: Option<String>,
    pub problems: Vec<String>,
    /// The problems that need a person (also in `problems`): what notifications are made of.
    #[serde(skip)]
    pub needs_person: Vec<String>,
    /// 0 ok, 1 a person must act, 2 transient (1 wins over 2: `error::combine`).
    pub exit: u8,
    /// Something did not answer this tick (also when `exit` is 1).
    pub transient: bool,
}

impl TickReport {
    /// Records problems a person must act on: exit 1 unless something worse.
    pub fn person(&mut self, texts: impl IntoIterator<Item = String>) {
        for t in texts {
            self.problems.push(t.clone());
            self.needs_person.push(t);
            self.exit = combine(self.exit, ExitClass::NeedsHuman as u8);
        }
    }
}

/// What a tick did, kept with its record (`workflow list`).
#[derive(Debug, Default, Clone, Serialize, serde::Deserialize)]
pub struct TickCounts {
    pub registered: usize,
    pub submitted: usize,
    pub completed: usize,
    pub failed: usize,
    pub cancelled: usize,
    pub slurm_calls: u32,
    /// 0 ok, 1 a person must act, 2 transient.
    pub exit: u8,
    /// Something did not answer (even when `exit` is 1 because a person must act too).
    #[serde(default)]
    pub transient: bool,
    /// Planning outcomes per stage.
    #[serde(default)]
    pub plan: BTreeMap<String, BTreeMap<String, usize>>,
    /// The Slurm release the tick talked to (`sbatch --version`), when it called Slurm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slurm_release: Option<String>,
}

impl TickReport {
    pub fn counts(&self) -> TickCounts {
        let (completed, failed, cancelled) = self
            .sync
            .as_ref()
            .map_or((0, 0, 0), |s| (s.completed, s.failed + s.lost, s.cancelled + s.cancelled_downstream));
        TickCounts {
            registered: self.discover.as_ref().map_or(0, |d| d.registered_valid + d.registered_invalid),
            submitted: self.submit.as_ref().map_or(0, |s| s.submitted.len()),
            completed,
            failed,
            cancelled,
            slurm_calls: self.slurm_calls,
            exit: self.exit,
            transient: self.transient,
            plan: self.plan.clone(),
            slurm_release: self.slurm_release.clone(),
        }
    }
}

/// Records something that did not answer: exit 2 unless a person must act.
pub fn note_transient(report: &mut TickReport, e: &Error) {
    report.problems.push(e.to_string());
    report.exit = combine(report.exit, ExitClass::Transient as u8);
    report.transient = true;
}
