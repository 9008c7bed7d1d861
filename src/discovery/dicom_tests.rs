use super::walk::*;
use super::*;
use std::io::Write;

const EXPLICIT: &str = "1.2.840.10008.1.2.1";
const IMPLICIT: &str = "1.2.840.10008.1.2";
const BIG: &str = "1.2.840.10008.1.2.2";

/// A test encoder, deliberately simple: explicit or implicit VR, either byte order.
#[derive(Clone, Copy)]
struct E {
    explicit: bool,
    big: bool,
}
const ELE: E = E { explicit: true, big: false };
const ILE: E = E { explicit: false, big: false };
const EBE: E = E { explicit: true, big: true };

impl E {
    fn u16(self, v: u16) -> [u8; 2] {
        if self.big { v.to_be_bytes() } else { v.to_le_bytes() }
    }
    fn u32(self, v: u32) -> [u8; 4] {
        if self.big { v.to_be_bytes() } else { v.to_le_bytes() }
    }
    fn tag(self, tag: u32) -> Vec<u8> {
        [self.u16((tag >> 16) as u16), self.u16(tag as u16)].concat()
    }
    /// An element with a declared length (may differ from the value's).
    fn raw(self, tag: u32, vr: &[u8; 2], len: u32, value: &[u8]) -> Vec<u8> {
        let mut out = self.tag(tag);
        if !self.explicit || tag >> 16 == 0xFFFE {
            out.extend(self.u32(len));
        } else if has_long_length(*vr) {
            out.extend([vr[0], vr[1], 0, 0]);
            out.extend(self.u32(len));
        } else {
            out.extend(vr);
            out.extend(self.u16(len as u16));
        }
        out.extend(value);
        out
    }
    fn el(self, tag: u32, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        let mut v = value.to_vec();
        if v.len() % 2 == 1 {
            v.push(if vr == b"UI" { 0 } else { b' ' });
        }
        self.raw(tag, vr, v.len() as u32, &v)
    }
    /// An undefined-length sequence of undefined-length items.
    fn sequence(self, tag: u32, vr: &[u8; 2], items: &[Vec<u8>]) -> Vec<u8> {
        let mut out = self.raw(tag, vr, UNDEFINED, &[]);
        for item in items {
            out.extend(self.raw(ITEM, b"--", UNDEFINED, item));
            out.extend(self.raw(ITEM_END, b"--", 0, &[]));
        }
        out.extend(self.raw(SEQUENCE_END, b"--", 0, &[]));
        out
    }
    /// The standard series-level elements (padded like real files).
    fn standard(self) -> Vec<u8> {
        self.standard_with(vec![])
    }
    /// The same, with `extra` (tags between (0008,103E) and (0018,1030)) in tag order.
    fn standard_with(self, extra: Vec<u8>) -> Vec<u8> {
        [
            self.el(key(tags::SPECIFIC_CHARACTER_SET), b"CS", b"ISO_IR 100"),
            self.el(STUDY_DATE, b"DA", b"20240115"),
            self.el(MODALITY, b"CS", b"MR"),
            self.el(MANUFACTURER, b"LO", b"SIEMENS "),
            self.el(SERIES_DESCRIPTION, b"LO", b"DWI_b1000 "),
            extra,
            self.el(PROTOCOL_NAME, b"LO", b"dwi_protocol"),
            self.el(SERIES_UID, b"UI", b"1.2.3.4.5"),
            self.el(SERIES_NUMBER, b"IS", b" 7 "),
            self.el(0x0020_0013, b"IS", b"1 "),
            self.raw(0x7FE0_0010, b"OW", 8, &[0; 8]),
        ]
        .concat()
    }
}

fn meta(ts: Option<&str>, group_length: bool) -> Vec<u8> {
    let mut body = ELE.el(0x0002_0001, b"OB", &[0, 1]);
    body.extend(ELE.el(0x0002_0002, b"UI", b"1.2.840.10008.5.1.4.1.1.4"));
    if let Some(ts) = ts {
        body.extend(ELE.el(key(tags::TRANSFER_SYNTAX_UID), b"UI", ts.as_bytes()));
    }
    let mut out = vec![0u8; 128];
    out.extend(b"DICM");
    if group_length {
        out.extend(ELE.raw(0x0002_0000, b"UL", 4, &(body.len() as u32).to_le_bytes()));
    }
    out.extend(body);
    out
}

