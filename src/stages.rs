//! The stage table: the chain as data. Adding a stage is a row here, a template
//! in templates/ and a section under `pipelines:` in the configuration.

use crate::domain::Level;

/// A success marker (files must be written by the run being checked, except
/// `Shared`): a path pattern with `{bids}`, `{derivatives}`, `{sub}`
/// (participant label), `{ses}` (session label) and, for `Each`, `{item}`.
#[derive(Debug, PartialEq, Eq)]
pub enum Marker {
    /// A file this run must have written.
    File(&'static str),
    /// A file that must exist, written by this run or an earlier one (dataset-level).
    Shared(&'static str),
    /// A directory that must exist and hold at least one entry.
    NonEmptyDir(&'static str),
    /// A directory holding (at any depth) at least one file ending in each suffix.
    DirWithFiles(&'static str, &'static [&'static str]),
    /// One file per item of a list option (e.g. one report per recon suffix);
    /// without the option, at least one file matching the pattern's `{item}` as `*`.
    Each { option: &'static str, path: &'static str },
}

/// One stage of the chain.
#[derive(Debug, PartialEq, Eq)]
pub struct StageDef {
    /// Name used in the configuration, the database, job names and the CLI.
    pub name: &'static str,
    pub level: Level,
    /// Stages whose current run must have completed for the unit (for a
    /// subject-level stage: for every valid session of the subject).
    pub needs: &'static [&'static str],
    /// Template file under templates/ that renders the sbatch script.
    pub template: &'static str,
    /// The tool's executable name (the default `command` with `runtime: native`).
    pub tool: &'static str,
    /// Keys allowed under `pipelines.<stage>.options` (free-form values for the template).
    pub options: &'static [&'static str],
    /// Options the stage cannot run without.
    pub required_options: &'static [&'static str],
    /// What must exist after a COMPLETED job for the run to count as completed.
    pub success: &'static [Marker],
    /// Defaults when the configuration does not say.
    pub default_max_concurrent: u32,
}

pub const STAGES: &[StageDef] = &[
    StageDef {
        name: "bids_conversion",
        level: Level::Session,
        needs: &[],
        template: "bids_conversion.sh.tera",
        tool: "heudiconv",
        options: &["heuristic", "overwrite", "grouping"],
        required_options: &[],
        success: &[
            Marker::Shared("{bids}/dataset_description.json"),
            Marker::DirWithFiles("{bids}/sub-{sub}/ses-{ses}", &[".nii.gz", ".json"]),
        ],
        default_max_concurrent: 4,
    },
    StageDef {
        name: "qsiprep",
        level: Level::Subject,
        needs: &["bids_conversion"],
        template: "qsiprep.sh.tera",
        tool: "qsiprep",
        options: &["output_resolution", "bids_filter_file", "extra_args"],
        required_options: &[],
        success: &[
            Marker::File("{derivatives}/qsiprep/sub-{sub}.html"),
            Marker::NonEmptyDir("{derivatives}/qsiprep/sub-{sub}"),
        ],
        default_max_concurrent: 1,
    },
    StageDef {
        name: "qsirecon",
        level: Level::Session,
        needs: &["qsiprep"],
        template: "qsirecon.sh.tera",
        tool: "qsirecon",
        options: &["recon_spec", "atlases", "datasets", "recon_suffixes", "extra_args"],
        required_options: &["recon_spec"],
        success: &[Marker::Each {
            option: "recon_suffixes",
            path: "{derivatives}/qsirecon/derivatives/qsirecon-{item}/sub-{sub}_ses-{ses}.html",
        }],
        default_max_concurrent: 2,
    },
    StageDef {
        name: "qsiparc",
        level: Level::Session,
        needs: &["qsirecon"],
        template: "qsiparc.sh.tera",
        tool: "qsiparc",
        options: &["atlases", "extra_args"],
        required_options: &[],
        success: &[Marker::NonEmptyDir("{derivatives}/qsiparc/sub-{sub}/ses-{ses}/dwi")],
        default_max_concurrent: 4,
    },
];

/// Looks a stage up by name.
pub fn stage(name: &str) -> Option<&'static StageDef> {
    STAGES.iter().find(|s| s.name == name)
}

/// All stage names, in chain order, for messages.
pub fn names() -> Vec<&'static str> {
    STAGES.iter().map(|s| s.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_well_formed() {
        for (i, s) in STAGES.iter().enumerate() {
            assert!(s.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            assert_eq!(stage(s.name), Some(s));
            for need in s.needs {
                let pos = STAGES.iter().position(|u| u.name == *need);
                assert!(matches!(pos, Some(p) if p < i), "{} needs {need}, which must come earlier", s.name);
            }
            assert!(s.template.ends_with(".sh.tera"));
            assert!(!s.success.is_empty(), "{} has no success markers", s.name);
            for r in s.required_options {
                assert!(s.options.contains(r), "{}: required option {r} is not an allowed option", s.name);
            }
        }
    }
}
