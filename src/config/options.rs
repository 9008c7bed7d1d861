//! `pipelines.<stage>.options`: values checked against the kinds in the stage table,
//! paths made absolute, and what the rest of neuroflow reads from them (list items,
//! paths to bind into the container).

use super::model::Pipeline;
use crate::recon_specs::{self, SpecRef};
use crate::releases::{self, Resolved};
use crate::stages::{OptDef, OptKind, StageDef};
use serde_yaml::Value;
use std::path::Path;

type Invalid = (String, String);

fn invalid(key: &str, message: String) -> Invalid {
    (format!("options.{key}"), message)
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

fn text_list(v: &Value) -> Option<Vec<&str>> {
    v.as_sequence()?.iter().map(Value::as_str).collect()
}

/// Checks one option's value against its kind.
fn check_value(o: &OptDef, v: &Value) -> Result<(), String> {
    let ok = match o.kind {
        OptKind::Number => v.as_f64().is_some_and(|n| n > 0.0),
        OptKind::Bool => v.is_bool(),
        OptKind::Choice(words) => v.as_str().is_some_and(|s| words.contains(&s)),
        OptKind::Names => text_list(v).is_some_and(|l| l.iter().all(|s| is_name(s))),
        OptKind::Words(words) => text_list(v).is_some_and(|l| !l.is_empty() && l.iter().all(|s| words.contains(s))),
        OptKind::InputPath | OptKind::ReconSpec => v.as_str().is_some_and(|s| !s.is_empty()),
        OptKind::Datasets => v.as_mapping().is_some_and(|m| {
            m.iter().all(|(k, p)| k.as_str().is_some_and(is_name) && p.as_str().is_some_and(|p| !p.is_empty()))
        }),
        OptKind::Args => text_list(v).is_some(),
    };
    if ok {
        return Ok(());
    }
    Err(match o.kind {
        OptKind::Number => "must be a number above 0, e.g. `2`".into(),
        OptKind::Bool => "must be true or false".into(),
        OptKind::Choice(words) => format!("must be one of: {}", words.join(", ")),
        OptKind::Names => "must be a list of names (letters, digits, '_', '-', '.'), e.g. `[4S156Parcels]`".into(),
        OptKind::Words(words) => format!("must be a list of some of: {}", words.join(", ")),
        OptKind::InputPath => "must be a path".into(),
        OptKind::ReconSpec => format!("must be a built-in spec ({}) or a spec file path", recon_specs::names()),
        OptKind::Datasets => "must map names to paths, e.g. `{atlaspack: /data/atlases}`".into(),
        OptKind::Args => "must be a list of strings, e.g. `['--notrack']`".into(),
    })
}

/// Validates the options of one pipeline (pure).
pub fn validate(def: &StageDef, p: &Pipeline) -> Result<(), Invalid> {
    if let Some(r) = def.required_options.iter().find(|r| !p.options.contains_key(**r)) {
        return Err(invalid(r, format!("{} needs `options: {{{r}: ...}}`", def.name)));
    }
    for (k, v) in &p.options {
        let Some(o) = def.option(k) else {
            let known: Vec<&str> = def.options.iter().map(|o| o.name).collect();
            return Err(invalid(k, format!("unknown option for {}; known options: {}", def.name, known.join(", "))));
        };
        check_value(o, v).map_err(|m| invalid(k, m))?;
    }
    if let Some(o) = def.options.iter().find(|o| o.kind == OptKind::ReconSpec) {
        validate_recon_spec(p, o.name)?;
    }
    for o in def.options.iter().filter(|o| o.kind == OptKind::Datasets) {
        if let Some(m) = p.options.get(o.name).and_then(Value::as_mapping) {
            validate_datasets(o.name, m)?;
        }
    }
    Ok(())
}

/// What QSIRecon's `--datasets` misreads (`ToDict`, qsirecon/cli/parser.py L35-55
/// @26.0.0, L34-54 @1.0.0): the name `preprocessed` is reserved (the parser errors),
/// and `name=path` is split on every `=`, so a path holding `=` fails to unpack and is
/// silently taken whole as a path, named after its last component.
fn validate_datasets(key: &str, m: &serde_yaml::Mapping) -> Result<(), Invalid> {
    for (name, path) in m {
        let (Some(name), Some(path)) = (name.as_str(), path.as_str()) else { continue };
        if name == "preprocessed" {
            return Err(invalid(
                key,
                "the dataset name `preprocessed` is reserved by QSIRecon for its input (qsirecon/cli/parser.py L51-52 @26.0.0: \"The 'preprocessed' derivative is reserved for internal use.\"); choose another name".into(),
            ));
        }
        if path.contains('=') {
            return Err(invalid(
                key,
                format!(
                    "{name}: the path {path:?} holds '=': QSIRecon splits `name=path` on every '=' (qsirecon/cli/parser.py L43-47 @26.0.0) and would read it as a dataset named after the path's last folder; move or link the dataset to a path without '='"
                ),
            ));
        }
    }
    Ok(())
}

/// A recon spec must say which `qsirecon_suffix` folders it writes, and have the
/// inputs it cannot run without.
fn validate_recon_spec(p: &Pipeline, key: &str) -> Result<(), Invalid> {
    let Some(value) = p.options.get(key).and_then(Value::as_str) else { return Ok(()) };
    let given = p.options.get("recon_suffixes").and_then(text_list);
    match recon_specs::classify(value) {
        SpecRef::Builtin(spec) => {
            if let Some(g) = &given
                && g.as_slice() != spec.suffixes
            {
                return Err(invalid(
                    "recon_suffixes",
                    format!(
                        "the built-in spec {} writes {:?}; remove recon_suffixes (neuroflow knows them)",
                        spec.name, spec.suffixes
                    ),
                ));
            }
            if spec.needs_fs_subjects && !p.options.contains_key("fs_subjects_dir") {
                return Err(invalid(
                    key,
                    format!(
                        "{} needs FreeSurfer outputs: set `fs_subjects_dir: /path/to/freesurfer/subjects`, or choose a spec without ACT such as dsi_studio_gqi or mrtrix_multishell_msmt_noACT",
                        spec.name
                    ),
                ));
            }
            if spec.needs_aux_files && !p.options.contains_key("recon_spec_aux_files") {
                return Err(invalid(
                    key,
                    format!("{} needs `recon_spec_aux_files: /dir/with/wm.txt,gm.txt,csf.txt`", spec.name),
                ));
            }
        }
        SpecRef::File(_) | SpecRef::Unknown(_) if given.as_ref().is_none_or(|g| g.is_empty()) => {
            return Err(invalid(
                "recon_suffixes",
                format!(
                    "recon_spec {value:?} is not a built-in spec neuroflow knows ({}); list the `qsirecon_suffix` values it writes, e.g. `recon_suffixes: [MRtrix3]`",
                    recon_specs::names()
                ),
            ));
        }
        _ => {}
    }
    Ok(())
}

/// Makes relative option paths absolute against the configuration's directory.
pub fn resolve_paths(def: &StageDef, p: &mut Pipeline, base: &Path) {
    let abs = |s: &str| if Path::new(s).is_relative() { base.join(s).display().to_string() } else { s.to_string() };
    for (k, v) in p.options.iter_mut() {
        match def.option(k).map(|o| o.kind) {
            Some(OptKind::InputPath) => {
                if let Some(s) = v.as_str() {
                    *v = Value::String(abs(s));
                }
            }
            Some(OptKind::ReconSpec) => {
                if let Some(s) = v.as_str()
                    && matches!(recon_specs::classify(s), SpecRef::File(_))
                {
                    *v = Value::String(abs(s));
                }
            }
            Some(OptKind::Datasets) => {
                if let Some(m) = v.as_mapping_mut() {
                    for (_, path) in m.iter_mut() {
                        if let Some(s) = path.as_str() {
                            *path = Value::String(abs(s));
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

impl Pipeline {
    /// The release pinned with `version:`, checked against the tool's table (None
    /// when nothing is pinned).
    pub fn pinned(&self, def: &StageDef) -> Option<Result<Resolved, String>> {
        let pin = self.version.as_ref()?;
        let tool = releases::tool(def.tool)?;
        Some(Resolved::new(tool, pin.0.trim(), "pinned"))
    }

    /// What this stage's options ask of `release` that the release cannot give.
    pub fn release_conflicts(&self, release: &Resolved) -> Vec<String> {
        let keys: Vec<&str> = self.options.keys().map(String::as_str).collect();
        let extra = self.options.get("extra_args").and_then(text_list).unwrap_or_default();
        let display = releases::tool(release.tool).map_or(release.tool, |t| t.display);
        releases::conflicts(release.row(), display, &keys, &extra)
    }

    /// The items of a list option; for `recon_suffixes` without a value, the
    /// built-in spec's suffixes.
    pub fn list_items(&self, def: &StageDef, name: &str) -> Vec<String> {
        if let Some(l) = self.options.get(name).and_then(text_list) {
            return l.into_iter().map(String::from).collect();
        }
        let spec = def.options.iter().find(|o| o.kind == OptKind::ReconSpec);
        match spec.and_then(|o| self.options.get(o.name)).and_then(Value::as_str).map(recon_specs::classify) {
            Some(SpecRef::Builtin(s)) if name == "recon_suffixes" => s.suffixes.iter().map(|x| x.to_string()).collect(),
            _ => vec![],
        }
    }

    /// Every path the tool reads through an option, with the option's name (bound
    /// read-only in the container).
    pub fn input_paths(&self, def: &StageDef) -> Vec<(&str, String)> {
        let mut out = vec![];
        for (k, v) in &self.options {
            match (def.option(k).map(|o| o.kind), v) {
                (Some(OptKind::InputPath), Value::String(s)) => out.push((k.as_str(), s.clone())),
                (Some(OptKind::ReconSpec), Value::String(s))
                    if matches!(recon_specs::classify(s), SpecRef::File(_)) =>
                {
                    out.push((k.as_str(), s.clone()))
                }
                (Some(OptKind::Datasets), Value::Mapping(m)) => {
                    out.extend(m.values().filter_map(Value::as_str).map(|p| (k.as_str(), p.to_string())))
                }
                _ => {}
            }
        }
        out
    }

    /// Options as the template sees them: datasets become `name=path` words.
    pub fn template_options(&self, def: &StageDef) -> std::collections::BTreeMap<String, serde_json::Value> {
        self.options
            .iter()
            .map(|(k, v)| {
                let json = match (def.option(k).map(|o| o.kind), v) {
                    (Some(OptKind::Datasets), Value::Mapping(m)) => serde_json::Value::Array(
                        m.iter().filter_map(|(n, p)| Some(format!("{}={}", n.as_str()?, p.as_str()?).into())).collect(),
                    ),
                    _ => serde_json::to_value(v).unwrap_or_default(),
                };
                (k.clone(), json)
            })
            .collect()
    }
}
