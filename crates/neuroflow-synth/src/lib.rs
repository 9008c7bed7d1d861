//! Synthetic DICOM sessions for tests, the benchmark and the demo.
//!
//! Each series is a stack of 16×16 MR images, explicit VR little endian, written with dicom-object
//! (an encoder independent of neuroflow's own header reader). They carry what real dcm2niix
//! needs to convert them correctly: geometry (Image Position/Orientation, PixelSpacing,
//! SliceThickness), timing (EchoTime, RepetitionTime, AcquisitionTime), InstanceNumber,
//! InPlanePhaseEncodingDirection, and for DWI the standard DiffusionBValue (0018,9087) and
//! DiffusionGradientOrientation (0018,9089), so .bval/.bvec come out right. All UIDs are derived
//! from the ScanID, so the same spec always writes byte-identical files.

mod elements;
mod uid;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub use uid::derived_uid;

/// The Manufacturer (0008,0070) a session claims; dcm2niix's vendor-specific paths key on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Manufacturer {
    Siemens,
    Ge,
    Philips,
    Canon,
}

impl Manufacturer {
    pub const ALL: [Manufacturer; 4] =
        [Manufacturer::Siemens, Manufacturer::Ge, Manufacturer::Philips, Manufacturer::Canon];

    /// The value scanners of this vendor write in Manufacturer (0008,0070).
    pub fn dicom_name(self) -> &'static str {
        match self {
            Manufacturer::Siemens => "SIEMENS",
            Manufacturer::Ge => "GE MEDICAL SYSTEMS",
            Manufacturer::Philips => "Philips Medical Systems",
            Manufacturer::Canon => "CANON_MEC",
        }
    }

    /// A plausible ManufacturerModelName (0008,1090).
    pub fn model(self) -> &'static str {
        match self {
            Manufacturer::Siemens => "Prisma",
            Manufacturer::Ge => "SIGNA Premier",
            Manufacturer::Philips => "Ingenia",
            Manufacturer::Canon => "Vantage Galan 3T",
        }
    }

    /// Lower-case name, as the CLI spells it.
    pub fn label(self) -> &'static str {
        match self {
            Manufacturer::Siemens => "siemens",
            Manufacturer::Ge => "ge",
            Manufacturer::Philips => "philips",
            Manufacturer::Canon => "canon",
        }
    }
}

impl FromStr for Manufacturer {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Manufacturer::ALL
            .into_iter()
            .find(|m| m.label().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown manufacturer {s:?} (expected siemens, ge, philips or canon)"))
    }
}

/// What a series is; decides geometry, timing, ImageType and how files split into volumes.
#[derive(Debug, Clone, PartialEq)]
pub enum SeriesKind {
    /// A few fast scout slices (the heuristic should ignore it).
    Localizer,
    /// 3D MPRAGE.
    T1w,
    /// 2D EPI DWI: one volume per b-value, in order; volumes with b > 0 get distinct unit directions.
    Dwi { bvalues: Vec<u32> },
    /// GRE fieldmap magnitude: two echoes (TE 4.92 and 7.38 ms), one volume each.
    FieldmapMagnitude,
    /// GRE fieldmap phase difference (ImageType P, TE 7.38 ms).
    FieldmapPhase,
    /// 2D EPI BOLD time series.
    Bold { volumes: usize },
}

