//! One tick at a time. On PostgreSQL the tick holds a session-level advisory lock on
//! its store connection: it works across login nodes and network filesystems, and
//! the server releases it when the process dies. On SQLite a file lock in work_dir
//! (`neuroflow.lock`, holding who took it). A cron tick that finds the lock held is
//! not a fault: it says who holds it and exits 0 (docs/operations.md).

use crate::config::Config;
use crate::db::Store;
use crate::error::{Error, Result};
use std::io::Write;
use std::time::{Duration, Instant};

/// Held for as long as it lives: the file lock is released on drop; the advisory
/// lock lives on the store's connection, released when it closes.
pub struct TickLock {
    _file: Option<std::fs::File>,
}

/// Taken, or held by someone else (who and since when, as far as known).
pub enum Attempt {
    Taken(TickLock),
    Busy(String),
}

/// Tries once.
pub fn try_lock(cfg: &Config, store: &mut Store) -> Result<Attempt> {
    match store.try_tick_lock()? {
        Some(true) => return Ok(Attempt::Taken(TickLock { _file: None })),
        Some(false) => {
            let who = store.tick_lock_holder()?.unwrap_or_else(|| "a process that just released it".into());
            return Ok(Attempt::Busy(format!("the store's tick lock is held by {who}")));
        }
        None => {}
    }
    let dir = &cfg.paths.work_dir;
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let path = dir.join("neuroflow.lock");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io("open", &path, e))?;
    match file.try_lock() {
        Ok(()) => {
            // Who holds it, for the tick that finds it held (best effort).
            let _ = file.set_len(0).and_then(|()| write!(file, "{}", holder_text()));
            Ok(Attempt::Taken(TickLock { _file: Some(file) }))
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let who = std::fs::read_to_string(&path).unwrap_or_default();
            let who = if who.trim().is_empty() { "another neuroflow process".to_string() } else { who };
            Ok(Attempt::Busy(format!("{} is held by {}", path.display(), who.trim())))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io("lock", &path, e)),
    }
}

/// Tries until `wait` has passed (once when zero).
pub fn lock_within(cfg: &Config, store: &mut Store, wait: Duration) -> Result<Attempt> {
    let deadline = Instant::now() + wait;
    loop {
        match try_lock(cfg, store)? {
            Attempt::Busy(who) if Instant::now() < deadline => {
                tracing::debug!(holder = %who, "waiting for the tick lock");
                std::thread::sleep(Duration::from_millis(500).min(deadline - Instant::now()));
            }
            other => return Ok(other),
        }
    }
}

/// For a person's command that changes state: the lock, or a transient error
/// naming who holds it (try again in a moment).
pub fn lock(cfg: &Config, store: &mut Store) -> Result<TickLock> {
    match try_lock(cfg, store)? {
        Attempt::Taken(l) => Ok(l),
        Attempt::Busy(who) => Err(Error::Transient(format!("{who}; try again when that tick has finished"))),
    }
}

fn holder_text() -> String {
    format!(
        "host {} pid {} since {} UTC",
        crate::domain::host(),
        std::process::id(),
        chrono::Utc::now().format("%Y-%m-%d %H:%M:%S")
    )
}
