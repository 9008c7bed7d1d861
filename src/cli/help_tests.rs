//! Help that teaches: every subcommand and every flag says what it is for, and the
//! commands people start with show examples.

use super::Cli;
use clap::CommandFactory;

fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
    for a in cmd.get_arguments() {
        let id = a.get_id().as_str();
        if a.is_hide_set() || id == "help" || id == "version" {
            continue;
        }
        if a.get_help().is_none() && a.get_long_help().is_none() {
            missing.push(format!("{path}: {id}"));
        }
    }
    for sc in cmd.get_subcommands() {
        let here = format!("{path} {}", sc.get_name());
        if sc.get_about().is_none() {
            missing.push(here.clone());
        }
        walk(sc, &here, missing);
    }
}

#[test]
fn every_subcommand_and_flag_has_help() {
    let mut missing = vec![];
    walk(&Cli::command(), "neuroflow", &mut missing);
    assert!(missing.is_empty(), "without help text:\n{}", missing.join("\n"));
}

#[test]
fn the_commands_people_start_with_show_examples() {
    let cli = Cli::command();
    for path in [
        vec!["init"],
        vec!["doctor"],
        vec!["workflow", "run"],
        vec!["workflow", "status"],
        vec!["runs", "show"],
        vec!["explain"],
        vec!["report"],
        vec!["completions"],
    ] {
        let mut cmd = &cli;
        for p in &path {
            cmd = cmd.find_subcommand(p).unwrap_or_else(|| panic!("{path:?}"));
        }
        let after = cmd.get_after_help().map(|h| h.to_string()).unwrap_or_default();
        assert!(after.contains("EXAMPLES:\n  neuroflow "), "{path:?} has no EXAMPLES section");
    }
}
