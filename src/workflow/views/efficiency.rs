//! `neuroflow runs efficiency`: what completed runs asked Slurm for against what they
//! used (memory: MaxRSS; time: elapsed), per stage, with a suggested `resources`
//! block so a centre right-sizes its requests and its jobs start sooner.

use crate::db::Run;
use crate::domain::RunStatus;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize, PartialEq)]
pub struct StageEfficiency {
    pub stage: String,
    pub runs: usize,
    pub requested_mem_mb: u64,
    pub max_rss_mb_p50: u64,
    pub max_rss_mb_p95: u64,
    pub max_rss_mb_max: u64,
    /// p95 MaxRSS / requested memory.
    pub mem_used_fraction_p95: f64,
    pub time_limit_minutes: u64,
    pub elapsed_minutes_p95: u64,
    pub elapsed_minutes_max: u64,
    pub cpus: u64,
    /// CPU time / (cpus × elapsed) per run (sacct TotalCPU), median and p95;
    /// None when no run has a TotalCPU.
    pub cpu_efficiency_p50: Option<f64>,
    pub cpu_efficiency_p95: Option<f64>,
    /// Suggested `resources:` values (p95 MaxRSS + 20 %, p95 elapsed × 1.5).
    pub suggested_mem_gb: f64,
    pub suggested_time_minutes: u64,
    /// cpus × p95 CPU efficiency, rounded up (the cpus the runs kept busy).
    pub suggested_cpus: u64,
}

/// The value below which `q` of the sorted values lie (nearest rank).
fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Per stage, over the completed ones of `current` runs with an accounting record
/// (of `stage`).
pub fn efficiency(current: &[Run], stage: Option<&str>) -> Vec<StageEfficiency> {
    let mut by_stage: BTreeMap<String, Vec<&Run>> = BTreeMap::new();
    for r in current {
        if r.status == RunStatus::Completed && stage.is_none_or(|s| s == r.stage) && r.max_rss_kb.is_some() {
            by_stage.entry(r.stage.clone()).or_default().push(r);
        }
    }
    let mut out = vec![];
    // In the order of the chain (the stage table's), never alphabetical.
    let mut by_stage: Vec<(String, Vec<&Run>)> = by_stage.into_iter().collect();
    by_stage.sort_by_key(|(s, _)| crate::stages::STAGES.iter().position(|d| d.name == s).unwrap_or(usize::MAX));
    for (stage, runs) in by_stage {
        let mut rss: Vec<u64> =
            runs.iter().filter_map(|r| r.max_rss_kb).map(|k| (k.max(0) as u64).div_ceil(1024)).collect();
        let mut minutes: Vec<u64> =
            runs.iter().filter_map(|r| r.elapsed_seconds).map(|s| (s.max(0) as u64).div_ceil(60)).collect();
        rss.sort_unstable();
        minutes.sort_unstable();
        let requested = runs.iter().map(|r| r.req_mem_mb.max(0) as u64).max().unwrap_or(0);
        let limit = runs.iter().map(|r| r.req_time_minutes.max(0) as u64).max().unwrap_or(0);
        let p95 = percentile(&rss, 0.95);
        let t95 = percentile(&minutes, 0.95);
        let suggested_mb = (p95 as f64 * 1.2).max(256.0);
        let cpus = runs.iter().map(|r| r.req_cpus.max(1) as u64).max().unwrap_or(1);
        let cpu = cpu_fractions(&runs);
        let cpu_p95 = fraction_percentile(&cpu, 0.95);
        out.push(StageEfficiency {
            stage,
            runs: runs.len(),
            requested_mem_mb: requested,
            max_rss_mb_p50: percentile(&rss, 0.5),
            max_rss_mb_p95: p95,
            max_rss_mb_max: rss.last().copied().unwrap_or(0),
            mem_used_fraction_p95: if requested > 0 { p95 as f64 / requested as f64 } else { 0.0 },
            time_limit_minutes: limit,
            elapsed_minutes_p95: t95,
            elapsed_minutes_max: minutes.last().copied().unwrap_or(0),
            suggested_mem_gb: (suggested_mb / 512.0).ceil() / 2.0,
            suggested_time_minutes: ((t95 as f64 * 1.5).ceil() as u64).max(10),
            cpus,
            cpu_efficiency_p50: fraction_percentile(&cpu, 0.5),
            cpu_efficiency_p95: cpu_p95,
            suggested_cpus: cpu_p95.map_or(cpus, |f| ((cpus as f64 * f).ceil() as u64).clamp(1, cpus)),
        });
    }
    out
}

/// Each run's CPU time over what it held (cpus × elapsed), sorted.
fn cpu_fractions(runs: &[&Run]) -> Vec<f64> {
    let mut v: Vec<f64> = runs
        .iter()
        .filter_map(|r| {
            let held = r.req_cpus.max(1) as f64 * r.elapsed_seconds? as f64;
            (held > 0.0).then(|| r.total_cpu_seconds.map(|c| c as f64 / held))?
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

fn fraction_percentile(sorted: &[f64], q: f64) -> Option<f64> {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!((percentile(&v, 0.5), percentile(&v, 0.95), percentile(&v, 1.0)), (50, 95, 100));
        assert_eq!(percentile(&[7], 0.95), 7);
        assert_eq!(percentile(&[], 0.95), 0);
    }
}
