//! `notify:` — who hears about events a person must act on (docs/operations.md).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    /// Run once per new event (argv, no shell). The event is in the environment:
    /// NEUROFLOW_EVENT (kind), NEUROFLOW_MESSAGE (one line), NEUROFLOW_EVENT_JSON.
    #[serde(default)]
    pub command: Vec<String>,
    /// HTTP(S) URL that gets each new event as a JSON POST; `text` holds the message
    /// (what Slack and Mattermost incoming webhooks show).
    pub webhook: Option<String>,
    /// Tell after this many ticks in a row failed transiently (exit 2).
    #[serde(default = "default_failed_ticks")]
    pub failed_ticks: u32,
    /// Tell when a job has been pending longer than this.
    #[serde(default = "default_hours")]
    pub pending_hours: f64,
    /// Tell when a DICOM folder has been held (unmapped, conflicting, ...) longer than this.
    #[serde(default = "default_hours")]
    pub held_hours: f64,
    /// How long a command or webhook call may take.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
}

fn default_failed_ticks() -> u32 {
    3
}

fn default_hours() -> f64 {
    24.0
}

fn default_timeout() -> u64 {
    10
}

impl Notify {
    /// Errors in the section, as (key, message).
    pub fn check(&self) -> Result<(), (String, String)> {
        if self.command.is_empty() && self.webhook.is_none() {
            return Err(("notify".into(), "give `command: [argv...]` and/or `webhook: https://...`".into()));
        }
        if let Some(url) = &self.webhook
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(("notify.webhook".into(), format!("expected an http(s):// URL, got {url:?}")));
        }
        if self.failed_ticks == 0 {
            return Err(("notify.failed_ticks".into(), "must be at least 1".into()));
        }
        if !(self.pending_hours >= 0.0 && self.held_hours >= 0.0) {
            return Err(("notify".into(), "pending_hours and held_hours must be 0 or more".into()));
        }
        Ok(())
    }

    /// The webhook as it may be shown: scheme and host only (its path is often the secret).
    pub fn webhook_shown(&self) -> Option<String> {
        self.webhook.as_ref().map(|u| {
            let (scheme, rest) = u.split_once("://").unwrap_or(("", u));
            format!("{scheme}://{}/…", rest.split('/').next().unwrap_or_default())
        })
    }
}
