//! The house keeps its shape: no import circle between files of src/, and the read
//! side (src/workflow/views/) imports nothing from the phases that write (intake/,
//! submit/, track/). Read off the source text:
//!
//! - an edge A → B is a `crate::…` or `super::…` path in A (in a `use` or in code) that
//!   names an item of file B;
//! - a parent naming its own children (`mod x; pub use x::Y;`, `x::f()`) owns them and
//!   is not an edge, nor is a file naming itself;
//! - a file's own tests (`#[cfg(test)] mod …` files, and the `mod tests` at a file's end)
//!   are left out: they import what they test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A file of src/ and the module path it holds (`workflow::tick`).
struct File {
    rel: String,
    module: Vec<String>,
    text: String,
}

fn files() -> Vec<File> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = vec![];
    walk(&src, &src, &mut out);
    let test_only = test_only_files(&out);
    out.retain(|f| !test_only.contains(&f.rel) && f.rel != "main.rs");
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<File>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("src/ is readable").flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(root, &p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let rel = p.strip_prefix(root).expect("below src/").to_string_lossy().replace('\\', "/");
            let mut module: Vec<String> = rel.trim_end_matches(".rs").split('/').map(String::from).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            let text = std::fs::read_to_string(&p).expect("a source file is readable");
            out.push(File { rel, module, text: code_of(&text) });
        }
    }
}

