//! The real tools decide. Every argument list neuroflow renders, for every stage, every
//! supported release (`neuroflow::releases::TOOLS`) and the option sets a centre uses,
//! goes to that release's own parser from PyPI (QSIPrep 1.0.2, 1.1.1, 26.0.0, 26.1.1;
//! QSIParc 0.1.2; HeuDiConv 1.5.1), one interpreter per release. QSIRecon is not on
//! PyPI: its lines go to the stand-in that follows its cited parser lines. And each
//! stand-in refuses exactly what its release's parser refuses, on the rendered lines and
//! on lines that must be refused.

use crate::support::parsers::{Files, judge_real, judge_standin, option_sets, real_parser, rendered};
use neuroflow::releases::{self, Release};
use neuroflow::stages::STAGES;
use std::collections::BTreeSet;

type Line = (String, Vec<String>);

#[test]
fn every_rendered_line_is_accepted_by_its_releases_own_parser() {
    let started = std::time::Instant::now();
    let f = Files::new();
    let (mut failures, mut refused_by_us, mut matrix) = (vec![], BTreeSet::new(), vec![]);
    for def in STAGES {
        let tool = releases::tool(def.tool).unwrap();
        for release in tool.releases {
            let mut lines: Vec<Line> = vec![];
            for set in option_sets(def.name) {
                match rendered(&f, def, &set, tool, release) {
                    Ok(argv) => lines.push((set.name.to_string(), argv)),
                    Err(why) => {
                        refused_by_us.insert((def.name, release.series, set.name));
                        matrix.push(format!(
                            "| {} | {} | {} | refused by neuroflow: {why} |",
                            def.name, release.tested, set.name
                        ));
                    }
                }
            }
            let verdicts: Vec<(bool, String)> = if real_parser(def.tool, release).is_some() {
                let v = judge_real(def.tool, release, &lines);
                lines.iter().map(|(id, _)| (v[id].ok, v[id].message.clone())).collect()
            } else {
                lines
                    .iter()
                    .map(|(_, argv)| judge_standin(def.tool, release, argv))
                    .map(|v| (v.ok, v.message))
                    .collect()
            };
            let judge = if release.real_parser { "own parser" } else { "stand-in (cited lines)" };
            for ((set, argv), (ok, message)) in lines.iter().zip(verdicts) {
                let verdict = if ok { "accepted".to_string() } else { format!("REFUSED: {message}") };
                matrix.push(format!("| {} | {} | {set} | {judge}: {verdict} |", def.name, release.tested));
                if !ok {
                    failures.push(format!(
                        "{} {} [{set}]: {message}\n    {}",
                        def.name,
                        release.tested,
                        argv.join(" ")
                    ));
                }
            }
        }
    }
    eprintln!("| stage | release | option set | verdict |\n|---|---|---|---|\n{}", matrix.join("\n"));
    eprintln!("real parsers judged {} lines in {:.1} s", matrix.len(), started.elapsed().as_secs_f64());
    assert!(failures.is_empty(), "lines a release's parser refuses:\n{}", failures.join("\n"));
    let expected: BTreeSet<_> = [("qsirecon", "1.0", "aux files"), ("qsirecon", "1.1", "aux files")].into();
    assert_eq!(refused_by_us, expected, "neuroflow refuses only what a release has no flag for");
}

/// `argv` with `from` replaced by `to` (a flag or a value).
fn swap(argv: &[String], from: &str, to: &str) -> Vec<String> {
    argv.iter().map(|a| if a == from { to.to_string() } else { a.clone() }).collect()
}

/// `argv` without `flag` and the `n` words after it.
fn without(argv: &[String], flag: &str, n: usize) -> Vec<String> {
    let i = argv.iter().position(|a| a == flag).unwrap_or_else(|| panic!("{flag} in {argv:?}"));
    argv.iter().enumerate().filter(|(j, _)| *j < i || *j > i + n).map(|(_, a)| a.clone()).collect()
}

fn plus(argv: &[String], more: &[&str]) -> Vec<String> {
    argv.iter().cloned().chain(more.iter().map(|s| s.to_string())).collect()
}

/// The value after `flag` set to `value`.
fn with_value(argv: &[String], flag: &str, value: &str) -> Vec<String> {
    let mut v = argv.to_vec();
    let i = v.iter().position(|a| a == flag).unwrap_or_else(|| panic!("{flag} in {argv:?}"));
    v[i + 1] = value.into();
    v
}

