//! The stage table: the chain as data. Adding a stage is a row here, a template
//! in templates/ and a section under `pipelines:` in the configuration.

use crate::domain::Level;

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
    /// Keys allowed under `pipelines.<stage>.options` (free-form values for the template).
    pub options: &'static [&'static str],
    /// Defaults when the configuration does not say.
    pub default_max_concurrent: u32,
}

pub const STAGES: &[StageDef] = &[
    StageDef {
        name: "bids_conversion",
        level: Level::Session,
        needs: &[],
        template: "bids_conversion.sh.tera",
        options: &["heuristic", "overwrite", "grouping"],
        default_max_concurrent: 4,
    },
    StageDef {
        name: "qsiprep",
        level: Level::Subject,
        needs: &["bids_conversion"],
        template: "qsiprep.sh.tera",
        options: &["output_resolution", "bids_filter_file", "extra_args"],
        default_max_concurrent: 1,
    },
    StageDef {
        name: "qsirecon",
        level: Level::Session,
        needs: &["qsiprep"],
        template: "qsirecon.sh.tera",
        options: &["recon_spec", "atlases", "datasets", "recon_suffixes", "extra_args"],
        default_max_concurrent: 2,
    },
    StageDef {
        name: "qsiparc",
        level: Level::Session,
        needs: &["qsirecon"],
        template: "qsiparc.sh.tera",
        options: &["atlases", "extra_args"],
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
        }
    }
}
