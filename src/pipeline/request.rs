//! What a job asks Slurm for, and how a retry grows it (pure).

use crate::config::{Pipeline, SlurmSection};
use crate::domain::FailureCause;
use serde::Serialize;

/// One job's resource request; feeds both `#SBATCH` and the tool's own flags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    pub cpus: u32,
    pub mem_mb: u64,
    pub gpus: u32,
    pub time_minutes: u64,
    pub partition: Option<String>,
    pub account: Option<String>,
    pub qos: Option<String>,
}

impl Request {
    /// The configured request: the pipeline's resources over the slurm defaults.
    pub fn from_config(p: &Pipeline, slurm: &SlurmSection) -> Request {
        let r = &p.resources;
        let pick = |own: &Option<crate::config::SlurmName>, dflt: &Option<crate::config::SlurmName>| {
            own.as_ref().or(dflt.as_ref()).map(|n| n.0.clone())
        };
        Request {
            cpus: r.cpus.0,
            mem_mb: r.mem.0,
            gpus: r.gpus.0,
            time_minutes: r.time.minutes,
            partition: pick(&r.partition, &slurm.partition),
            account: pick(&r.account, &slurm.account),
            qos: pick(&r.qos, &slurm.qos),
        }
    }

    /// The request for a retry after `cause`: more memory after OUT_OF_MEMORY,
    /// more time after TIMEOUT (by the configured factors, capped), else unchanged.
    pub fn grown(&self, cause: FailureCause, p: &Pipeline) -> Request {
        let mut next = self.clone();
        match cause {
            FailureCause::OutOfMemory => {
                let grown = (self.mem_mb as f64 * p.retry.mem_factor).ceil() as u64;
                next.mem_mb = p.retry.max_mem_gb.map_or(grown, |cap| grown.min(cap.0)).max(self.mem_mb);
            }
            FailureCause::Timeout => {
                let grown = (self.time_minutes as f64 * p.retry.time_factor).ceil() as u64;
                next.time_minutes = p.retry.max_time.map_or(grown, |cap| grown.min(cap.minutes)).max(self.time_minutes);
            }
            _ => {}
        }
        next
    }

    /// The request of the next attempt: the current configuration (`current`), with
    /// memory and time at least what this attempt asked for, grown after
    /// OUT_OF_MEMORY / TIMEOUT. A site that raised `mem_gb` after an OOM gets the
    /// raise; earlier growth is never lost.
    pub fn next_attempt(&self, cause: Option<FailureCause>, p: &Pipeline, current: &Request) -> Request {
        let grown = cause.map_or_else(|| self.clone(), |c| self.grown(c, p));
        Request {
            mem_mb: grown.mem_mb.max(current.mem_mb),
            time_minutes: grown.time_minutes.max(current.time_minutes),
            ..current.clone()
        }
    }

    /// Slurm's `D-HH:MM:SS` for `--time`.
    pub fn time_text(&self) -> String {
        crate::config::WallTime { minutes: self.time_minutes }.slurm()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline(retry: &str) -> Pipeline {
        let yaml = format!("runtime: native\nresources: {{cpus: 2, mem_gb: 1, time: 60}}\n{retry}");
        serde_yaml::from_str(&yaml).unwrap()
    }

    #[test]
    fn oom_grows_memory_timeout_grows_time_within_caps() {
        let p = pipeline("retry: {mem_factor: 2, time_factor: 1.5, max_mem_gb: 3, max_time: 100}\n");
        let base = Request::from_config(&p, &SlurmSection::default());
        assert_eq!((base.mem_mb, base.time_minutes), (1024, 60));
        let m1 = base.grown(FailureCause::OutOfMemory, &p);
        assert_eq!((m1.mem_mb, m1.time_minutes), (2048, 60));
        assert_eq!(m1.grown(FailureCause::OutOfMemory, &p).mem_mb, 3072, "capped at max_mem_gb");
        let t1 = base.grown(FailureCause::Timeout, &p);
        assert_eq!((t1.mem_mb, t1.time_minutes), (1024, 90));
        assert_eq!(t1.grown(FailureCause::Timeout, &p).time_minutes, 100, "capped at max_time");
        for same in [FailureCause::NodeFailure, FailureCause::Preempted, FailureCause::NonzeroExit] {
            assert_eq!(base.grown(same, &p), base);
        }
    }

    #[test]
    fn a_retry_takes_the_larger_of_the_grown_request_and_the_current_configuration() {
        let p = pipeline("retry: {mem_factor: 1.5, time_factor: 2}\n");
        let old = Request { mem_mb: 256, ..Request::from_config(&p, &SlurmSection::default()) };
        // After an OOM at 256 MB the site raised mem_gb to 2: the retry gets 2048, not 384.
        let raised = Request { mem_mb: 2048, ..old.clone() };
        let next = old.next_attempt(Some(FailureCause::OutOfMemory), &p, &raised);
        assert_eq!(next.mem_mb, 2048);
        // Without a raise, the growth stands; lowering the config never undoes it.
        assert_eq!(old.next_attempt(Some(FailureCause::OutOfMemory), &p, &old).mem_mb, 384);
        let lowered = Request { mem_mb: 128, time_minutes: 30, ..old.clone() };
        let t = old.next_attempt(Some(FailureCause::Timeout), &p, &lowered);
        assert_eq!((t.mem_mb, t.time_minutes), (256, 120));
        // Everything else follows the current configuration (e.g. a new partition).
        let moved = Request { partition: Some("long".into()), cpus: 4, ..old.clone() };
        let n = old.next_attempt(None, &p, &moved);
        assert_eq!((n.partition.as_deref(), n.cpus, n.mem_mb), (Some("long"), 4, 256));
    }

    #[test]
    fn partition_falls_back_to_the_slurm_section() {
        let p = pipeline("");
        let slurm: SlurmSection = serde_yaml::from_str("partition: debug\nqos: low\n").unwrap();
        let r = Request::from_config(&p, &slurm);
        assert_eq!((r.partition.as_deref(), r.qos.as_deref(), r.account.clone()), (Some("debug"), Some("low"), None));
        assert_eq!(r.time_text(), "01:00:00");
    }
}
