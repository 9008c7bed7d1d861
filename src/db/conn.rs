//! Connecting to the state store (the migrations: migrations.rs).

use super::DbError;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

/// One connection type for both backends; every query in `db` is written once.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl DbConn {
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Pg(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Opens `url` (`postgres://…` or `sqlite:///abs/path.db`), creating the SQLite
/// file's directory if needed.
pub fn connect(url: &str) -> Result<DbConn, DbError> {
    let fail = |e: ConnectionError| DbError::Connect { url: redact(url), message: e.to_string() };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut c = diesel::PgConnection::establish(url).map_err(fail)?;
        // Who a connection is, for `pg_stat_activity` and the tick lock's "held by".
        c.batch_execute(&format!("SET application_name = '{}'", application_name()))
            .map_err(|e| DbError::query("set application_name", e))?;
        return Ok(DbConn::Pg(c));
    }
    let path = url
        .strip_prefix("sqlite://")
        .ok_or_else(|| DbError::Connect { url: redact(url), message: "expected sqlite:// or postgres://".into() })?;
    if let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| DbError::Connect {
            url: redact(url),
            message: format!("cannot create {}: {e}", dir.display()),
        })?;
    }
    let mut conn = diesel::SqliteConnection::establish(path).map_err(fail)?;
    // WAL lets readers (status views) run while a tick writes; busy_timeout rides out
    // short lock waits instead of failing; foreign keys are off by default in SQLite.
    // synchronous=NORMAL is safe with WAL (no corruption; a power cut may lose the
    // last commits, which the next tick redoes from the filesystem and Slurm).
    conn.batch_execute(
        // (journal_mode=WAL is set once, under the migration lock: switching it needs
        // the database to itself, and SQLite does not wait for that.)
        "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
    )
    .map_err(|e| DbError::query("configure sqlite", e))?;
    Ok(DbConn::Sqlite(conn))
}

/// Hides a password in a URL before it reaches a message or a log.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// `neuroflow <host> pid <pid>`, with only characters safe inside SQL quotes.
fn application_name() -> String {
    let host: String =
        crate::domain::host().chars().filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c)).take(40).collect();
    format!("neuroflow {host} pid {}", std::process::id())
}