fn part10(ts: &str, dataset: &[u8]) -> Vec<u8> {
    [meta(Some(ts), true), dataset.to_vec()].concat()
}

fn parse(bytes: &[u8]) -> Result<SeriesHeader, HeaderError> {
    match parse_header(bytes, true) {
        Ok(h) => Ok(h),
        Err(Halt::Bad(e)) => Err(e),
        Err(Halt::More(n)) => panic!("asked for {n} bytes of a complete buffer"),
    }
}

fn expected() -> SeriesHeader {
    SeriesHeader {
        series_uid: "1.2.3.4.5".into(),
        series_description: Some("DWI_b1000".into()),
        protocol_name: Some("dwi_protocol".into()),
        series_number: Some(7),
        study_date: NaiveDate::from_ymd_opt(2024, 1, 15),
        manufacturer: Some("SIEMENS".into()),
        modality: Some("MR".into()),
    }
}

#[test]
fn reads_every_encoding() {
    assert_eq!(parse(&part10(EXPLICIT, &ELE.standard())), Ok(expected()));
    assert_eq!(parse(&part10(IMPLICIT, &ILE.standard())), Ok(expected()));
    assert_eq!(parse(&part10(BIG, &EBE.standard())), Ok(expected()));
    // JPEG transfer syntaxes only compress pixel data: the header is explicit VR little endian.
    assert_eq!(parse(&part10("1.2.840.10008.1.2.4.70", &ELE.standard())), Ok(expected()));
}

#[test]
fn trusts_the_bytes_over_a_lying_transfer_syntax() {
    assert_eq!(parse(&part10(EXPLICIT, &ILE.standard())), Ok(expected()));
    assert_eq!(parse(&part10(IMPLICIT, &ELE.standard())), Ok(expected()));
    // No transfer syntax, no group length: still read.
    assert_eq!(parse(&[meta(None, false), ELE.standard()].concat()), Ok(expected()));
}

#[test]
fn skips_nested_undefined_length_sequences() {
    for enc in [ELE, ILE, EBE] {
        let inner = enc.sequence(0x0008_1199, b"SQ", &[enc.el(0x0008_1150, b"UI", b"1.2")]);
        let outer =
            enc.sequence(0x0008_1115, b"SQ", &[inner.clone(), [inner, enc.el(0x0010_0010, b"PN", b"X")].concat()]);
        let data = enc.standard_with(outer);
        let ts = if enc.big {
            BIG
        } else if enc.explicit {
            EXPLICIT
        } else {
            IMPLICIT
        };
        assert_eq!(parse(&part10(ts, &data)), Ok(expected()), "encoding explicit={} big={}", enc.explicit, enc.big);
    }
}

#[test]
fn undefined_length_un_holds_implicit_little_endian() {
    let item = ILE.el(0x0008_1150, b"UI", b"1.2.840.10008.5.1.4.1.1.2");
    let mut un = ELE.raw(0x0008_1115, b"UN", UNDEFINED, &[]);
    un.extend(ILE.raw(ITEM, b"--", UNDEFINED, &item));
    un.extend(ILE.raw(ITEM_END, b"--", 0, &[]));
    un.extend(ILE.raw(SEQUENCE_END, b"--", 0, &[]));
    assert_eq!(parse(&part10(EXPLICIT, &ELE.standard_with(un))), Ok(expected()));
}

#[test]
fn a_huge_declared_length_costs_nothing() {
    // (0008,1010) claims 4 GB in a 300-byte file: an error, not an allocation.
    let bad = ELE.raw(0x0008_1010, b"UN", 0xFFFF_FFF0, b"tiny");
    let err = parse(&part10(EXPLICIT, &[bad, ELE.standard()].concat())).unwrap_err();
    assert!(matches!(err, HeaderError::Truncated { .. }), "{err}");
    assert!(err.to_string().contains("4294967280 bytes"), "{err}");
}

#[test]
fn what_follows_series_number_is_never_read() {
    let mut data = ELE.standard();
    data.truncate(data.len() - 8 - 12); // drop PixelData ...
    data.extend(ELE.raw(0x7FE0_0010, b"OW", 0xFFFF_FFF0, &[1, 2])); // ... for a lying, truncated one
    assert_eq!(parse(&part10(EXPLICIT, &data)), Ok(expected()));
}

