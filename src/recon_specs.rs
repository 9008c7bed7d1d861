//! QSIRecon's built-in recon specs as data: the `qsirecon_suffix` values each one
//! writes (one `derivatives/qsirecon-<suffix>/` folder per suffix) and the inputs it
//! cannot run without. Source: `qsirecon/data/pipelines/*.yaml` at QSIRecon 26.0.0
//! (9f6b21b7); file and line of every suffix in docs/tools.md. `*_ACT-fast` specs are
//! switched to HSVS by QSIRecon's code (`workflows/recon/mrtrix.py` L632-643), so
//! they need FreeSurfer outputs like the `*_ACT-hsvs` ones.

/// One built-in spec.
#[derive(Debug, PartialEq, Eq)]
pub struct BuiltinSpec {
    pub name: &'static str,
    pub suffixes: &'static [&'static str],
    /// Needs FreeSurfer outputs (`fs_subjects_dir`).
    pub needs_fs_subjects: bool,
    /// Needs `recon_spec_aux_files` (precomputed response functions).
    pub needs_aux_files: bool,
}

const fn spec(name: &'static str, suffixes: &'static [&'static str]) -> BuiltinSpec {
    BuiltinSpec { name, suffixes, needs_fs_subjects: false, needs_aux_files: false }
}

const fn with_freesurfer(name: &'static str, suffixes: &'static [&'static str]) -> BuiltinSpec {
    BuiltinSpec { name, suffixes, needs_fs_subjects: true, needs_aux_files: false }
}

pub const BUILTIN: &[BuiltinSpec] = &[
    spec("amico_noddi", &["NODDI"]),
    spec("dipy_dki", &["DKI"]),
    spec("dipy_mapmri", &["DIPYMAPMRI"]),
    spec("dipy_3dshore", &["3dSHORE", "3dshorenetwork"]),
    spec("csdsi_3dshore", &["3dSHORE", "msmtcsd", "ifod2", "msmtconnectome"]),
    spec("dsi_studio_gqi", &["DSIStudio"]),
    spec("dsi_studio_autotrack", &["DSIStudio"]),
    spec("ss3t_fod_autotrack", &["SS3TAutoTrack"]),
    spec("mrtrix_multishell_msmt_noACT", &["MRtrix3_act-None"]),
    spec("mrtrix_multishell_msmt_noACT_estimate", &["MRtrix3_act-None_response-subject"]),
    BuiltinSpec {
        name: "mrtrix_multishell_msmt_noACT_apply",
        suffixes: &["MRtrix3_act-None_response-common"],
        needs_fs_subjects: false,
        needs_aux_files: true,
    },
    with_freesurfer("mrtrix_multishell_msmt_ACT-hsvs", &["MRtrix3_act-HSVS"]),
    with_freesurfer("mrtrix_multishell_msmt_ACT-fast", &["MRtrix3_act-FAST"]),
    spec("mrtrix_singleshell_ss3t_noACT", &["MRtrix3_fork-SS3T_act-None"]),
    with_freesurfer("mrtrix_singleshell_ss3t_ACT-hsvs", &["MRtrix3_fork-SS3T_act-HSVS"]),
    with_freesurfer("mrtrix_singleshell_ss3t_ACT-fast", &["MRtrix3_fork-SS3T_act-FAST"]),
    spec("mrtrix_multishell_msmt_pyafq_tractometry", &["MRtrix3", "PYAFQ"]),
    spec("pyafq_tractometry", &["PYAFQ"]),
    spec(
        "multishell_scalarfest",
        &["msmtcsd", "wmNODDI", "gmNODDI", "SOP", "MAPMRI", "DKI", "DIPY3dSHORE", "csmsmtcsd", "DSIStudio"],
    ),
    spec("TORTOISE", &["TORTOISE"]),
    spec("abcd_recon", &["wmNODDI", "gmNODDI", "DIPYDKI", "TORTOISE_model-MAPMRI", "DSIStudioGQI", "MSMTAutoTrack"]),
    spec("hbcd_scalar_maps", &["DIPYDKI", "TORTOISE_model-MAPMRI", "TORTOISE_model-tensor", "DSIStudio"]),
    spec("reorient_fslstd", &["FSL"]),
];

/// How a `recon_spec` value is read: QSIRecon takes an existing path first, then a
/// built-in name (`workflows/base.py` L390-405). neuroflow calls a value with a `/`
/// or a `.yaml`/`.json` ending a file.
#[derive(Debug, PartialEq, Eq)]
pub enum SpecRef<'a> {
    Builtin(&'static BuiltinSpec),
    File(&'a str),
    /// Not a built-in of the version neuroflow knows (a newer QSIRecon may have it).
    Unknown(&'a str),
}

pub fn classify(value: &str) -> SpecRef<'_> {
    if value.contains('/') || value.ends_with(".yaml") || value.ends_with(".json") {
        return SpecRef::File(value);
    }
    match BUILTIN.iter().find(|s| s.name == value) {
        Some(s) => SpecRef::Builtin(s),
        None => SpecRef::Unknown(value),
    }
}

/// Names of the built-in specs, for messages.
pub fn names() -> String {
    BUILTIN.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_are_classified() {
        assert_eq!(classify("dipy_dki"), SpecRef::Builtin(&BUILTIN[1]));
        assert_eq!(classify("/site/spec.yaml"), SpecRef::File("/site/spec.yaml"));
        assert_eq!(classify("my_spec.json"), SpecRef::File("my_spec.json"));
        assert_eq!(classify("brand_new_spec"), SpecRef::Unknown("brand_new_spec"));
        for s in BUILTIN {
            assert!(!s.suffixes.is_empty(), "{}", s.name);
            assert_eq!(s.needs_fs_subjects, s.name.contains("ACT-"), "{}: FreeSurfer need follows ACT", s.name);
        }
    }
}
