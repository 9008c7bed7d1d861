use super::elements::unit_direction;
use super::*;
use dicom_dictionary_std::tags;

fn total(spec: &SessionSpec) -> usize {
    spec.series.iter().map(|s| s.files).sum()
}

#[test]
fn standard_session_hits_the_file_target() {
    for target in [15, 60, 61, 100, 250] {
        let spec = standard_session("20240115_1430", "P1", Manufacturer::Siemens, target);
        assert_eq!(total(&spec), target, "target {target}");
        assert!(spec.series.iter().all(|s| check_series(s).is_ok()));
    }
    assert_eq!(total(&standard_session("x", "P1", Manufacturer::Ge, 3)), 15, "never below one slice per volume");
    let spec = standard_session("20230704_0905", "P1", Manufacturer::Canon, 60);
    assert_eq!(spec.study_date, NaiveDate::from_ymd_opt(2023, 7, 4).unwrap_or_default());
    assert_eq!(standard_session("visit-1", "P1", Manufacturer::Canon, 60).study_date, DEFAULT_DATE);
    let kinds: Vec<_> = spec.series.iter().map(|s| (s.number, s.description.as_str(), s.kind.volumes())).collect();
    assert_eq!(
        kinds,
        [
            (2, T1W_DESCRIPTION, 1),
            (3, DWI_DESCRIPTION, 7),
            (4, FIELDMAP_DESCRIPTION, 2),
            (5, FIELDMAP_DESCRIPTION, 1),
            (6, BOLD_DESCRIPTION, 2)
        ]
    );
}

#[test]
fn manufacturers_parse_from_their_labels() {
    for m in Manufacturer::ALL {
        assert_eq!(m.label().parse::<Manufacturer>(), Ok(m));
    }
    assert_eq!("GE".parse::<Manufacturer>(), Ok(Manufacturer::Ge));
    assert!("toshiba".parse::<Manufacturer>().is_err());
}

#[test]
fn bad_series_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut spec = standard_session("20240115_1430", "P1", Manufacturer::Siemens, 60);
    spec.series[1].files = 30; // 7 DWI volumes
    let err = write_session(dir.path(), &spec).unwrap_err();
    assert!(err.to_string().contains("do not split into 7 volumes"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).map(|d| d.count()).unwrap_or(99), 0);
}

#[test]
fn writes_deterministic_files_in_series_folders() {
    let (a, b) = (tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir"));
    let spec = standard_session("20240115_1430", "P1", Manufacturer::Ge, 60);
    assert_eq!(write_session(a.path(), &spec).expect("write"), 60);
    assert_eq!(write_session(b.path(), &spec).expect("write"), 60);
    let mut folders: Vec<String> = std::fs::read_dir(a.path())
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    folders.sort();
    assert_eq!(
        folders,
        ["02_T1w_MPRAGE", "03_DWI_b1000_6dir", "04_gre_field_mapping", "05_gre_field_mapping", "06_BOLD_rest"]
    );
    let one = |root: &Path| std::fs::read(root.join("03_DWI_b1000_6dir/28.dcm")).expect("read");
    assert_eq!(one(a.path()), one(b.path()));
}

#[test]
fn dwi_files_carry_b_values_and_directions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = standard_session("20240115_1430", "P1", Manufacturer::Siemens, 60); // 4 slices x 7 volumes
    write_session(dir.path(), &spec).expect("write");
    let read = |n: usize| dicom_object::open_file(dir.path().join(format!("03_DWI_b1000_6dir/{n}.dcm"))).expect("open");
    let floats = |o: &dicom_object::DefaultDicomObject, tag| {
        o.element(tag).ok().and_then(|e| e.to_multi_float64().ok()).unwrap_or_default()
    };
    let b0 = read(4); // last slice of volume 1
    assert_eq!(floats(&b0, tags::DIFFUSION_B_VALUE), [0.0]);
    assert_eq!(floats(&b0, tags::DIFFUSION_GRADIENT_ORIENTATION), [0.0, 0.0, 0.0]);
    let dw = read(5); // first slice of volume 2
    assert_eq!(floats(&dw, tags::DIFFUSION_B_VALUE), [1000.0]);
    let g = floats(&dw, tags::DIFFUSION_GRADIENT_ORIENTATION);
    assert!((g.iter().map(|c| c * c).sum::<f64>() - 1.0).abs() < 1e-5, "{g:?}");
    assert_eq!(floats(&dw, tags::IMAGE_POSITION_PATIENT), [-16.0, -16.0, -3.0]);
    let text = |tag| dw.element(tag).ok().and_then(|e| e.to_str().ok()).map(|s| s.trim().to_string());
    assert_eq!(text(tags::IN_PLANE_PHASE_ENCODING_DIRECTION).as_deref(), Some("COL"));
    assert_eq!(text(tags::INSTANCE_NUMBER).as_deref(), Some("5"));
    assert_eq!(text(tags::ACQUISITION_NUMBER).as_deref(), Some("2"));
}

#[test]
fn directions_are_distinct_unit_vectors() {
    let dirs: Vec<[f64; 3]> = (0..6).map(|k| unit_direction(k, 6)).collect();
    for (i, d) in dirs.iter().enumerate() {
        assert!((d.iter().map(|c| c * c).sum::<f64>() - 1.0).abs() < 1e-5);
        assert!(dirs[i + 1..].iter().all(|e| e != d));
    }
}

#[test]
fn scan_ids_are_unique_and_dated() {
    let ids: std::collections::BTreeSet<String> = (0..1000).map(scan_id).collect();
    assert_eq!(ids.len(), 1000);
    assert_eq!(scan_id(0), "20240115_0800");
    assert_eq!(scan_id(7), "20240115_1645");
    assert_eq!(scan_id(8), "20240116_0800");
}

#[test]
fn subjects_get_two_sessions() {
    let codes: Vec<String> = (0..5).map(|i| subject_code("P", i, 5)).collect();
    assert_eq!(codes, ["P0001", "P0002", "P0003", "P0001", "P0002"]);
}
