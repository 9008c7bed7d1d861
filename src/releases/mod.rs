//! Owns: the releases of each stage's tool as data, beside the stage table — which
//! releases neuroflow supports and what differs between them, each entry citing its
//! upstream file and line (docs/tools.md shows the same table; a test keeps them in
//! step). May import: stages (tests only). Must not be imported by: nothing is barred;
//! it imports nothing of neuroflow's. Pure: finding the release an image holds is
//! `workflow::submit::tool_release`.

use serde::Serialize;

mod nipreps;

/// Where upstream says so: `file Lx-y @release`.
pub type Cite = &'static str;

/// How a tool tells its version.
#[derive(Debug, PartialEq, Eq)]
pub enum Probe {
    /// `<tool> ARGS` prints `printed` with `{}` replaced by the version.
    Flag { args: &'static [&'static str], printed: &'static str, cite: Cite },
    /// No version option: the version of the tool's Python distribution, read with
    /// `importlib.metadata` by the interpreter the tool runs on.
    PythonMetadata { dist: &'static str, cite: Cite },
}

/// A stage option's value that a release spells otherwise.
#[derive(Debug, PartialEq, Eq)]
pub struct Spelled {
    pub option: &'static str,
    /// The value as the configuration gives it.
    pub value: &'static str,
    /// The value as this release's parser takes it.
    pub as_: &'static str,
    pub cite: Cite,
}

/// One supported release series of a tool (`26.1` covers 26.1.0, 26.1.1, …).
#[derive(Debug, PartialEq, Eq)]
pub struct Release {
    pub series: &'static str,
    /// The release whose parser the test suite runs (PyPI), or whose source was read.
    pub tested: &'static str,
    /// True when the test suite feeds every rendered line to this release's own parser
    /// (installed from PyPI); false when only its cited source lines are followed.
    pub real_parser: bool,
    /// The flag that names the sessions of the unit.
    pub session_flag: &'static str,
    /// `--gpu STEP…` exists (QSIPrep ≥ 26.1: every GPU step is opt-in).
    pub gpu_steps: bool,
    pub spelled: &'static [Spelled],
    /// Stage options this release has no flag for, and why.
    pub lacks: &'static [(&'static str, Cite)],
    /// Flags this release's parser refuses that other supported releases take (checked
    /// in `extra_args`).
    pub refuses: &'static [(&'static str, Cite)],
    /// What changed from the release before it, cited.
    pub changes: &'static [(&'static str, Cite)],
}

/// A tool and its supported releases, oldest first.
#[derive(Debug, PartialEq, Eq)]
pub struct Tool {
    /// The stage table's `tool`.
    pub name: &'static str,
    pub display: &'static str,
    pub probe: Probe,
    /// Image labels that may hold the version (`apptainer inspect --json`), first wins.
    pub version_labels: &'static [&'static str],
    /// The label that names the tool, when an image has one: a version label is trusted
    /// only if this label is absent or names the tool.
    pub name_label: &'static str,
    pub releases: &'static [Release],
}

const NONE: &[(&str, Cite)] = &[];

