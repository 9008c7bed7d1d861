//! Header-only DICOM reading: the few series-level attributes discovery groups and validates on.
//!
//! Cost is bounded per file, whatever the file claims:
//! - the `DICM` magic at offset 128 is checked after reading only the first 132 bytes; anything
//!   without it is [`Probe::NotDicom`];
//! - then at most `max_header_bytes` are read into one buffer (16 KiB first, grown only when the
//!   header really is longer), and the walk stops at the first top-level tag after SeriesNumber
//!   (0020,0011), long before PixelData or vendor private blocks such as Siemens' CSA headers;
//! - values are borrowed slices of that buffer: nothing is ever sized from a declared length.
//!
//! Why not `dicom-object` (0.10): its parser reserves and zero-fills a value's *declared* length
//! before reading it (`try_reserve_exact` + `resize` in dicom-parser's stateful decoder and
//! dicom-object's meta reader), so a `Read::take` limit or an in-memory slice does not bound memory:
//! pydicom's 674-byte `UN_sequence.dcm` made it peak at 3.6 GB even with `read_until(PixelData)`.
//! The walker (`walk.rs`) only skips values, so such a file costs one small buffer.
//!
//! Accepted: Part-10 files (128-byte preamble + `DICM`) with implicit or explicit VR, little or big
//! endian, and any encapsulated (JPEG, RLE...) transfer syntax (the header itself is not compressed).
//! Like pydicom, the bytes win over a transfer syntax that lies about explicit/implicit VR; the file
//! meta group length may be absent. Not accepted:
//! - files without the preamble and magic (raw data sets, ACR-NEMA; pydicom's `no_meta.dcm`,
//!   `rtstruct.dcm`): `NotDicom`. Scanners and PACS exports write Part-10 files, and a raw data set
//!   cannot be told from arbitrary binary without parsing it, which is what the magic check avoids;
//! - deflated transfer syntaxes (the data set itself is zlib-compressed; never used for MR series):
//!   `Unreadable`;
//! - DICOMDIR files (Media Storage Directory: an index of a medium's images, not an image): `NotDicom`;
//! - files without a SeriesInstanceUID: `Unreadable` (discovery groups by it).
//!
//! Text values are trimmed of space and NUL padding and decoded as UTF-8, falling back to Latin-1
//! (ISO_IR 100, what European scanners write) when the bytes are not valid UTF-8.

mod walk;

use chrono::NaiveDate;
use dicom_dictionary_std::tags;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use walk::{Halt, MEDIA_STORAGE_DIRECTORY, Src, Walk, encoding_for, key, sniff, trim, walk_dataset, walk_meta};

/// What discovery keeps from one file's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesHeader {
    pub series_uid: String,
    pub series_description: Option<String>,
    pub protocol_name: Option<String>,
    pub series_number: Option<i32>,
    pub study_date: Option<NaiveDate>,
    pub manufacturer: Option<String>,
    pub modality: Option<String>,
}

/// The outcome of looking at one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// No `DICM` magic at offset 128 (or shorter than 132 bytes).
    NotDicom,
    Dicom(SeriesHeader),
    /// Claims to be DICOM but its header cannot be read; carries a short reason.
    Unreadable(String),
}

/// Why a file with the `DICM` magic could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("cannot {action}: {message}")]
    Io { action: &'static str, message: String },
    #[error("truncated: {what} at byte {offset} runs past the end of the file")]
    Truncated { what: String, offset: usize },
    #[error("header runs past the {limit}-byte limit (data declared up to byte {needed})")]
    TooLarge { needed: usize, limit: usize },
    #[error("malformed at byte {offset}: {what}")]
    Malformed { offset: usize, what: String },
    #[error("deflated transfer syntax {0} is not supported")]
    Deflated(String),
    #[error("no SeriesInstanceUID (0020,000E) in the header")]
    NoSeriesUid,
    /// A DICOMDIR; reported as [`Probe::NotDicom`].
    #[error("a DICOMDIR (media directory), not an image")]
    Directory,
}

const MAGIC_AT: usize = 128;
const PREFIX_LEN: usize = 132;
const FIRST_READ: usize = 16 * 1024;
const STUDY_DATE: u32 = key(tags::STUDY_DATE);
const MODALITY: u32 = key(tags::MODALITY);
const MANUFACTURER: u32 = key(tags::MANUFACTURER);
const SERIES_DESCRIPTION: u32 = key(tags::SERIES_DESCRIPTION);
const PROTOCOL_NAME: u32 = key(tags::PROTOCOL_NAME);
const SERIES_UID: u32 = key(tags::SERIES_INSTANCE_UID);
const SERIES_NUMBER: u32 = key(tags::SERIES_NUMBER);
/// The walk stops at the first top-level tag after this one.
const LAST_NEEDED: u32 = SERIES_NUMBER;

/// Reads the series-level header of `path`, reading at most `max_header_bytes` (at least 132).
pub fn read_header(path: &Path, max_header_bytes: u64) -> Probe {
    match probe_file(path, max_header_bytes) {
        Ok(Some(header)) => Probe::Dicom(header),
        Ok(None) | Err(HeaderError::Directory) => Probe::NotDicom,
        Err(e) => Probe::Unreadable(e.to_string()),
    }
}