impl SeriesKind {
    /// Volumes (or echoes) per series: `files` must be a multiple of this.
    pub fn volumes(&self) -> usize {
        match self {
            SeriesKind::Dwi { bvalues } => bvalues.len(),
            SeriesKind::FieldmapMagnitude => 2,
            SeriesKind::Bold { volumes } => *volumes,
            SeriesKind::Localizer | SeriesKind::T1w | SeriesKind::FieldmapPhase => 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSpec {
    pub number: i32,
    pub description: String,
    pub kind: SeriesKind,
    /// Files (= slices × volumes) in the series.
    pub files: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionSpec {
    pub scan_id: String,
    pub patient_id: String,
    pub study_date: NaiveDate,
    pub manufacturer: Manufacturer,
    pub series: Vec<SeriesSpec>,
}

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("cannot create folder {path}: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
    #[error("series {number} ({description}): {why}")]
    BadSpec { number: i32, description: String, why: String },
}

/// Description of the standard series, by kind (also what `templates/heuristic.py` expects).
pub const T1W_DESCRIPTION: &str = "T1w_MPRAGE";
pub const DWI_DESCRIPTION: &str = "DWI_b1000_6dir";
pub const FIELDMAP_DESCRIPTION: &str = "gre_field_mapping";
pub const BOLD_DESCRIPTION: &str = "BOLD_rest";
/// The DWI b-values of the standard session: one b0 then six b=1000 directions.
pub const STANDARD_BVALUES: [u32; 7] = [0, 1000, 1000, 1000, 1000, 1000, 1000];

/// A session with T1w MPRAGE, DWI (b0 + six b1000 directions), GRE fieldmap magnitude (2 echoes) and
/// phase, and resting BOLD (2 volumes), of about `files_target` files (at least 15; 60 is typical).
///
/// The study date comes from a `YYYYMMDD_HHMM` ScanID, else 2024-01-15.
pub fn standard_session(
    scan_id: &str,
    patient_id: &str,
    manufacturer: Manufacturer,
    files_target: usize,
) -> SessionSpec {
    // One slice unit n gives 3n (T1w) + 7n (DWI) + 2n (magnitude) + n (phase) + 2n (BOLD) = 15n files;
    // what is left over goes to the T1w.
    let n = (files_target / 15).max(1);
    let t1w_files = 3 * n + files_target.saturating_sub(15 * n);
    let series = vec![
        series(2, T1W_DESCRIPTION, SeriesKind::T1w, t1w_files),
        series(3, DWI_DESCRIPTION, SeriesKind::Dwi { bvalues: STANDARD_BVALUES.to_vec() }, 7 * n),
        series(4, FIELDMAP_DESCRIPTION, SeriesKind::FieldmapMagnitude, 2 * n),
        series(5, FIELDMAP_DESCRIPTION, SeriesKind::FieldmapPhase, n),
        series(6, BOLD_DESCRIPTION, SeriesKind::Bold { volumes: 2 }, 2 * n),
    ];
    SessionSpec {
        scan_id: scan_id.to_string(),
        patient_id: patient_id.to_string(),
        study_date: date_from_scan_id(scan_id).unwrap_or(DEFAULT_DATE),
        manufacturer,
        series,
    }
}

const DEFAULT_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2024, 1, 15) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

fn series(number: i32, description: &str, kind: SeriesKind, files: usize) -> SeriesSpec {
    SeriesSpec { number, description: description.to_string(), kind, files }
}

fn date_from_scan_id(scan_id: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(scan_id.get(..8)?, "%Y%m%d").ok()
}

/// The folder a series is written to: `NN_<description>` with unsafe characters replaced.
pub fn series_folder(series: &SeriesSpec) -> String {
    let clean: String =
        series.description.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    format!("{:02}_{clean}", series.number)
}

/// Writes `<dir>/<series folder>/<n>.dcm` (n = InstanceNumber, from 1) for every series; returns
/// the number of files written.
pub fn write_session(dir: &Path, spec: &SessionSpec) -> Result<usize, SynthError> {
    for s in &spec.series {
        check_series(s)?;
    }
    let mut written = 0;
    for s in &spec.series {
        let folder = dir.join(series_folder(s));
        std::fs::create_dir_all(&folder).map_err(|source| SynthError::CreateDir { path: folder.clone(), source })?;
        written += write_series(&folder, spec, s)?;
    }
    Ok(written)
}

fn check_series(s: &SeriesSpec) -> Result<(), SynthError> {
    let volumes = s.kind.volumes();
    let why = if s.files == 0 || volumes == 0 {
        Some("needs at least one file and one volume".to_string())
    } else if !s.files.is_multiple_of(volumes) {
        Some(format!("{} files do not split into {volumes} volumes", s.files))
    } else {
        None
    };
    match why {
        Some(why) => Err(SynthError::BadSpec { number: s.number, description: s.description.clone(), why }),
        None => Ok(()),
    }
}

fn write_series(folder: &Path, session: &SessionSpec, series: &SeriesSpec) -> Result<usize, SynthError> {
    let plan = elements::SeriesPlan::new(session, series);
    for index in 0..series.files {
        let path = folder.join(format!("{}.dcm", index + 1));
        let file = plan.file(index).map_err(|message| SynthError::Write { path: path.clone(), message })?;
        file.write_to_file(&path).map_err(|e| SynthError::Write { path: path.clone(), message: e.to_string() })?;
    }
    Ok(series.files)
}

/// Visits a generated site has per day (ScanIDs `YYYYMMDD_HHMM`, 75 minutes apart).
const VISITS_PER_DAY: usize = 8;

/// The i-th ScanID: `YYYYMMDD_HHMM`, unique for every i.
pub fn scan_id(i: usize) -> String {
    let first = NaiveDateTime::new(
        NaiveDate::from_ymd_opt(2024, 1, 15).unwrap_or_default(),
        NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
    );
    let day = TimeDelta::days((i / VISITS_PER_DAY) as i64);
    let slot = TimeDelta::minutes(75 * (i % VISITS_PER_DAY) as i64);
    (first + day + slot).format("%Y%m%d_%H%M").to_string()
}

pub fn subject_code(prefix: &str, i: usize, sessions: usize) -> String {
    let subjects = sessions.div_ceil(2).max(1);
    format!("{prefix}{:04}", i % subjects + 1)
}

/// Writes `sessions` generated sessions under `dir` (in parallel), one folder per ScanID;
/// subjects get two sessions each where possible (session i belongs to subject
/// i mod ⌈N/2⌉). `vendor` None cycles through all four. Returns the (ScanID,
/// SubjectCode) rows of the mapping and the number of files written.
pub fn write_site(
    dir: &Path,
    sessions: usize,
    files_per_session: usize,
    vendor: Option<Manufacturer>,
    prefix: &str,
) -> Result<(Vec<(String, String)>, usize), String> {
    use rayon::prelude::*;
    let rows: Vec<(String, String)> = (0..sessions).map(|i| (scan_id(i), subject_code(prefix, i, sessions))).collect();
    let written: Result<Vec<usize>, String> = rows
        .par_iter()
        .enumerate()
        .map(|(i, (scan, subject))| {
            let m = vendor.unwrap_or(Manufacturer::ALL[i % Manufacturer::ALL.len()]);
            let spec = standard_session(scan, subject, m, files_per_session);
            write_session(&dir.join(scan), &spec).map_err(|e| format!("session {scan}: {e}"))
        })
        .collect();
    Ok((rows, written?.iter().sum()))
}

#[cfg(test)]
mod synth_tests;
