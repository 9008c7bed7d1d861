//! The structural walk over a Part-10 prefix: element headers, undefined-length sequences,
//! the file meta group. It only skips values (borrowed slices of the caller's buffer), so no
//! declared length is ever allocated. Pure: no I/O.

use super::HeaderError;
use dicom_dictionary_std::tags;

pub(super) const MAX_DEPTH: u32 = 16;
pub(super) const UNDEFINED: u32 = 0xFFFF_FFFF;
pub(super) const ITEM: u32 = 0xFFFE_E000;
pub(super) const ITEM_END: u32 = 0xFFFE_E00D;
pub(super) const SEQUENCE_END: u32 = 0xFFFE_E0DD;

pub(super) const fn key(tag: dicom_core::Tag) -> u32 {
    ((tag.0 as u32) << 16) | tag.1 as u32
}

/// Why the walk stopped before finishing.
#[derive(Debug)]
pub(super) enum Halt {
    /// The buffer must hold at least this many bytes (the file has more).
    More(usize),
    Bad(HeaderError),
}
pub(super) type Walk<T> = Result<T, Halt>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Enc {
    pub(super) explicit: bool,
    pub(super) big: bool,
}
pub(super) const IMPLICIT_LE: Enc = Enc { explicit: false, big: false };
pub(super) const EXPLICIT_LE: Enc = Enc { explicit: true, big: false };
pub(super) const EXPLICIT_BE: Enc = Enc { explicit: true, big: true };

pub(super) struct Src<'a> {
    pub(super) b: &'a [u8],
    pub(super) eof: bool,
}

impl<'a> Src<'a> {
    fn bytes(&self, at: usize, n: usize, what: &str) -> Walk<&'a [u8]> {
        let end = at.saturating_add(n);
        match self.b.get(at..end) {
            Some(s) => Ok(s),
            None if self.eof => Err(Halt::Bad(HeaderError::Truncated { what: what.to_string(), offset: at })),
            None => Err(Halt::More(end)),
        }
    }

    fn u16(&self, at: usize, big: bool) -> Walk<u16> {
        let b = self.bytes(at, 2, "an element header")?;
        let a = [b[0], b[1]];
        Ok(if big { u16::from_be_bytes(a) } else { u16::from_le_bytes(a) })
    }

    fn u32(&self, at: usize, big: bool) -> Walk<u32> {
        let b = self.bytes(at, 4, "an element header")?;
        let a = [b[0], b[1], b[2], b[3]];
        Ok(if big { u32::from_be_bytes(a) } else { u32::from_le_bytes(a) })
    }

    fn at_end(&self, at: usize) -> bool {
        self.eof && at >= self.b.len()
    }
}

/// One element header: tag, VR (explicit VR only), declared length and where the value starts.
pub(super) struct Elem {
    tag: u32,
    vr: Option<[u8; 2]>,
    len: u32,
    at: usize,
    value_at: usize,
}

pub(super) fn tag_str(tag: u32) -> String {
    format!("({:04X},{:04X})", tag >> 16, tag & 0xFFFF)
}

pub(super) fn malformed(offset: usize, what: String) -> Halt {
    Halt::Bad(HeaderError::Malformed { offset, what })
}

pub(super) fn elem_header(src: &Src, at: usize, enc: Enc) -> Walk<Elem> {
    let tag = (u32::from(src.u16(at, enc.big)?) << 16) | u32::from(src.u16(at + 2, enc.big)?);
    if !enc.explicit || tag >> 16 == 0xFFFE {
        return Ok(Elem { tag, vr: None, len: src.u32(at + 4, enc.big)?, at, value_at: at + 8 });
    }
    let v = src.bytes(at + 4, 2, "an element header")?;
    let vr = [v[0], v[1]];
    if has_long_length(vr) {
        Ok(Elem { tag, vr: Some(vr), len: src.u32(at + 8, enc.big)?, at, value_at: at + 12 })
    } else {
        Ok(Elem { tag, vr: Some(vr), len: u32::from(src.u16(at + 6, enc.big)?), at, value_at: at + 8 })
    }
}

