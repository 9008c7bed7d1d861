//! A fresh database per test: a SQLite file in a temp dir, or a new PostgreSQL
//! database (dropped afterwards). PostgreSQL must be reachable: these tests fail,
//! never skip, when it is not.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use std::sync::atomic::{AtomicU32, Ordering};

/// Admin URL used to create and drop test databases.
pub fn pg_admin_url() -> String {
    std::env::var("NEUROFLOW_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://neuroflow_test:neuroflow_test@127.0.0.1:5432/postgres".into())
}

pub enum TestDb {
    Sqlite { _dir: tempfile::TempDir, url: String },
    Postgres { name: String, url: String },
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("state").join("neuroflow.db").display());
        TestDb::Sqlite { _dir: dir, url }
    }

    pub fn postgres() -> TestDb {
        let admin = pg_admin_url();
        let mut conn = PgConnection::establish(&admin).unwrap_or_else(|e| {
            panic!("PostgreSQL is required for these tests and is not reachable at {admin}: {e}. Run `bash .ci/run` (or set NEUROFLOW_TEST_PG_URL).")
        });
        let name = format!(
            "nf_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            uuid::Uuid::new_v4().simple().to_string().get(..8).unwrap_or("x")
        );
        conn.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        let url = format!("{base}/{name}");
        TestDb::Postgres { name, url }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { name, .. } = self
            && let Ok(mut c) = PgConnection::establish(&pg_admin_url())
        {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// Generates one test per backend from `fn name(db: TestDb)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { super::$name($crate::support::db::TestDb::sqlite()) })+
        }
        mod postgres {
            $(#[test] fn $name() { super::$name($crate::support::db::TestDb::postgres()) })+
        }
    };
}

/// Runs one SQL statement on a test database (either backend).
pub fn execute(url: &str, sql: &str) {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let mut c = diesel::SqliteConnection::establish(path).expect("open sqlite");
        c.batch_execute(sql).expect("sql");
    } else {
        let mut c = PgConnection::establish(url).expect("open postgres");
        c.batch_execute(sql).expect("sql");
    }
}

/// One text row of three columns (`a`, `b`, `c`) from a query that names them so.
#[derive(Debug, diesel::QueryableByName, PartialEq, Eq)]
pub struct Text3 {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub a: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub b: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub c: String,
}

/// Runs a query whose columns are `a`, `b`, `c` (text) on a test database (plain SQL,
/// as an admin would).
pub fn query3(url: &str, sql: &str) -> Vec<Text3> {
    use diesel::RunQueryDsl;
    if let Some(path) = url.strip_prefix("sqlite://") {
        let mut c = diesel::SqliteConnection::establish(path).expect("open sqlite");
        diesel::sql_query(sql).load(&mut c).expect("sql")
    } else {
        let mut c = PgConnection::establish(url).expect("open postgres");
        diesel::sql_query(sql).load(&mut c).expect("sql")
    }
}
