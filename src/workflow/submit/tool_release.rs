//! Which release of its tool each stage runs, known before anything is rendered:
//! `pipelines.<stage>.version` when pinned; else found once per image digest (the
//! image's labels through `apptainer inspect --json`, then the tool's own answer run in
//! the image) or per native command, and kept in the store (`tool_releases`). A
//! release outside `releases::TOOLS`, or one that cannot be found, keeps the stage's
//! runs unsubmitted and needs a person (docs/decisions.md, "How releases are found").

use crate::config::{Config, Pipeline, Runtime};
use crate::db::Store;
use crate::error::Result;
use crate::releases::{self, Probe, Resolved, Tool};
use crate::slurm::runner;
use crate::stages::StageDef;
use crate::workflow::submit::tool_identity::{ToolIdentity, tool_identity};
use std::collections::HashMap;
use std::time::Duration;

/// How long a probe may take: starting a large image can take a minute.
const PROBE_TIMEOUT: Duration = Duration::from_secs(180);

/// A stage's tool, identified and with its release.
#[derive(Debug, Clone)]
pub struct StageTool {
    pub identity: ToolIdentity,
    pub release: Resolved,
}

/// The tools of the stages a tick submits to, each resolved once; a stage that cannot
/// run holds the sentence that says why.
#[derive(Debug, Default)]
pub struct Tools(HashMap<&'static str, std::result::Result<StageTool, String>>);

impl Tools {
    /// Resolves each of `stages` once (store errors end the tick; everything else is
    /// the stage's own problem).
    pub async fn resolve(
        cfg: &Config,
        store: &mut Store,
        stages: impl IntoIterator<Item = &'static StageDef>,
    ) -> Result<Tools> {
        let mut out = Tools::default();
        for def in stages {
            if !out.0.contains_key(def.name) {
                let t = resolve_stage(cfg, Some(&mut *store), def).await?;
                if let Err(why) = &t {
                    tracing::error!(stage = def.name, "{why}");
                }
                out.0.insert(def.name, t);
            }
        }
        Ok(out)
    }

    pub fn get(&self, stage: &str) -> std::result::Result<&StageTool, &str> {
        match self.0.get(stage) {
            Some(Ok(t)) => Ok(t),
            Some(Err(why)) => Err(why),
            None => Err("its tool was not resolved"),
        }
    }

    /// The stages that cannot run, with why (one line each, for a person).
    pub fn problems(&self) -> Vec<String> {
        let mut v: Vec<String> =
            self.0.iter().filter_map(|(s, t)| t.as_ref().err().map(|why| format!("{s}: {why}"))).collect();
        v.sort();
        v
    }
}

/// The release of one stage's tool, or why it cannot be used. With a store, digests
/// and releases found are remembered (and answered from it next time); without one
/// (`doctor` on a store not yet migrated), everything is asked afresh.
pub async fn resolve_stage(
    cfg: &Config,
    mut store: Option<&mut Store>,
    def: &'static StageDef,
) -> Result<std::result::Result<StageTool, String>> {
    let Some(pipe) = cfg.pipeline(def.name) else { return Ok(Err(format!("no pipelines.{} section", def.name))) };
    let tool = releases::tool(def.tool).expect("every stage's tool has a release table (a test checks)");
    let identity = match tool_identity(cfg, store.as_deref_mut(), def.name) {
        Ok(i) => i,
        Err(crate::error::Error::Db(e)) => return Err(e.into()),
        Err(e) => return Ok(Err(format!("{e}; fix pipelines.{}.image", def.name))),
    };
    let release = match pipe.pinned(def) {
        Some(pinned) => pinned,
        None => found(cfg, store, pipe, tool, &identity).await?,
    };
    Ok(release.and_then(|release| match pipe.release_conflicts(&release).into_iter().next() {
        Some(c) => Err(format!("{} cannot run this configuration: {c}", release.display())),
        None => Ok(StageTool { identity, release }),
    }))
}

/// The release found in the image or command, from the store when asked before.
async fn found(
    cfg: &Config,
    mut store: Option<&mut Store>,
    pipe: &Pipeline,
    tool: &'static Tool,
    id: &ToolIdentity,
) -> Result<std::result::Result<Resolved, String>> {
    let key = cache_key(pipe, id);
    if let Some(s) = store.as_deref_mut()
        && let Some((version, found_by)) = s.cached_release(&key, tool.name)?
    {
        return Ok(Resolved::new(tool, &version, found_by));
    }
    let started = std::time::Instant::now();
    match ask(cfg, pipe, tool, id).await {
        Ok((version, found_by)) => {
            tracing::info!(tool = tool.name, version = %version, found_by = %found_by,
                seconds = started.elapsed().as_secs_f64(), "found the tool's release");
            if let Some(s) = store {
                s.remember_release(&key, tool.name, &version, &found_by)?;
            }
            Ok(Resolved::new(tool, &version, found_by))
        }
        Err(why) => Ok(Err(format!(
            "cannot tell which {} release {} holds: {why}; pin it with `version: \"X.Y.Z\"` under its pipelines section",
            tool.display,
            id.image_path.as_deref().or(id.command_path.as_deref()).unwrap_or("the tool")
        ))),
    }
}

/// What a release is remembered by: the image's SHA-256 (a new file is asked again),
/// or the native command with its setup lines and the resolved file's size and mtime.
fn cache_key(pipe: &Pipeline, id: &ToolIdentity) -> String {
    if let Some(sha) = &id.image_sha256 {
        return format!("image:{sha}");
    }
    let path = id.command_path.clone().unwrap_or_default();
    let stamp = std::fs::metadata(&path)
        .ok()
        .and_then(|m| Some((m.len(), m.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos())))
        .map_or("-".to_string(), |(len, ns)| format!("{len}:{ns}"));
    let setup = crate::digest::sha256_parts(pipe.setup.iter().map(String::as_str));
    format!("native:{path}:{stamp}:{}", &setup[..16])
}

/// Asks the image or the command: labels first (cheap), then the tool itself.
async fn ask(
    cfg: &Config,
    pipe: &Pipeline,
    tool: &Tool,
    id: &ToolIdentity,
) -> std::result::Result<(String, String), String> {
    let apptainer = &cfg.containers.apptainer;
    let argv = match (pipe.runtime, &id.image_path) {
        (Runtime::Apptainer, Some(image)) => {
            let inspect = [apptainer.clone(), "inspect".into(), "--json".into(), image.clone()];
            match run(&inspect).await {
                Ok(out) => {
                    if let Some(found) = from_labels(tool, &out) {
                        return Ok(found);
                    }
                }
                Err(e) => tracing::warn!(image = %image, "apptainer inspect: {e}; asking the tool"),
            }
            in_image(apptainer, image, &tool.probe)
        }
        _ => native(pipe, tool),
    };
    let out = run(&argv).await?;
    from_answer(tool, &out).ok_or_else(|| {
        format!("`{}` printed no {} version: {:?}", runner::display_argv(&argv), tool.display, first_line(&out))
    })
}

fn first_line(s: &str) -> &str {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or_default()
}

async fn run(argv: &[String]) -> std::result::Result<String, String> {
    let out = runner::run(argv, PROBE_TIMEOUT).await.map_err(|e| e.to_string())?;
    if out.success() {
        Ok(out.stdout)
    } else {
        let tail: Vec<&str> = out.stderr.lines().rev().take(3).collect();
        Err(format!(
            "`{}` exited {}: {}",
            runner::display_argv(argv),
            out.code,
            tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
        ))
    }
}

/// The probe run inside the image (as the job runs it: clean environment, contained).
fn in_image(apptainer: &str, image: &str, probe: &Probe) -> Vec<String> {
    let mut argv: Vec<String> = vec![apptainer.into()];
    match probe {
        Probe::Flag { args, .. } => {
            argv.extend(["run", "--cleanenv", "--containall", image].map(String::from));
            argv.extend(args.iter().map(|a| a.to_string()));
        }
        Probe::PythonMetadata { dist, .. } => {
            argv.extend(["exec", "--cleanenv", "--containall", image, "python3", "-c"].map(String::from));
            argv.push(metadata_code(dist));
        }
    }
    argv
}

/// The probe of a native command, after the stage's `setup` lines (trusted shell).
fn native(pipe: &Pipeline, tool: &Tool) -> Vec<String> {
    let command = pipe.command.clone().unwrap_or_else(|| tool.name.to_string());
    let setup = pipe.setup.join("\n");
    let (script, args): (String, Vec<String>) = match &tool.probe {
        Probe::Flag { args, .. } => {
            (format!("{setup}\nexec \"$0\" \"$@\""), args.iter().map(|a| a.to_string()).collect())
        }
        // The interpreter of the command's `#!` line, as the job finds it.
        Probe::PythonMetadata { dist, .. } => (
            format!("{setup}\npy=$(sed -n '1s/^#![[:space:]]*//p' \"$(command -v \"$0\")\")\nexec $py -c \"$1\""),
            vec![metadata_code(dist)],
        ),
    };
    let mut argv = vec!["bash".to_string(), "-c".into(), script, command];
    argv.extend(args);
    argv
}

pub fn metadata_code(dist: &str) -> String {
    format!("import importlib.metadata as m; print(m.version({dist:?}))")
}

/// The version in `apptainer inspect --json`'s labels, when they name this tool.
fn from_labels(tool: &Tool, json: &str) -> Option<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let labels = v.pointer("/data/attributes/labels")?.as_object()?;
    if let Some(name) = labels.get(tool.name_label).and_then(|n| n.as_str())
        && !name.eq_ignore_ascii_case(tool.name)
    {
        return None;
    }
    tool.version_labels.iter().find_map(|l| {
        let version = releases::parse_version(labels.get(*l)?.as_str()?)?;
        Some((version, format!("image label {l}")))
    })
}

