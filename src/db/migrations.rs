//! The embedded migrations of both backends, applied one process at a time.

use super::DbError;
use super::conn::DbConn;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// A migration known to the binary and whether the database has it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MigrationState {
    pub version: String,
    pub applied: bool,
}

/// Applies pending migrations, one process at a time: two processes started at once
/// on a fresh store would otherwise both create the schema and one would fail. On
/// PostgreSQL an advisory lock serialises them; on SQLite a file lock beside the
/// database (`sqlite_path` + `.migrate.lock`). The second waits, then finds nothing
/// pending.
pub fn migrate(conn: &mut DbConn, sqlite_path: Option<&std::path::Path>) -> Result<Vec<String>, DbError> {
    let _file = match sqlite_path {
        Some(db) => Some(lock_file(db)?),
        None => None,
    };
    super::locks::lock(conn, super::locks::MIGRATION)?;
    if let DbConn::Sqlite(c) = conn {
        wal(c)?;
    }
    let applied = run_pending(conn);
    super::locks::unlock(conn, super::locks::MIGRATION)?;
    applied
}

/// Puts a SQLite database in WAL mode (once; later opens find it so).
fn wal(c: &mut diesel::SqliteConnection) -> Result<(), DbError> {
    #[derive(QueryableByName)]
    struct Mode {
        #[diesel(sql_type = diesel::sql_types::Text)]
        journal_mode: String,
    }
    let mode = diesel::sql_query("PRAGMA journal_mode").get_result::<Mode>(c);
    if mode.is_ok_and(|m| m.journal_mode.eq_ignore_ascii_case("wal")) {
        return Ok(());
    }
    c.batch_execute("PRAGMA journal_mode = WAL").map_err(|e| DbError::query("configure sqlite", e))
}

fn lock_file(db: &std::path::Path) -> Result<std::fs::File, DbError> {
    let path = db.with_extension("migrate.lock");
    let fail = |e: std::io::Error| DbError::Migration(format!("cannot lock {}: {e}", path.display()));
    let f = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(fail)?;
    f.lock().map_err(fail)?;
    Ok(f)
}

/// The SQLite database file a URL names (None for PostgreSQL).
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    url.strip_prefix("sqlite://").map(std::path::PathBuf::from)
}

/// Applies pending migrations; returns the versions applied now.
fn run_pending(conn: &mut DbConn) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        DbConn::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS).map(|v| v.iter().map(|m| m.to_string()).collect()),
        DbConn::Sqlite(c) => {
            c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.iter().map(|m| m.to_string()).collect())
        }
    };
    applied.map_err(|e| DbError::Migration(e.to_string()))
}

/// Lists every migration in the binary and whether it is applied.
pub fn migration_status(conn: &mut DbConn) -> Result<Vec<MigrationState>, DbError> {
    use diesel::migration::MigrationSource;
    let err = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migration(e.to_string());
    let (known, applied) = match conn {
        DbConn::Pg(c) => (
            MigrationSource::<diesel::pg::Pg>::migrations(&PG_MIGRATIONS)
                .map_err(err)?
                .iter()
                .map(|m| m.name().version().to_string())
                .collect::<Vec<_>>(),
            c.applied_migrations().map_err(err)?,
        ),
        DbConn::Sqlite(c) => (
            MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS)
                .map_err(err)?
                .iter()
                .map(|m| m.name().version().to_string())
                .collect::<Vec<_>>(),
            c.applied_migrations().map_err(err)?,
        ),
    };
    let applied: Vec<String> = applied.iter().map(|v| v.to_string()).collect();
    Ok(known.into_iter().map(|version| MigrationState { applied: applied.contains(&version), version }).collect())
}
