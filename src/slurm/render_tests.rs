//! Snapshot tests of every built-in template, and quoting of hostile values.

use super::render::Templates;
use crate::config::{Config, parse};
use crate::domain::{ParticipantLabel, SessionLabel};
use crate::pipeline::request::Request;
use crate::pipeline::script::{RunIdent, Stage, Target, context};
use crate::releases::Resolved;
use crate::stages::{STAGES, stage};
use std::path::Path;

fn config(root: &str, runtime: &str) -> Config {
    let image = |t: &str| if runtime == "apptainer" { format!("    image: /images/{t}.sif\n") } else { String::new() };
    let yaml = format!(
        r#"paths:
  dicom_incoming: {root}/in
  bids_root: {root}/bids
  derivatives: {root}/deriv
  work_dir: /scratch/work
  log_dir: /var/log/nf
mapping: {{csv_file: /etc/map.csv}}
protocol: {{required_scans: [{{name: T1w, series_description_pattern: t1}}]}}
slurm: {{partition: debug, account: lab1}}
containers: {{fs_license: /opt/fs/license.txt, templateflow_home: /opt/tf, binds: ['/ref:/ref:ro']}}
pipelines:
  bids_conversion:
    runtime: {runtime}
{bi}    resources: {{cpus: 1, mem_gb: 4, time: '00:30:00'}}
  qsiprep:
    runtime: {runtime}
{pi}    setup: ['module load qsiprep/1.0']
    resources: {{cpus: 8, mem_gb: 32, gpus: 1, time: '12:00:00', qos: long}}
    options: {{output_resolution: 1.5, bids_filter_file: /etc/filter.json, eddy_config: eddy.json}}
  qsirecon:
    runtime: {runtime}
{ri}    resources: {{cpus: 4, mem_gb: 16, time: '08:00:00'}}
    options: {{recon_spec: mrtrix_multishell_msmt_ACT-hsvs, fs_subjects_dir: /fs/subjects, atlases: [4S156Parcels, Gordon333Ext], datasets: {{atlaspack: /ref/atlases}}}}
  qsiparc:
    runtime: {runtime}
{qi}    resources: {{cpus: 2, mem_gb: 8, time: '02:00:00'}}
    options: {{atlases: [4S156Parcels]}}
"#,
        bi = image("heudiconv"),
        pi = image("qsiprep"),
        ri = image("qsirecon"),
        qi = image("qsiparc"),
    );
    parse(Path::new("/etc/nf/neuroflow.yaml"), &yaml, None).expect("test config").config
}

/// The newest supported release of the stage's tool.
fn newest(stage_name: &str) -> &'static str {
    let def = stage(stage_name).unwrap();
    crate::releases::tool(def.tool).unwrap().releases.last().unwrap().tested
}

fn render(cfg: &Config, stage_name: &str, deps: &[String]) -> Result<String, super::render::RenderError> {
    render_for(cfg, stage_name, deps, newest(stage_name))
}

/// The script for `version` of the stage's tool.
pub(crate) fn render_for(
    cfg: &Config,
    stage_name: &str,
    deps: &[String],
    version: &str,
) -> Result<String, super::render::RenderError> {
    let def = stage(stage_name).unwrap();
    let release = Resolved::new(crate::releases::tool(def.tool).unwrap(), version, "pinned").unwrap();
    let pipe = cfg.pipeline(stage_name).unwrap();
    let p = ParticipantLabel::new("0042").unwrap();
    let s = SessionLabel::new("202401151430").unwrap();
    let session = (def.level == crate::domain::Level::Session).then_some(&s);
    let target = Target {
        participant: &p,
        session,
        dicom_path: Some("/data/in/20240115_1430 (copy) $(rm -rf ~)"),
        sessions: vec!["202401151430".into(), "202402011000".into()],
    };
    let run = RunIdent { id: 7, token: "3f2a", attempt: 1 };
    let req = Request::from_config(pipe, &cfg.slurm);
    let ctx = context(cfg, &Stage { def, pipe, release: &release }, &target, &run, &req, deps);
    Templates::new(&[])?.render(def.template, &ctx)
}

