//! Notifications (`notify:`): after each tick, the events a person should hear about
//! — a unit needs a person, ticks keep failing, a job pends too long, a folder stays
//! held — each told once (keyed in the `notifications` table) through a command
//! and/or a webhook. A notifier that fails is logged and tried again next tick (at
//! most MAX_ATTEMPTS times); it never fails the tick.

use super::tick::TickReport;
use crate::config::Config;
use crate::config::notify::Notify;
use crate::db::{Delivery, Store};
use crate::domain::RunStatus;
use crate::error::Result;
use chrono::{Duration, NaiveDateTime};
use serde::Serialize;

/// Attempts per event before neuroflow stops trying (a dead webhook must not be
/// hammered every tick for ever).
pub const MAX_ATTEMPTS: i32 = 5;

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
    super::provenance::sha256_text(text)[..16].to_string()
}

/// The events this tick's state holds.
pub fn events(n: &Notify, store: &mut Store, report: &TickReport, now: NaiveDateTime) -> Result<Vec<Event>> {
    let host = crate::domain::host();
    let ev = |kind: &'static str, key: String, text: String| Event { kind, key, text, host: host.clone() };
    let mut out: Vec<Event> = report
        .needs_person
        .iter()
        .map(|t| ev("needs_person", format!("person:{}", short_hash(t)), t.clone()))
        .collect();
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
fn failing_streak(store: &mut Store, min: u32) -> Result<Option<(i64, usize, String)>> {
    let recent = store.recent_ticks(i64::from(min.max(1)) + 200)?;
    let streak: Vec<_> = recent
        .iter()
        .filter(|t| !t.dry_run)
        .take_while(|t| {
            serde_json::from_str::<super::tick::TickCounts>(&t.counts_json).is_ok_and(|c| c.transient || c.exit == 2)
        })
        .collect();
    if streak.len() < min as usize {
        return Ok(None);
    }
    let first = streak.last().map_or(0, |t| t.id);
    let error = streak.first().and_then(|t| t.error.clone()).unwrap_or_default();
    Ok(Some((first, streak.len(), error)))
}

/// Tells every event not told yet; returns how many were sent now.
pub async fn notify(cfg: &Config, store: &mut Store, report: &TickReport) -> usize {
    let Some(n) = &cfg.notify else { return 0 };
    let events = match events(n, store, report, chrono::Utc::now().naive_utc()) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "cannot work out the notifications");
            return 0;
        }
    };
    let mut sent = 0;
    for e in events {
        match store.notification_state(&e.key) {
            Ok(Some((_, true))) => continue,
            Ok(Some((tries, false))) if tries >= MAX_ATTEMPTS => continue,
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the notification log");
                return sent;
            }
        }
        let outcome = deliver(n, &e).await;
        let delivery = match &outcome {
            Ok(()) => Delivery::Sent,
            Err(why) => {
                tracing::warn!(event = e.kind, key = %e.key, error = %why, "notification failed; tried again next tick");
                Delivery::Failed(why)
            }
        };
        sent += usize::from(outcome.is_ok());
        if let Err(err) = store.record_notification(&e.key, e.kind, &e.text, delivery) {
            tracing::warn!(error = %err, "cannot record a notification");
        }
    }
    sent
}

async fn deliver(n: &Notify, e: &Event) -> std::result::Result<(), String> {
    let json = serde_json::json!({
        "text": format!("[neuroflow@{}] {}", e.host, e.text),
        "event": e.kind, "key": e.key, "host": e.host, "message": e.text,
    });
    let timeout = std::time::Duration::from_secs(n.timeout_seconds);
    let mut errors = vec![];
    if !n.command.is_empty() {
        let env = [
            ("NEUROFLOW_EVENT", e.kind.to_string()),
            ("NEUROFLOW_MESSAGE", e.text.clone()),
            ("NEUROFLOW_EVENT_JSON", json.to_string()),
        ];
        match crate::slurm::runner::run_with_env(&n.command, &env, timeout).await {
            Ok(out) if out.success() => {}
            Ok(out) => errors.push(format!("command exited {}: {}", out.code, out.stderr.trim())),
            Err(err) => errors.push(err.to_string()),
        }
    }
    if let Some(url) = &n.webhook {
        let agent: ureq::Agent = ureq::Agent::config_builder().timeout_global(Some(timeout)).build().into();
        if let Err(err) = agent.post(url).header("Content-Type", "application/json").send(json.to_string()) {
            errors.push(format!("webhook {}: {err}", n.webhook_shown().unwrap_or_default()));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
}
