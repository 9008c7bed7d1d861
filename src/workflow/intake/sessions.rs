//! Changes to a registered session that a person asks for: exclusion (and its undo)
//! and revalidation against the current protocol. A session that leaves the chain
//! takes its runs with it (`withdraw`).

use crate::config::Config;
use crate::db::{Session, Store, Subject};
use crate::discovery::protocol::{SeriesSummary, validate};
use crate::error::{Error, Result};
use crate::slurm::Scheduler;
use crate::workflow::intake::withdraw::{Withdrawn, withdraw_session};

/// Excludes a session (`reason`) or lets it back in (None). Excluding cancels what
/// reads it and withdraws its results. The caller holds the tick lock.
pub async fn exclude<S: Scheduler>(
    store: &mut Store,
    slurm: &S,
    session: &Session,
    reason: Option<&str>,
) -> Result<(Session, Option<Withdrawn>)> {
    let updated = store.set_excluded(session.id, reason)?;
    let withdrawn = match reason {
        Some(r) => Some(
            withdraw_session(store, slurm, session.subject_id, session.id, &format!("session excluded: {r}")).await?,
        ),
        None => None,
    };
    Ok((updated, withdrawn))
}

/// Reads a session's folder again now (`sessions rescan`); a session that turns
/// invalid leaves the chain. The caller holds the tick lock.
pub async fn rescan<S: Scheduler>(
    cfg: &Config,
    store: &mut Store,
    slurm: &S,
    session: &Session,
) -> Result<(Session, Option<Withdrawn>)> {
    let now = chrono::Utc::now().naive_utc();
    let updated = crate::workflow::intake::reread::force_reread(cfg, store, session, now)?;
    let withdrawn = if session.is_valid && !updated.is_valid && !session.excluded {
        let why = format!("session now invalid: {}", updated.validation_message);
        Some(withdraw_session(store, slurm, session.subject_id, session.id, &why).await?)
    } else {
        None
    };
    Ok((updated, withdrawn))
}

/// A session whose verdict changed, and what leaving the chain did to its runs.
pub struct Revalidated {
    pub session: Session,
    pub subject: Subject,
    pub withdrawn: Option<Withdrawn>,
}

/// Re-checks every session's stored series against the current protocol. A session
/// that turns invalid leaves the chain. The caller holds the tick lock.
pub async fn revalidate<S: Scheduler>(cfg: &Config, store: &mut Store, slurm: &S) -> Result<Vec<Revalidated>> {
    let mut changed = vec![];
    for (sess, subj) in store.all_sessions()? {
        let series: Vec<SeriesSummary> = serde_json::from_str(&sess.series_json)
            .map_err(|e| Error::Usage(format!("session {}: stored series are unreadable: {e}", sess.id)))?;
        let v = validate(&cfg.protocol, &series);
        let scans = serde_json::to_string(&v.scans_found).unwrap_or_else(|_| "{}".into());
        if v.is_valid == sess.is_valid && v.message == sess.validation_message && scans == sess.scans_found {
            continue;
        }
        let updated = store.revalidate_session(sess.id, v.is_valid, &scans, &v.message)?;
        let withdrawn = if sess.is_valid && !v.is_valid {
            let why = format!("session now invalid: {}", v.message);
            Some(withdraw_session(store, slurm, sess.subject_id, sess.id, &why).await?)
        } else {
            None
        };
        changed.push(Revalidated { session: updated, subject: subj, withdrawn });
    }
    Ok(changed)
}
