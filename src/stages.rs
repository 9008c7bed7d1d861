//! The stage table: the chain as data. Adding a stage is a row here, a template
//! in templates/ and a section under `pipelines:` in the configuration.

use crate::domain::Level;

/// A success marker: a path pattern with `{bids}`, `{derivatives}`, `{sub}`
/// (participant label), `{ses}` (session label) and, for `Per::Item`, `{item}`.
/// Markers name what only a successful run writes: QSIPrep and QSIRecon write their
/// HTML reports in a `finally` block, even after a crash (docs/tools.md).
#[derive(Debug, PartialEq, Eq)]
pub struct Marker {
    pub path: &'static str,
    pub what: Proof,
    pub per: Per,
}

/// What must hold at a marker's path.
#[derive(Debug, PartialEq, Eq)]
pub enum Proof {
    /// A file that must exist, written by this run or an earlier one (dataset-level).
    Exists,
    /// A directory holding (at any depth) a file written by this run ending in each
    /// suffix (no suffixes: any file).
    FreshFiles(&'static [&'static str]),
}

/// How many concrete checks a marker stands for.
#[derive(Debug, PartialEq, Eq)]
pub enum Per {
    /// One, for the unit.
    Unit,
    /// One per session a subject-level run covers (`{ses}`).
    CoveredSession,
    /// One per item of a list (`{item}`): the option's items, or what
    /// `pipeline::options::list_items` derives (e.g. a recon spec's suffixes).
    Item(&'static str),
}

/// What kind of value an option holds; paths are bound into the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptKind {
    /// A number (e.g. a resolution in mm).
    Number,
    Bool,
    /// One of these words.
    Choice(&'static [&'static str]),
    /// A list of names (atlases, suffixes): letters, digits, `_`, `-`, `.`.
    Names,
    /// A non-empty list of some of these words.
    Words(&'static [&'static str]),
    /// A file or directory the tool reads (bound read-only; must exist).
    InputPath,
    /// `{name: path}` datasets the tool reads (rendered `name=path`, bound read-only).
    Datasets,
    /// A QSIRecon recon spec: a built-in name or a spec file (bound read-only).
    ReconSpec,
    /// Extra arguments passed as they are (paths in them need `containers.binds`).
    Args,
}

/// One key under `pipelines.<stage>.options`.
#[derive(Debug, PartialEq, Eq)]
pub struct OptDef {
    pub name: &'static str,
    pub kind: OptKind,
}

const fn opt(name: &'static str, kind: OptKind) -> OptDef {
    OptDef { name, kind }
}

/// What a stage's tool needs from the site besides its image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// The tool refuses to start without a FreeSurfer licence (`containers.fs_license`).
    pub fs_license: bool,
    /// The tool fetches TemplateFlow templates: under Apptainer a bound, pre-filled
    /// `containers.templateflow_home` is required (compute nodes are often offline).
    pub templateflow: bool,
}