#[test]
fn apptainer_scripts() {
    let cfg = config("/data", "apptainer");
    for def in STAGES {
        let deps = if def.needs.is_empty() { vec![] } else { vec!["101".to_string(), "102".to_string()] };
        insta::assert_snapshot!(format!("apptainer_{}", def.name), render(&cfg, def.name, &deps).unwrap());
    }
}

#[test]
fn native_scripts() {
    let cfg = config("/data", "native");
    for def in STAGES {
        insta::assert_snapshot!(format!("native_{}", def.name), render(&cfg, def.name, &[]).unwrap());
    }
}

#[test]
fn resources_feed_sbatch_and_tool_flags_alike() {
    let cfg = config("/data", "native");
    let s = render(&cfg, "qsiprep", &[]).unwrap();
    assert!(s.contains("#SBATCH --cpus-per-task=8\n") && s.contains(" --nprocs 8 "), "{s}");
    // The tool stops at 90% of the allocation, before the cgroup kills it.
    assert!(s.contains("#SBATCH --mem=32768M\n") && s.contains(" --mem-mb 29491 "), "{s}");
    assert!(s.contains("#SBATCH --gres=gpu:1\n") && s.contains("#SBATCH --qos=long\n"), "{s}");
    let p = render(&cfg, "qsiparc", &[]).unwrap();
    assert!(p.contains("#SBATCH --cpus-per-task=2\n") && p.contains(" --n-procs 2 "), "{p}");
}

/// Lines where a hostile value (`$(touch pwned)`, `$(rm -rf ~)`) appears outside
/// single quotes, i.e. where the shell would run it.
fn unquoted_hazards(script: &str) -> Vec<String> {
    let mut found = vec![];
    for line in script.lines() {
        let mut quoted = false;
        for (i, c) in line.char_indices() {
            if c == '\'' {
                quoted = !quoted;
            } else if !quoted && (line[i..].starts_with("$(touch pwned)") || line[i..].starts_with("$(rm -rf ~)")) {
                found.push(line.to_string());
            }
        }
    }
    found
}

#[test]
fn concatenations_in_built_in_templates_are_quoted() {
    for (name, text) in super::render::BUILTIN.iter().filter(|(n, _)| n.ends_with(".tera")) {
        for expr in text.split("{{").skip(1).map(|rest| rest.split("}}").next().unwrap_or("")) {
            if expr.contains('~') {
                assert!(expr.trim_end().ends_with("| q"), "{name}: `{{{{{expr}}}}}` must end in `| q`");
            }
        }
    }
}

#[test]
fn hostile_values_are_quoted_or_refused() {
    for runtime in ["native", "apptainer"] {
        let cfg = config("/data/my bids $(touch pwned)", runtime);
        for def in STAGES {
            let deps = if def.needs.is_empty() { vec![] } else { vec!["5".to_string()] };
            let s = render(&cfg, def.name, &deps).unwrap();
            assert!(unquoted_hazards(&s).is_empty(), "{runtime} {}: {:?}\n{s}", def.name, unquoted_hazards(&s));
        }
    }
    let cfg = config("/data/my bids $(touch pwned)", "native");
    let s = render(&cfg, "bids_conversion", &[]).unwrap();
    assert!(s.contains("'/data/my bids $(touch pwned)/bids'"), "{s}");
    assert!(s.contains("'/data/in/20240115_1430 (copy) $(rm -rf ~)'"), "{s}");
    let mut bad = config("/data", "native");
    bad.paths.log_dir = "/var/log/my logs".into();
    let e = render(&bad, "qsiprep", &[]).unwrap_err().to_string();
    assert!(e.contains("cannot go on an #SBATCH line"), "{e}");
}

