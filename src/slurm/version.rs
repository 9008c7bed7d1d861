//! Which Slurm release the client commands belong to (`sbatch --version`), and whether
//! the test suite runs on it (pure).

use serde::Serialize;

/// The releases the test suite runs on, oldest first: the fixtures of
/// slurm/recorded/<release>/ and CI's real-Slurm runs (slurm/up.sh, slurm/release.sh).
pub const TESTED: &[&str] = &["22.05", "24.11", "26.05"];

/// A Slurm release as `sbatch --version` prints it (`slurm-wlm 24.11.5`, `slurm 23.02.7`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlurmRelease {
    /// `24.11.5`
    pub version: String,
    pub major: u32,
    pub minor: u32,
}

/// How a release stands to the ones the suite runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Tested,
    /// Between two tested releases: its neighbours were tested.
    BetweenTested,
    /// Older than the oldest tested: a warning, not a refusal.
    OlderThanTested,
    NewerThanTested,
}

impl SlurmRelease {
    /// The release in `sbatch --version`'s answer.
    pub fn parse(text: &str) -> Option<SlurmRelease> {
        let word = text.split_whitespace().find(|w| w.bytes().next().is_some_and(|b| b.is_ascii_digit()))?;
        let mut parts = word.split(['.', '-']);
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        Some(SlurmRelease { version: word.to_string(), major, minor })
    }

    /// `24.11`
    pub fn series(&self) -> String {
        format!("{}.{:02}", self.major, self.minor)
    }

    pub fn standing(&self) -> Standing {
        let key = (self.major, self.minor);
        let tested: Vec<(u32, u32)> = TESTED
            .iter()
            .filter_map(|t| t.split_once('.'))
            .filter_map(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
            .collect();
        match (tested.first(), tested.last()) {
            _ if tested.contains(&key) => Standing::Tested,
            (Some(first), _) if key < *first => Standing::OlderThanTested,
            (_, Some(last)) if key > *last => Standing::NewerThanTested,
            _ => Standing::BetweenTested,
        }
    }

    /// One sentence for `doctor` and the logs.
    pub fn describe(&self) -> String {
        let tested = TESTED.join(", ");
        match self.standing() {
            Standing::Tested => format!("Slurm {}: a release the test suite runs on ({tested})", self.version),
            Standing::BetweenTested => {
                format!("Slurm {}: not itself tested; the suite runs on {tested}, on both sides of it", self.version)
            }
            Standing::OlderThanTested => format!(
                "Slurm {}: older than the oldest release the suite runs on ({tested}); expect differences in what squeue/sacct print (docs/slurm.md)",
                self.version
            ),
            Standing::NewerThanTested => format!(
                "Slurm {}: newer than the newest release the suite runs on ({tested}); record its fixtures (slurm/record.sh) before relying on it",
                self.version
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sbatch_version_answers_are_read() {
        let r = SlurmRelease::parse("slurm-wlm 24.11.5\n").unwrap();
        assert_eq!((r.version.as_str(), r.series().as_str(), r.standing()), ("24.11.5", "24.11", Standing::Tested));
        assert_eq!(SlurmRelease::parse("slurm 22.05.8").unwrap().standing(), Standing::Tested);
        assert_eq!(SlurmRelease::parse("slurm 23.02.7").unwrap().standing(), Standing::BetweenTested);
        assert_eq!(SlurmRelease::parse("slurm 21.08.8-2").unwrap().standing(), Standing::OlderThanTested);
        assert_eq!(SlurmRelease::parse("slurm 26.11.0-0rc1").unwrap().standing(), Standing::NewerThanTested);
        assert_eq!(SlurmRelease::parse("sbatch: error: no config"), None);
        assert!(SlurmRelease::parse("slurm 20.11.9").unwrap().describe().contains("older than the oldest"));
    }
}