/// The version in a probe's stdout: the line the tool prints it on.
fn from_answer(tool: &Tool, stdout: &str) -> Option<(String, String)> {
    let (prefix, how) = match &tool.probe {
        Probe::Flag { printed, args, .. } => (printed.split("{}").next().unwrap_or_default(), args.join(" ")),
        Probe::PythonMetadata { .. } => ("", "package metadata".to_string()),
    };
    let line = stdout.lines().map(str::trim).find(|l| l.starts_with(prefix) && releases::parse_version(l).is_some())?;
    Some((releases::parse_version(line)?, how))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_the_release_only_when_they_are_the_tools() {
        let q = releases::tool("qsiprep").unwrap();
        let inspect = r#"{"data":{"attributes":{"labels":{"org.label-schema.name":"qsiprep","org.label-schema.version":"26.1.1"}}},"type":"container"}"#;
        assert_eq!(from_labels(q, inspect), Some(("26.1.1".into(), "image label org.label-schema.version".into())));
        let other = inspect.replace("\"qsiprep\"", "\"heudiconv\"");
        assert_eq!(from_labels(q, &other), None, "another tool's label says nothing of QSIPrep");
        let bare = r#"{"data":{"attributes":{"labels":{"org.label-schema.build-date":"x"}}}}"#;
        assert_eq!(from_labels(q, bare), None);
        let oci = r#"{"data":{"attributes":{"labels":{"org.opencontainers.image.version":"v26.0.0"}}}}"#;
        assert_eq!(from_labels(q, oci).unwrap().0, "26.0.0");
    }

    #[test]
    fn answers_are_read_from_the_line_the_tool_prints() {
        let q = releases::tool("qsiprep").unwrap();
        assert_eq!(from_answer(q, "220101-00:00:00,1 nipype WARNING\nQSIPrep v26.1.1\n").unwrap().0, "26.1.1");
        assert_eq!(from_answer(q, "usage: qsiprep [-h]\n"), None);
        let p = releases::tool("qsiparc").unwrap();
        assert_eq!(from_answer(p, "0.1.2\n"), Some(("0.1.2".into(), "package metadata".into())));
        let h = releases::tool("heudiconv").unwrap();
        assert_eq!(from_answer(h, "1.5.1\n").unwrap().0, "1.5.1");
    }
}
