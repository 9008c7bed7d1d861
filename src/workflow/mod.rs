//! A tick and its stages: the imperative shell around the pure planning.

pub mod arrays;
pub mod cancel;
pub mod discover;
pub mod doctor;
pub mod efficiency;
pub mod explain;
pub mod identity;
pub mod listing;
pub mod lock;
pub mod notify;
pub mod orphans;
pub mod outputs;
pub mod prepare;
pub mod provenance;
pub mod report;
pub mod reread;
pub mod scripts_out;
pub mod sessions;
pub mod snapshot;
pub mod status;
pub mod stop;
pub mod submit;
pub mod tick;
pub mod tool_release;
pub mod track;
pub mod triage;
pub mod verify;
pub mod withdraw;

#[cfg(test)]
mod frontier_tests;
#[cfg(test)]
mod tick_tests;
