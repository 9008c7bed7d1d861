//! Tells a person (`notify:`): after each tick, every event of views::events not told
//! yet goes out through a command and/or a webhook, and is recorded in the
//! `notifications` table so that it is told once. A notifier that fails is logged and
//! tried again next tick (at most MAX_ATTEMPTS times); it never fails the tick.

use crate::config::Config;
use crate::config::notify::Notify;
use crate::db::{Delivery, Store};
use crate::workflow::counts::TickReport;
use crate::workflow::views::events::{Event, events};

/// Attempts per event before neuroflow stops trying (a dead webhook must not be
/// hammered every tick for ever).
pub const MAX_ATTEMPTS: i32 = 5;

/// Tells every event not told yet; returns how many were sent now.
pub async fn notify(cfg: &Config, store: &mut Store, report: &TickReport) -> usize {
    let Some(n) = &cfg.notify else { return 0 };
    let events = match events(n, &mut store.reader(), &report.needs_person, chrono::Utc::now().naive_utc()) {
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
