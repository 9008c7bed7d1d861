//! Validated scalar values of the configuration. Each rejects bad input while
//! the YAML is parsed, so the error carries the file, line and column.

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// CPUs per task: a whole number, at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "i64")]
pub struct Cpus(pub u32);

impl TryFrom<i64> for Cpus {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        match u32::try_from(v) {
            Ok(n) if n >= 1 => Ok(Cpus(n)),
            _ => Err(format!("cpus must be a whole number of at least 1 (got {v}); e.g. `cpus: 8`")),
        }
    }
}

/// GPUs per job: a whole number, 0 or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(try_from = "i64")]
pub struct Gpus(pub u32);

impl TryFrom<i64> for Gpus {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        u32::try_from(v)
            .map(Gpus)
            .map_err(|_| format!("gpus must be a whole number, 0 or more (got {v}); e.g. `gpus: 1`"))
    }
}

/// Memory in GB (may be fractional), more than 0; stored in MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "f64")]
pub struct MemMb(pub u64);

impl TryFrom<f64> for MemMb {
    type Error = String;
    fn try_from(gb: f64) -> Result<Self, String> {
        if !(gb.is_finite() && gb > 0.0 && gb <= 65536.0) {
            return Err(format!("mem_gb must be a number of GB above 0 (got {gb}); e.g. `mem_gb: 16`"));
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "TimeInput")]
pub struct WallTime {
    pub minutes: u64,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TimeInput {
    Minutes(u64),
    Text(String),
}

impl TryFrom<TimeInput> for WallTime {
    type Error = String;
    fn try_from(v: TimeInput) -> Result<Self, String> {
        match v {
            TimeInput::Minutes(m) => WallTime::from_minutes(m),
            TimeInput::Text(t) => WallTime::parse(&t),
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
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(try_from = "String")]
pub struct SlurmName(pub String);

impl TryFrom<String> for SlurmName {
    type Error = String;
    fn try_from(v: String) -> Result<Self, String> {
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

/// A regular expression, matched case-insensitively.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct Pattern(pub Regex);

impl TryFrom<String> for Pattern {
    type Error = String;
    fn try_from(v: String) -> Result<Self, String> {
        RegexBuilder::new(&v)
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
            .map(Pattern)
            .map_err(|e| {
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
        assert!(Cpus::try_from(-4).is_err());
        assert!(Cpus::try_from(0).is_err());
        assert_eq!(Cpus::try_from(8).unwrap().0, 8);
        assert!(Gpus::try_from(-1).is_err());
        assert_eq!(MemMb::try_from(1.5).unwrap().0, 1536);
        assert!(MemMb::try_from(0.0).is_err());
        assert!(SlurmName::try_from("gpu;rm -rf".to_string()).is_err());
    }
}