/// The `apptainer run` line of a script, split as the shell would (variables kept as text).
fn apptainer_line(script: &str) -> Vec<String> {
    // The tool's run, not the `--version` probe echoed for provenance.
    let line = script
        .lines()
        .find(|l| l.contains(" run --cleanenv --containall ") && !l.starts_with("NF_TOOL_VERSION="))
        .expect("an apptainer line");
    shlex::split(line).expect("the apptainer line parses as shell words")
}

/// Container paths a command line makes visible: `--bind` destinations plus the
/// scratch-backed /tmp, /var/tmp and $HOME.
fn visible_and_tool_args(words: &[String]) -> (Vec<String>, Vec<String>) {
    let mut binds = vec![];
    let mut i = 2; // after `apptainer run`
    while i < words.len() {
        let w = &words[i];
        match w.as_str() {
            "--bind" => {
                let spec = &words[i + 1];
                let mut parts = spec.split(':');
                let src = parts.next().unwrap_or_default().to_string();
                binds.push(parts.next().map_or(src, String::from));
                i += 2;
            }
            "--env" | "--workdir" => i += 2,
            _ if w.starts_with('-') || w.starts_with("${") => i += 1,
            _ => return (binds, words[i + 1..].to_vec()),
        }
    }
    panic!("no image in {words:?}");
}

fn inside(path: &str, binds: &[String]) -> bool {
    binds.iter().any(|b| path == b || path.starts_with(&format!("{b}/")))
}

#[test]
fn every_path_a_tool_is_given_is_bound_in_the_container() {
    let cfg = config("/data", "apptainer");
    for def in STAGES {
        let s = render(&cfg, def.name, &[]).unwrap();
        let (binds, args) = visible_and_tool_args(&apptainer_line(&s));
        let mut paths: Vec<&str> = vec![];
        for a in &args {
            if a.starts_with('/') {
                paths.push(a);
            } else if let Some((_, p)) = a.split_once('=').filter(|(_, p)| p.starts_with('/')) {
                paths.push(p);
            }
        }
        assert!(paths.len() >= 2, "{}: {args:?}", def.name);
        for p in paths {
            assert!(inside(p, &binds), "{}: {p} is not bound ({binds:?})", def.name);
        }
        let words = apptainer_line(&s);
        let tf = words.iter().find(|w| w.starts_with("TEMPLATEFLOW_HOME="));
        assert_eq!(tf.is_some(), def.requires.templateflow, "{}: TemplateFlow passed where needed", def.name);
        if let Some(tf) = tf {
            assert!(inside(&tf["TEMPLATEFLOW_HOME=".len()..], &binds), "{}", def.name);
        }
        assert!(words.contains(&"--workdir".to_string()), "{}: /tmp and $HOME on disk", def.name);
    }
    let recon = render(&cfg, "qsirecon", &[]).unwrap();
    let words = apptainer_line(&recon);
    for bound in
        ["/opt/fs/license.txt:/opt/fs/license.txt:ro", "/fs/subjects:/fs/subjects:ro", "/ref/atlases:/ref/atlases:ro"]
    {
        assert!(words.iter().any(|w| w == bound), "qsirecon binds {bound}: {words:?}");
    }
    let prep = apptainer_line(&render(&cfg, "qsiprep", &[]).unwrap());
    assert!(
        prep.iter().any(|w| w == "/etc/nf/eddy.json:/etc/nf/eddy.json:ro"),
        "relative option paths resolved: {prep:?}"
    );
}

