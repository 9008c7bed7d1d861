//! The data elements of one synthetic MR image: a series-constant base, plus what varies per file.

use super::uid::derived_uid;
use super::{Manufacturer, SeriesKind, SeriesSpec, SessionSpec};
use chrono::{NaiveTime, TimeDelta};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{FileDicomObject, InMemDicomObject};

const SIZE: u16 = 16;
const FIELDMAP_ECHOES_MS: [f64; 2] = [4.92, 7.38];

/// Acquisition parameters that depend on the kind of series.
struct Protocol {
    image_type: &'static str,
    scanning_sequence: &'static str,
    sequence_variant: &'static str,
    acquisition_type: &'static str,
    echo_ms: f64,
    repetition_ms: f64,
    inversion_ms: Option<f64>,
    flip_deg: f64,
    pixel_mm: f64,
    thickness_mm: f64,
    phase_direction: &'static str,
}

fn protocol(kind: &SeriesKind, manufacturer: Manufacturer) -> Protocol {
    let epi = |image_type, echo_ms, repetition_ms| Protocol {
        image_type,
        scanning_sequence: "EP",
        sequence_variant: "SK\\SP",
        acquisition_type: "2D",
        echo_ms,
        repetition_ms,
        inversion_ms: None,
        flip_deg: 90.0,
        pixel_mm: 2.0,
        thickness_mm: 2.0,
        phase_direction: "COL",
    };
    // dcm2niix prints an unterminated warning line for a Philips GR/SP series (its fieldmap guess),
    // which breaks heudiconv's parsing of its output.
    let gre_variant = if manufacturer == Manufacturer::Philips { "OTHER" } else { "SP" };
    let gre = |image_type| Protocol {
        image_type,
        scanning_sequence: "GR",
        sequence_variant: gre_variant,
        acquisition_type: "2D",
        echo_ms: FIELDMAP_ECHOES_MS[1],
        repetition_ms: 500.0,
        inversion_ms: None,
        flip_deg: 60.0,
        pixel_mm: 3.0,
        thickness_mm: 3.0,
        phase_direction: "ROW",
    };
    match kind {
        SeriesKind::T1w => Protocol {
            image_type: "ORIGINAL\\PRIMARY\\M\\ND\\NORM",
            scanning_sequence: "GR\\IR",
            sequence_variant: "SK\\SP\\MP",
            acquisition_type: "3D",
            echo_ms: 2.98,
            repetition_ms: 2300.0,
            inversion_ms: Some(900.0),
            flip_deg: 9.0,
            pixel_mm: 1.0,
            thickness_mm: 1.0,
            phase_direction: "ROW",
        },
        SeriesKind::Localizer => Protocol { image_type: "ORIGINAL\\PRIMARY\\M\\ND", flip_deg: 20.0, ..gre("") },
        SeriesKind::Dwi { .. } => epi("ORIGINAL\\PRIMARY\\DIFFUSION\\NONE\\ND", 89.0, 8000.0),
        SeriesKind::Bold { .. } => epi("ORIGINAL\\PRIMARY\\M\\ND", 30.0, 2000.0),
        SeriesKind::FieldmapMagnitude => gre("ORIGINAL\\PRIMARY\\M\\ND"),
        SeriesKind::FieldmapPhase => gre("ORIGINAL\\PRIMARY\\P\\ND"),
    }
}

/// Everything needed to build each file of one series.
pub(super) struct SeriesPlan<'a> {
    base: InMemDicomObject,
    session: &'a SessionSpec,
    series: &'a SeriesSpec,
    protocol: Protocol,
    slices: usize,
    start: NaiveTime,
}

fn put(obj: &mut InMemDicomObject, tag: Tag, vr: VR, value: impl Into<PrimitiveValue>) {
    obj.put(DataElement::new(tag, vr, value.into()));
}

/// A DS value: at most 6 decimals, no trailing zeros.
fn ds(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".to_string() } else { s.to_string() }
}

fn ds_list(xs: &[f64]) -> String {
    xs.iter().map(|&x| ds(x)).collect::<Vec<_>>().join("\\")
}

fn scan_time(scan_id: &str) -> NaiveTime {
    scan_id
        .get(9..13)
        .and_then(|hhmm| NaiveTime::parse_from_str(hhmm, "%H%M").ok())
        .unwrap_or(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default())
}

fn tm(t: NaiveTime) -> String {
    t.format("%H%M%S%.6f").to_string()
}

impl<'a> SeriesPlan<'a> {
    pub(super) fn new(session: &'a SessionSpec, series: &'a SeriesSpec) -> Self {
        let protocol = protocol(&series.kind, session.manufacturer);
        let slices = (series.files / series.kind.volumes().max(1)).max(1);
        let start = scan_time(&session.scan_id) + TimeDelta::minutes(i64::from(series.number) * 5);
        let mut plan = SeriesPlan { base: InMemDicomObject::new_empty(), session, series, protocol, slices, start };
        plan.base = plan.base_object();
        plan
    }

