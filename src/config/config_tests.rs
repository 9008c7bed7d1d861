//! Every kind of bad configuration gets an error that names the place and the fix.

use super::*;

const MINIMAL: &str = "\
paths:
  dicom_incoming: /data/in
  bids_root: /data/bids
  derivatives: /data/deriv
  work_dir: /data/work
  log_dir: /data/logs
mapping:
  csv_file: map.csv
protocol:
  required_scans:
    - name: T1w
      series_description_pattern: 'mprage'
containers: {templateflow_home: /opt/tf}
pipelines:
  qsiprep:
    image: /img/qsiprep.sif
    resources:
      cpus: 8
      mem_gb: 16
      time: \"12:00:00\"
    options: {output_resolution: 2}
";

fn parse_text(text: &str) -> Result<Loaded, ConfigError> {
    parse(Path::new("/etc/nf/neuroflow.yaml"), text, None)
}

fn error_of(text: &str) -> String {
    parse_text(text).expect_err("config should be rejected").to_string()
}

#[test]
fn minimal_config_is_valid_and_defaults_apply() {
    let c = parse_text(MINIMAL).unwrap().config;
    assert_eq!(c.discovery.stability_minutes, 10);
    let m = c.mapping.as_ref().unwrap();
    assert_eq!(m.scan_id_column, "ScanID");
    assert_eq!(m.csv_file.as_deref(), Some(Path::new("/etc/nf/map.csv")));
    assert_eq!(c.database_url(), "sqlite:///data/work/neuroflow.db");
    let q = c.pipeline("qsiprep").unwrap();
    assert_eq!((q.resources.cpus.0, q.resources.mem.0, q.resources.time.minutes), (8, 16384, 720));
    assert_eq!(q.max_attempts, 3);
}

#[test]
fn starter_config_is_valid() {
    let c = parse(Path::new("/site/neuroflow.yaml"), STARTER, None).unwrap().config;
    assert_eq!(c.paths.work_dir, Path::new("/site/work"));
    for s in crate::stages::STAGES {
        assert!(c.pipeline(s.name).is_some(), "starter lacks pipelines.{}", s.name);
    }
}

#[test]
fn database_env_overrides_the_file() {
    let l = parse(Path::new("/x/n.yaml"), MINIMAL, Some("postgres://u@h/db".into())).unwrap();
    assert_eq!(l.config.database_url(), "postgres://u@h/db");
}

#[test]
fn unknown_key_names_line_column_and_the_expected_keys() {
    let e = error_of(&MINIMAL.replace("  log_dir: /data/logs", "  log_dir: /data/logs\n  logdir: /x"));
    assert!(e.starts_with("/etc/nf/neuroflow.yaml:7:3: paths: unknown field `logdir`"), "{e}");
    assert!(e.contains("expected one of"), "{e}");
}

#[test]
fn wrong_type_is_located() {
    let e = error_of(&MINIMAL.replace("cpus: 8", "cpus: [8]"));
    assert!(e.starts_with("/etc/nf/neuroflow.yaml:18:13: "), "{e}");
    assert!(e.contains("invalid type"), "{e}");
}

#[test]
fn negative_cpus_says_what_is_allowed() {
    let e = error_of(&MINIMAL.replace("cpus: 8", "cpus: -4"));
    assert!(e.starts_with("/etc/nf/neuroflow.yaml:18:13: "), "{e}");
    assert!(e.contains("cpus must be a whole number of at least 1 (got -4)"), "{e}");
}

#[test]
fn banana_time_says_the_syntax() {
    let e = error_of(&MINIMAL.replace("\"12:00:00\"", "banana"));
    assert!(e.starts_with("/etc/nf/neuroflow.yaml:20:13: "), "{e}");
    assert!(e.contains("\"banana\" is not a Slurm time limit") && e.contains("HH:MM:SS"), "{e}");
}

#[test]
fn bad_regex_is_located_and_explained() {
    let e = error_of(&MINIMAL.replace("'mprage'", "'mprage(('"));
    assert!(e.starts_with("/etc/nf/neuroflow.yaml:12:35: "), "{e}");
    assert!(e.contains("invalid regular expression") && e.contains("backslash"), "{e}");
}

#[test]
fn malformed_yaml_is_located() {
    let e = error_of(&MINIMAL.replace("  bids_root: /data/bids", "  bids_root: [unclosed"));
    assert!(e.starts_with("/etc/nf/neuroflow.yaml:"), "{e}");
    let e = error_of("paths: {\n");
    assert!(e.contains("neuroflow.yaml"), "{e}");
}

