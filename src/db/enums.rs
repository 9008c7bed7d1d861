//! Status and cause columns are text in SQL and enums in rows: one generic FromSql
//! for both backends, so a corrupt value is one clear error wherever it is read.

use crate::domain::{FailureCause, IntakeState, RunStatus, WorkflowStatus};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

macro_rules! text_enum {
    ($($t:ty),+) => {$(
        impl<DB> FromSql<Text, DB> for $t
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                text.parse::<$t>().map_err(|e| format!("corrupt value in the state store: {e}").into())
            }
        }

        // What `#[derive(FromSqlRow)]` would write: a column of this type in a row.
        impl<DB, ST> deserialize::Queryable<ST, DB> for $t
        where
            DB: Backend,
            ST: diesel::sql_types::SingleValue,
            $t: FromSql<ST, DB>,
        {
            type Row = Self;
            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }

        impl<DB> ToSql<Text, DB> for $t
        where
            DB: Backend,
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }
    )+};
}

text_enum!(RunStatus, FailureCause, IntakeState, WorkflowStatus);
