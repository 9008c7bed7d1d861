//! The configuration as neuroflow applies it, as data: printed by `config check`,
//! hashed into every run's provenance.

use super::Config;

/// The configuration as neuroflow applies it: defaults filled in (each stage's cap,
/// the scratch directory, the store's URL with its password hidden), unset optional
/// keys left out instead of printed as null.
pub fn effective(cfg: &Config) -> serde_json::Value {
    let mut v = serde_json::to_value(cfg).expect("config serializes");
    v["database"]["url"] = crate::db::redact(&cfg.database_url()).into();
    if v["paths"]["scratch"].is_null() {
        v["paths"]["scratch"] = cfg.paths.work_dir.join("scratch").display().to_string().into();
    }
    for def in crate::stages::STAGES {
        if let Some(p) = cfg.pipeline(def.name) {
            v["pipelines"][def.name]["max_concurrent"] = p.max_concurrent.unwrap_or(def.default_max_concurrent).into();
        }
    }
    if let Some(shown) = cfg.notify.as_ref().and_then(|n| n.webhook_shown()) {
        v["notify"]["webhook"] = shown.into();
    }
    drop_nulls(&mut v);
    v
}

fn drop_nulls(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// SHA-256 of the effective configuration: two runs with the same hash were made
/// with the same settings.
pub fn sha256(cfg: &Config) -> String {
    use sha2::Digest;
    let text = serde_json::to_vec(&effective(cfg)).unwrap_or_default();
    format!("{:x}", sha2::Sha256::digest(&text))
}
