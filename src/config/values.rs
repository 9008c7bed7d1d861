//! Validated scalar values of the configuration. Each rejects bad input while
//! the YAML is parsed, so the error carries the file, line and column.

use regex::{Regex, RegexBuilder};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// A YAML scalar as written, before a value type checks it.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    Int(i64),
    Float(f64),
    Str(String),
}

impl Raw {
    pub fn text(self) -> String {
        match self {
            Raw::Int(i) => i.to_string(),
            Raw::Float(f) => f.to_string(),
            Raw::Str(s) => s,
        }
    }
}

/// Checks a scalar inside the deserializer, so an error carries the scalar's own
/// line and column (a check after deserialization would only get its parent's).
struct Checked<F> {
    expecting: &'static str,
    check: F,
}

impl<'de, T, F: FnOnce(Raw) -> Result<T, String>> Visitor<'de> for Checked<F> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        (self.check)(Raw::Int(v)).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        let raw = i64::try_from(v).map(Raw::Int).unwrap_or(Raw::Float(v as f64));
        (self.check)(raw).map_err(E::custom)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        (self.check)(Raw::Float(v)).map_err(E::custom)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.check)(Raw::Str(v.to_string())).map_err(E::custom)
    }
}

/// Deserializes a scalar through `check`.
pub(crate) fn checked<'de, D: Deserializer<'de>, T>(
    d: D,
    expecting: &'static str,
    check: impl FnOnce(Raw) -> Result<T, String>,
) -> Result<T, D::Error> {
    d.deserialize_any(Checked { expecting, check })
}

macro_rules! deserialize_checked {
    ($ty:ty, $expecting:literal) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                checked(d, $expecting, <$ty>::try_from)
            }
        }
    };
}

/// CPUs per task: a whole number, at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cpus(pub u32);
deserialize_checked!(Cpus, "a whole number of CPUs");

impl TryFrom<Raw> for Cpus {
    type Error = String;
    fn try_from(v: Raw) -> Result<Self, String> {
        match &v {
            Raw::Int(n) if *n >= 1 && *n <= i64::from(u32::MAX) => Ok(Cpus(*n as u32)),
            _ => Err(format!("cpus must be a whole number of at least 1 (got {}); e.g. `cpus: 8`", v.text())),
        }
    }
}

/// GPUs per job: a whole number, 0 or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Gpus(pub u32);
deserialize_checked!(Gpus, "a whole number of GPUs");

impl TryFrom<Raw> for Gpus {
    type Error = String;
    fn try_from(v: Raw) -> Result<Self, String> {
        match &v {
            Raw::Int(n) if *n >= 0 && *n <= i64::from(u32::MAX) => Ok(Gpus(*n as u32)),
            _ => Err(format!("gpus must be a whole number, 0 or more (got {}); e.g. `gpus: 1`", v.text())),
        }
    }
}

/// Memory in GB (may be fractional), more than 0; stored in MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemMb(pub u64);
deserialize_checked!(MemMb, "a number of GB");

impl TryFrom<Raw> for MemMb {
    type Error = String;
    fn try_from(v: Raw) -> Result<Self, String> {
        let gb = match &v {
            Raw::Int(i) => *i as f64,
            Raw::Float(f) => *f,
            Raw::Str(_) => f64::NAN,
        };
        if !(gb.is_finite() && gb > 0.0 && gb <= 65536.0) {
            return Err(format!("mem_gb must be a number of GB above 0 (got {}); e.g. `mem_gb: 16`", v.text()));
        }
        Ok(MemMb((gb * 1024.0).ceil() as u64))
    }
}

impl Serialize for MemMb {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0 as f64 / 1024.0)
    }
}

/// A wall-clock limit in Slurm's syntax ("minutes", "MM:SS", "HH:MM:SS",
/// "D-HH", "D-HH:MM", "D-HH:MM:SS"), kept as whole minutes (seconds round up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct WallTime {
    pub minutes: u64,
}
deserialize_checked!(WallTime, "a Slurm time limit");

impl TryFrom<Raw> for WallTime {
    type Error = String;
    fn try_from(v: Raw) -> Result<Self, String> {
        match v {
            Raw::Int(m) if m > 0 => WallTime::from_minutes(m as u64),
            other => WallTime::parse(&other.text()),
        }
    }
}

impl WallTime {
    pub fn from_minutes(minutes: u64) -> Result<Self, String> {
        if minutes == 0 {
            return Err("time must be at least 1 minute".into());
        }
        Ok(WallTime { minutes })
    }

