//! Owns: `neuroflow.yaml` — locate, parse, validate (the only user of the YAML crate).
//! May import: stages, releases, recon_specs, domain (the tables options are checked
//! against), db's `redact`. Must not be imported by: stages, releases, domain, db.

pub mod effective;
mod model;
pub mod notify;
mod options;
mod values;

pub use model::*;
pub use values::{Cpus, Gpus, MemMb, Pattern, ReleasePin, SlurmName, WallTime};

use std::path::{Path, PathBuf};

/// Environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "NEUROFLOW_CONFIG";
/// Environment variable that overrides `database.url`.
pub const DATABASE_ENV: &str = "NEUROFLOW_DATABASE_URL";
/// The commented starter configuration written by `neuroflow init`.
pub const STARTER: &str = include_str!("starter.yaml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no configuration file found (looked at {looked}); pass --config FILE, set {CONFIG_ENV}, or run `neuroflow init` to write one"
    )]
    NotFound { looked: String },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}:{column}: {message}")]
    Parse { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}: `{key}`: {message}")]
    Invalid { path: PathBuf, key: String, message: String },
}

/// A validated configuration and the file it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    pub config: Config,
}

/// Finds the configuration: `--config`, then `$NEUROFLOW_CONFIG`, then `./neuroflow.yaml`.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let local = PathBuf::from("neuroflow.yaml");
    if local.is_file() {
        return Ok(local);
    }
    Err(ConfigError::NotFound { looked: format!("--config, ${CONFIG_ENV}, ./neuroflow.yaml") })
}

/// Reads, parses and validates a configuration file.
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
    let env_url = std::env::var(DATABASE_ENV).ok().filter(|v| !v.is_empty());
    parse(path, &text, env_url)
}

/// Parses and validates configuration text (pure; `path` is used for messages and
/// for resolving relative paths).
pub fn parse(path: &Path, text: &str, database_env: Option<String>) -> Result<Loaded, ConfigError> {
    let mut config: Config = serde_yaml::from_str(text).map_err(|e| match e.location() {
        Some(loc) => ConfigError::Parse {
            path: path.into(),
            line: loc.line(),
            column: loc.column(),
            message: strip_location(&e.to_string()),
        },
        None => ConfigError::Syntax { path: path.into(), message: e.to_string() },
    })?;
    let base = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = std::path::absolute(&base).unwrap_or(base);
    config.resolve_paths(&base);
    if let Some(url) = database_env {
        config.database.url = Some(url);
    }
    config.validate().map_err(|(key, message)| ConfigError::Invalid { path: path.into(), key, message })?;
    Ok(Loaded { path: path.into(), config })
}