#[test]
fn missing_section_is_named() {
    let e = error_of(&MINIMAL.replace("mapping:\n  csv_file: map.csv\n", ""));
    assert!(e.contains("`mapping`: missing") && e.contains("path_pattern"), "{e}");
    let with_pattern = MINIMAL.replace(
        "mapping:\n  csv_file: map.csv\n",
        "discovery:\n  path_pattern: '^(?P<subject>[^/]+)/(?P<session>[^/]+)$'\n",
    );
    assert!(parse_text(&with_pattern).is_ok());
    let e = error_of(&MINIMAL.replace("protocol:\n", "protocl:\n"));
    assert!(e.contains("unknown field `protocl`"), "{e}");
}

#[test]
fn unknown_pipeline_lists_the_stages() {
    let e = error_of(&MINIMAL.replace("  qsiprep:\n", "  qsiprepp:\n"));
    assert!(e.starts_with("/etc/nf/neuroflow.yaml:15:3: "), "{e}");
    assert!(e.contains("unknown pipeline `qsiprepp`") && e.contains("bids_conversion, qsiprep"), "{e}");
}

#[test]
fn semantic_errors_name_the_key_and_the_fix() {
    let cases = [
        (MINIMAL.replace("  csv_file: map.csv", "  csv_file: a.csv\n  url: https://x/y.csv"), "`mapping`", "not both"),
        (MINIMAL.replace("  csv_file: map.csv", "  url: ftp://x"), "`mapping.url`", "https://"),
        (MINIMAL.replace("'mprage'", "'mprage'\n      min_files: 5\n      max_files: 2"), "T1w", "below min_files"),
        (MINIMAL.replace("    image: /img/qsiprep.sif\n", ""), "`pipelines.qsiprep.image`", "runtime: native"),
        (
            MINIMAL.replace("output_resolution: 2", "output_resolution: 2, nprocs: 3"),
            "`pipelines.qsiprep.options.nprocs`",
            "known options",
        ),
        (MINIMAL.to_string() + "    max_attempts: 0\n", "max_attempts", "at least 1"),
        (MINIMAL.to_string() + "database:\n  url: mysql://x\n", "`database.url`", "postgres://"),
        (MINIMAL.to_string() + "discovery:\n  path_pattern: '^(?P<subject>.+)$'\n", "path_pattern", "session"),
        (
            MINIMAL.replace("    - name: T1w\n      series_description_pattern: 'mprage'\n", "    []\n"),
            "required_scans",
            "at least one",
        ),
    ];
    for (text, key, fix) in cases {
        let e = error_of(&text);
        assert!(e.starts_with("/etc/nf/neuroflow.yaml: "), "{e}");
        assert!(e.contains(key) && e.contains(fix), "expected {key} / {fix} in: {e}");
    }
}

#[test]
fn slurm_names_cannot_smuggle_shell() {
    let e = error_of(&(MINIMAL.to_string() + "slurm:\n  partition: 'debug;rm -rf /'\n"));
    assert!(e.contains("not a valid Slurm name"), "{e}");
}

/// MINIMAL plus a qsirecon section with these options and these `containers:` keys.
fn with_qsirecon(options: &str, containers: &str) -> String {
    MINIMAL.replace(
        "containers: {templateflow_home: /opt/tf}",
        &format!("containers: {{templateflow_home: /opt/tf{containers}}}"),
    ) + &format!(
        "  qsirecon:\n    image: /img/qsirecon.sif\n    resources: {{cpus: 4, mem_gb: 8, time: 60}}\n    options: {{{options}}}\n"
    )
}

#[test]
fn a_tool_that_needs_a_freesurfer_licence_is_refused_without_one() {
    let e = error_of(&with_qsirecon("recon_spec: dsi_studio_gqi", ""));
    assert!(e.contains("`containers.fs_license`") && e.contains("qsirecon refuses to start"), "{e}");
    let ok = with_qsirecon("recon_spec: dsi_studio_gqi", ", fs_license: /opt/fs/license.txt");
    assert!(parse_text(&ok).is_ok());
    let disabled = with_qsirecon("recon_spec: dsi_studio_gqi", "") + "    enabled: false\n";
    assert!(parse_text(&disabled).is_ok(), "a disabled stage needs nothing");
    // The file itself is checked by check_files (I/O): missing, then unreadable as a directory.
    let dir = tempfile::tempdir().unwrap();
    let cfg = parse_text(&ok).unwrap().config;
    let e = cfg.check_files(Path::new("/etc/nf/neuroflow.yaml")).unwrap_err().to_string();
    assert!(e.contains("`containers.fs_license`") && e.contains("/opt/fs/license.txt"), "{e}");
    let mut cfg = cfg;
    cfg.containers.fs_license = Some(dir.path().into());
    let e = cfg.check_files(Path::new("/n.yaml")).unwrap_err().to_string();
    assert!(e.contains("cannot read the FreeSurfer licence"), "{e}");
}

