//! Owns: intake — from a folder on disk to a registered session: listing dicom_incoming,
//! holding or registering folders, re-reading invalid ones, label and identity rules,
//! a person's session commands and a session leaving the chain (withdraw).
//! May import: discovery, db, config, domain, and track's `cancel_live` (a withdrawn
//! session's live runs are cancelled). Must not be imported by: track, views.

pub mod discover;
pub mod identity;
pub mod listing;
pub mod reread;
pub mod sessions;
pub mod withdraw;

use crate::domain::IntakeState;
use serde::Serialize;

/// Most one DICOM file's header may cost (bytes read before giving up).
pub const MAX_HEADER_BYTES: u64 = 16 << 20;

/// What one discovery pass did (discover.rs, reread.rs).
#[derive(Debug, Default, Serialize)]
pub struct DiscoverReport {
    pub folders_seen: usize,
    pub already_registered: usize,
    pub registered_valid: usize,
    pub registered_invalid: usize,
    pub files_read: u64,
    /// Held folders with their state and reason.
    pub held: Vec<HeldFolder>,
    /// Invalid sessions read again because their folder changed, with the outcome.
    pub reread: Vec<String>,
    /// Registered sessions whose identity is in question (not planned; a person decides).
    pub identity: Vec<String>,
    pub mapping: Option<String>,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeldFolder {
    pub folder: String,
    pub state: IntakeState,
    pub reason: String,
}