/// The text without line comments and without the `mod tests` block at the end.
fn code_of(text: &str) -> String {
    let cut = text.find("#[cfg(test)]\nmod tests").unwrap_or(text.len());
    text[..cut].lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// Files declared only for tests (`#[cfg(test)] mod name;` in their parent).
fn test_only_files(files: &[File]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for f in files {
        let lines: Vec<&str> = f.text.lines().map(str::trim).collect();
        for w in lines.windows(2) {
            if w[0] == "#[cfg(test)]"
                && let Some(name) =
                    w[1].trim_start_matches("pub ").strip_prefix("mod ").and_then(|r| r.strip_suffix(';'))
            {
                let dir = if f.module.is_empty() { String::new() } else { format!("{}/", f.module.join("/")) };
                out.insert(format!("{dir}{name}.rs"));
                out.insert(format!("{dir}{name}/mod.rs"));
            }
        }
    }
    out
}

/// Every `crate::`/`super::` path of a text, `use` groups expanded.
fn paths(text: &str) -> Vec<Vec<String>> {
    let mut out = vec![];
    let mut code = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("use ") {
        code.push_str(&rest[..i]);
        let after = &rest[i + 4..];
        let end = after.find(';').unwrap_or(after.len());
        let stmt: String = after[..end].chars().filter(|c| !c.is_whitespace()).collect();
        if stmt.starts_with("crate::") || stmt.starts_with("super::") {
            expand("", &stmt, &mut out);
        }
        rest = &after[end..];
    }
    code.push_str(rest);
    let re = regex::Regex::new(r"\b(?:crate|super)(?:::[A-Za-z_][A-Za-z0-9_]*)+").expect("valid");
    out.extend(re.find_iter(&code).map(|m| m.as_str().split("::").map(String::from).collect()));
    out
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(prefix: &str, s: &str, out: &mut Vec<Vec<String>>) {
    let Some(open) = s.find('{') else {
        let full = format!("{prefix}{s}");
        let path = full.split(" as ").next().unwrap_or_default().trim_end_matches("::*");
        out.push(path.split("::").filter(|p| !p.is_empty()).map(String::from).collect());
        return;
    };
    let head = format!("{prefix}{}", &s[..open]);
    let inner = &s[open + 1..s.rfind('}').unwrap_or(s.len())];
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                expand(&head, &inner[start..i], out);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < inner.len() {
        expand(&head, &inner[start..], out);
    }
}

/// The file (by index) that holds the item a path names, and the name.
fn resolve(files: &[File], from: &File, path: &[String]) -> Option<(usize, String)> {
    let mut abs: Vec<String> = vec![];
    let mut segs = path.iter().peekable();
    match segs.peek().map(|s| s.as_str()) {
        Some("crate") => {
            segs.next();
        }
        Some("super") => {
            abs = from.module.clone();
            while segs.peek().map(|s| s.as_str()) == Some("super") {
                segs.next();
                abs.pop();
            }
        }
        _ => return None,
    }
    abs.extend(segs.cloned());
    if abs.starts_with(&from.module) && abs.len() > from.module.len() {
        let child = [from.module.clone(), vec![abs[from.module.len()].clone()]].concat();
        if files.iter().any(|f| f.module == child) {
            return None; // the file's own child: ownership, not an edge
        }
    }
    (0..=abs.len()).rev().find_map(|n| {
        let i = files.iter().position(|f| f.module == abs[..n])?;
        Some((i, abs.get(n).cloned().unwrap_or_else(|| "*".into())))
    })
}

/// File → file → the names that tie them.
type Graph = BTreeMap<usize, BTreeMap<usize, BTreeSet<String>>>;

fn graph(files: &[File]) -> Graph {
    let mut g: Graph = BTreeMap::new();
    for (a, f) in files.iter().enumerate() {
        for p in paths(&f.text) {
            if let Some((b, name)) = resolve(files, f, &p)
                && b != a
            {
                g.entry(a).or_default().entry(b).or_default().insert(name);
            }
        }
    }
    g
}

/// The strongly connected groups of more than one file (Tarjan).
fn circles(n: usize, g: &Graph) -> Vec<Vec<usize>> {
    struct T<'a> {
        g: &'a Graph,
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(t: &mut T, v: usize) {
        t.index[v] = Some(t.next);
        t.low[v] = t.next;
        t.next += 1;
        t.stack.push(v);
        t.on[v] = true;
        let targets: Vec<usize> = t.g.get(&v).map(|m| m.keys().copied().collect()).unwrap_or_default();
        for w in targets {
            match t.index[w] {
                None => {
                    visit(t, w);
                    t.low[v] = t.low[v].min(t.low[w]);
                }
                Some(iw) if t.on[w] => t.low[v] = t.low[v].min(iw),
                _ => {}
            }
        }
        if Some(t.low[v]) == t.index[v] {
            let mut group = vec![];
            while let Some(w) = t.stack.pop() {
                t.on[w] = false;
                group.push(w);
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                t.out.push(group);
            }
        }
    }
    let mut t = T { g, index: vec![None; n], low: vec![0; n], on: vec![false; n], stack: vec![], next: 0, out: vec![] };
    for v in 0..n {
        if t.index[v].is_none() {
            visit(&mut t, v);
        }
    }
    t.out
}

fn describe(files: &[File], g: &Graph, group: &[usize]) -> String {
    let mut lines = vec![];
    for &a in group {
        for (&b, names) in g.get(&a).into_iter().flatten() {
            if group.contains(&b) {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                lines.push(format!("  src/{} → src/{} ({})", files[a].rel, files[b].rel, names.join(", ")));
            }
        }
    }
    lines.join("\n")
}

#[test]
fn no_file_of_src_takes_part_in_an_import_circle() {
    let files = files();
    let g = graph(&files);
    let found: Vec<String> = circles(files.len(), &g).iter().map(|c| describe(&files, &g, c)).collect();
    assert!(
        found.is_empty(),
        "import circles between files of src/ (each must lose one edge):\n{}",
        found.join("\n\n")
    );
}

#[test]
fn the_read_side_imports_nothing_from_the_phases_that_write() {
    let files = files();
    let g = graph(&files);
    let phase = |f: &File| ["intake", "submit", "track"].iter().any(|p| f.rel.starts_with(&format!("workflow/{p}/")));
    let mut wrong = vec![];
    for (a, f) in files.iter().enumerate().filter(|(_, f)| f.rel.starts_with("workflow/views/")) {
        for (&b, names) in g.get(&a).into_iter().flatten() {
            if phase(&files[b]) {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                wrong.push(format!("  src/{} → src/{} ({})", f.rel, files[b].rel, names.join(", ")));
            }
        }
    }
    assert!(wrong.is_empty(), "the read side must not import intake/submit/track:\n{}", wrong.join("\n"));
}

#[test]
fn the_plots_are_pure_and_import_only_the_domain() {
    let files = files();
    let g = graph(&files);
    let mut wrong = vec![];
    for (a, f) in files.iter().enumerate().filter(|(_, f)| f.rel.starts_with("plot/")) {
        for (&b, names) in g.get(&a).into_iter().flatten() {
            let to = &files[b].rel;
            if !to.starts_with("plot/") && to != "domain.rs" {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                wrong.push(format!("  src/{} → src/{to} ({})", f.rel, names.join(", ")));
            }
        }
    }
    assert!(wrong.is_empty(), "src/plot/ draws figures it is given; it may import domain only:\n{}", wrong.join("\n"));
}

#[test]
fn the_checker_sees_a_circle_and_names_its_ties() {
    let mk = |rel: &str, module: &[&str], text: &str| File {
        rel: rel.into(),
        module: module.iter().map(|s| s.to_string()).collect(),
        text: text.into(),
    };
    let files = vec![
        mk("lib.rs", &[], "pub mod a;\npub mod b;\npub mod c;"),
        mk("a.rs", &["a"], "use crate::b::{Thing, other::{X as Y}};\nfn f() { crate::c::g(); }"),
        mk("b.rs", &["b"], "use super::a::A;"),
        mk("c.rs", &["c"], "pub fn g() {}"),
    ];
    let g = graph(&files);
    let c = circles(files.len(), &g);
    assert_eq!(c, vec![vec![1, 2]], "a ↔ b, and c out of it");
    let text = describe(&files, &g, &c[0]);
    assert!(text.contains("src/a.rs → src/b.rs (Thing, other)") && text.contains("src/b.rs → src/a.rs (A)"), "{text}");
}
