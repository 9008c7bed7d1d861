//! Header reading on REAL DICOM: the files shipped in the pydicom and nibabel wheels of the project
//! venv (`bash scripts/python-env.sh`), with pydicom itself as the oracle; and the synthetic
//! generator read back through the same reader.

use chrono::NaiveDate;
use neuroflow::discovery::dicom::{Probe, SeriesHeader, read_header};
use neuroflow_synth as synth;
use neuroflow_synth::Manufacturer;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const LIMIT: u64 = 1 << 20;

struct Venv {
    python: PathBuf,
    site: PathBuf,
}

/// The venv from `NEUROFLOW_VENV` or /opt/neuroflow-venv; fails (never skips) when it is missing.
fn venv() -> Venv {
    let root = std::env::var_os("NEUROFLOW_VENV").map_or_else(|| PathBuf::from("/opt/neuroflow-venv"), PathBuf::from);
    let fix = "run `bash scripts/python-env.sh` (or set NEUROFLOW_VENV to a venv holding pydicom and nibabel)";
    let python = root.join("bin/python");
    assert!(python.exists(), "no Python venv at {}: {fix}", root.display());
    let site = std::fs::read_dir(root.join("lib"))
        .ok()
        .and_then(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.path().join("site-packages"))
                .find(|p| p.join("pydicom").is_dir() && p.join("nibabel").is_dir())
        })
        .unwrap_or_else(|| panic!("no pydicom + nibabel under {}/lib: {fix}", root.display()));
    Venv { python, site }
}

impl Venv {
    fn pydicom(&self, rel: &str) -> PathBuf {
        self.site.join("pydicom/data/test_files").join(rel)
    }
    fn nibabel(&self, rel: &str) -> PathBuf {
        self.site.join("nibabel/nicom/tests/data").join(rel)
    }
}

fn gunzip(src: &Path, dir: &Path) -> PathBuf {
    let name = src.file_name().and_then(|n| n.to_str()).unwrap_or("x.gz").trim_end_matches(".gz").to_string();
    let out = dir.join(name);
    let data = Command::new("gzip").arg("-dc").arg(src).output().expect("run gzip");
    assert!(data.status.success(), "gzip -dc {} failed", src.display());
    std::fs::write(&out, data.stdout).expect("write gunzipped file");
    out
}

fn dicom(path: &Path) -> SeriesHeader {
    match read_header(path, LIMIT) {
        Probe::Dicom(h) => h,
        other => panic!("{}: expected a header, got {other:?}", path.display()),
    }
}