#[test]
fn templateflow_is_required_under_apptainer_for_tools_that_fetch_templates() {
    let e = error_of(&MINIMAL.replace("containers: {templateflow_home: /opt/tf}\n", ""));
    assert!(e.contains("`containers.templateflow_home`") && e.contains("offline"), "{e}");
    let native = MINIMAL
        .replace("containers: {templateflow_home: /opt/tf}\n", "")
        .replace("    image: /img/qsiprep.sif\n", "    runtime: native\n");
    assert!(parse_text(&native).is_ok(), "native runs use the site's own environment");
}

#[test]
fn recon_specs_name_their_suffixes_and_inputs() {
    let lic = ", fs_license: /l.txt";
    let e = error_of(&with_qsirecon("recon_spec: /site/my_spec.yaml", lic));
    assert!(e.contains("`pipelines.qsirecon.options.recon_suffixes`") && e.contains("qsirecon_suffix"), "{e}");
    let file = parse_text(&with_qsirecon("recon_spec: spec.yaml, recon_suffixes: [Mine]", lic)).unwrap().config;
    let (def, pipe) = file.enabled().find(|(d, _)| d.name == "qsirecon").unwrap();
    assert_eq!(pipe.list_items(def, "recon_suffixes"), vec!["Mine"]);
    assert_eq!(pipe.input_paths(def), vec![("recon_spec", "/etc/nf/spec.yaml".to_string())], "a spec file is bound");
    let built_in = parse_text(&with_qsirecon("recon_spec: dipy_dki", lic)).unwrap().config;
    let pipe = built_in.pipeline("qsirecon").unwrap();
    assert_eq!(pipe.list_items(def, "recon_suffixes"), vec!["DKI"], "derived from QSIRecon's spec");
    assert!(pipe.input_paths(def).is_empty(), "a built-in name is not a path");
    let e = error_of(&with_qsirecon("recon_spec: dipy_dki, recon_suffixes: [MRtrix3]", lic));
    assert!(e.contains("writes [\"DKI\"]"), "{e}");
    let e = error_of(&with_qsirecon("recon_spec: mrtrix_multishell_msmt_ACT-hsvs", lic));
    assert!(e.contains("fs_subjects_dir") && e.contains("FreeSurfer outputs"), "{e}");
    assert!(
        parse_text(&with_qsirecon("recon_spec: mrtrix_multishell_msmt_ACT-hsvs, fs_subjects_dir: fs", lic)).is_ok()
    );
    let e = error_of(&with_qsirecon("recon_spec: mrtrix_multishell_msmt_noACT_apply", lic));
    assert!(e.contains("recon_spec_aux_files"), "{e}");
}

#[test]
fn option_values_are_checked_by_kind() {
    let lic = ", fs_license: /l.txt";
    for (opts, fix) in [
        ("recon_spec: dipy_dki, atlases: 4S156Parcels", "list of names"),
        ("recon_spec: dipy_dki, atlases: ['a b']", "list of names"),
        ("recon_spec: dipy_dki, datasets: [x]", "map names to paths"),
        ("recon_spec: dipy_dki, output_resolution: fine", "number above 0"),
        ("recon_spec: dipy_dki, extra_args: '--notrack'", "list of strings"),
    ] {
        let e = error_of(&with_qsirecon(opts, lic));
        assert!(e.contains("`pipelines.qsirecon.options.") && e.contains(fix), "{opts}: {e}");
    }
    let e =
        error_of(&MINIMAL.replace("output_resolution: 2", "output_resolution: 2, subject_anatomical_reference: best"));
    assert!(e.contains("unbiased, first-lex, sessionwise"), "{e}");
    let e = error_of(&(MINIMAL.to_string() + "    tool_mem_fraction: 1.5\n"));
    assert!(e.contains("tool_mem_fraction"), "{e}");
}