const SHORT_VRS: [&[u8; 2]; 21] = [
    b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT", b"PN", b"SH", b"SL", b"SS",
    b"ST", b"TM", b"UI", b"UL", b"US",
];
const LONG_VRS: [&[u8; 2]; 13] =
    [b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"];

/// Explicit VR elements use a 4-byte length for these VRs (and, as dcmtk does, for unknown ones).
pub(super) fn has_long_length(vr: [u8; 2]) -> bool {
    !SHORT_VRS.contains(&&vr)
}

pub(super) fn is_known_vr(vr: &[u8]) -> bool {
    SHORT_VRS.iter().chain(LONG_VRS.iter()).any(|k| k.as_slice() == vr)
}

/// Where a defined-length element ends, making sure its value is inside the buffer.
pub(super) fn value_end(src: &Src, el: &Elem) -> Walk<usize> {
    let end = el.value_at.saturating_add(el.len as usize);
    if end <= src.b.len() {
        return Ok(end);
    }
    if src.eof {
        let what = format!("element {} declaring {} bytes", tag_str(el.tag), el.len);
        return Err(Halt::Bad(HeaderError::Truncated { what, offset: el.at }));
    }
    Err(Halt::More(end))
}

/// Skips one element (walking undefined-length sequences); returns where the next one starts.
pub(super) fn skip(src: &Src, el: &Elem, enc: Enc, depth: u32) -> Walk<usize> {
    if el.len != UNDEFINED {
        return value_end(src, el);
    }
    match el.vr.as_ref().map(|v| v.as_slice()) {
        None | Some(b"SQ") | Some(b"OB") | Some(b"OW") => walk_sequence(src, el.value_at, enc, depth + 1),
        // An undefined-length UN holds an implicit VR little endian sequence (PS3.5 6.2.2).
        Some(b"UN") => walk_sequence(src, el.value_at, IMPLICIT_LE, depth + 1),
        Some(vr) => {
            Err(malformed(el.at, format!("{} has VR {} with undefined length", tag_str(el.tag), vr.escape_ascii())))
        }
    }
}

pub(super) fn walk_sequence(src: &Src, at: usize, enc: Enc, depth: u32) -> Walk<usize> {
    if depth > MAX_DEPTH {
        return Err(malformed(at, format!("sequences nested deeper than {MAX_DEPTH}")));
    }
    let mut pos = at;
    loop {
        let item = elem_header(src, pos, enc)?;
        pos = match item.tag {
            ITEM if item.len == UNDEFINED => walk_item(src, item.value_at, enc, depth)?,
            ITEM => value_end(src, &item)?,
            SEQUENCE_END => return Ok(item.value_at),
            other => return Err(malformed(pos, format!("expected a sequence item, found {}", tag_str(other)))),
        };
    }
}

pub(super) fn walk_item(src: &Src, at: usize, enc: Enc, depth: u32) -> Walk<usize> {
    let mut pos = at;
    loop {
        let el = elem_header(src, pos, enc)?;
        if el.tag == ITEM_END {
            return Ok(el.value_at);
        }
        pos = skip(src, &el, enc, depth)?;
    }
}

pub(super) const MEDIA_STORAGE_DIRECTORY: &[u8] = b"1.2.840.10008.1.3.10";

/// What the file meta group says.
pub(super) struct Meta<'a> {
    /// Where the data set starts.
    pub(super) end: usize,
    pub(super) sop_class: Option<&'a [u8]>,
    pub(super) transfer_syntax: Option<&'a [u8]>,
}

/// Walks the file meta group (always explicit VR little endian).
pub(super) fn walk_meta<'a>(src: &Src<'a>, at: usize) -> Walk<Meta<'a>> {
    let mut pos = at;
    let mut meta = Meta { end: at, sop_class: None, transfer_syntax: None };
    while !src.at_end(pos) && src.u16(pos, false)? == 0x0002 {
        let el = elem_header(src, pos, EXPLICIT_LE)?;
        if el.len == UNDEFINED {
            return Err(malformed(pos, format!("meta element {} has undefined length", tag_str(el.tag))));
        }
        let end = value_end(src, &el)?;
        let value = Some(&src.b[el.value_at..end]);
        match el.tag {
            t if t == key(tags::TRANSFER_SYNTAX_UID) => meta.transfer_syntax = value,
            t if t == key(tags::MEDIA_STORAGE_SOP_CLASS_UID) => meta.sop_class = value,
            _ => {}
        }
        pos = end;
    }
    if pos == at {
        return Err(malformed(pos, "no file meta group after the DICM magic".into()));
    }
    meta.end = pos;
    Ok(meta)
}

pub(super) fn encoding_for(ts: Option<&[u8]>) -> Result<Enc, HeaderError> {
    let uid = ts.map(trim).unwrap_or_default();
    match uid {
        b"1.2.840.10008.1.2" => Ok(IMPLICIT_LE),
        b"1.2.840.10008.1.2.2" => Ok(EXPLICIT_BE),
        b"1.2.840.10008.1.2.1.99" | b"1.2.840.10008.1.2.4.95" => {
            Err(HeaderError::Deflated(String::from_utf8_lossy(uid).into_owned()))
        }
        _ => Ok(EXPLICIT_LE),
    }
}

/// Like pydicom, trusts the first data element's bytes over the declared explicit/implicit VR.
pub(super) fn sniff(src: &Src, at: usize, declared: Enc) -> Enc {
    match src.b.get(at + 4..at + 6) {
        Some(vr) => Enc { explicit: is_known_vr(vr), ..declared },
        None => declared,
    }
}

/// Walks the top-level data set, handing each defined-length element with a tag up to `last` to
/// `keep`; stops at the first tag after `last`.
pub(super) fn walk_dataset<'a>(
    src: &Src<'a>,
    at: usize,
    enc: Enc,
    last: u32,
    keep: &mut impl FnMut(u32, &'a [u8]),
) -> Walk<()> {
    let mut pos = at;
    while !src.at_end(pos) {
        let el = elem_header(src, pos, enc)?;
        if el.tag >> 16 == 0xFFFE {
            return Err(malformed(pos, format!("stray {} at the top level", tag_str(el.tag))));
        }
        if el.tag > last {
            return Ok(());
        }
        let end = skip(src, &el, enc, 0)?;
        if el.len != UNDEFINED {
            keep(el.tag, &src.b[el.value_at..end]);
        }
        pos = end;
    }
    Ok(())
}

pub(super) fn trim(raw: &[u8]) -> &[u8] {
    let pad = |b: &u8| *b == b' ' || *b == 0;
    let start = raw.iter().position(|b| !pad(b)).unwrap_or(raw.len());
    let end = raw.iter().rposition(|b| !pad(b)).map_or(start, |i| i + 1);
    &raw[start..end]
}