fn probe_file(path: &Path, max_header_bytes: u64) -> Result<Option<SeriesHeader>, HeaderError> {
    let limit = usize::try_from(max_header_bytes).unwrap_or(usize::MAX).max(PREFIX_LEN);
    let mut file = File::open(path).map_err(|e| io_error("open", &e))?;
    let mut buf = Vec::new();
    fill(&mut file, &mut buf, PREFIX_LEN)?;
    if !has_magic(&buf) {
        return Ok(None);
    }
    let mut want = FIRST_READ.min(limit);
    let mut eof = false;
    loop {
        if buf.len() < want {
            eof = fill(&mut file, &mut buf, want)?;
        }
        match parse_header(&buf, eof) {
            Ok(header) => return Ok(Some(header)),
            Err(Halt::Bad(e)) => return Err(e),
            Err(Halt::More(needed)) if needed > limit => return Err(HeaderError::TooLarge { needed, limit }),
            Err(Halt::More(needed)) if needed <= buf.len() || eof => {
                return Err(HeaderError::Malformed { offset: needed, what: "walker asked for bytes it has".into() });
            }
            Err(Halt::More(needed)) => want = needed.max(want.saturating_mul(2)).min(limit),
        }
    }
}

/// Appends up to `upto - buf.len()` bytes; true when the file ended first.
fn fill(file: &mut File, buf: &mut Vec<u8>, upto: usize) -> Result<bool, HeaderError> {
    let want = upto.saturating_sub(buf.len());
    // Reserve for what is likely there, not for what was asked: read_to_end grows with real data.
    buf.reserve(want.min(FIRST_READ));
    let got = Read::by_ref(file).take(want as u64).read_to_end(buf).map_err(|e| io_error("read", &e))?;
    Ok(got < want)
}

fn io_error(action: &'static str, e: &std::io::Error) -> HeaderError {
    HeaderError::Io { action, message: e.to_string() }
}

/// True when `prefix` (the file's first bytes) carries the Part-10 magic.
pub fn has_magic(prefix: &[u8]) -> bool {
    prefix.get(MAGIC_AT..PREFIX_LEN) == Some(b"DICM".as_slice())
}

/// Parses a Part-10 prefix (`buf` starts at the file's first byte); `eof` says `buf` is the whole file.
fn parse_header(buf: &[u8], eof: bool) -> Walk<SeriesHeader> {
    let src = Src { b: buf, eof };
    let meta = walk_meta(&src, PREFIX_LEN)?;
    if meta.sop_class.map(trim) == Some(MEDIA_STORAGE_DIRECTORY) {
        return Err(Halt::Bad(HeaderError::Directory));
    }
    let (data_at, ts) = (meta.end, meta.transfer_syntax);
    let enc = sniff(&src, data_at, encoding_for(ts).map_err(Halt::Bad)?);
    let mut found = Found::default();
    walk_dataset(&src, data_at, enc, LAST_NEEDED, &mut |tag, value| found.keep(tag, value))?;
    found.into_header().map_err(Halt::Bad)
}

/// Raw values of the wanted attributes.
#[derive(Default)]
struct Found<'a> {
    uid: Option<&'a [u8]>,
    description: Option<&'a [u8]>,
    protocol: Option<&'a [u8]>,
    number: Option<&'a [u8]>,
    date: Option<&'a [u8]>,
    manufacturer: Option<&'a [u8]>,
    modality: Option<&'a [u8]>,
}

impl<'a> Found<'a> {
    fn keep(&mut self, tag: u32, value: &'a [u8]) {
        let slot = match tag {
            SERIES_UID => &mut self.uid,
            SERIES_DESCRIPTION => &mut self.description,
            PROTOCOL_NAME => &mut self.protocol,
            SERIES_NUMBER => &mut self.number,
            STUDY_DATE => &mut self.date,
            MANUFACTURER => &mut self.manufacturer,
            MODALITY => &mut self.modality,
            _ => return,
        };
        *slot = Some(value);
    }

    fn into_header(self) -> Result<SeriesHeader, HeaderError> {
        Ok(SeriesHeader {
            series_uid: self.uid.and_then(text).ok_or(HeaderError::NoSeriesUid)?,
            series_description: self.description.and_then(text),
            protocol_name: self.protocol.and_then(text),
            series_number: self.number.and_then(text).as_deref().and_then(parse_is),
            study_date: self.date.and_then(text).as_deref().and_then(parse_da),
            manufacturer: self.manufacturer.and_then(text),
            modality: self.modality.and_then(text),
        })
    }
}

/// Trimmed text, `None` when empty; UTF-8, else Latin-1.
fn text(raw: &[u8]) -> Option<String> {
    let t = trim(raw);
    if t.is_empty() {
        return None;
    }
    Some(match std::str::from_utf8(t) {
        Ok(s) => s.to_owned(),
        Err(_) => t.iter().map(|&b| char::from(b)).collect(),
    })
}

/// An IS value (first of several); tolerates "12.0", which some writers produce.
fn parse_is(s: &str) -> Option<i32> {
    let first = s.split('\\').next()?.trim();
    first.parse().ok().or_else(|| {
        let f: f64 = first.parse().ok()?;
        (f.fract() == 0.0 && f.abs() <= f64::from(i32::MAX)).then_some(f as i32)
    })
}

/// A DA value: `YYYYMMDD`, or the ACR-NEMA `YYYY.MM.DD` that old files carry.
fn parse_da(s: &str) -> Option<NaiveDate> {
    let first = s.split('\\').next()?.trim();
    NaiveDate::parse_from_str(first, "%Y%m%d").or_else(|_| NaiveDate::parse_from_str(first, "%Y.%m.%d")).ok()
}

#[cfg(test)]
#[path = "dicom_tests.rs"]
mod dicom_tests;
