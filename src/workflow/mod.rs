//! Owns: the tick — intake, submission and tracking run in order by tick.rs — and the
//! read side that shows what the store holds. The imperative shell around the pure core.
//! May import: every module below it (pipeline, discovery, slurm, db, config, domain).
//! Must not be imported by: anything but cli/ (and main.rs through it).
//!
//! ```text
//!  dicom_incoming ─▶ intake/ ─▶ (store) ─▶ snapshot ─▶ plan ─▶ submit/ ─▶ Slurm
//!                                 ▲                                        │
//!                                 └──────────── track/ ◀── squeue/sacct ◀──┘
//!  views/ reads the store (db::Reader) and shows it; tell.rs tells a person.
//! ```

pub mod counts;
pub mod intake;
pub mod lock;
pub mod snapshot;
pub mod stop;
pub mod submit;
pub mod tell;
pub mod tick;
pub mod track;
pub mod views;

#[cfg(test)]
mod tests;