    fn base_object(&self) -> InMemDicomObject {
        let (s, p, scan) = (self.session, &self.protocol, self.session.scan_id.as_str());
        let number = self.series.number.to_string();
        let date = s.study_date.format("%Y%m%d").to_string();
        let mut o = InMemDicomObject::new_empty();
        let text: [(Tag, VR, String); 31] = [
            (tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 100".into()),
            (tags::IMAGE_TYPE, VR::CS, p.image_type.into()),
            (tags::SOP_CLASS_UID, VR::UI, uids::MR_IMAGE_STORAGE.into()),
            (tags::STUDY_DATE, VR::DA, date.clone()),
            (tags::SERIES_DATE, VR::DA, date.clone()),
            (tags::ACQUISITION_DATE, VR::DA, date),
            (tags::STUDY_TIME, VR::TM, tm(scan_time(scan))),
            (tags::SERIES_TIME, VR::TM, tm(self.start)),
            (tags::MODALITY, VR::CS, "MR".into()),
            (tags::MANUFACTURER, VR::LO, s.manufacturer.dicom_name().into()),
            (tags::INSTITUTION_NAME, VR::LO, "Neuroflow Synthetic Imaging".into()),
            (tags::STUDY_DESCRIPTION, VR::LO, "neuroflow^synthetic".into()),
            (tags::SERIES_DESCRIPTION, VR::LO, self.series.description.clone()),
            (tags::MANUFACTURER_MODEL_NAME, VR::LO, s.manufacturer.model().into()),
            (tags::PATIENT_NAME, VR::PN, s.patient_id.clone()),
            (tags::PATIENT_ID, VR::LO, s.patient_id.clone()),
            (tags::PATIENT_SEX, VR::CS, "O".into()),
            (tags::SCANNING_SEQUENCE, VR::CS, p.scanning_sequence.into()),
            (tags::SEQUENCE_VARIANT, VR::CS, p.sequence_variant.into()),
            (tags::MR_ACQUISITION_TYPE, VR::CS, p.acquisition_type.into()),
            (tags::SLICE_THICKNESS, VR::DS, ds(p.thickness_mm)),
            (tags::REPETITION_TIME, VR::DS, ds(p.repetition_ms)),
            (tags::MAGNETIC_FIELD_STRENGTH, VR::DS, "3".into()),
            (tags::SPACING_BETWEEN_SLICES, VR::DS, ds(p.thickness_mm)),
            (tags::PROTOCOL_NAME, VR::LO, self.series.description.clone()),
            (tags::IN_PLANE_PHASE_ENCODING_DIRECTION, VR::CS, p.phase_direction.into()),
            (tags::FLIP_ANGLE, VR::DS, ds(p.flip_deg)),
            (tags::PATIENT_POSITION, VR::CS, "HFS".into()),
            (tags::STUDY_INSTANCE_UID, VR::UI, derived_uid(&["study", scan])),
            (tags::SERIES_INSTANCE_UID, VR::UI, derived_uid(&["series", scan, &number])),
            (tags::FRAME_OF_REFERENCE_UID, VR::UI, derived_uid(&["frame", scan])),
        ];
        for (tag, vr, value) in text {
            put(&mut o, tag, vr, value);
        }
        self.put_image_pixel_module(&mut o, &number);
        if let Some(ti) = p.inversion_ms {
            put(&mut o, tags::INVERSION_TIME, VR::DS, ds(ti));
        }
        o
    }

    fn put_image_pixel_module(&self, o: &mut InMemDicomObject, number: &str) {
        let mm = self.protocol.pixel_mm;
        put(o, tags::STUDY_ID, VR::SH, "1");
        put(o, tags::SERIES_NUMBER, VR::IS, number);
        put(o, tags::IMAGE_ORIENTATION_PATIENT, VR::DS, "1\\0\\0\\0\\1\\0");
        put(o, tags::PIXEL_SPACING, VR::DS, ds_list(&[mm, mm]));
        put(o, tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(1_u16));
        put(o, tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2");
        put(o, tags::ROWS, VR::US, PrimitiveValue::from(SIZE));
        put(o, tags::COLUMNS, VR::US, PrimitiveValue::from(SIZE));
        put(o, tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(16_u16));
        put(o, tags::BITS_STORED, VR::US, PrimitiveValue::from(12_u16));
        put(o, tags::HIGH_BIT, VR::US, PrimitiveValue::from(11_u16));
        put(o, tags::PIXEL_REPRESENTATION, VR::US, PrimitiveValue::from(0_u16));
    }

    /// The complete file for the `index`-th image (0-based; InstanceNumber is index + 1).
    pub(super) fn file(&self, index: usize) -> Result<FileDicomObject<InMemDicomObject>, String> {
        let (volume, slice) = (index / self.slices, index % self.slices);
        let mut o = self.base.clone();
        let (scan, number) = (self.session.scan_id.as_str(), self.series.number.to_string());
        let instance = (index + 1).to_string();
        put(&mut o, tags::SOP_INSTANCE_UID, VR::UI, derived_uid(&["sop", scan, &number, &instance]));
        put(&mut o, tags::INSTANCE_NUMBER, VR::IS, instance);
        self.put_position(&mut o, slice);
        self.put_timing(&mut o, volume);
        if let SeriesKind::Dwi { bvalues } = &self.series.kind {
            put_diffusion(&mut o, bvalues, volume, self.session.manufacturer);
        }
        put(&mut o, tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16(pixels(slice, volume).into_iter().collect()));
        let meta = FileMetaTableBuilder::new().transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN);
        o.with_meta(meta).map_err(|e| e.to_string())
    }

    fn put_position(&self, o: &mut InMemDicomObject, slice: usize) {
        let p = &self.protocol;
        let corner = -(f64::from(SIZE) * p.pixel_mm) / 2.0;
        let z = (slice as f64 - (self.slices as f64 - 1.0) / 2.0) * p.thickness_mm;
        put(o, tags::IMAGE_POSITION_PATIENT, VR::DS, ds_list(&[corner, corner, z]));
        put(o, tags::SLICE_LOCATION, VR::DS, ds(z));
    }

    fn put_timing(&self, o: &mut InMemDicomObject, volume: usize) {
        let p = &self.protocol;
        let (echo_ms, echo_number) = match self.series.kind {
            SeriesKind::FieldmapMagnitude => (FIELDMAP_ECHOES_MS[volume.min(1)], volume + 1),
            SeriesKind::FieldmapPhase => (p.echo_ms, 2),
            _ => (p.echo_ms, 1),
        };
        let offset = TimeDelta::milliseconds((volume as f64 * p.repetition_ms) as i64);
        let time = tm(self.start + offset);
        put(o, tags::ACQUISITION_TIME, VR::TM, time.clone());
        put(o, tags::CONTENT_TIME, VR::TM, time);
        put(o, tags::ECHO_TIME, VR::DS, ds(echo_ms));
        put(o, tags::ECHO_NUMBERS, VR::IS, echo_number.to_string());
        let acquisition = if matches!(self.series.kind, SeriesKind::FieldmapMagnitude) { 1 } else { volume + 1 };
        put(o, tags::ACQUISITION_NUMBER, VR::IS, acquisition.to_string());
        if matches!(self.series.kind, SeriesKind::Bold { .. } | SeriesKind::Dwi { .. }) {
            put(o, tags::TEMPORAL_POSITION_IDENTIFIER, VR::IS, (volume + 1).to_string());
        }
    }
}

fn put_diffusion(o: &mut InMemDicomObject, bvalues: &[u32], volume: usize, manufacturer: Manufacturer) {
    let b = bvalues.get(volume).copied().unwrap_or(0);
    let weighted = bvalues.iter().filter(|&&b| b > 0).count();
    let k = bvalues.iter().take(volume).filter(|&&b| b > 0).count();
    let direction = if b > 0 { unit_direction(k, weighted) } else { [0.0; 3] };
    put(o, tags::DIFFUSION_DIRECTIONALITY, VR::CS, if b > 0 { "DIRECTIONAL" } else { "NONE" });
    put(o, tags::DIFFUSION_B_VALUE, VR::FD, PrimitiveValue::F64([f64::from(b)].into_iter().collect()));
    put(o, tags::DIFFUSION_GRADIENT_ORIENTATION, VR::FD, PrimitiveValue::F64(direction.into_iter().collect()));
    if manufacturer == Manufacturer::Philips {
        // Philips' slice orientation (private), without which dcm2niix asks to validate the vectors.
        put(o, Tag(0x2001, 0x0010), VR::LO, "Philips Imaging DD 001");
        put(o, Tag(0x2001, 0x100B), VR::CS, "TRANSVERSAL");
    }
}

/// The `k`-th of `n` directions spread over the sphere (golden spiral), rounded to 6 decimals.
pub(super) fn unit_direction(k: usize, n: usize) -> [f64; 3] {
    let z = 1.0 - 2.0 * (k as f64 + 0.5) / n.max(1) as f64;
    let r = (1.0 - z * z).max(0.0).sqrt();
    let phi = k as f64 * std::f64::consts::PI * (3.0 - 5f64.sqrt());
    [r * phi.cos(), r * phi.sin(), z].map(|c| (c * 1e6).round() / 1e6)
}

/// A blocky 12-bit test pattern that differs by slice and volume.
fn pixels(slice: usize, volume: usize) -> Vec<u16> {
    let (slice, volume) = ((slice % 64) as u16, (volume % 64) as u16);
    (0..SIZE * SIZE).map(|i| 100 + 20 * ((i % SIZE / 4 + i / SIZE / 4 + slice) % 4) + 5 * volume).collect()
}
