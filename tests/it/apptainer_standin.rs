//! The Apptainer stand-in isolates as Apptainer does, so an unbound path, a dropped
//! variable or a full in-memory /tmp fails here as it would on a cluster.

use crate::support::chain::standins;
use std::process::{Command, Output};

fn apptainer(dir: &std::path::Path, args: &[&str], script: &str) -> Output {
    let sif = dir.join("shell.sif");
    std::fs::write(&sif, "#!neuroflow-standin-sif\nrunscript: /bin/sh\nenv: FROM_IMAGE=yes\n").unwrap();
    Command::new(standins().join("apptainer"))
        .arg("run")
        .args(args)
        .arg(&sif)
        .args(["-c", script])
        .env("HOST_ONLY", "leak")
        .env("APPTAINERENV_PASSED", "through")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn only_bound_paths_exist_and_read_only_binds_stay_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let (data, out, hidden) = (dir.path().join("data"), dir.path().join("out"), dir.path().join("hidden"));
    for d in [&data, &out, &hidden] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(data.join("f"), "x").unwrap();
    let ro = format!("{0}:{0}:ro", data.display());
    let rw = out.display().to_string();
    let script = format!(
        "cat {d}/f && ! touch {d}/g 2>/dev/null && touch {o}/written && ! ls {h} 2>/dev/null && echo isolated",
        d = data.display(),
        o = out.display(),
        h = hidden.display()
    );
    let o = apptainer(dir.path(), &["--containall", "--bind", &ro, "-B", &rw], &script);
    assert!(o.status.success() && text(&o).contains("isolated"), "{}", text(&o));
    assert!(out.join("written").is_file(), "a read-write bind writes through to the host");
    let o = apptainer(dir.path(), &["--containall", "--bind", "/no/such/dir"], "true");
    assert_eq!(o.status.code(), Some(255));
    assert!(text(&o).contains("mount source /no/such/dir doesn't exist"), "{}", text(&o));
}

#[test]
fn cleanenv_keeps_only_what_is_passed_and_containall_gives_a_small_tmp() {
    let dir = tempfile::tempdir().unwrap();
    let o = apptainer(
        dir.path(),
        &["--containall", "--env", "GIVEN=1"],
        "echo \"[$HOST_ONLY][$GIVEN][$PASSED][$FROM_IMAGE]\"; df -m /tmp | tail -1",
    );
    let t = text(&o);
    assert!(o.status.success() && t.contains("[][1][through][yes]"), "{t}");
    let df = t.lines().last().unwrap_or_default();
    assert!(df.split_whitespace().nth(1) == Some("64"), "64 MB /tmp: {t}");
    let o = apptainer(dir.path(), &["--containall"], "dd if=/dev/zero of=/tmp/big bs=1M count=100 2>&1");
    assert!(!o.status.success(), "100 MB do not fit in the in-memory /tmp: {}", text(&o));
    // --workdir puts /tmp and $HOME on disk.
    let work = dir.path().join("scratch");
    std::fs::create_dir_all(&work).unwrap();
    let o = apptainer(
        dir.path(),
        &["--containall", "--workdir", work.to_str().unwrap()],
        "dd if=/dev/zero of=/tmp/big bs=1M count=100 2>/dev/null && touch \"$HOME/h\" && echo ok",
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(work.join("tmp/big").is_file() && work.join("home/h").is_file());
}