fn unreadable(path: &Path) -> String {
    match read_header(path, LIMIT) {
        Probe::Unreadable(why) => why,
        other => panic!("{}: expected Unreadable, got {other:?}", path.display()),
    }
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn header(
    uid: &str,
    desc: Option<&str>,
    number: i32,
    day: Option<NaiveDate>,
    maker: &str,
    modality: &str,
) -> SeriesHeader {
    SeriesHeader {
        series_uid: uid.into(),
        series_description: desc.map(Into::into),
        protocol_name: desc.map(Into::into),
        series_number: Some(number),
        study_date: day,
        manufacturer: Some(maker.into()),
        modality: Some(modality.into()),
    }
}

#[test]
fn siemens_dwi_mosaics_from_nibabel() {
    let v = venv();
    let tmp = tempfile::tempdir().expect("tempdir");
    let uid = "1.3.12.2.1107.5.2.32.35119.2010011420292594820699190.0.0.0";
    let expected = header(uid, Some("CBU_DTI_64D_1A"), 12, date(2010, 1, 14), "SIEMENS", "MR");
    for gz in ["siemens_dwi_0.dcm.gz", "siemens_dwi_1000.dcm.gz"] {
        assert_eq!(dicom(&gunzip(&v.nibabel(gz), tmp.path())), expected, "{gz}");
    }
    for plain in ["0.dcm", "1.dcm"] {
        assert_eq!(dicom(&v.nibabel(plain)), expected, "{plain}");
    }
    let rest = dicom(&v.nibabel("csa_slice_norm.dcm"));
    assert_eq!((rest.series_description.as_deref(), rest.series_number), (Some("RESTING_STATE_Yerkes"), Some(8)));
    assert_eq!(rest.study_date, date(1900, 1, 1), "anonymised dates are still dates");
}

#[test]
fn philips_enhanced_multiframe_mprage() {
    let v = venv();
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = gunzip(&v.nibabel("philips_mprage.dcm.gz"), tmp.path());
    let h = dicom(&path);
    assert_eq!(h.series_uid, "1.3.46.670589.11.17388.5.0.4680.2012031016352034031");
    assert_eq!(h.series_description.as_deref(), Some("MPRAGE_S2"));
    assert_eq!(h.protocol_name.as_deref(), Some("MPRAGE_S2 SENSE"));
    assert_eq!((h.series_number, h.study_date), (Some(301), date(2012, 3, 10)));
    assert_eq!(h.manufacturer.as_deref(), Some("Philips Medical Systems"));
    // 23 MB of frames and functional groups, but the series header sits in the first few KB.
    assert_eq!(read_header(&path, 16 * 1024), Probe::Dicom(h));
}

#[test]
fn pydicom_mr_small_in_every_encoding() {
    let v = venv();
    let uid = "1.3.6.1.4.1.5962.1.3.4.1.20040826185059.5457";
    let mut expected = header(uid, None, 1, date(2004, 8, 26), "TOSHIBA_MEC", "MR");
    expected.protocol_name = None;
    let encodings = [
        "MR_small.dcm",
        "MR_small_implicit.dcm",
        "MR_small_bigendian.dcm",
        "MR_small_expb.dcm",
        "MR_small_RLE.dcm",
        "MR_small_jp2klossless.dcm",
        "MR_small_jpeg_ls_lossless.dcm",
        "MR_small_padded.dcm",
        // Cut short inside PixelData: the header is intact, and that is all discovery reads.
        "MR_truncated.dcm",
    ];
    for name in encodings {
        assert_eq!(dicom(&v.pydicom(name)), expected, "{name}");
    }
    assert_eq!(read_header(&v.pydicom("zipMR.gz"), LIMIT), Probe::NotDicom, "gzipped DICOM is not DICOM");
}

#[test]
fn pydicom_dicomdir_mr_series_split_by_uid_not_number() {
    let v = venv();
    let root = v.pydicom("dicomdirtests/98892003");
    let mut by_uid: BTreeMap<String, (Option<String>, Option<i32>, usize)> = BTreeMap::new();
    for folder in ["MR1", "MR2", "MR700"] {
        for entry in std::fs::read_dir(root.join(folder)).expect("list test folder").filter_map(Result::ok) {
            let h = dicom(&entry.path());
            assert_eq!(h.manufacturer.as_deref(), Some("Philips Medical Systems, Inc."));
            assert_eq!(h.study_date, date(2003, 5, 5));
            by_uid.entry(h.series_uid).or_insert((h.series_description, h.series_number, 0)).2 += 1;
        }
    }
    let summary: Vec<(Option<&str>, Option<i32>, usize)> =
        by_uid.values().map(|(d, n, c)| (d.as_deref(), *n, *c)).collect::<BTreeSet<_>>().into_iter().collect();
    // MR1: three single-file series all numbered 1; MR2: one localizer + two 3-file pilots, all numbered 2.
    assert_eq!(
        summary,
        [
            (Some("ANGIO Projected from   C"), Some(700), 7),
            (Some("FAST LOCALIZER"), Some(1), 1),
            (Some("FAST LOCALIZER"), Some(2), 1),
            (Some("T/S/C RF FAST PILOT"), Some(2), 3),
        ]
    );
    assert_eq!(by_uid.len(), 7, "{by_uid:#?}");
}

/// Peak resident memory of this process, in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap_or("VmHWM: 0 kB");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[test]
fn deliberately_odd_files() {
    let v = venv();
    // The 674-byte file that made dicom-rs allocate 3.6 GB: its only data element is a private
    // undefined-length UN sequence holding the series UID one level down.
    let before = peak_rss_kib();
    let why = unreadable(&v.pydicom("UN_sequence.dcm"));
    assert!(why.contains("no SeriesInstanceUID"), "{why}");
    assert!(peak_rss_kib().saturating_sub(before) < 256 * 1024, "reading UN_sequence.dcm raised peak RSS");

    assert!(unreadable(&v.pydicom("image_dfl.dcm")).contains("deflated"));
    assert!(unreadable(&v.nibabel("decimal_rescale.dcm")).contains("no SeriesInstanceUID"));
    assert_eq!(read_header(&v.pydicom("dicomdirtests/DICOMDIR"), LIMIT), Probe::NotDicom, "DICOMDIR is an index");
    for raw in ["no_meta.dcm", "ExplVR_LitEndNoMeta.dcm", "ExplVR_BigEndNoMeta.dcm", "rtstruct.dcm", "README.txt"] {
        assert_eq!(read_header(&v.pydicom(raw), LIMIT), Probe::NotDicom, "{raw} has no preamble + DICM");
    }
    // ACR-NEMA era date format, big endian.
    let big = dicom(&v.pydicom("ExplVR_BigEnd.dcm"));
    assert_eq!((big.study_date, big.series_number, big.modality.as_deref()), (date(1997, 4, 24), Some(0), Some("US")));
    // Declares JPEG Baseline (explicit VR) but is encoded implicit VR: the bytes win, as in pydicom.
    let lying = dicom(&v.pydicom("SC_rgb_jpeg.dcm"));
    assert_eq!((lying.manufacturer.as_deref(), lying.series_number, lying.study_date), (Some("debug"), Some(1), None));
    // A series description with HTML-ish characters, in a JPEG 2000 file.
    let mip = dicom(&v.nibabel("slicethickness_empty_string.dcm"));
    assert_eq!((mip.series_description.as_deref(), mip.series_number), (Some("<MIP Range>"), Some(100)));
}

/// Prints one JSON object per file: what pydicom (the reference reader) says about its header.
const ORACLE: &str = r#"
import json, os, sys, warnings
warnings.simplefilter("ignore")
import pydicom
def text(ds, name):
    v = ds.get(name)
    s = None if v is None else str(v).strip(" \x00")
    return s or None
def number(ds):
    try:
        return int(str(ds.get("SeriesNumber")).strip())
    except Exception:
        return None
for root in sys.argv[1:]:
    for folder, _, names in os.walk(root):
        for name in sorted(names):
            path = os.path.join(folder, name)
            out = {"path": path}
            try:
                ds = pydicom.dcmread(path, stop_before_pixels=True)
                out.update(uid=text(ds, "SeriesInstanceUID"), desc=text(ds, "SeriesDescription"),
                           protocol=text(ds, "ProtocolName"), number=number(ds), date=text(ds, "StudyDate"),
                           maker=text(ds, "Manufacturer"), modality=text(ds, "Modality"),
                           sop_class=text(ds.file_meta, "MediaStorageSOPClassUID"))
            except Exception as e:
                out["error"] = type(e).__name__
            print(json.dumps(out))
"#;

fn oracle(v: &Venv, roots: &[&Path]) -> Vec<serde_json::Value> {
    let out = Command::new(&v.python).arg("-c").arg(ORACLE).args(roots).output().expect("run the pydicom oracle");
    assert!(out.status.success(), "pydicom oracle failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("oracle JSON line")).collect()
}

/// Our reading of a file in the oracle's terms.
fn as_json(h: &SeriesHeader) -> serde_json::Value {
    serde_json::json!({
        "uid": h.series_uid, "desc": h.series_description, "protocol": h.protocol_name, "number": h.series_number,
        "date": h.study_date.map(|d| d.format("%Y%m%d").to_string()), "maker": h.manufacturer, "modality": h.modality,
    })
}

/// pydicom's reading, with its raw DA normalised the way ours is (ACR-NEMA dots, invalid → null).
fn oracle_view(o: &serde_json::Value) -> serde_json::Value {
    let mut o = o.clone();
    let day = o["date"].as_str().map(|d| d.replace('.', "")).filter(|d| NaiveDate::parse_from_str(d, "%Y%m%d").is_ok());
    o["date"] = serde_json::json!(day);
    let keys = ["uid", "desc", "protocol", "number", "date", "maker", "modality"];
    serde_json::Value::Object(keys.iter().map(|k| (k.to_string(), o[*k].clone())).collect())
}

/// Runs the oracle over `roots` and checks every file against it; returns (file name, reason) for
/// the files we could not read.
fn agree_with_pydicom(v: &Venv, roots: &[&Path]) -> (usize, Vec<(String, String)>) {
    let mut read = 0;
    let mut refused = vec![];
    for o in oracle(v, roots) {
        let path = PathBuf::from(o["path"].as_str().unwrap_or_default());
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match read_header(&path, LIMIT) {
            Probe::Dicom(h) => {
                assert!(o.get("error").is_none(), "{name}: we read it, pydicom could not: {o}");
                assert_eq!(as_json(&h), oracle_view(&o), "{name}");
                read += 1;
            }
            Probe::Unreadable(why) => refused.push((name, why)),
            Probe::NotDicom => {
                let bytes = std::fs::read(&path).unwrap_or_default();
                let dicomdir = o["sop_class"].as_str() == Some("1.2.840.10008.1.3.10");
                assert!(dicomdir || bytes.get(128..132) != Some(b"DICM".as_slice()), "{name} has the magic");
            }
        }
    }
    (read, refused)
}

#[test]
fn agrees_with_pydicom_on_every_shipped_test_file() {
    let v = venv();
    let (read, mut refused) = agree_with_pydicom(&v, &[&v.pydicom(""), &v.nibabel("")]);
    refused.sort();
    eprintln!("read {read} headers; refused {}: {refused:#?}", refused.len());
    let names: Vec<&str> = refused.iter().map(|(n, _)| n.as_str()).collect();
    // Every refusal is a Part-10 file without a series UID, or deflated: none is a reader failure.
    assert!(
        refused.iter().all(|(_, why)| why.contains("no SeriesInstanceUID") || why.contains("deflated")),
        "{refused:#?}"
    );
    for must in ["UN_sequence.dcm", "image_dfl.dcm", "decimal_rescale.dcm", "meta_missing_tsyntax.dcm"] {
        assert!(names.contains(&must), "{must} should be refused: {refused:#?}");
    }
    assert!(read >= 100, "only {read} files read");
}

#[test]
fn synthetic_sessions_read_back_and_pydicom_agrees() {
    let v = venv();
    let tmp = tempfile::tempdir().expect("tempdir");
    for (i, maker) in Manufacturer::ALL.into_iter().enumerate() {
        let scan = format!("2024011{i}_0930");
        let dir = tmp.path().join(&scan);
        let spec = synth::standard_session(&scan, "P0007", maker, 60);
        assert_eq!(synth::write_session(&dir, &spec).expect("write session"), 60);
        let mut series: BTreeMap<String, (Option<i32>, Option<String>, usize)> = BTreeMap::new();
        for entry in walkdir::WalkDir::new(&dir).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file())
        {
            let h = dicom(entry.path());
            assert_eq!(h.manufacturer.as_deref(), Some(maker.dicom_name()));
            assert_eq!(h.study_date, date(2024, 1, 10 + i as u32));
            series.entry(h.series_uid).or_insert((h.series_number, h.series_description, 0)).2 += 1;
        }
        let mut got: Vec<(Option<i32>, Option<String>, usize)> = series.into_values().collect();
        got.sort();
        let want: Vec<(Option<i32>, Option<String>, usize)> =
            spec.series.iter().map(|s| (Some(s.number), Some(s.description.clone()), s.files)).collect();
        assert_eq!(got, want, "{maker:?}");
    }
    let (read, refused) = agree_with_pydicom(&v, &[tmp.path()]);
    assert_eq!((read, refused.len()), (240, 0), "{refused:?}");
}