const NOTHING: Needs = Needs { fs_license: false, templateflow: false };

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
    /// The tool's executable name (the default `command` with `runtime: native`); its
    /// releases and how it prints its version are in `releases::TOOLS`.
    pub tool: &'static str,
    /// The stage reads the session's DICOM folder (it cannot run once that is gone).
    pub reads_dicom: bool,
    /// Keys allowed under `pipelines.<stage>.options`, with their kinds.
    pub options: &'static [OptDef],
    /// Options the stage cannot run without.
    pub required_options: &'static [&'static str],
    pub requires: Needs,
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
        reads_dicom: true,
        options: &[
            opt("heuristic", OptKind::InputPath),
            opt("overwrite", OptKind::Bool),
            opt("grouping", OptKind::Choice(&["studyUID", "accession_number", "all", "custom"])),
        ],
        required_options: &[],
        requires: NOTHING,
        success: &[Marker {
            path: "{bids}/sub-{sub}/ses-{ses}",
            what: Proof::FreshFiles(&[".nii.gz", ".json"]),
            per: Per::Unit,
        }],
        default_max_concurrent: 4,
    },
    StageDef {
        name: "qsiprep",
        level: Level::Subject,
        needs: &["bids_conversion"],
        template: "qsiprep.sh.tera",
        tool: "qsiprep",
        reads_dicom: false,
        options: &[
            opt("output_resolution", OptKind::Number),
            opt("subject_anatomical_reference", OptKind::Choice(&["unbiased", "first-lex", "sessionwise"])),
            opt("bids_filter_file", OptKind::InputPath),
            opt("eddy_config", OptKind::InputPath),
            // QSIPrep >= 26.1 `--gpu` (qsiprep/cli/parser.py L1006-1024 @26.1.1): the
            // steps run on the GPU when `resources.gpus > 0`; older releases ignore it.
            opt("gpu_steps", OptKind::Words(&["eddy", "diffprep", "drbuddi", "synthstrip", "synthseg", "all", "none"])),
            opt("extra_args", OptKind::Args),
        ],
        required_options: &["output_resolution"],
        requires: Needs { fs_license: false, templateflow: true },
        success: &[Marker {
            path: "{derivatives}/qsiprep/sub-{sub}/ses-{ses}/dwi",
            what: Proof::FreshFiles(&["_desc-preproc_dwi.nii.gz"]),
            per: Per::CoveredSession,
        }],
        default_max_concurrent: 1,
    },
    StageDef {
        name: "qsirecon",
        level: Level::Session,
        needs: &["qsiprep"],
        template: "qsirecon.sh.tera",
        tool: "qsirecon",
        reads_dicom: false,
        options: &[
            opt("recon_spec", OptKind::ReconSpec),
            opt("recon_suffixes", OptKind::Names),
            opt("atlases", OptKind::Names),
            opt("datasets", OptKind::Datasets),
            opt("fs_subjects_dir", OptKind::InputPath),
            opt("recon_spec_aux_files", OptKind::InputPath),
            opt("bids_filter_file", OptKind::InputPath),
            opt("output_resolution", OptKind::Number),
            opt("extra_args", OptKind::Args),
        ],
        required_options: &["recon_spec"],
        requires: Needs { fs_license: true, templateflow: true },
        success: &[Marker {
            path: "{derivatives}/qsirecon/derivatives/qsirecon-{item}/sub-{sub}/ses-{ses}/dwi",
            what: Proof::FreshFiles(&[]),
            per: Per::Item("recon_suffixes"),
        }],
        default_max_concurrent: 2,
    },
    StageDef {
        name: "qsiparc",
        level: Level::Session,
        needs: &["qsirecon"],
        template: "qsiparc.sh.tera",
        tool: "qsiparc",
        reads_dicom: false,
        options: &[opt("atlases", OptKind::Names), opt("extra_args", OptKind::Args)],
        required_options: &[],
        requires: NOTHING,
        success: &[
            Marker {
                path: "{derivatives}/qsiparc/sub-{sub}/ses-{ses}/dwi",
                what: Proof::FreshFiles(&["_diffmap.tsv"]),
                per: Per::Unit,
            },
            Marker {
                path: "{derivatives}/qsiparc/sub-{sub}/ses-{ses}/dwi/atlas-{item}",
                what: Proof::FreshFiles(&["_diffmap.tsv"]),
                per: Per::Item("atlases"),
            },
        ],
        default_max_concurrent: 4,
    },
];

impl StageDef {
    /// The definition of option `name`, if the stage has it.
    pub fn option(&self, name: &str) -> Option<&'static OptDef> {
        self.options.iter().find(|o| o.name == name)
    }
}

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
                assert!(s.option(r).is_some(), "{}: required option {r} is not an allowed option", s.name);
            }
            for m in s.success {
                if let Per::Item(o) = m.per {
                    assert!(s.option(o).is_some(), "{}: marker list {o} is not an option", s.name);
                    assert!(m.path.contains("{item}"), "{}: {} lacks {{item}}", s.name, m.path);
                }
                if m.per == Per::CoveredSession {
                    assert!(s.level == Level::Subject && m.path.contains("{ses}"), "{}: {}", s.name, m.path);
                }
            }
        }
    }
}