/// Lines around a rendered one that a release's parser may refuse.
fn variants(tool: &str, release: &Release, base: &[String], f: &Files) -> Vec<Line> {
    let r = f.root().display().to_string();
    let v = |name: &str, argv: Vec<String>| (name.to_string(), argv);
    let other = if release.session_flag == "--session-id" { "--session-label" } else { "--session-id" };
    match tool {
        "qsiprep" => vec![
            v("the other session flag", swap(base, release.session_flag, other)),
            v("no --output-resolution", without(base, "--output-resolution", 1)),
            v("--gpu eddy", plus(base, &["--gpu", "eddy"])),
            v("--gpu cuda", plus(base, &["--gpu", "cuda"])),
            v("--fs-license-file", plus(base, &["--fs-license-file", &format!("{r}/license.txt")])),
            v("anat first-lex", with_value(base, "--subject-anatomical-reference", "first-lex")),
            v("anat first-alphabetically", with_value(base, "--subject-anatomical-reference", "first-alphabetically")),
            v("anat banana", with_value(base, "--subject-anatomical-reference", "banana")),
            v("bids_dir missing", swap(base, &format!("{r}/bids"), "/nonexistent/bids")),
            v("filter missing", plus(base, &["--bids-filter-file", "/nonexistent/filter.json"])),
            v("filter not JSON", plus(base, &["--bids-filter-file", &format!("{r}/notjson.json")])),
            v("--nprocs 0", with_value(base, "--nprocs", "0")),
            v("--mem-mb 1.5", with_value(base, "--mem-mb", "1.5")),
            v("--dwi-only", plus(base, &["--dwi-only"])),
            v("--frobnicate", plus(base, &["--frobnicate"])),
            v("--version", plus(base, &["--version"])),
        ],
        "heudiconv" => vec![
            v("--bids top", with_value(base, "--bids", "top")),
            v("--grouping banana", with_value(base, "--grouping", "banana")),
            v("--converter dcm2nii", with_value(base, "--converter", "dcm2nii")),
            v("-d with --files", plus(base, &["-d", "/dicom/{subject}"])),
            v("--random-seed x", plus(base, &["--random-seed", "x"])),
            v("--frobnicate", plus(base, &["--frobnicate"])),
            v("--minmeta", plus(base, &["--minmeta"])),
            v("--version", plus(base, &["--version"])),
        ],
        "qsiparc" => vec![
            v("--session", swap(base, "--session-label", "--session")),
            v("--nprocs", swap(base, "--n-procs", "--nprocs")),
            v("QSIRECON_DIR missing", swap(base, &format!("{r}/deriv/qsirecon"), "/nonexistent/qsirecon")),
            v("--stat-tier banana", plus(base, &["--stat-tier", "banana"])),
            v("--stat-tier CORE", plus(base, &["--stat-tier", "CORE"])),
            v("--n-procs x", with_value(base, "--n-procs", "x")),
            v("--no-connectome", plus(base, &["--no-connectome"])),
            v("--version", plus(base, &["--version"])),
            v("no OUTPUT_DIR", without(base, &format!("{r}/deriv/qsiparc"), 0)),
            v("an extra positional", plus(base, &["/tmp"])),
        ],
        other => panic!("no variants for {other}"),
    }
}

#[test]
fn each_stand_in_refuses_exactly_what_its_releases_parser_refuses() {
    let f = Files::new();
    let (mut mismatches, mut checked) = (vec![], 0);
    for def in STAGES {
        let tool = releases::tool(def.tool).unwrap();
        for release in tool.releases.iter().filter(|r| r.real_parser) {
            let sets = option_sets(def.name);
            let mut lines: Vec<Line> = sets
                .iter()
                .filter_map(|s| rendered(&f, def, s, tool, release).ok().map(|a| (s.name.to_string(), a)))
                .collect();
            let base = lines[if def.name == "qsiparc" { 1 } else { 0 }].1.clone();
            lines.extend(variants(def.tool, release, &base, &f));
            let real = judge_real(def.tool, release, &lines);
            let refused = real.values().filter(|v| !v.ok).count();
            assert!(refused >= 5, "{} {}: the lines must include refusals ({refused})", def.tool, release.tested);
            for (id, argv) in &lines {
                let stand_in = judge_standin(def.tool, release, argv);
                checked += 1;
                if stand_in.ok != real[id].ok {
                    mismatches.push(format!(
                        "{} {} [{id}]: real parser {} ({}), stand-in {} ({})\n    {}",
                        def.tool,
                        release.tested,
                        if real[id].ok { "accepts" } else { "refuses" },
                        real[id].message,
                        if stand_in.ok { "accepts" } else { "refuses" },
                        stand_in.message,
                        argv.join(" ")
                    ));
                }
            }
            if def.tool == "qsiprep" && release.series == "26.1" {
                let m = &real["the other session flag"].message;
                assert!(m.contains("unrecognized arguments: --session-id"), "QSIPrep 26.1 renamed --session-id: {m}");
            }
        }
    }
    eprintln!("stand-ins held to the real parsers on {checked} lines");
    assert!(mismatches.is_empty(), "stand-ins that judge otherwise than the real parser:\n{}", mismatches.join("\n"));
}
