//! `neuroflow sessions list | show | exclude | revalidate`

use super::common;
use super::common::slurm;
use super::output::{self, Format};
use crate::db::{IncomingFolder, Session, Store, Subject};
use crate::discovery::protocol::SeriesSummary;
use crate::domain::IntakeState;
use crate::error::{Error, Result};
use crate::workflow::lock::lock;
use serde::Serialize;
use std::path::Path;
use std::str::FromStr;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List sessions (and, with a held --status, the folders discovery is holding).
    List {
        /// valid, invalid, excluded, or a held state: waiting, unmapped, conflict, unreadable, held (all four).
        #[arg(long)]
        status: Option<String>,
        /// Only this participant (with or without `sub-`).
        #[arg(long)]
        subject: Option<String>,
        /// At most this many sessions, the newest registered (0: every one).
        #[arg(long, default_value_t = 200)]
        limit: i64,
        /// Output: a table for people, or json for scripts.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Show one session: series, validation, DICOM path.
    Show {
        /// The participant (`0042` or `sub-0042`).
        participant: String,
        /// The session label (`202403011400` or `ses-202403011400`).
        session: String,
        /// Output: a table for people, or json for scripts.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Keep a session out of processing (or `--undo` to let it back in). Its live jobs,
    /// and those of runs that read it, are cancelled; its results stop being current
    /// and its subject is processed again without it.
    Exclude {
        /// The participant (`0042` or `sub-0042`).
        participant: String,
        /// The session label (`202403011400` or `ses-202403011400`).
        session: String,
        /// Why (kept in the record and shown by `sessions list`).
        #[arg(long, required_unless_present = "undo")]
        reason: Option<String>,
        /// Let an excluded session back into processing.
        #[arg(long)]
        undo: bool,
    },
    /// Move a session to another subject (e.g. after the mapping was corrected): its
    /// runs leave the chain under the old subject, which is processed again without
    /// it, and it is planned anew under the new one. Fix the mapping to match.
    Reassign {
        /// The participant (`0042` or `sub-0042`).
        participant: String,
        /// The session label (`202403011400` or `ses-202403011400`).
        session: String,
        /// The subject code it belongs to (as in the mapping).
        #[arg(long)]
        to: String,
    },
    /// Read a session's DICOM folder again now (e.g. after files were added) and
    /// validate it anew; a session that turns invalid leaves the chain.
    Rescan {
        /// The participant (`0042` or `sub-0042`).
        participant: String,
        /// The session label (`202403011400` or `ses-202403011400`).
        session: String,
        /// Output: a table for people, or json for scripts.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Re-check every stored session against the current protocol; a session that
    /// turns invalid leaves the chain as an excluded one does.
    Revalidate {
        /// Output: a table for people, or json for scripts.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Debug, Serialize)]
struct Row {
    /// The participant (`0042` or `sub-0042`).
    participant: String,
    /// The session label (`202403011400` or `ses-202403011400`).
    session: String,
    scan_id: String,
    status: String,
    study_date: Option<String>,
    scans_found: serde_json::Value,
    message: String,
}

fn status_of(s: &Session) -> &'static str {
    if s.excluded {
        "excluded"
    } else if s.is_valid {
        "valid"
    } else {
        "invalid"
    }
}

fn row(s: &Session, subj: &Subject) -> Row {
    Row {
        participant: subj.participant_label.clone(),
        session: s.session_label.clone(),
        scan_id: s.scan_id.clone(),
        status: status_of(s).into(),
        study_date: s.study_date.map(|d| d.to_string()),
        scans_found: serde_json::from_str(&s.scans_found).unwrap_or_default(),
        message: s.excluded_reason.clone().unwrap_or_else(|| s.validation_message.clone()),
    }
}

fn held_row(f: &IncomingFolder) -> Row {
    Row {
        participant: f.subject_hint.clone().unwrap_or_else(|| "-".into()),
        session: f.session_hint.clone().unwrap_or_else(|| "-".into()),
        scan_id: f.scan_id.clone(),
        status: f.intake_state.to_string(),
        study_date: None,
        scans_found: serde_json::Value::Null,
        message: f.reason.clone(),
    }
}

/// A session as a person names it (`sub-`/`ses-` prefixes optional, codes as typed).
fn find(
    cfg: &crate::config::Config,
    store: &mut Store,
    participant: &str,
    session: &str,
) -> Result<(Session, Subject)> {
    let p = common::participant(cfg, participant);
    let s = session.trim_start_matches("ses-");
    store
        .session_by_labels(&p, s)?
        .ok_or_else(|| Error::Usage(format!("no session sub-{p} ses-{s}; see `neuroflow sessions list`")))
}

pub async fn run(explicit: Option<&Path>, cmd: Command) -> Result<()> {
    match cmd {
        Command::List { status, subject, limit, format } => list(explicit, status, subject, limit, format),
        Command::Show { participant, session, format } => show(explicit, &participant, &session, format),
        Command::Revalidate { format } => revalidate(explicit, format).await,
        Command::Reassign { participant, session, to } => {
            let (loaded, mut store) = common::open(explicit)?;
            let (sess, subj) = find(&loaded.config, &mut store, &participant, &session)?;
            let (p, s) = (subj.participant_label.as_str(), sess.session_label.as_str());
            let _lock = lock(&loaded.config, &mut store)?;
            let (label, w) = crate::workflow::intake::identity::reassign(
                &loaded.config,
                &mut store,
                &slurm(&loaded.config),
                &sess,
                &to,
            )
            .await?;
            println!(
                "ses-{s}: sub-{p} -> sub-{label}; cancelled {} live run(s) and {} downstream; {} run(s) no longer current",
                w.cancelled.len(),
                w.downstream_cancelled,
                w.withdrawn.len()
            );
            Ok(())
        }
        Command::Rescan { participant, session, format } => {
            let (loaded, mut store) = common::open(explicit)?;
            let (sess, subj) = find(&loaded.config, &mut store, &participant, &session)?;
            let _lock = lock(&loaded.config, &mut store)?;
            let (updated, withdrawn) =
                crate::workflow::intake::sessions::rescan(&loaded.config, &mut store, &slurm(&loaded.config), &sess)
                    .await?;
            if let Some(w) = withdrawn {
                tracing::warn!(
                    cancelled = w.cancelled.len(),
                    withdrawn = w.withdrawn.len(),
                    "the session turned invalid: its runs left the chain"
                );
            }
            output::rows(&[row(&updated, &subj)], format);
            Ok(())
        }
        Command::Exclude { participant, session, reason, undo } => {
            let (loaded, mut store) = common::open(explicit)?;
            let (sess, subj) = find(&loaded.config, &mut store, &participant, &session)?;
            let (p, s) = (subj.participant_label.as_str(), sess.session_label.as_str());
            let reason = if undo { None } else { reason };
            let _lock = lock(&loaded.config, &mut store)?;
            let slurm = slurm(&loaded.config);
            let (updated, withdrawn) =
                crate::workflow::intake::sessions::exclude(&mut store, &slurm, &sess, reason.as_deref()).await?;
            println!("sub-{p} ses-{s}: {}", status_of(&updated));
            if let Some(w) = withdrawn {
                println!(
                    "cancelled {} live run(s) and {} downstream; {} run(s) no longer current",
                    w.cancelled.len(),
                    w.downstream_cancelled,
                    w.withdrawn.len()
                );
            }
            Ok(())
        }
    }
}

fn list(
    explicit: Option<&Path>,
    status: Option<String>,
    subject: Option<String>,
    limit: i64,
    format: Format,
) -> Result<()> {
    let (loaded, mut store) = common::open(explicit)?;
    let subject = subject.map(|s| common::participant(&loaded.config, &s));
    let held_filter = match status.as_deref() {
        Some("held") => Some(None),
        Some(s) => match IntakeState::from_str(s) {
            Ok(IntakeState::Registered) | Err(_) => None,
            Ok(state) => Some(Some(state)),
        },
        None => None,
    };
    let rows: Vec<Row> = match held_filter {
        Some(state) => {
            store.held_folders()?.iter().filter(|f| state.is_none_or(|s| f.intake_state == s)).map(held_row).collect()
        }
        None => {
            if let Some(s) = status.as_deref().filter(|s| !["valid", "invalid", "excluded"].contains(s)) {
                return Err(Error::Usage(format!(
                    "unknown --status {s:?}; use valid, invalid, excluded, held, waiting, unmapped, conflict or unreadable"
                )));
            }
            store
                .sessions_matching(subject.as_deref(), status.as_deref(), (limit > 0).then_some(limit))?
                .iter()
                .map(|(s, subj)| row(s, subj))
                .collect()
        }
    };
    output::rows(&rows, format);
    Ok(())
}

impl output::Listing for Row {
    const HEADERS: &'static [&'static str] =
        &["PARTICIPANT", "SESSION", "SCAN_ID", "STATUS", "DATE", "SCANS", "MESSAGE"];
    fn cells(&self) -> Vec<String> {
        let r = self;
        vec![
            r.participant.clone(),
            r.session.clone(),
            r.scan_id.clone(),
            r.status.clone(),
            r.study_date.clone().unwrap_or_default(),
            if r.scans_found.is_null() { String::new() } else { r.scans_found.to_string() },
            r.message.clone(),
        ]
    }
}

fn show(explicit: Option<&Path>, participant: &str, session: &str, format: Format) -> Result<()> {
    let (loaded, mut store) = common::open(explicit)?;
    let (sess, subj) = find(&loaded.config, &mut store, participant, session)?;
    let series: Vec<SeriesSummary> = serde_json::from_str(&sess.series_json).unwrap_or_default();
    if format == Format::Json {
        output::json(
            &serde_json::json!({ "session": row(&sess, &subj), "dicom_path": sess.dicom_path, "series": series }),
        );
        return Ok(());
    }
    let r = row(&sess, &subj);
    println!("participant: sub-{}  (subject code {:?})", subj.participant_label, subj.subject_code);
    println!("session:     ses-{}  (ScanID {:?})", sess.session_label, sess.scan_id);
    println!("dicom path:  {}", sess.dicom_path);
    println!("study date:  {}", r.study_date.unwrap_or_default());
    println!(
        "validation:  {}{}",
        r.status,
        if r.message.is_empty() { String::new() } else { format!(" — {}", r.message) }
    );
    println!("scans found: {}", r.scans_found);
    let rows: Vec<Vec<String>> = series
        .iter()
        .map(|x| {
            vec![
                x.series_number.map(|n| n.to_string()).unwrap_or_default(),
                x.description.clone().unwrap_or_default(),
                x.protocol_name.clone().unwrap_or_default(),
                x.files.to_string(),
            ]
        })
        .collect();
    output::table(&["SERIES", "DESCRIPTION", "PROTOCOL", "FILES"], &rows);
    Ok(())
}

async fn revalidate(explicit: Option<&Path>, format: Format) -> Result<()> {
    let (loaded, mut store) = common::open(explicit)?;
    let _lock = lock(&loaded.config, &mut store)?;
    let changed =
        crate::workflow::intake::sessions::revalidate(&loaded.config, &mut store, &slurm(&loaded.config)).await?;
    for c in changed.iter().filter_map(|c| c.withdrawn.as_ref().map(|w| (c, w))) {
        tracing::warn!(subject = %c.0.subject.participant_label, session = %c.0.session.session_label,
            cancelled = c.1.cancelled.len(), withdrawn = c.1.withdrawn.len(), "session turned invalid: its runs left the chain");
    }
    tracing::info!(changed = changed.len(), "revalidated sessions against the current protocol");
    let rows: Vec<Row> = changed.iter().map(|c| row(&c.session, &c.subject)).collect();
    output::rows(&rows, format);
    Ok(())
}