pub const TOOLS: &[Tool] = &[
    nipreps::QSIPREP,
    nipreps::QSIRECON,
    Tool {
        name: "qsiparc",
        display: "QSIParc",
        probe: Probe::PythonMetadata {
            dist: "qsiparc",
            cite: "src/qsiparc/cli.py L279-286 @0.1.2: a click group without a version option (`No such option: --version`)",
        },
        version_labels: &["org.opencontainers.image.version", "org.label-schema.version"],
        name_label: "org.label-schema.name",
        releases: &[Release {
            series: "0.1",
            tested: "0.1.2",
            real_parser: true,
            session_flag: "--session-label",
            gpu_steps: false,
            spelled: &[],
            lacks: NONE,
            refuses: NONE,
            changes: &[
                ("`run QSIRECON_DIR OUTPUT_DIR`", "src/qsiparc/cli.py L288-293 @0.1.2 (L263-268 @0.1.0)"),
                (
                    "`-p/--participant-label`, `-s/--session-label`: one value each",
                    "src/qsiparc/cli.py L294-307 @0.1.2",
                ),
                ("`-a/--atlas` repeated", "src/qsiparc/cli.py L308-315 @0.1.2"),
                ("`--force` rewrites existing outputs", "src/qsiparc/cli.py L340-345 @0.1.2"),
                ("`-n/--n-procs`", "src/qsiparc/cli.py L358-368 @0.1.2"),
                ("0.1.2 adds `--no-connectome` and `construct-connectome`", "src/qsiparc/cli.py L352-357, L534 @0.1.2"),
            ],
        }],
    },
    Tool {
        name: "heudiconv",
        display: "HeuDiConv",
        probe: Probe::Flag {
            args: &["--version"],
            printed: "{}",
            cite: "heudiconv/cli/run.py L37 @1.5.1: `action='version', version=__version__`",
        },
        version_labels: &["org.opencontainers.image.version", "org.label-schema.version"],
        name_label: "org.label-schema.name",
        releases: &[Release {
            series: "1",
            tested: "1.5.1",
            real_parser: true,
            session_flag: "--ses",
            gpu_steps: false,
            spelled: &[],
            lacks: NONE,
            refuses: NONE,
            changes: &[
                ("`--files`, exclusive with `-d`", "heudiconv/cli/run.py L38-57 @1.5.1 (same flags at 1.0.0)"),
                ("`-s/--subjects`, `-ss/--ses`", "heudiconv/cli/run.py L58-67, L122-128 @1.5.1"),
                ("`--bids notop`, `-g/--grouping` choices", "heudiconv/cli/run.py L129-141, L178-184 @1.5.1"),
            ],
        }],
    },
];

/// The release table of a tool.
pub fn tool(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|t| t.name == name)
}

/// The version in a tool's answer or an image label: the first `N.N…` word, without a
/// leading `v` (`QSIPrep v26.1.1` → `26.1.1`, `v1.5.1` → `1.5.1`).
pub fn parse_version(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || c == ',' || c == '"')
        .map(|w| w.strip_prefix('v').unwrap_or(w))
        .find(|w| {
            let mut parts = w.split('.');
            let major = parts.next().is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
            let minor = parts.next().is_some_and(|p| p.bytes().next().is_some_and(|b| b.is_ascii_digit()));
            major && minor
        })
        .map(str::to_string)
}

impl Tool {
    /// The supported release series `version` belongs to.
    pub fn release(&self, version: &str) -> Option<&'static Release> {
        self.releases.iter().find(|r| version == r.series || version.starts_with(&format!("{}.", r.series)))
    }

    /// `1.0.x, 1.1.x, 26.0.x, 26.1.x`, for messages.
    pub fn supported(&self) -> String {
        self.releases.iter().map(|r| format!("{}.x", r.series)).collect::<Vec<_>>().join(", ")
    }

    /// The sentence that refuses `version`: the release found and the ones supported.
    pub fn unsupported(&self, version: &str, found_by: &str) -> String {
        format!(
            "{} {version} ({found_by}) is not a release neuroflow supports (supported: {}); use a supported image or pin `version:` to one (docs/tools.md)",
            self.display,
            self.supported()
        )
    }
}

/// A release known for a stage: the version, its row, and how it was learned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    pub tool: &'static str,
    pub version: String,
    pub series: &'static str,
    /// `pinned`, `label org.label-schema.version`, `--version`, `package metadata`.
    pub found_by: String,
}

impl Resolved {
    pub fn new(tool: &'static Tool, version: &str, found_by: impl Into<String>) -> Result<Resolved, String> {
        let found_by = found_by.into();
        let r = tool.release(version).ok_or_else(|| tool.unsupported(version, &found_by))?;
        Ok(Resolved { tool: tool.name, version: version.to_string(), series: r.series, found_by })
    }

    pub fn row(&self) -> &'static Release {
        let t = tool(self.tool).expect("a resolved release names a tool of the table");
        t.release(self.series).expect("a resolved release is in its table")
    }

    pub fn display(&self) -> String {
        format!("{} {}", tool(self.tool).map_or(self.tool, |t| t.display), self.version)
    }
}

