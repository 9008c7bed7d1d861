//! `neuroflow verify`: are the results of completed runs still on disk? Outputs get
//! deleted or moved; a completed run whose success markers are gone is reported, and
//! with `requeue` it stops being current so the next tick runs the unit again (its
//! downstream follows, as for any redone upstream).

use crate::config::Config;
use crate::db::Store;
use crate::domain::RunStatus;
use crate::error::Result;
use crate::workflow::track::outputs::{self, Unit};
use serde::Serialize;
use std::collections::HashMap;

/// A completed run whose outputs are gone.
#[derive(Debug, Serialize)]
pub struct Gone {
    pub run_id: i64,
    pub stage: String,
    pub participant: String,
    pub session: Option<String>,
    pub missing: Vec<String>,
    pub requeued: bool,
}

/// Checks the success markers of every current completed run (of `stage`), whoever
/// wrote the files (no freshness check: they are the run's results).
pub fn verify(cfg: &Config, store: &mut Store, stage: Option<&str>, requeue: bool) -> Result<Vec<Gone>> {
    let mut subjects: HashMap<i64, String> = HashMap::new();
    let mut sessions: HashMap<i64, String> = HashMap::new();
    for (sess, subj) in store.all_sessions()? {
        sessions.insert(sess.id, sess.session_label);
        subjects.insert(subj.id, subj.participant_label);
    }
    let mut gone = vec![];
    for r in store.current_runs()? {
        if r.status != RunStatus::Completed || stage.is_some_and(|s| s != r.stage) {
            continue;
        }
        let Some(def) = crate::stages::stage(&r.stage) else { continue };
        let participant = subjects.get(&r.subject_id).cloned().unwrap_or_default();
        let session = r.session_id.and_then(|id| sessions.get(&id).cloned());
        let covered: Vec<String> = r.covered_sessions().iter().filter_map(|id| sessions.get(id).cloned()).collect();
        let unit = Unit { participant: &participant, session: session.as_deref(), covered: &covered };
        let missing = outputs::missing(cfg, def, &unit, None);
        if !missing.is_empty() {
            gone.push(Gone { run_id: r.id, stage: r.stage, participant, session, missing, requeued: requeue });
        }
    }
    if requeue && !gone.is_empty() {
        for g in &gone {
            store.withdraw_runs(&[g.run_id], &format!("outputs gone (neuroflow verify): {}", g.missing.join(", ")))?;
        }
    }
    Ok(gone)
}
