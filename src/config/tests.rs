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
pipelines:
  qsiprep:
    image: /img/qsiprep.sif
    resources:
      cpus: 8
      mem_gb: 16
      time: \"12:00:00\"
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
    assert!(e.starts_with("/etc/nf/neuroflow.yaml:17:13: "), "{e}");
    assert!(e.contains("invalid type"), "{e}");
}

#[test]
fn negative_cpus_says_what_is_allowed() {
    let e = error_of(&MINIMAL.replace("cpus: 8", "cpus: -4"));
    assert!(e.starts_with("/etc/nf/neuroflow.yaml:17:13: "), "{e}");
    assert!(e.contains("cpus must be a whole number of at least 1 (got -4)"), "{e}");
}

#[test]
fn banana_time_says_the_syntax() {
    let e = error_of(&MINIMAL.replace("\"12:00:00\"", "banana"));
    assert!(e.starts_with("/etc/nf/neuroflow.yaml:19:13: "), "{e}");
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
    assert!(e.starts_with("/etc/nf/neuroflow.yaml:14:3: "), "{e}");
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
            MINIMAL.to_string() + "    options:\n      nprocs: 3\n",
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
