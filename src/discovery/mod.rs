//! Discovery and intake: what is in dicom_incoming, who it belongs to, and whether
//! it satisfies the protocol. No database and no Slurm here.

pub mod dicom;
pub mod identity;
pub mod intake;
pub mod labels;
pub mod mapping;
pub mod protocol;
pub mod scan;
pub mod source;