/// What a stage's configuration asks of a release that the release cannot give: an
/// option it has no flag for, or a flag in `extra_args` its parser refuses.
pub fn conflicts(release: &Release, display: &str, options: &[&str], extra_args: &[&str]) -> Vec<String> {
    let mut out = vec![];
    for (opt, why) in release.lacks {
        if options.contains(opt) {
            out.push(format!("options.{opt}: {display} {}.x has no flag for it ({why})", release.series));
        }
    }
    for (flag, why) in release.refuses {
        if extra_args.iter().any(|a| a == flag || a.starts_with(&format!("{flag}="))) {
            out.push(format!("options.extra_args: {display} {}.x refuses {flag} ({why})", release.series));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::STAGES;

    #[test]
    fn every_stage_tool_has_a_release_table() {
        for s in STAGES {
            let t = tool(s.tool).unwrap_or_else(|| panic!("{}: no release table for {}", s.name, s.tool));
            assert!(!t.releases.is_empty());
            for r in t.releases {
                assert_eq!(t.release(r.tested).map(|x| x.series), Some(r.series), "{} {}", t.name, r.tested);
                for (opt, _) in r.lacks {
                    assert!(s.option(opt).is_some(), "{} {}: lacks unknown option {opt}", t.name, r.series);
                }
                for sp in r.spelled {
                    assert!(s.option(sp.option).is_some(), "{} {}: spells unknown option", t.name, r.series);
                }
                assert!(!r.changes.is_empty(), "{} {}: cite what the release is", t.name, r.series);
            }
        }
    }

    #[test]
    fn docs_tools_md_shows_every_release_and_its_sources() {
        let doc = include_str!("../../docs/tools.md");
        for t in TOOLS {
            let cite = match &t.probe {
                Probe::Flag { cite, .. } | Probe::PythonMetadata { cite, .. } => cite,
            };
            assert!(doc.contains(cite), "docs/tools.md lacks {}'s version source: {cite}", t.name);
            for r in t.releases {
                let row = format!("| {}.x (tested {}) | `{}` |", r.series, r.tested, r.session_flag);
                assert!(doc.contains(&row), "docs/tools.md lacks the row {row}");
                for (what, cite) in r.changes.iter().chain(r.lacks) {
                    assert!(doc.contains(cite), "docs/tools.md lacks {} {} ({what}): {cite}", t.name, r.series);
                }
            }
        }
    }

    #[test]
    fn versions_are_read_from_what_tools_print() {
        assert_eq!(parse_version("QSIPrep v26.1.1").as_deref(), Some("26.1.1"));
        assert_eq!(parse_version("1.5.1").as_deref(), Some("1.5.1"));
        assert_eq!(parse_version("v0.1.2\n").as_deref(), Some("0.1.2"));
        assert_eq!(parse_version("QSIRecon v26.0.0rc1").as_deref(), Some("26.0.0rc1"));
        assert_eq!(parse_version("Usage: qsiparc [OPTIONS]"), None);
        assert_eq!(parse_version("Error: No such option '--version'."), None);
    }

    #[test]
    fn a_version_belongs_to_its_series_only() {
        let q = tool("qsiprep").unwrap();
        assert_eq!(q.release("26.1.1").unwrap().series, "26.1");
        assert_eq!(q.release("26.1.0rc2").unwrap().series, "26.1");
        assert_eq!(q.release("1.0.2").unwrap().series, "1.0");
        assert!(q.release("26.10.0").is_none(), "26.10 is not 26.1");
        assert!(q.release("27.0.0").is_none());
        assert!(q.release("0.24.0").is_none());
        let msg = q.unsupported("27.0.0", "label org.label-schema.version");
        assert!(msg.contains("QSIPrep 27.0.0") && msg.contains("1.0.x, 1.1.x, 26.0.x, 26.1.x"), "{msg}");
        assert_eq!(tool("heudiconv").unwrap().release("1.5.1").unwrap().series, "1");
        assert!(tool("heudiconv").unwrap().release("10.0").is_none());
    }
}