#[test]
fn scratch_may_name_job_variables_and_nothing_else_of_the_shell() {
    let with =
        |s: &str| MINIMAL.replace("  log_dir: /data/logs\n", &format!("  log_dir: /data/logs\n  scratch: '{s}'\n"));
    assert_eq!(
        parse_text(&with("${SLURM_TMPDIR}/nf")).unwrap().config.paths.scratch.as_deref(),
        Some("${SLURM_TMPDIR}/nf")
    );
    assert_eq!(parse_text(&with("scratch")).unwrap().config.paths.scratch.as_deref(), Some("/etc/nf/scratch"));
    for bad in ["$(reboot)", "/x/`id`", "/x/$"] {
        let e = error_of(&with(bad));
        assert!(e.contains("`paths.scratch`") && e.contains("job variables"), "{bad}: {e}");
    }
}

#[test]
fn a_pinned_release_must_be_supported_and_quoted() {
    let pin = |v: &str| {
        MINIMAL.replace("    image: /img/qsiprep.sif\n", &format!("    image: /img/qsiprep.sif\n    version: {v}\n"))
    };
    let c = parse_text(&pin("\"26.1.1\"")).unwrap().config;
    assert_eq!(c.pipeline("qsiprep").unwrap().version.as_ref().unwrap().0, "26.1.1");
    let e = error_of(&pin("\"27.0.0\""));
    assert!(e.contains("pipelines.qsiprep.version") && e.contains("QSIPrep 27.0.0"), "{e}");
    assert!(e.contains("supported: 1.0.x, 1.1.x, 26.0.x, 26.1.x"), "{e}");
    let e = error_of(&pin("1.0"));
    assert!(e.contains("read as a number") && e.contains("quote the release"), "{e}");
    let e = error_of(&pin("latest"));
    assert!(e.contains("not a release number"), "{e}");
}

#[test]
fn a_pinned_release_refuses_what_it_cannot_take() {
    let cfg = MINIMAL.replace(
        "    options: {output_resolution: 2}\n",
        "    version: \"26.1.1\"\n    options: {output_resolution: 2, extra_args: ['--fs-license-file', '/l.txt']}\n",
    );
    let e = error_of(&cfg);
    assert!(
        e.contains("QSIPrep 26.1.1 cannot run this configuration") && e.contains("refuses --fs-license-file"),
        "{e}"
    );
    assert!(parse_text(&cfg.replace("26.1.1", "26.0.0")).is_ok(), "26.0 still parses --fs-license-file");
    let aux = with_qsirecon(
        "recon_spec: mrtrix_multishell_msmt_noACT_apply, recon_spec_aux_files: /aux",
        ", fs_license: /l.txt",
    )
    .replace("  qsirecon:\n", "  qsirecon:\n    version: \"1.1.1\"\n");
    let e = error_of(&aux);
    assert!(e.contains("options.recon_spec_aux_files") && e.contains("added in 1.2.0"), "{e}");
    assert!(parse_text(&aux.replace("1.1.1", "1.2.0")).is_ok());
}

#[test]
fn datasets_that_qsirecon_misreads_are_refused() {
    let e =
        error_of(&with_qsirecon("recon_spec: dsi_studio_gqi, datasets: {preprocessed: /d}", ", fs_license: /l.txt"));
    assert!(e.contains("options.datasets") && e.contains("reserved") && e.contains("parser.py L51-52"), "{e}");
    let e =
        error_of(&with_qsirecon("recon_spec: dsi_studio_gqi, datasets: {atlas: /data/run=2}", ", fs_license: /l.txt"));
    assert!(e.contains("holds '='") && e.contains("without '='"), "{e}");
    assert!(
        parse_text(&with_qsirecon("recon_spec: dsi_studio_gqi, datasets: {atlas: /d}", ", fs_license: /l.txt")).is_ok()
    );
}

#[test]
fn gpu_steps_are_qsipreps_words() {
    let cfg = |steps: &str| {
        MINIMAL.replace("{output_resolution: 2}", &format!("{{output_resolution: 2, gpu_steps: {steps}}}"))
    };
    assert!(parse_text(&cfg("[eddy, drbuddi]")).is_ok());
    let e = error_of(&cfg("[cuda]"));
    assert!(e.contains("options.gpu_steps") && e.contains("eddy, diffprep"), "{e}");
}