#[test]
fn malformed_structures_are_reported() {
    let no_uid: Vec<u8> = [ELE.el(MODALITY, b"CS", b"MR"), ELE.el(SERIES_NUMBER, b"IS", b"1")].concat();
    assert_eq!(parse(&part10(EXPLICIT, &no_uid)), Err(HeaderError::NoSeriesUid));
    let blank_uid = ELE.el(SERIES_UID, b"UI", b"  ");
    assert_eq!(parse(&part10(EXPLICIT, &blank_uid)), Err(HeaderError::NoSeriesUid));
    let deflated = parse(&part10("1.2.840.10008.1.2.1.99", &ELE.standard()));
    assert!(matches!(deflated, Err(HeaderError::Deflated(_))), "{deflated:?}");
    let no_meta = [vec![0u8; 128], b"DICM".to_vec(), ELE.standard()].concat();
    assert!(matches!(parse(&no_meta), Err(HeaderError::Malformed { .. })));
    let stray = [ELE.raw(ITEM_END, b"--", 0, &[]), ELE.standard()].concat();
    assert!(matches!(parse(&part10(EXPLICIT, &stray)), Err(HeaderError::Malformed { .. })));
    let bad_vr = [ELE.raw(0x0008_0008, b"UT", UNDEFINED, &[]), ELE.standard()].concat();
    assert!(matches!(parse(&part10(EXPLICIT, &bad_vr)), Err(HeaderError::Malformed { .. })));
}

#[test]
fn dicomdir_files_are_not_images() {
    let mut dicomdir = vec![0u8; 128];
    dicomdir.extend(b"DICM");
    dicomdir.extend(ELE.el(0x0002_0002, b"UI", b"1.2.840.10008.1.3.10"));
    dicomdir.extend(ELE.el(key(tags::TRANSFER_SYNTAX_UID), b"UI", EXPLICIT.as_bytes()));
    dicomdir.extend(ELE.el(0x0004_1130, b"CS", b"ID"));
    assert_eq!(parse(&dicomdir), Err(HeaderError::Directory));
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(read_header(&write(dir.path(), "DICOMDIR", &dicomdir), 1 << 20), Probe::NotDicom);
}

#[test]
fn deep_nesting_is_refused() {
    let mut item = ELE.el(0x0008_1150, b"UI", b"1.2");
    for _ in 0..40 {
        item = ELE.sequence(0x0008_1115, b"SQ", &[item]);
    }
    let err = parse(&part10(EXPLICIT, &[item, ELE.standard()].concat())).unwrap_err();
    assert!(err.to_string().contains("nested deeper"), "{err}");
}

#[test]
fn a_partial_buffer_asks_for_more() {
    let file = part10(EXPLICIT, &ELE.standard());
    let cut = &file[..file.len() - 40];
    assert!(matches!(parse_header(cut, false), Err(Halt::More(_))));
    assert!(matches!(parse_header(cut, true), Err(Halt::Bad(HeaderError::Truncated { .. }))));
}

#[test]
fn text_dates_and_numbers() {
    assert_eq!(text(b"  Hello \0"), Some("Hello".into()));
    assert_eq!(text(b" \0 "), None);
    assert_eq!(text(b"M\xfcller"), Some("Müller".into()));
    assert_eq!(text("Müller".as_bytes()), Some("Müller".into()));
    assert_eq!(parse_is("12"), Some(12));
    assert_eq!(parse_is("12.0"), Some(12));
    assert_eq!(parse_is("3\\4"), Some(3));
    assert_eq!(parse_is("1A"), None);
    assert_eq!(parse_da("20240115"), NaiveDate::from_ymd_opt(2024, 1, 15));
    assert_eq!(parse_da("1997.04.24"), NaiveDate::from_ymd_opt(1997, 4, 24));
    assert_eq!(parse_da("20241301"), None);
    assert!(has_magic(&part10(EXPLICIT, &[])));
    assert!(!has_magic(b"DICM"));
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    let mut f = File::create(&path).expect("create test file");
    f.write_all(bytes).expect("write test file");
    path
}

