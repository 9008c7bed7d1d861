//! docs/configuration.md is the configuration reference: every key of the model is
//! documented there, and every key documented there exists.

use super::*;
use std::collections::BTreeSet;

const DOC: &str = include_str!("../../docs/configuration.md");

/// Key paths of a serialized config (arrays and `options` maps are leaves; a
/// pipeline's keys are `pipelines.<stage>.…`).
fn model_keys(v: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
    let serde_json::Value::Object(map) = v else { return };
    for (k, child) in map {
        let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        let key = match prefix {
            "pipelines" => "pipelines.<stage>".to_string(),
            _ => key,
        };
        out.insert(key.clone());
        if !key.ends_with(".options") {
            model_keys(child, &key, out);
        }
    }
}

/// The first-column keys of the doc's tables: `a.b` / `c` means a.b and a.c; the
/// pipeline table's keys are relative to `pipelines.<stage>`.
fn documented_keys() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_pipeline_table = false;
    for line in DOC.lines() {
        if line.starts_with("Each `pipelines.<stage>` section") {
            in_pipeline_table = true;
        }
        if line.starts_with("Stage options.") {
            in_pipeline_table = false;
        }
        let Some(first) = line.strip_prefix("| ").and_then(|l| l.split(" | ").next()) else { continue };
        let names: Vec<&str> =
            first.split(" / ").filter_map(|n| n.trim().strip_prefix('`')?.strip_suffix('`')).collect();
        let Some(head) = names.first() else { continue };
        let head = head.trim_end_matches("[]");
        let (parent, _) = head.rsplit_once('.').unwrap_or(("", head));
        for (i, n) in names.iter().enumerate() {
            let n = n.trim_end_matches("[]");
            let full =
                if i == 0 || parent.is_empty() || n.contains('.') { n.to_string() } else { format!("{parent}.{n}") };
            out.insert(if in_pipeline_table { format!("pipelines.<stage>.{full}") } else { full });
        }
    }
    out
}

#[test]
fn every_key_is_documented_and_every_documented_key_exists() {
    let text = format!("{STARTER}\nnotify: {{webhook: 'https://hooks.example.org/x', command: [true]}}\n");
    let cfg = parse(Path::new("/site/neuroflow.yaml"), &text, None).unwrap().config;
    let mut model = BTreeSet::new();
    model_keys(&serde_json::to_value(&cfg).unwrap(), "", &mut model);
    // A section's own key is documented through its members.
    let sections: BTreeSet<String> =
        model.iter().filter_map(|k| k.rsplit_once('.').map(|(p, _)| p.to_string())).collect();
    let documented = documented_keys();
    let undocumented: Vec<&String> =
        model.iter().filter(|k| !documented.contains(*k) && !sections.contains(*k)).collect();
    assert!(undocumented.is_empty(), "keys missing from docs/configuration.md: {undocumented:?}");
    let unknown: Vec<&String> = documented.iter().filter(|k| !model.contains(*k)).collect();
    assert!(unknown.is_empty(), "docs/configuration.md documents keys that do not exist: {unknown:?}");
}

#[test]
fn every_stage_option_is_documented_and_every_documented_option_exists() {
    let mut documented = BTreeSet::new();
    let mut stage = String::new();
    let mut in_options = false;
    for line in DOC.lines() {
        in_options |= line.starts_with("Stage options.");
        if line.starts_with("## ") {
            in_options = false;
        }
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        if !in_options || cols.len() < 4 || cols[2].is_empty() || cols[1] == "stage" || cols[1].starts_with("---") {
            continue;
        }
        if !cols[1].is_empty() {
            stage = cols[1].to_string();
        }
        documented.insert((stage.clone(), cols[2].trim_matches('`').to_string()));
    }
    let model: BTreeSet<(String, String)> = crate::stages::STAGES
        .iter()
        .flat_map(|d| d.options.iter().map(move |o| (d.name.to_string(), o.name.to_string())))
        .collect();
    let missing: Vec<_> = model.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&model).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "options undocumented: {missing:?}; documented but unknown: {unknown:?}"
    );
}
