//! Identity changes a person resolves: label rules that would relabel registered
//! subjects are refused, and `sessions reassign` moves a session to another subject.

use crate::config::Config;
use crate::db::{Session, Store};
use crate::discovery::labels::participant_label;
use crate::error::{Error, Result};
use crate::slurm::Scheduler;
use crate::workflow::intake::withdraw::{Withdrawn, withdraw_session};

fn pad(cfg: &Config) -> u8 {
    cfg.mapping.as_ref().map_or(4, |m| m.pad_numeric_to)
}

/// Refuses label rules (`mapping.pad_numeric_to`) under which registered subjects
/// would get other labels: one person would become two subjects (sub-0075, sub-75).
/// neuroflow never relabels a store (BIDS folders and derivatives carry the labels).
pub fn check_label_rules(cfg: &Config, store: &mut Store) -> Result<()> {
    let pad = pad(cfg);
    let mut changed = vec![];
    for s in store.all_subjects()? {
        if let Ok(l) = participant_label(&s.subject_code, pad)
            && l.as_str() != s.participant_label
        {
            changed.push(format!("code {:?}: sub-{} -> sub-{l}", s.subject_code, s.participant_label));
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = changed.iter().take(3).map(String::as_str).collect();
    Err(Error::Usage(format!(
        "`mapping.pad_numeric_to`: {pad} would relabel {} registered subject(s) ({}{}) and split each into two; set it back to the value they were registered with (neuroflow does not relabel a store: BIDS folders and derivatives carry the labels)",
        changed.len(),
        shown.join(", "),
        if changed.len() > 3 { ", ..." } else { "" }
    )))
}

/// `check_label_rules` for a tick: every subject is read only when the padding
/// differs from the one last found safe (subjects registered since used it).
pub fn check_label_rules_if_changed(cfg: &Config, store: &mut Store) -> Result<()> {
    let pad = pad(cfg).to_string();
    if store.site_state("label_pad")?.as_deref() == Some(pad.as_str()) {
        return Ok(());
    }
    check_label_rules(cfg, store)?;
    Ok(store.set_site_state("label_pad", &pad)?)
}

/// Moves a session to the subject with code `code`: its runs leave the chain under
/// the old subject (which is processed again without it), and it is planned anew
/// under the new one. The caller holds the tick lock.
pub async fn reassign<S: Scheduler>(
    cfg: &Config,
    store: &mut Store,
    slurm: &S,
    session: &Session,
    code: &str,
) -> Result<(String, Withdrawn)> {
    let label = participant_label(code, pad(cfg)).map_err(|e| Error::Usage(e.to_string()))?;
    let old = store.subject(session.subject_id)?;
    if old.participant_label == label.as_str() {
        return Err(Error::Usage(format!("ses-{} already belongs to sub-{label}", session.session_label)));
    }
    if let Some(other) = store.subject_by_label(label.as_str())?.filter(|s| s.subject_code != code) {
        return Err(Error::Usage(format!(
            "sub-{label} is subject code {:?}, not {code:?}: two codes cannot share a label",
            other.subject_code
        )));
    }
    if store.session_by_labels(label.as_str(), &session.session_label)?.is_some() {
        return Err(Error::Usage(format!("sub-{label} already has a ses-{}", session.session_label)));
    }
    let why = format!("session reassigned from sub-{} to sub-{label}", old.participant_label);
    let withdrawn = withdraw_session(store, slurm, old.id, session.id, &why).await?;
    let new = store.ensure_subject(label.as_str(), code)?;
    store.reassign_session(session.id, new.id, &why)?;
    tracing::info!(session = %session.session_label, from = %old.participant_label, to = %label, "{why}");
    Ok((label.to_string(), withdrawn))
}
