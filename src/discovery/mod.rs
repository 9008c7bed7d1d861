//! Owns: what is in dicom_incoming, who it belongs to, and whether it satisfies the
//! protocol (DICOM headers, mapping, labels). May import: config, domain, digest; no
//! database and no Slurm. Must not be imported by: db, slurm, pipeline.

pub mod dicom;
pub mod identity;
pub mod intake;
pub mod labels;
pub mod mapping;
pub mod protocol;
pub mod scan;
pub mod source;
