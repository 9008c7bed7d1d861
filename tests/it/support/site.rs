//! A site directory for end-to-end tests: config, incoming DICOM, mapping, store.

use super::bin;
use super::db::TestDb;
use assert_cmd::Command;
use neuroflow_synth::{Manufacturer, standard_session, write_session};
use std::path::{Path, PathBuf};

pub struct Site {
    pub dir: tempfile::TempDir,
    pub db: TestDb,
}

pub const PROTOCOL: &str = "\
protocol:
  required_scans:
    - {name: T1w, series_description_pattern: 'mprage|t1w', min_files: 1}
    - {name: DWI, series_description_pattern: 'dwi|dti|diff', min_files: 1}
  optional_scans:
    - {name: fmap, series_description_pattern: 'field|fmap'}
";

impl Site {
    /// A site whose config is the given sections plus paths, database and protocol.
    pub fn new(db: TestDb, sections: &str) -> Site {
        // NEUROFLOW_TEST_KEEP=1 keeps the site (config, logs, outputs) for a post-mortem.
        let dir = tempfile::Builder::new()
            .prefix("nf-site-")
            .disable_cleanup(std::env::var_os("NEUROFLOW_TEST_KEEP").is_some())
            .tempdir()
            .expect("temp dir");
        let site = Site { dir, db };
        std::fs::create_dir_all(site.incoming()).unwrap();
        let root = site.root().display().to_string();
        let yaml = format!(
            "paths:\n  dicom_incoming: {root}/incoming\n  bids_root: {root}/bids\n  derivatives: {root}/derivatives\n  work_dir: {root}/work\n  log_dir: {root}/logs\ndatabase:\n  url: {url}\n{PROTOCOL}{sections}",
            url = site.db.url()
        );
        std::fs::write(site.config(), yaml).unwrap();
        site
    }

    /// The usual intake site: mapping from mapping.csv, no stability wait.
    pub fn intake(db: TestDb) -> Site {
        let s = Site::new(db, "mapping:\n  csv_file: mapping.csv\ndiscovery:\n  stability_minutes: 0\n");
        s.set_mapping(&[]);
        s
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> PathBuf {
        self.root().join("neuroflow.yaml")
    }

    pub fn incoming(&self) -> PathBuf {
        self.root().join("incoming")
    }

    pub fn set_mapping(&self, rows: &[(&str, &str)]) {
        let mut text = String::from("ScanID,SubjectCode\n");
        for (scan, code) in rows {
            text.push_str(&format!("{scan},{code}\n"));
        }
        std::fs::write(self.root().join("mapping.csv"), text).unwrap();
    }

    /// Writes a generated session into incoming/<folder>; returns the file count.
    pub fn add_session(&self, folder: &str, manufacturer: Manufacturer) -> usize {
        let spec = standard_session(folder, &format!("P{}", folder.len()), manufacturer, 40);
        write_session(&self.incoming().join(folder), &spec).expect("write synthetic session")
    }

    pub fn nf(&self) -> Command {
        let mut c = Command::new(bin());
        c.env("NEUROFLOW_CONFIG", self.config()).env_remove("NEUROFLOW_DATABASE_URL").env("NO_COLOR", "1");
        c.current_dir(self.root());
        // A hung tick (e.g. --sync waiting on a job that never ends) fails the test
        // instead of stalling CI.
        c.timeout(std::time::Duration::from_secs(300));
        c
    }

    /// Runs neuroflow with `args` plus `--format json`, expecting success.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.nf().args(args).args(["--format", "json"]).output().unwrap();
        assert!(
            out.status.success(),
            "neuroflow {args:?} failed ({:?}):\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e})"))
    }
}
