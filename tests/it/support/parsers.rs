//! What the real-parser tests need: a site with every file an option names, the
//! argument list neuroflow renders for a stage, release and option set, and the two
//! judges of a line: the release's own parser (tests/fixtures/parsers/judge.py in the
//! release's interpreter) and the stand-in playing that release (parse only).

use super::chain::{standins, tools, venv};
use neuroflow::config::parse;
use neuroflow::domain::{ParticipantLabel, SessionLabel};
use neuroflow::pipeline::request::Request;
use neuroflow::pipeline::script::{RunIdent, Stage, Target, context};
use neuroflow::releases::{Release, Resolved, Tool};
use neuroflow::slurm::render::Templates;
use neuroflow::stages::StageDef;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A folder holding every input an option set names, real files with real content.
pub struct Files {
    pub dir: tempfile::TempDir,
}

impl Files {
    pub fn new() -> Files {
        let dir = tempfile::Builder::new().prefix("nf-parsers-").tempdir().unwrap();
        let r = dir.path();
        for d in ["bids/sub-0042", "deriv/qsiprep", "deriv/qsirecon", "deriv/qsiparc", "fs", "aux", "atlases", "dicom"]
        {
            std::fs::create_dir_all(r.join(d)).unwrap();
        }
        std::fs::write(r.join("filter.json"), r#"{"dwi": {"acquisition": "multishell"}}"#).unwrap();
        std::fs::write(r.join("notjson.json"), "{dwi: ").unwrap();
        std::fs::write(r.join("eddy.json"), r#"{"flm": "quadratic", "use_cuda": false}"#).unwrap();
        std::fs::write(r.join("spec.yaml"), "name: my_spec\nnodes:\n- name: gqi\n  qsirecon_suffix: MyRecon\n")
            .unwrap();
        std::fs::write(r.join("license.txt"), "neuroflow@example.org\n12345\n").unwrap();
        std::fs::write(r.join("heuristic.py"), "def infotodict(seqinfo):\n    return {}\n").unwrap();
        Files { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

/// One option set a centre uses for a stage: a name, the `options:` map, GPUs.
pub struct OptionSet {
    pub name: &'static str,
    pub options: &'static str,
    pub gpus: u32,
}

const fn set(name: &'static str, options: &'static str) -> OptionSet {
    OptionSet { name, options, gpus: 0 }
}

/// The option sets rendered per stage (paths are relative to the Files root).
pub fn option_sets(stage: &str) -> Vec<OptionSet> {
    match stage {
        "bids_conversion" => vec![
            set("defaults", "{}"),
            set("heuristic+grouping", "{heuristic: heuristic.py, grouping: studyUID}"),
            set("no-overwrite", "{overwrite: false, grouping: accession_number}"),
        ],
        "qsiprep" => vec![
            set("two sessions", "{output_resolution: 2}"),
            set("first-lex", "{output_resolution: 1.5, subject_anatomical_reference: first-lex}"),
            set("sessionwise", "{output_resolution: 2, subject_anatomical_reference: sessionwise}"),
            set("filter+eddy", "{output_resolution: 2, bids_filter_file: filter.json, eddy_config: eddy.json}"),
            OptionSet { name: "gpu (default steps)", options: "{output_resolution: 2}", gpus: 1 },
            OptionSet {
                name: "gpu eddy+drbuddi",
                options: "{output_resolution: 2, gpu_steps: [eddy, drbuddi]}",
                gpus: 1,
            },
            set(
                "extra_args",
                "{output_resolution: 2, extra_args: ['--notrack', '--skip-bids-validation', '--omp-nthreads', '2']}",
            ),
        ],
        "qsirecon" => vec![
            set("built-in spec", "{recon_spec: dsi_studio_gqi}"),
            set(
                "atlases+datasets",
                "{recon_spec: dsi_studio_gqi, atlases: [4S156Parcels, Gordon333Ext], datasets: {atlaspack: atlases}}",
            ),
            set("spec file", "{recon_spec: spec.yaml, recon_suffixes: [MyRecon]}"),
            set("freesurfer", "{recon_spec: mrtrix_multishell_msmt_ACT-hsvs, fs_subjects_dir: fs}"),
            set("aux files", "{recon_spec: mrtrix_multishell_msmt_noACT_apply, recon_spec_aux_files: aux}"),
            set(
                "filter+resolution",
                "{recon_spec: dsi_studio_gqi, bids_filter_file: filter.json, output_resolution: 2}",
            ),
            set("extra_args", "{recon_spec: dsi_studio_gqi, extra_args: ['--notrack', '--skip-odf-reports']}"),
        ],
        "qsiparc" => vec![
            set("every atlas", "{}"),
            set("two atlases", "{atlases: [4S156Parcels, Gordon333Ext]}"),
            set("extra_args", "{atlases: [4S156Parcels], extra_args: ['--stat-tier', 'core', '--zero-is-missing']}"),
        ],
        other => panic!("no option sets for {other}"),
    }
}

/// The configuration of one stage pinned to `version`, with `set`'s options.
fn config_text(f: &Files, def: &StageDef, set: &OptionSet, version: &str) -> String {
    let r = f.root().display();
    format!(
        "paths: {{dicom_incoming: {r}/in, bids_root: {r}/bids, derivatives: {r}/deriv, work_dir: {r}/work, log_dir: {r}/logs}}\n\
         mapping: {{csv_file: m.csv}}\n\
         protocol: {{required_scans: [{{name: T1w, series_description_pattern: t1}}]}}\n\
         containers: {{fs_license: {r}/license.txt}}\n\
         pipelines:\n  {stage}:\n    runtime: native\n    version: \"{version}\"\n\
         \x20   resources: {{cpus: 4, mem_gb: 8, gpus: {gpus}, time: 60}}\n    options: {options}\n",
        stage = def.name,
        gpus = set.gpus,
        options = set.options,
    )
}

/// The argument list neuroflow gives the tool, or neuroflow's own refusal (a release
/// that cannot take the option set is refused before anything is rendered).
pub fn rendered(
    f: &Files,
    def: &'static StageDef,
    set: &OptionSet,
    tool: &'static Tool,
    release: &Release,
) -> Result<Vec<String>, String> {
    let text = config_text(f, def, set, release.tested);
    let cfg = parse(&f.root().join("neuroflow.yaml"), &text, None).map_err(|e| e.to_string())?.config;
    let pipe = cfg.pipeline(def.name).unwrap();
    let p = ParticipantLabel::new("0042").unwrap();
    let s = SessionLabel::new("202401151430").unwrap();
    let session = (def.level == neuroflow::domain::Level::Session).then_some(&s);
    let dicom = f.root().join("dicom").display().to_string();
    let target = Target {
        participant: &p,
        session,
        dicom_path: Some(&dicom),
        sessions: vec!["202401151430".into(), "202402011000".into()],
    };
    let run = RunIdent { id: 7, token: "t", attempt: 1 };
    let resolved = Resolved::new(tool, release.tested, "pinned").unwrap();
    let req = Request::from_config(pipe, &cfg.slurm);
    let ctx = context(&cfg, &Stage { def, pipe, release: &resolved }, &target, &run, &req, &[]);
    let script = Templates::new(&[]).unwrap().render(def.template, &ctx).map_err(|e| e.to_string())?;
    let line = script.lines().find(|l| l.starts_with(&format!("{} ", def.tool))).expect("the tool's line");
    Ok(shlex::split(line).expect("shell words")[1..].to_vec())
}

/// A line's verdict: accepted, or refused with the parser's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub ok: bool,
    pub message: String,
}

/// The interpreter (and PYTHONPATH) in which a release's own parser is importable;
/// None for a tool that is not on PyPI (QSIRecon).
pub fn real_parser(tool: &str, release: &Release) -> Option<(PathBuf, Option<PathBuf>)> {
    if !release.real_parser {
        return None;
    }
    let t = tools();
    Some(match tool {
        "qsiprep" => {
            let site = t.join(format!("qsiprep-{}", release.tested));
            assert!(
                site.join("qsiprep/cli/parser.py").is_file(),
                "{} is missing: run `bash scripts/tool-envs.sh`",
                site.display()
            );
            (t.join("parsers/bin/python"), Some(site))
        }
        "qsiparc" => (t.join("qsiparc/bin/python"), None),
        "heudiconv" => (venv().join("bin/python"), None),
        other => panic!("no real parser for {other}"),
    })
}

/// Every line judged by the release's own parser, in one interpreter; checks that
/// the parser that answered is the release asked for.
pub fn judge_real(tool: &str, release: &Release, lines: &[(String, Vec<String>)]) -> BTreeMap<String, Verdict> {
    let (python, path) = real_parser(tool, release).expect("a real parser");
    let judge = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parsers/judge.py");
    let tf = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(&python);
    cmd.arg(&judge).arg(tool).env("TEMPLATEFLOW_HOME", tf.path()).env("NO_ET", "1");
    if let Some(p) = path {
        cmd.env("PYTHONPATH", p);
    }
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut input = String::new();
    for (id, argv) in lines {
        input.push_str(&serde_json::json!({"id": id, "argv": argv}).to_string());
        input.push('\n');
    }
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "judge.py {tool} failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut answers = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .collect::<Vec<_>>()
        .into_iter();
    let head = answers.next().expect("the parser names itself");
    assert_eq!(head["version"], release.tested, "{tool}: the parser that judged is {head}");
    answers
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_string(),
                Verdict { ok: a["ok"] == true, message: a["message"].as_str().unwrap_or("").to_string() },
            )
        })
        .collect()
}

/// The stand-in playing `release`, stopped after parsing.
pub fn judge_standin(tool: &str, release: &Release, argv: &[String]) -> Verdict {
    let out = Command::new(standins().join(tool))
        .args(argv)
        .env("NF_STANDIN_PARSE_ONLY", "1")
        .env(format!("NF_STANDIN_RELEASE_{}", tool.to_uppercase()), release.tested)
        .output()
        .unwrap();
    let message = String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("").to_string();
    Verdict { ok: out.status.success(), message }
}