    /// Parses Slurm's `--time` syntax.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "time {text:?} is not a Slurm time limit; use minutes or \"HH:MM:SS\" or \"D-HH:MM:SS\", e.g. `time: \"12:00:00\"`"
            )
        };
        let num = |s: &str| s.parse::<u64>().map_err(|_| bad());
        let (days, rest) = match text.trim().split_once('-') {
            Some((d, r)) => (Some(num(d)?), r),
            None => (None, text.trim()),
        };
        let parts: Vec<u64> = rest.split(':').map(num).collect::<Result<_, _>>()?;
        let secs = match (days, parts.as_slice()) {
            (None, [m]) => m * 60,
            (None, [m, s]) => m * 60 + s,
            (None, [h, m, s]) => h * 3600 + m * 60 + s,
            (Some(d), [h]) => d * 86400 + h * 3600,
            (Some(d), [h, m]) => d * 86400 + h * 3600 + m * 60,
            (Some(d), [h, m, s]) => d * 86400 + h * 3600 + m * 60 + s,
            _ => return Err(bad()),
        };
        WallTime::from_minutes(secs.div_ceil(60)).map_err(|_| bad())
    }

    /// Slurm's `D-HH:MM:SS` form, used in `#SBATCH --time`.
    pub fn slurm(&self) -> String {
        let (d, rem) = (self.minutes / 1440, self.minutes % 1440);
        let (h, m) = (rem / 60, rem % 60);
        if d > 0 { format!("{d}-{h:02}:{m:02}:00") } else { format!("{h:02}:{m:02}:00") }
    }
}

impl fmt::Display for WallTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.slurm())
    }
}

impl Serialize for WallTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.slurm())
    }
}

/// A Slurm partition, account or QOS name; it reaches sbatch, so it is restricted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlurmName(pub String);
deserialize_checked!(SlurmName, "a Slurm partition, account or QOS name");

impl TryFrom<Raw> for SlurmName {
    type Error = String;
    fn try_from(v: Raw) -> Result<Self, String> {
        let v = v.text();
        if !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)) {
            Ok(SlurmName(v))
        } else {
            Err(format!("{v:?} is not a valid Slurm name (letters, digits, '_', '.', '-' only)"))
        }
    }
}

impl fmt::Display for SlurmName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tool release pinned for a stage (`pipelines.<stage>.version`): `26.1.1`, `1.0`.
/// YAML reads `26.1` as a number (and `1.0` as `1`), so a number is refused with the fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleasePin(pub String);
deserialize_checked!(ReleasePin, "a tool release such as \"26.1.1\"");

impl TryFrom<Raw> for ReleasePin {
    type Error = String;
    fn try_from(v: Raw) -> Result<Self, String> {
        match v {
            Raw::Str(s) if crate::releases::parse_version(&s).as_deref() == Some(s.trim()) => Ok(ReleasePin(s)),
            Raw::Str(s) => Err(format!("{s:?} is not a release number; write it like \"26.1.1\"")),
            other => Err(format!(
                "{} was read as a number (YAML drops trailing zeros: 1.0 becomes 1); quote the release, e.g. version: \"26.1.1\"",
                other.text()
            )),
        }
    }
}

impl fmt::Display for ReleasePin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A regular expression, matched case-insensitively.
#[derive(Debug, Clone)]
pub struct Pattern(pub Regex);
deserialize_checked!(Pattern, "a regular expression");

impl TryFrom<Raw> for Pattern {
    type Error = String;
    fn try_from(v: Raw) -> Result<Self, String> {
        let v = v.text();
        RegexBuilder::new(&v).case_insensitive(true).size_limit(1 << 20).build().map(Pattern).map_err(|e| {
            format!("invalid regular expression {v:?}: {e}; escape special characters like ( [ + * with a backslash")
        })
    }
}

impl Serialize for Pattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_time_accepts_slurm_forms() {
        let m = |t: &str| WallTime::parse(t).unwrap().minutes;
        assert_eq!(m("30"), 30);
        assert_eq!(m("12:00:00"), 720);
        assert_eq!(m("1-00"), 1440);
        assert_eq!(m("1-02:30"), 1590);
        assert_eq!(m("0:90"), 2);
        assert_eq!(m("2-00:00:01"), 2881);
        for bad in ["banana", "", "1:2:3:4", "-5", "0", "1-a"] {
            assert!(WallTime::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(WallTime::parse("1590").unwrap().slurm(), "1-02:30:00");
        assert_eq!(WallTime::parse("90").unwrap().slurm(), "01:30:00");
    }

    #[test]
    fn numbers_are_bounded() {
        assert!(Cpus::try_from(Raw::Int(-4)).is_err());
        assert!(Cpus::try_from(Raw::Int(0)).is_err());
        assert!(Cpus::try_from(Raw::Float(1.5)).is_err());
        assert_eq!(Cpus::try_from(Raw::Int(8)).unwrap().0, 8);
        assert!(Gpus::try_from(Raw::Int(-1)).is_err());
        assert_eq!(MemMb::try_from(Raw::Float(1.5)).unwrap().0, 1536);
        assert!(MemMb::try_from(Raw::Float(0.0)).is_err());
        assert!(MemMb::try_from(Raw::Str("lots".into())).is_err());
        assert!(SlurmName::try_from(Raw::Str("gpu;rm -rf".into())).is_err());
        assert_eq!(SlurmName::try_from(Raw::Int(7)).unwrap().0, "7");
    }
}