#[test]
fn gpu_selection_survives_cleanenv_and_scratch_expands_job_variables() {
    let mut cfg = config("/data", "apptainer");
    let s = render(&cfg, "qsiprep", &[]).unwrap();
    assert!(s.contains(r#"NF_GPU_ENV=(--env "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES")"#), "{s}");
    assert!(s.contains(r#" --nv "${NF_GPU_ENV[@]}" "#), "{s}");
    let recon = render(&cfg, "qsirecon", &[]).unwrap();
    assert!(!recon.contains("--nv") && !recon.contains("NF_GPU_ENV"), "no GPUs asked: {recon}");
    assert!(s.contains("NF_SCRATCH=/scratch/work/scratch/nf-qsiprep-sub-0042-run7\n"), "{s}");
    cfg.paths.scratch = Some("${SLURM_TMPDIR}/my nf".into());
    let s = render(&cfg, "qsiprep", &[]).unwrap();
    assert!(s.contains(r#"NF_SCRATCH="${SLURM_TMPDIR}"'/my nf/nf-qsiprep-sub-0042-run7'"#), "{s}");
}

/// The tool's argument list in a native script (the line that starts with the command).
fn native_args(script: &str, command: &str) -> Vec<String> {
    let line = script.lines().find(|l| l.starts_with(&format!("{command} "))).expect("the tool's line");
    shlex::split(line).expect("shell words")[1..].to_vec()
}

#[test]
fn each_release_gets_its_own_spelling() {
    let cfg = config("/data", "native");
    let words = |stage: &str, v: &str| native_args(&render_for(&cfg, stage, &[], v).unwrap(), stage);
    let new = words("qsiprep", "26.1.1");
    assert!(new.windows(3).any(|w| w == ["--session-label", "202401151430", "202402011000"]), "{new:?}");
    assert!(new.windows(2).any(|w| w == ["--gpu", "eddy"]), "26.1 with a GPU: --gpu eddy: {new:?}");
    for old in ["26.0.0", "1.1.1", "1.0.2"] {
        let w = words("qsiprep", old);
        assert!(w.windows(3).any(|w| w == ["--session-id", "202401151430", "202402011000"]), "{old}: {w:?}");
        assert!(!w.contains(&"--gpu".to_string()), "{old} has no --gpu: {w:?}");
    }
    let mut lex = cfg.clone();
    let opts = &mut lex.pipelines.iter_mut().find(|(k, _)| k.0 == "qsiprep").unwrap().1.options;
    opts.insert("subject_anatomical_reference".into(), "first-lex".into());
    opts.insert("gpu_steps".into(), serde_yaml::from_str("[eddy, drbuddi]").unwrap());
    let spelled = |v: &str| native_args(&render_for(&lex, "qsiprep", &[], v).unwrap(), "qsiprep");
    assert!(spelled("1.0.2").windows(2).any(|w| w == ["--subject-anatomical-reference", "first-alphabetically"]));
    assert!(spelled("1.1.1").windows(2).any(|w| w == ["--subject-anatomical-reference", "first-lex"]));
    assert!(spelled("26.1.1").windows(3).any(|w| w == ["--gpu", "eddy", "drbuddi"]));
    let mut cpu = cfg.clone();
    cpu.pipelines.iter_mut().find(|(k, _)| k.0 == "qsiprep").unwrap().1.resources.gpus = Default::default();
    let w = native_args(&render_for(&cpu, "qsiprep", &[], "26.1.1").unwrap(), "qsiprep");
    assert!(!w.contains(&"--gpu".to_string()), "no --gpu without a GPU: {w:?}");
}

#[test]
fn the_job_checks_the_release_before_the_tool_runs() {
    let cfg = config("/data", "apptainer");
    let s = render_for(&cfg, "qsiprep", &[], "26.1.1").unwrap();
    let check = s.find("case \"$NF_TOOL_VERSION\" in").expect("a release check");
    let tool = s.find("/images/qsiprep.sif /data/bids").expect("the tool's line");
    assert!(check < tool, "the check comes first");
    assert!(s.contains("  'QSIPrep v26.1.'*) ;;"), "{s}");
    assert!(s.contains("exit 86"), "{s}");
    let parc = render_for(&cfg, "qsiparc", &[], "0.1.2").unwrap();
    assert!(
        parc.contains("exec --cleanenv --containall /images/qsiparc.sif python3 -c 'import importlib.metadata"),
        "{parc}"
    );
    assert!(parc.contains("  0.1.*) ;;") || parc.contains("  '0.1.'*) ;;"), "{parc}");
}
