//! What a person should hear of after a tick (`notify:`): a unit needs a person, ticks
//! keep failing, a job pends too long, a folder stays held — each as an event with a
//! key that is stable while the situation lasts (tell.rs sends each once).

use crate::config::notify::Notify;
use crate::db::Reader;
use crate::domain::RunStatus;
use crate::error::Result;
use crate::workflow::counts::TickCounts;
use chrono::{Duration, NaiveDateTime};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Event {
    /// needs_person, ticks_failing, pending_too_long, held_too_long.
    pub kind: &'static str,
    /// Stable while the situation lasts: the same event is told once.
    pub key: String,
    /// One line for a person.
    pub text: String,
    pub host: String,
}

fn short_hash(text: &str) -> String {
    crate::digest::sha256_text(text)[..16].to_string()
}

/// The events this tick's state holds.
pub fn events(n: &Notify, store: &mut Reader, needs_person: &[String], now: NaiveDateTime) -> Result<Vec<Event>> {
    let host = crate::domain::host();
    let ev = |kind: &'static str, key: String, text: String| Event { kind, key, text, host: host.clone() };
    let mut out: Vec<Event> =
        needs_person.iter().map(|t| ev("needs_person", format!("person:{}", short_hash(t)), t.clone())).collect();
    if let Some((first, count, error)) = failing_streak(store, n.failed_ticks)? {
        let text = format!("{count} ticks in a row failed transiently; last error: {error}");
        out.push(ev("ticks_failing", format!("ticks:{first}"), text));
    }
    let pending_since = now - Duration::minutes((n.pending_hours * 60.0) as i64);
    for r in store.live_runs()? {
        if r.status == RunStatus::Queued && r.submitted_at.is_some_and(|t| t <= pending_since) {
            let reason = r.pending_reason.clone().unwrap_or_default();
            let text = format!(
                "job {} (run {}, {}) pending since {} UTC: {reason}",
                r.slurm_job_id.unwrap_or_default(),
                r.id,
                r.job_name,
                r.submitted_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
            );
            out.push(ev("pending_too_long", format!("pending:{}", r.id), text));
        }
    }
    let held_since = now - Duration::minutes((n.held_hours * 60.0) as i64);
    for f in store.folders_needing_a_person()?.into_iter().filter(|f| f.first_seen <= held_since) {
        let text = format!(
            "folder {} held ({}) since {} UTC: {}",
            f.rel_path,
            f.intake_state,
            f.first_seen.format("%Y-%m-%d %H:%M"),
            f.reason
        );
        out.push(ev("held_too_long", format!("held:{}:{}", f.id, f.intake_state), text));
    }
    Ok(out)
}

/// (first tick id, length, last error) of the current run of transiently failed ticks,
/// once it is at least `min` long.
fn failing_streak(store: &mut Reader, min: u32) -> Result<Option<(i64, usize, String)>> {
    let recent = store.recent_ticks(i64::from(min.max(1)) + 200)?;
    let streak: Vec<_> = recent
        .iter()
        .filter(|t| !t.dry_run)
        .take_while(|t| serde_json::from_str::<TickCounts>(&t.counts_json).is_ok_and(|c| c.transient || c.exit == 2))
        .collect();
    if streak.len() < min as usize {
        return Ok(None);
    }
    let first = streak.last().map_or(0, |t| t.id);
    let error = streak.first().and_then(|t| t.error.clone()).unwrap_or_default();
    Ok(Some((first, streak.len(), error)))
}
