//! Owns: the state store — the only module that uses diesel; every query named by
//! intent, every state change one transaction with one audit row; `Reader` for reads.
//! May import: domain, lifecycle. Must not be imported by: pipeline, slurm, discovery
//! (config uses only `redact`).

mod audit;
mod conn;
mod enums;
mod figures;
mod frontier;
mod identity;
mod intake;
mod locks;
mod migrations;
mod models;
mod notifications;
mod provenance;
mod reader;
mod reread;
mod runs;
pub mod schema;
mod subjects;
mod ticks;

pub use conn::{Backend, DbConn, redact};
pub use figures::{RunsFilter, SettledCounts, SpanRow, WeeklyCounts};

/// Participant labels by subject id, session labels by session id.
pub type RunLabels = (std::collections::HashMap<i64, String>, std::collections::HashMap<i64, String>);
pub use frontier::Frontier;
pub use intake::Verdict;
pub use migrations::MigrationState;
pub use models::*;
pub use notifications::Delivery;
pub use provenance::{FileVersion, Provenance, RunRelease};
pub use reader::Reader;
pub use reread::Reread;
pub use runs::{JobUpdate, SubmittedJob};

use chrono::NaiveDateTime;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to the state store {url}: {message}")]
    Connect { url: String, message: String },
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("database query failed ({what}): {}", with_causes(.source))]
    Query { what: &'static str, source: diesel::result::Error },
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    #[error("run {run_id}: {source}")]
    Transition { run_id: i64, source: crate::lifecycle::TransitionError },
    #[error("the unit already has a live run ({run_id}, {status}); cancel it first")]
    UnitBusy { run_id: i64, status: String },
}

/// An error and what caused it (diesel's "Error deserializing field" hides the why).
fn with_causes(e: &diesel::result::Error) -> String {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

impl From<diesel::result::Error> for DbError {
    fn from(source: diesel::result::Error) -> Self {
        DbError::Query { what: "transaction", source }
    }
}

impl DbError {
    pub(crate) fn query(what: &'static str, source: diesel::result::Error) -> Self {
        DbError::Query { what, source }
    }

    /// A lost connection or a lock that did not clear: try again next tick.
    pub fn is_transient(&self) -> bool {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match self {
            DbError::Connect { .. } => true,
            DbError::Query { source: E::DatabaseError(K::ClosedConnection | K::SerializationFailure, _), .. } => true,
            DbError::Query { source: E::DatabaseError(_, info), .. } => {
                let m = info.message();
                m.contains("database is locked") || m.contains("terminating connection")
            }
            _ => false,
        }
    }
}

/// The store: one connection, migrated on open.
pub struct Store {
    conn: DbConn,
    dry_run: bool,
    /// The database file of a SQLite store (its migration lock lives beside it).
    sqlite_path: Option<std::path::PathBuf>,
}

pub(crate) fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

impl Store {
    /// Connects and applies any pending migrations (first use creates the schema).
    pub fn open(url: &str) -> Result<Store, DbError> {
        let mut store = Store::connect(url)?;
        if tracing::enabled!(target: "neuroflow::sql", tracing::Level::TRACE) {
            store.count_queries();
        }
        let applied = store.migrate()?;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "applied database migrations");
        }
        Ok(store)
    }

    /// Connects without migrating (for `db status` and `db migrate`).
    pub fn connect(url: &str) -> Result<Store, DbError> {
        Ok(Store { conn: conn::connect(url)?, dry_run: false, sqlite_path: migrations::sqlite_path(url) })
    }

    /// From now on nothing this store writes is kept: everything happens inside a
    /// transaction that is never committed (for `--dry-run`: the real logic, no trace).
    pub fn begin_dry_run(&mut self) -> Result<(), DbError> {
        use diesel::Connection;
        if !self.dry_run {
            self.conn.begin_test_transaction().map_err(|e| DbError::query("begin dry run", e))?;
            self.dry_run = true;
        }
        Ok(())
    }

    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }

    pub fn backend(&self) -> Backend {
        self.conn.backend()
    }

    /// Applies pending migrations; returns the versions applied now.
    pub fn migrate(&mut self) -> Result<Vec<String>, DbError> {
        migrations::migrate(&mut self.conn, self.sqlite_path.as_deref())
    }

    pub fn migration_status(&mut self) -> Result<Vec<MigrationState>, DbError> {
        migrations::migration_status(&mut self.conn)
    }
}

impl Store {
    /// Runs `f` in one transaction (the store's own transactions inside it become
    /// savepoints): many small state changes, e.g. the tasks of one array, commit once.
    /// Each keeps its audit row; nothing of `f` is kept if it fails.
    pub fn batch<T, E: From<DbError>>(&mut self, f: impl FnOnce(&mut Store) -> Result<T, E>) -> Result<T, E> {
        use diesel::connection::{Connection, TransactionManager};
        type Tm = <DbConn as Connection>::TransactionManager;
        Tm::begin_transaction(&mut self.conn).map_err(|e| DbError::query("begin a batch", e))?;
        match f(self) {
            Ok(v) => {
                Tm::commit_transaction(&mut self.conn).map_err(|e| DbError::query("commit a batch", e))?;
                Ok(v)
            }
            Err(e) => {
                if let Err(r) = Tm::rollback_transaction(&mut self.conn) {
                    tracing::warn!(error = %r, "cannot roll a batch back");
                }
                Err(e)
            }
        }
    }
}

impl Store {
    /// Counts the SQL statements this store runs from now on (tests and benchmarks:
    /// a tick's query count must not grow with the number of finished units). Every
    /// statement is also logged at TRACE under target `neuroflow::sql`
    /// (`RUST_LOG=neuroflow::sql=trace`: the queries docs/benchmarks.md explains).
    pub fn count_queries(&mut self) -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
        use diesel::connection::{Connection, InstrumentationEvent};
        let n = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = n.clone();
        self.conn.set_instrumentation(move |e: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { query, .. } = e {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tracing::trace!(target: "neuroflow::sql", "{query}");
            }
        });
        n
    }
}
