//! Plots per stage: how long runs wait in the queue and run (distributions), and what
//! they ask Slurm for against what they use.

use super::{Plot, PlotError, SIZE, draw_err, empty, human_hours, quantile, responsive, stage_colour};
use plotters::coord::Shift;
use plotters::prelude::*;

/// The recent completed runs of one stage: seconds from submission to start, and
/// from start to end, each sorted ascending.
#[derive(Debug, Clone, Default)]
pub struct StageTimes {
    pub stage: String,
    pub waits_s: Vec<f64>,
    pub runs_s: Vec<f64>,
}

/// What one stage's recent completed runs asked for and used.
#[derive(Debug, Clone, Default)]
pub struct Asked {
    pub stage: String,
    pub mem_asked_gb: f64,
    pub mem_used_p50_gb: f64,
    pub mem_used_p95_gb: f64,
    pub cpus_asked: f64,
    /// cpus × median CPU efficiency (None when sacct gave no TotalCPU).
    pub cpus_used_p50: Option<f64>,
}

/// Stage names at the middle of each unit of an `f64` axis (0.5, 1.5, …).
fn at_centre(names: &[String]) -> impl Fn(&f64) -> String + '_ {
    move |v| {
        let i = v.floor();
        if (v - i - 0.5).abs() > 0.01 || i < 0.0 {
            return String::new();
        }
        names.get(i as usize).cloned().unwrap_or_default()
    }
}

const DURATIONS: &str = "Queue wait and run time of completed runs";

/// Per stage, a box (quartiles), a median bar and whiskers (5th–95th percentile) for
/// the queue wait (open box) and the run time (filled box), on a log axis of hours.
pub fn durations(stages: &[StageTimes]) -> Result<Plot, PlotError> {
    let stages: Vec<&StageTimes> = stages.iter().filter(|s| !s.runs_s.is_empty()).collect();
    if stages.is_empty() {
        return Ok(empty("durations", DURATIONS, "No run has completed yet."));
    }
    let hours = |v: &[f64]| v.iter().map(|s| (s / 3600.0).max(1.0 / 3600.0)).collect::<Vec<f64>>();
    let all: Vec<f64> = stages.iter().flat_map(|s| hours(&s.waits_s).into_iter().chain(hours(&s.runs_s))).collect();
    let lo = all.iter().copied().fold(f64::MAX, f64::min) / 2.0;
    let hi = all.iter().copied().fold(0.0, f64::max) * 2.0;
    let names: Vec<String> = stages.iter().map(|s| s.stage.clone()).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let e = draw_err("durations");
        root.fill(&WHITE).map_err(&e)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(DURATIONS, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..names.len() as f64, (lo..hi).log_scale())
            .map_err(&e)?;
        chart
            .configure_mesh()
            .x_desc("stage (open box: queue wait; filled box: run time)")
            .y_desc("hours (log scale)")
            .x_labels(names.len() * 2 + 1)
            .x_label_formatter(&at_centre(&names))
            .y_label_formatter(&|h| human_hours(*h))
            .disable_x_mesh()
            .light_line_style(WHITE)
            .draw()
            .map_err(&e)?;
        for (i, s) in stages.iter().enumerate() {
            let colour = stage_colour(i);
            let x = i as f64;
            for (values, left, filled) in [(hours(&s.waits_s), x + 0.12, false), (hours(&s.runs_s), x + 0.56, true)] {
                chart.draw_series(spread_box(&values, left, 0.32, colour, filled)).map_err(&e)?;
            }
        }
        root.present().map_err(&e)?;
    }
    Ok(Plot { id: "durations", title: DURATIONS.into(), reading: medians(&stages), svg: Some(responsive(svg)) })
}

/// The shapes of one box: whisker, box, median.
fn spread_box<DB: DrawingBackend>(
    values: &[f64],
    left: f64,
    width: f64,
    colour: RGBColor,
    filled: bool,
) -> Vec<DynElement<'static, DB, (f64, f64)>> {
    let q = |p| quantile(values, p).unwrap_or(0.0);
    let (p5, p25, p50, p75, p95) = (q(0.05), q(0.25), q(0.5), q(0.75), q(0.95));
    let mid = left + width / 2.0;
    let fill = if filled { colour.filled() } else { WHITE.filled() };
    vec![
        PathElement::new(vec![(mid, p5), (mid, p95)], BLACK.stroke_width(1)).into_dyn(),
        Rectangle::new([(left, p25), (left + width, p75)], fill).into_dyn(),
        Rectangle::new([(left, p25), (left + width, p75)], colour.stroke_width(2)).into_dyn(),
        PathElement::new(vec![(left, p50), (left + width, p50)], BLACK.stroke_width(3)).into_dyn(),
    ]
}