/// serde_yaml appends "at line L column C"; the error already says where.
fn strip_location(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

fn absolutize(base: &Path, p: &mut PathBuf) {
    if p.is_relative() {
        *p = base.join(&*p);
    }
}

impl Config {
    fn resolve_paths(&mut self, base: &Path) {
        let p = &mut self.paths;
        for path in [&mut p.dicom_incoming, &mut p.bids_root, &mut p.derivatives, &mut p.work_dir, &mut p.log_dir] {
            absolutize(base, path);
        }
        if let Some(f) = self.mapping.as_mut().and_then(|m| m.csv_file.as_mut()) {
            absolutize(base, f);
        }
        if let Some(d) = &mut self.templates.dir {
            absolutize(base, d);
        }
        if let Some(d) = &mut self.paths.status_page {
            absolutize(base, d);
        }
        for f in [&mut self.containers.fs_license, &mut self.containers.templateflow_home].into_iter().flatten() {
            absolutize(base, f);
        }
        if let Some(s) = &mut self.paths.scratch
            && !s.starts_with('$')
            && Path::new(s.as_str()).is_relative()
        {
            *s = base.join(&*s).display().to_string();
        }
        for (stage, pipe) in self.pipelines.iter_mut() {
            if let Some(i) = &mut pipe.image {
                absolutize(base, i);
            }
            if let Some(def) = crate::stages::stage(&stage.0) {
                options::resolve_paths(def, pipe, base);
            }
        }
    }

    /// The state store's URL: `database.url` (or its env override), else SQLite in work_dir.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(u) => u.clone(),
            None => format!("sqlite://{}", self.paths.work_dir.join("neuroflow.db").display()),
        }
    }

    /// The pipeline section for a stage, if configured.
    pub fn pipeline(&self, stage: &str) -> Option<&Pipeline> {
        self.pipelines.iter().find(|(k, _)| k.0 == stage).map(|(_, v)| v)
    }

    /// The stages that will run, with their sections.
    pub fn enabled(&self) -> impl Iterator<Item = (&'static crate::stages::StageDef, &Pipeline)> {
        crate::stages::STAGES.iter().filter_map(|d| self.pipeline(d.name).filter(|p| p.enabled).map(|p| (d, p)))
    }

    /// Checks what the configuration names on disk: the FreeSurfer licence is a
    /// readable file, the TemplateFlow home a directory, every path option exists.
    /// (I/O; `parse` stays pure.) Run by the commands that submit or check.
    pub fn check_files(&self, path: &Path) -> Result<(), ConfigError> {
        match self.file_problems().into_iter().next() {
            Some((key, message)) => Err(ConfigError::Invalid { path: path.into(), key, message }),
            None => Ok(()),
        }
    }

    /// Every file the configuration names that is not there (key, what to do); `doctor`
    /// lists them all.
    pub fn file_problems(&self) -> Vec<(String, String)> {
        let mut out = vec![];
        if let Some(l) = &self.containers.fs_license
            && let Err(e) = std::fs::File::open(l)
                .and_then(|f| f.metadata())
                .and_then(|m| if m.is_file() { Ok(()) } else { Err(std::io::Error::other("not a file")) })
        {
            out.push((
                "containers.fs_license".into(),
                format!(
                    "cannot read the FreeSurfer licence {}: {e}; get one at https://surfer.nmr.mgh.harvard.edu/registration.html and give its path",
                    l.display()
                ),
            ));
        }
        if let Some(t) = &self.containers.templateflow_home
            && !t.is_dir()
        {
            out.push((
                "containers.templateflow_home".into(),
                format!(
                    "{} is not a directory; create it and fill it with the templates the tools need (python -c 'import templateflow.api as t; t.get(\"MNI152NLin2009cAsym\")' with TEMPLATEFLOW_HOME set)",
                    t.display()
                ),
            ));
        }
        for (def, pipe) in self.enabled() {
            for (key, p) in pipe.input_paths(def) {
                if !Path::new(&p).exists() {
                    out.push((
                        format!("pipelines.{}.options.{key}", def.name),
                        format!("{p} does not exist; the tool reads it inside the job"),
                    ));
                }
            }
        }
        out
    }

    fn validate(&self) -> Result<(), (String, String)> {
        let err = |k: &str, m: String| Err((k.to_string(), m));
        if let Some(url) = &self.database.url
            && !(url.starts_with("sqlite://") || url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return err(
                "database.url",
                format!("{url:?} is neither sqlite:///abs/path.db nor postgres://user@host/db"),
            );
        }
        match (&self.mapping, &self.discovery.path_pattern) {
            (Some(m), _) => validate_mapping(m)?,
            (None, None) => return err("mapping", "missing: give `mapping: {csv_file: ...}` (or `discovery.path_pattern` for <subject>/<session> folders)".into()),
            (None, Some(_)) => {}
        }
        validate_protocol(&self.protocol)?;
        if let Some(p) = &self.discovery.path_pattern {
            validate_path_pattern(p).map_err(|m| ("discovery.path_pattern".to_string(), m))?;
        }
        if self.slurm.array_throttle == Some(0) {
            return err("slurm.array_throttle", "must be at least 1 (or left out: no throttle)".into());
        }
        if self.slurm.max_live_jobs == 0 {
            return err("slurm.max_live_jobs", "must be at least 1".into());
        }
        if let Some(s) = &self.paths.scratch {
            validate_scratch(s).map_err(|m| ("paths.scratch".to_string(), m))?;
        }
        if let Some(n) = &self.notify {
            n.check()?;
        }
        for (stage, pipe) in &self.pipelines {
            validate_pipeline(&stage.0, pipe).map_err(|(k, m)| (format!("pipelines.{}.{k}", stage.0), m))?;
        }
        self.validate_requirements()
    }

    /// A stage's tool may need a FreeSurfer licence or a TemplateFlow cache.
    fn validate_requirements(&self) -> Result<(), (String, String)> {
        for (def, pipe) in self.enabled() {
            if def.requires.fs_license && self.containers.fs_license.is_none() {
                return Err((
                    "containers.fs_license".into(),
                    format!(
                        "{} refuses to start without a FreeSurfer licence: set `containers: {{fs_license: /path/to/license.txt}}` (free at https://surfer.nmr.mgh.harvard.edu/registration.html), or disable the stage",
                        def.name
                    ),
                ));
            }
            if def.requires.templateflow
                && pipe.runtime == Runtime::Apptainer
                && self.containers.templateflow_home.is_none()
            {
                return Err((
                    "containers.templateflow_home".into(),
                    format!(
                        "{} fetches TemplateFlow templates and compute nodes are often offline: set `containers: {{templateflow_home: /path/to/templateflow}}` to a pre-filled cache",
                        def.name
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn validate_mapping(m: &Mapping) -> Result<(), (String, String)> {
    match (&m.csv_file, &m.url) {
        (Some(_), Some(_)) => Err(("mapping".into(), "give either csv_file or url, not both".into())),
        (None, None) => Err(("mapping".into(), "give csv_file (a CSV path) or url (an http(s) CSV export)".into())),
        (None, Some(u)) if !(u.starts_with("https://") || u.starts_with("http://")) => {
            Err(("mapping.url".into(), format!("{u:?} must start with https:// or http://")))
        }
        _ => Ok(()),
    }
}

fn validate_protocol(p: &Protocol) -> Result<(), (String, String)> {
    if p.required_scans.is_empty() {
        return Err(("protocol.required_scans".into(), "list at least one required scan".into()));
    }
    let mut names = std::collections::BTreeSet::new();
    for (list, rules) in [("required_scans", &p.required_scans), ("optional_scans", &p.optional_scans)] {
        for r in rules {
            let key = format!("protocol.{list}.{}", r.name);
            if !names.insert(r.name.as_str()) {
                return Err((key, "scan names must be unique".into()));
            }
            if let Some(max) = r.max_files
                && max < r.min_files
            {
                return Err((key, format!("max_files ({max}) is below min_files ({})", r.min_files)));
            }
        }
    }
    Ok(())
}

/// A path pattern must compile and name both groups.
pub fn validate_path_pattern(p: &str) -> Result<regex::Regex, String> {
    let re = regex::Regex::new(p).map_err(|e| format!("invalid regular expression: {e}"))?;
    let groups: Vec<&str> = re.capture_names().flatten().collect();
    for g in ["subject", "session"] {
        if !groups.contains(&g) {
            return Err(format!("must have a named group `(?P<{g}>...)`"));
        }
    }
    Ok(re)
}

/// A scratch path may name job variables (`$NAME`, `${NAME}`), nothing else of the shell.
fn validate_scratch(s: &str) -> Result<(), String> {
    let re = regex::Regex::new(crate::domain::JOB_VARIABLE).expect("valid regex");
    let rest = re.replace_all(s, "");
    if s.is_empty() || rest.contains(['$', '`', '"', '\\', '\n']) {
        return Err(format!(
            "{s:?}: use a path, optionally with job variables as $NAME or ${{NAME}} (e.g. \"${{SLURM_TMPDIR}}/neuroflow\")"
        ));
    }
    Ok(())
}

fn validate_pipeline(stage: &str, p: &Pipeline) -> Result<(), (String, String)> {
    let def = crate::stages::stage(stage).expect("StageKey is validated at parse time");
    if p.runtime == Runtime::Apptainer && p.image.is_none() {
        return Err((
            "image".into(),
            "runtime apptainer needs `image: /path/to/tool.sif` (or set `runtime: native`)".into(),
        ));
    }
    if p.max_attempts == 0 {
        return Err(("max_attempts".into(), "must be at least 1".into()));
    }
    if p.max_concurrent == Some(0) {
        return Err(("max_concurrent".into(), "must be at least 1".into()));
    }
    if !(p.retry.mem_factor >= 1.0 && p.retry.time_factor >= 1.0) {
        return Err(("retry".into(), "mem_factor and time_factor must be at least 1.0".into()));
    }
    if !(p.tool_mem_fraction > 0.0 && p.tool_mem_fraction <= 1.0) {
        return Err(("tool_mem_fraction".into(), "must be above 0 and at most 1 (e.g. 0.9)".into()));
    }
    options::validate(def, p)?;
    if let Some(pinned) = p.pinned(def) {
        let r = pinned.map_err(|m| ("version".to_string(), m))?;
        if let Some(c) = p.release_conflicts(&r).into_iter().next() {
            return Err(("version".into(), format!("{} cannot run this configuration: {c}", r.display())));
        }
    }
    Ok(())
}

/// Renders any serializable value as YAML (for `config check`).
pub fn to_yaml<T: serde::Serialize>(value: &T) -> String {
    serde_yaml::to_string(value).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
}

#[cfg(test)]
mod config_tests;
#[cfg(test)]
mod reference_tests;