fn unreadable(probe: Probe) -> String {
    match probe {
        Probe::Unreadable(why) => why,
        other => panic!("expected Unreadable, got {other:?}"),
    }
}

#[test]
fn junk_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let good = part10(EXPLICIT, &ELE.standard());
    assert_eq!(read_header(&write(d, "good.dcm", &good), 1 << 20), Probe::Dicom(expected()));
    assert_eq!(read_header(&write(d, "empty", b""), 1 << 20), Probe::NotDicom);
    assert_eq!(read_header(&write(d, "notes.txt", &b"just text\n".repeat(50)), 1 << 20), Probe::NotDicom);
    assert_eq!(read_header(&write(d, "short", &good[..131]), 1 << 20), Probe::NotDicom);
    assert_eq!(read_header(&write(d, "raw-dataset", &ELE.standard()), 1 << 20), Probe::NotDicom);
    let truncated = unreadable(read_header(&write(d, "truncated.dcm", &good[..good.len() - 65]), 1 << 20));
    assert!(truncated.starts_with("truncated"), "{truncated}");
    let garbage: Vec<u8> = (0..2000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let garbage = [vec![0u8; 128], b"DICM".to_vec(), garbage].concat();
    let why = unreadable(read_header(&write(d, "garbage.dcm", &garbage), 1 << 20));
    assert!(!why.is_empty());
    let huge = part10(EXPLICIT, &[ELE.raw(SERIES_DESCRIPTION, b"UT", 0xFFFF_FFF0, b"x"), ELE.standard()].concat());
    let why = unreadable(read_header(&write(d, "huge.dcm", &huge), u64::MAX));
    assert!(why.contains("4294967280 bytes"), "{why}");
    assert_eq!(unreadable(read_header(&d.join("missing.dcm"), 1 << 20)).split(':').next(), Some("cannot open"));
}

#[test]
fn long_headers_grow_the_buffer_up_to_the_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blob = ELE.raw(0x0008_1010, b"OB", 40_000, &vec![7u8; 40_000]);
    let path = write(dir.path(), "long.dcm", &part10(EXPLICIT, &[blob, ELE.standard()].concat()));
    assert_eq!(read_header(&path, 1 << 20), Probe::Dicom(expected()));
    let why = unreadable(read_header(&path, 20_000));
    assert!(why.contains("20000-byte limit"), "{why}");
    // A large file whose header lies about a length is stopped by the limit, not by the file's end.
    let lying = ELE.raw(0x0008_1010, b"OB", 0xFFFF_FFF0, &vec![0u8; 100_000]);
    let path = write(dir.path(), "lying.dcm", &part10(EXPLICIT, &lying));
    assert!(unreadable(read_header(&path, 1 << 20)).contains("1048576-byte limit"));
}

#[test]
fn generated_sessions_read_back_like_dicom_object_reads_them() {
    use neuroflow_synth::{Manufacturer, standard_session, write_session};
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = standard_session("20240115_1430", "P0042", Manufacturer::Philips, 60);
    assert_eq!(write_session(dir.path(), &spec).expect("write session"), 60);
    let mut files = 0;
    for entry in
        walkdir::WalkDir::new(dir.path()).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file())
    {
        let Probe::Dicom(h) = read_header(entry.path(), 64 * 1024) else { panic!("{}", entry.path().display()) };
        let oracle = dicom_object::open_file(entry.path()).expect("dicom-object reads the generated file");
        let value = |tag| oracle.element(tag).ok().and_then(|e| e.to_str().ok()).map(|s| s.trim().to_string());
        assert_eq!(Some(h.series_uid.clone()), value(tags::SERIES_INSTANCE_UID));
        assert_eq!(h.series_description, value(tags::SERIES_DESCRIPTION));
        assert_eq!(h.protocol_name, value(tags::PROTOCOL_NAME));
        assert_eq!(h.series_number.map(|n| n.to_string()), value(tags::SERIES_NUMBER));
        assert_eq!(h.manufacturer.as_deref(), Some("Philips Medical Systems"));
        assert_eq!(h.modality.as_deref(), Some("MR"));
        assert_eq!(h.study_date, NaiveDate::from_ymd_opt(2024, 1, 15));
        files += 1;
    }
    assert_eq!(files, 60);
}