/// "Median queue wait / run time: qsiprep 3.1 h / 5.4 h; …".
fn medians(stages: &[&StageTimes]) -> String {
    let h = |v: &[f64]| quantile(v, 0.5).map_or("-".into(), |s| human_hours(s / 3600.0));
    let parts: Vec<String> = stages
        .iter()
        .map(|s| format!("{} waits {} in the queue, runs {}", s.stage, h(&s.waits_s), h(&s.runs_s)))
        .collect();
    format!("Median: {}.", parts.join("; "))
}

const ASKED: &str = "Asked of Slurm against used, per stage";

/// Two panels: memory (GB) and CPUs, asked (grey) against used (stage colour; the
/// bar is the 95th percentile of MaxRSS, the black tick the median).
pub fn asked_vs_used(stages: &[Asked]) -> Result<Plot, PlotError> {
    if stages.is_empty() {
        return Ok(empty("asked", ASKED, "No completed run has an accounting record yet."));
    }
    let names: Vec<String> = stages.iter().map(|s| s.stage.clone()).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let e = draw_err("asked");
        root.fill(&WHITE).map_err(&e)?;
        let root = root.titled(ASKED, ("sans-serif", 18)).map_err(&e)?;
        let (left, right) = root.split_horizontally(SIZE.0 / 2);
        let mem: Vec<(f64, f64, f64)> =
            stages.iter().map(|s| (s.mem_asked_gb, s.mem_used_p95_gb, s.mem_used_p50_gb)).collect();
        let panel_err = |message| PlotError::Draw { plot: "asked", message };
        panel(&left, &names, &mem, "memory (GB; bar: p95 MaxRSS, tick: median)").map_err(panel_err)?;
        let cpu: Vec<(f64, f64, f64)> = stages
            .iter()
            .map(|s| (s.cpus_asked, s.cpus_used_p50.unwrap_or(0.0), s.cpus_used_p50.unwrap_or(0.0)))
            .collect();
        panel(&right, &names, &cpu, "CPUs (bar: median busy CPUs)").map_err(panel_err)?;
        root.present().map_err(&e)?;
    }
    Ok(Plot { id: "asked", title: ASKED.into(), reading: over_asking(stages), svg: Some(responsive(svg)) })
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// One panel of `asked_vs_used`: per stage (asked, used bar, used tick).
fn panel(area: &Area, names: &[String], bars: &[(f64, f64, f64)], y_desc: &str) -> Result<(), String> {
    let top = bars.iter().map(|b| b.0.max(b.1)).fold(0.0, f64::max).max(1.0) * 1.15;
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d(0.0..names.len() as f64, 0.0..top)
        .map_err(|e| format!("{e:?}"))?;
    chart
        .configure_mesh()
        .x_desc("stage (grey: asked)")
        .y_desc(y_desc)
        .x_labels(names.len() * 2 + 1)
        .x_label_formatter(&at_centre(names))
        .disable_x_mesh()
        .light_line_style(WHITE)
        .draw()
        .map_err(|e| format!("{e:?}"))?;
    for (i, (asked, used, tick)) in bars.iter().enumerate() {
        let x = i as f64;
        let colour = stage_colour(i);
        let shapes = vec![
            Rectangle::new([(x + 0.12, 0.0), (x + 0.48, *asked)], RGBColor(0xbb, 0xbb, 0xbb).filled()).into_dyn(),
            Rectangle::new([(x + 0.52, 0.0), (x + 0.88, *used)], colour.filled()).into_dyn(),
            PathElement::new(vec![(x + 0.52, *tick), (x + 0.88, *tick)], BLACK.stroke_width(3)).into_dyn(),
        ];
        chart.draw_series(shapes).map_err(|e| format!("{e:?}"))?;
    }
    Ok(())
}

/// "qsiprep uses 26 % of the memory it asks for at p95 (4.1 of 16 GB); …".
fn over_asking(stages: &[Asked]) -> String {
    let parts: Vec<String> = stages
        .iter()
        .map(|s| {
            let pc = if s.mem_asked_gb > 0.0 { 100.0 * s.mem_used_p95_gb / s.mem_asked_gb } else { 0.0 };
            format!(
                "{} uses {pc:.0} % of its memory at p95 ({:.1} of {:.1} GB)",
                s.stage, s.mem_used_p95_gb, s.mem_asked_gb
            )
        })
        .collect();
    format!("{}.", parts.join("; "))
}
