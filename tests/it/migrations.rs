//! Both backends carry the same migrations under the same names.

use std::collections::BTreeSet;
use std::path::Path;

fn names(backend: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn postgres_and_sqlite_migrations_have_the_same_names() {
    let pg = names("postgres");
    assert!(!pg.is_empty());
    assert_eq!(pg, names("sqlite"));
    for m in &pg {
        for backend in ["postgres", "sqlite"] {
            for f in ["up.sql", "down.sql"] {
                let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend).join(m).join(f);
                assert!(p.is_file(), "{} missing", p.display());
            }
        }
    }
}
