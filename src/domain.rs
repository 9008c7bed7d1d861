//! Newtypes and enums shared by every layer. Imports nothing of the crate.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DomainError {
    #[error("invalid {kind} label {value:?}: BIDS labels may only hold letters and digits ([A-Za-z0-9]+)")]
    InvalidLabel { kind: &'static str, value: String },
    #[error("{kind} label {value:?} is longer than {MAX_LABEL_LEN} characters; shorten the ScanID or subject code")]
    TooLong { kind: &'static str, value: String },
    #[error("unknown {kind} {value:?} (expected one of: {expected})")]
    UnknownName { kind: &'static str, value: String, expected: String },
}

/// A job variable in a path the shell expands at job time: `$NAME` or `${NAME}`
/// (`paths.scratch`; validated by the configuration, kept expandable by the renderer).
pub const JOB_VARIABLE: &str = r"\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)";

/// The longest participant or session label neuroflow accepts (docs/configuration.md):
/// labels become parts of file, directory and job names.
pub const MAX_LABEL_LEN: usize = 64;

fn check_label(kind: &'static str, value: &str) -> Result<(), DomainError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(DomainError::InvalidLabel { kind, value: value.to_string() });
    }
    if value.len() > MAX_LABEL_LEN {
        return Err(DomainError::TooLong { kind, value: value.to_string() });
    }
    Ok(())
}

macro_rules! label_type {
    ($name:ident, $kind:literal, $prefix:literal) => {
        /// A validated BIDS label (letters and digits only); safe in paths and shell words.
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Result<Self, DomainError> {
                let value = value.into();
                check_label($kind, &value)?;
                Ok(Self(value))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// The BIDS entity form, e.g. `sub-0042` / `ses-202401151430`.
            pub fn entity(&self) -> String {
                format!(concat!($prefix, "-{}"), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let bare = s.strip_prefix(concat!($prefix, "-")).unwrap_or(s);
                Self::new(bare)
            }
        }
    };
}

label_type!(ParticipantLabel, "participant", "sub");
label_type!(SessionLabel, "session", "ses");

/// Who a registered session belongs to, as identity checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionIdentity {
    pub session_id: i64,
    pub scan_id: String,
    pub session_label: String,
    pub participant: String,
    pub subject_code: String,
}

/// A Slurm job id as sbatch printed it (the raw id of a job or array task).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct JobId(pub u64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// At which unit a stage runs: once per subject, or once per session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Subject,
    Session,
}

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl clap::builder::ValueParserFactory for $name {
            type Parser = clap::builder::TryMapValueParser<
                clap::builder::StringValueParser,
                fn(String) -> Result<$name, DomainError>,
            >;
            fn value_parser() -> Self::Parser {
                clap::builder::TypedValueParser::try_map(clap::builder::StringValueParser::new(), |s: String| s.parse())
            }
        }

        impl FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(DomainError::UnknownName {
                        kind: stringify!($name),
                        value: s.to_string(),
                        expected: [$($text),+].join(", "),
                    }),
                }
            }
        }
    };
}

string_enum!(
    /// Where one attempt of one stage for one unit stands (see docs/STATES.md).
    RunStatus {
        Planned => "planned",
        Queued => "queued",
        Running => "running",
        Completed => "completed",
        Failed => "failed",
        Cancelled => "cancelled",
        Lost => "lost",
    }
);

impl RunStatus {
    /// Live runs have (or may have) a job that Slurm still knows about.
    pub fn is_live(self) -> bool {
        matches!(self, RunStatus::Planned | RunStatus::Queued | RunStatus::Running)
    }
}

/// The exit code of a job that stopped before its tool ran because the tool is not
/// the release its script was written for (templates/_base.sh.tera).
pub const TOOL_VERSION_MISMATCH_EXIT: i32 = 86;

string_enum!(
    /// Why a run failed or was cancelled.
    FailureCause {
        NonzeroExit => "nonzero_exit",
        OutOfMemory => "out_of_memory",
        Timeout => "timeout",
        NodeFailure => "node_failure",
        Preempted => "preempted",
        OutputsMissing => "outputs_missing",
        ToolVersionMismatch => "tool_version_mismatch",
        SubmitRejected => "submit_rejected",
        SubmitInterrupted => "submit_interrupted",
        UpstreamFailed => "upstream_failed",
        SessionWithdrawn => "session_withdrawn",
        Restarted => "restarted",
        ByPerson => "by_person",
        SlurmCancelled => "slurm_cancelled",
        Lost => "lost",
    }
);

string_enum!(
    /// What discovery decided about one incoming folder.
    IntakeState {
        Waiting => "waiting",
        Unmapped => "unmapped",
        Conflict => "conflict",
        Unreadable => "unreadable",
        Registered => "registered",
    }
);

string_enum!(
    /// A tick's outcome (`interrupted`: found still running by a later tick).
    WorkflowStatus {
        Running => "running",
        Completed => "completed",
        Failed => "failed",
        Interrupted => "interrupted",
    }
);

/// This machine's host name (`unknown` when it cannot be read): recorded with each
/// tick, the tick lock's holder and the database connection's application_name.
pub fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_accept_alphanumerics_only() {
        assert!(ParticipantLabel::new("0042").is_ok());
        assert_eq!(ParticipantLabel::from_str("sub-CLML01").unwrap().as_str(), "CLML01");
        for bad in ["", "a-b", "a b", "$(x)", "a/b", "é"] {
            assert!(ParticipantLabel::new(bad).is_err(), "{bad:?} accepted");
            assert!(SessionLabel::new(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(SessionLabel::new("202401151430").unwrap().entity(), "ses-202401151430");
    }

    #[test]
    fn string_enums_round_trip() {
        for s in RunStatus::ALL {
            assert_eq!(RunStatus::from_str(s.as_str()).unwrap(), *s);
        }
        for s in FailureCause::ALL {
            assert_eq!(FailureCause::from_str(s.as_str()).unwrap(), *s);
        }
        for s in IntakeState::ALL {
            assert_eq!(IntakeState::from_str(s.as_str()).unwrap(), *s);
        }
        assert!(RunStatus::from_str("done").is_err());
    }
}
