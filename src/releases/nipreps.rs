//! QSIPrep and QSIRecon releases. QSIPrep lines were read from each release's wheel on
//! PyPI (`qsiprep/cli/parser.py`), which the test suite also runs; QSIRecon is not on
//! PyPI, so its lines were read from the tags of PennLINC/qsirecon.

use super::{Cite, NONE, Probe, Release, Spelled, Tool};

const BEFORE_26_1: &[(&str, Cite)] =
    &[("--session-label", "added in 26.1.0: qsiprep/cli/parser.py L352-362 @26.1.1"), GPU_26_1];
const GPU_26_1: (&str, Cite) = ("--gpu", "added in 26.1.0: qsiprep/cli/parser.py L1006-1024 @26.1.1");

/// QSIPrep 1.0 spells `first-lex` as `first-alphabetically` (its only lexical choice).
const FIRST_ALPHABETICALLY: &[Spelled] = &[Spelled {
    option: "subject_anatomical_reference",
    value: "first-lex",
    as_: "first-alphabetically",
    cite: "qsiprep/cli/parser.py L334-337 @1.0.2: choices first-alphabetically unbiased sessionwise",
}];

pub const QSIPREP: Tool = Tool {
    name: "qsiprep",
    display: "QSIPrep",
    probe: Probe::Flag {
        args: &["--version"],
        printed: "QSIPrep v{}",
        cite: "qsiprep/cli/parser.py L167, L596 @26.0.0 (L281, L1165 @26.1.1): `verstr = f'QSIPrep v{…}'`, `action='version'`",
    },
    version_labels: &["org.label-schema.version", "org.opencontainers.image.version"],
    name_label: "org.label-schema.name",
    releases: &[
        Release {
            series: "1.0",
            tested: "1.0.2",
            real_parser: true,
            session_flag: "--session-id",
            gpu_steps: false,
            spelled: FIRST_ALPHABETICALLY,
            lacks: NONE,
            refuses: BEFORE_26_1,
            changes: &[
                (
                    "outputs straight into output_dir (no qsiprep/ folder)",
                    "qsiprep/interfaces/bids.py L226 @1.0.2: out_path_base = ''",
                ),
                ("`--session-id` nargs +, strips ses-", "qsiprep/cli/parser.py L214-222 @1.0.2"),
                ("`--output-resolution` required", "qsiprep/cli/parser.py L456-463 @1.0.2"),
                (
                    "`--subject-anatomical-reference` choices first-alphabetically unbiased sessionwise",
                    "qsiprep/cli/parser.py L334-337 @1.0.2",
                ),
            ],
        },
        Release {
            series: "1.1",
            tested: "1.1.1",
            real_parser: true,
            session_flag: "--session-id",
            gpu_steps: false,
            spelled: &[],
            lacks: NONE,
            refuses: BEFORE_26_1,
            changes: &[(
                "`first-lex` added (first-alphabetically deprecated to it)",
                "qsiprep/cli/parser.py L339-350, L669-675 @1.1.1",
            )],
        },
        Release {
            series: "26.0",
            tested: "26.0.0",
            real_parser: true,
            session_flag: "--session-id",
            gpu_steps: false,
            spelled: &[],
            lacks: NONE,
            refuses: BEFORE_26_1,
            changes: &[
                ("calendar versions; same flags as 1.1", "pyproject.toml version_scheme nipreps-calver @26.0.0"),
                (
                    "`--fs-license-file` parsed, never read",
                    "qsiprep/cli/parser.py L503-509, config.py L171-175 @26.0.0",
                ),
            ],
        },
        Release {
            series: "26.1",
            tested: "26.1.1",
            real_parser: true,
            session_flag: "--session-label",
            gpu_steps: true,
            spelled: &[],
            lacks: NONE,
            refuses: &[
                ("--session-id", "renamed --session-label in 26.1.0: qsiprep/cli/parser.py L352-362 @26.1.1"),
                ("--fs-license-file", "removed in 26.1.0: no such flag in qsiprep/cli/parser.py @26.1.1"),
            ],
            changes: &[
                (
                    "`--session-id` renamed `--session-label` (nargs +, strips ses-)",
                    "qsiprep/cli/parser.py L352-362 @26.1.1",
                ),
                ("`--fs-license-file` removed", "qsiprep/cli/parser.py @26.1.1 (L504 @26.0.0)"),
                (
                    "`--gpu {eddy,diffprep,drbuddi,synthstrip,synthseg,all,none}…`: GPU steps opt-in",
                    "qsiprep/cli/parser.py L1006-1024 @26.1.1, utils/gpu.py L27-36",
                ),
                (
                    "`--subject-anatomical-reference` drops first-alphabetically",
                    "qsiprep/cli/parser.py L529-539 @26.1.1",
                ),
                ("`--output-resolution` still required", "qsiprep/cli/parser.py L323-334 @26.1.1"),
            ],
        },
    ],
};

const AUX_FILES: (&str, Cite) =
    ("recon_spec_aux_files", "`--recon-spec-aux-files` added in 1.2.0: qsirecon/cli/parser.py L372-381 @1.2.0");

pub const QSIRECON: Tool = Tool {
    name: "qsirecon",
    display: "QSIRecon",
    probe: Probe::Flag {
        args: &["--version"],
        printed: "QSIRecon v{}",
        cite: "qsirecon/cli/parser.py L132 @26.0.0: `verstr = f'QSIRecon v{…}'` with `action='version'`",
    },
    version_labels: &["org.label-schema.version", "org.opencontainers.image.version"],
    name_label: "org.label-schema.name",
    releases: &[
        Release {
            series: "1.0",
            tested: "1.0.1",
            real_parser: false,
            session_flag: "--session-id",
            gpu_steps: false,
            spelled: &[],
            lacks: &[AUX_FILES],
            refuses: NONE,
            changes: &[
                ("`input_dir output_dir participant`", "qsirecon/cli/parser.py L149-171 @1.0.0 (f78c8882)"),
                ("`--session-id` nargs +", "qsirecon/cli/parser.py L182-190 @1.0.0"),
                ("`--recon-spec` optional", "qsirecon/cli/parser.py L331-336 @1.0.0"),
                ("`--datasets` ToDict: `preprocessed` reserved", "qsirecon/cli/parser.py L34-54 @1.0.0"),
            ],
        },
        Release {
            series: "1.1",
            tested: "1.1.1",
            real_parser: false,
            session_flag: "--session-id",
            gpu_steps: false,
            spelled: &[],
            lacks: &[AUX_FILES],
            refuses: NONE,
            changes: &[("same flags as 1.0", "qsirecon/cli/parser.py @1.1.1 (fa867395)")],
        },
        Release {
            series: "1.2",
            tested: "1.2.0",
            real_parser: false,
            session_flag: "--session-id",
            gpu_steps: false,
            spelled: &[],
            lacks: NONE,
            refuses: NONE,
            changes: &[
                ("`--recon-spec-aux-files` added", "qsirecon/cli/parser.py L372-381 @1.2.0 (339140bf)"),
                ("a FreeSurfer licence is required at parse time", "qsirecon/cli/parser.py L489-503 @1.2.0"),
            ],
        },
        Release {
            series: "26.0",
            tested: "26.0.0",
            real_parser: false,
            session_flag: "--session-id",
            gpu_steps: false,
            spelled: &[],
            lacks: NONE,
            refuses: NONE,
            changes: &[
                ("`--recon-spec` required", "qsirecon/cli/parser.py L337-342 @26.0.0 (9f6b21b7)"),
                ("licence check", "qsirecon/cli/parser.py L499-515 @26.0.0"),
            ],
        },
    ],
};
