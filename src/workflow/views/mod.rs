//! Owns: the read side — everything that only reads the store to show it: the status
//! matrix, the status page, explain, runs listings and details, efficiency, failure
//! triage, and the text of the notifications.
//! May import: db's `Reader` (queries only: a view cannot write), snapshot, counts, the
//! pure modules. Must not import: intake, submit, track (a test checks).

pub mod efficiency;
pub mod events;
pub mod explain;
pub mod figures;
pub mod page;
pub mod runs;
pub mod settled;
pub mod status;
pub mod triage;
