//! Rendering sbatch scripts from Tera templates (pure: no I/O here).
//!
//! Every `{{ value }}` in a template is shell-quoted by the escape function; `| safe`
//! opts out. Tera does not escape a `{{ a ~ b }}` concatenation, so those end in
//! `| q` (a test checks every built-in template). `| sbatch` checks a value that goes
//! on an `#SBATCH` line, which sbatch reads without shell quoting. `| shell_words`
//! quotes each element of a list.

use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use tera::{Context, Tera, Value};

/// The built-in templates, embedded in the binary.
pub const BUILTIN: &[(&str, &str)] = &[
    ("_base.sh.tera", include_str!("../../templates/_base.sh.tera")),
    ("_tool.sh.tera", include_str!("../../templates/_tool.sh.tera")),
    ("bids_conversion.sh.tera", include_str!("../../templates/bids_conversion.sh.tera")),
    ("qsiprep.sh.tera", include_str!("../../templates/qsiprep.sh.tera")),
    ("qsirecon.sh.tera", include_str!("../../templates/qsirecon.sh.tera")),
    ("qsiparc.sh.tera", include_str!("../../templates/qsiparc.sh.tera")),
    ("heuristic.py", include_str!("../../templates/heuristic.py")),
];

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
}

fn tera_message(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

/// Shell-quotes one word (the escape function for every `{{ }}`).
pub fn shell_quote(s: &str) -> String {
    shlex::try_quote(s).map(|c| c.into_owned()).unwrap_or_else(|_| "''".into())
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

struct ShellWords;

impl tera::Filter for ShellWords {
    fn filter(&self, value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
        let items = value.as_array().ok_or_else(|| tera::Error::msg("shell_words needs a list"))?;
        Ok(Value::String(items.iter().map(|v| shell_quote(&value_text(v))).collect::<Vec<_>>().join(" ")))
    }
    fn is_safe(&self) -> bool {
        true
    }
}

/// `| q`: quotes one word. Needed after `a ~ b`, which Tera does not escape.
struct Quote;

impl tera::Filter for Quote {
    fn filter(&self, value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
        Ok(Value::String(shell_quote(&value_text(value))))
    }
    fn is_safe(&self) -> bool {
        true
    }
}

/// `| env_word`: one shell word whose literal parts are single-quoted and whose
/// `$NAME`/`${NAME}` job variables stay expandable (`"${NAME}"`); any other `$` is quoted.
struct EnvWord;

impl tera::Filter for EnvWord {
    fn filter(&self, value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
        let text = value_text(value);
        static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
        let re = RE.get_or_init(|| regex::Regex::new(crate::domain::JOB_VARIABLE).expect("valid regex"));
        let mut out = String::new();
        let mut last = 0;
        for m in re.find_iter(&text) {
            if m.start() > last {
                out.push_str(&shell_quote(&text[last..m.start()]));
            }
            let var = m.as_str().trim_start_matches('$').trim_start_matches('{').trim_end_matches('}');
            out.push_str(&format!("\"${{{var}}}\""));
            last = m.end();
        }
        if last < text.len() || out.is_empty() {
            out.push_str(&shell_quote(&text[last..]));
        }
        Ok(Value::String(out))
    }
    fn is_safe(&self) -> bool {
        true
    }
}

struct SbatchValue;

impl tera::Filter for SbatchValue {
    fn filter(&self, value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
        let text = value_text(value);
        let bad = |c: char| c.is_whitespace() || c.is_control() || "'\"\\#`$;".contains(c);
        if text.is_empty() || text.chars().any(bad) {
            return Err(tera::Error::msg(format!(
                "{text:?} cannot go on an #SBATCH line (no spaces, quotes, '#', '$', ';' or backslashes); choose paths and names without them"
            )));
        }
        Ok(Value::String(text))
    }
    fn is_safe(&self) -> bool {
        true
    }
}

/// A set of templates ready to render: the built-in ones, with a site's overrides.
pub struct Templates {
    tera: Tera,
}

impl Templates {
    /// `overrides` are (file name, text) pairs from the site's templates directory.
    pub fn new(overrides: &[(String, String)]) -> Result<Templates, RenderError> {
        let mut sources: BTreeMap<String, String> =
            BUILTIN.iter().filter(|(n, _)| n.ends_with(".tera")).map(|(n, t)| (n.to_string(), t.to_string())).collect();
        for (name, text) in overrides {
            sources.insert(name.clone(), text.clone());
        }
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".tera"]);
        tera.set_escape_fn(shell_quote);
        tera.register_filter("shell_words", ShellWords);
        tera.register_filter("sbatch", SbatchValue);
        tera.register_filter("q", Quote);
        tera.register_filter("env_word", EnvWord);
        tera.add_raw_templates(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
            .map_err(|e| RenderError::Template { name: "(loading)".into(), message: tera_message(&e) })?;
        Ok(Templates { tera })
    }

    /// Renders `name` with a serializable context.
    pub fn render<C: Serialize>(&self, name: &str, ctx: &C) -> Result<String, RenderError> {
        let context = Context::from_serialize(ctx)
            .map_err(|e| RenderError::Template { name: name.into(), message: tera_message(&e) })?;
        self.tera
            .render(name, &context)
            .map_err(|e| RenderError::Template { name: name.into(), message: tera_message(&e) })
    }
}
