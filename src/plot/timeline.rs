//! A timeline of runs: one row each, its queue wait (open bar) then its run (filled
//! bar in its stage's colour), a cross where it failed.

use super::{Plot, PlotError, SIZE, draw_err, empty, responsive, stage_colour};
use chrono::NaiveDateTime;
use plotters::prelude::*;

/// One run on the timeline.
#[derive(Debug, Clone)]
pub struct Span {
    /// `qsiprep sub-0001 #12`.
    pub label: String,
    /// Its stage's place in the chain (for its colour).
    pub stage_index: usize,
    pub submitted: NaiveDateTime,
    pub started: Option<NaiveDateTime>,
    /// None while it is still queued or running (drawn up to `now`).
    pub ended: Option<NaiveDateTime>,
    pub failed: bool,
}

/// The runs in `spans` (top row first) from the first submission to `now`.
pub fn timeline(title: &str, spans: &[Span], now: NaiveDateTime) -> Result<Plot, PlotError> {
    let Some(t0) = spans.iter().map(|s| s.submitted).min() else {
        return Ok(empty("timeline", title, "No run has been submitted yet."));
    };
    let span_h = spans.iter().filter_map(|s| s.ended).chain([now]).map(|t| (t - t0).num_seconds()).max().unwrap_or(0)
        as f64
        / 3600.0;
    // Minutes for a span under two hours (a demo, a test), hours beyond.
    let (unit, per_hour) = if span_h < 2.0 { ("minutes", 60.0) } else { ("hours", 1.0) };
    let hours = |t: NaiveDateTime| (t - t0).num_seconds().max(0) as f64 / 3600.0 * per_hour;
    let end = (span_h * per_hour).max(1.0 / 60.0);
    let names: Vec<String> = spans.iter().map(|s| s.label.clone()).collect();
    let rows = spans.len() as f64;
    let mut svg = String::new();
    {
        let height = SIZE.1.max(90 + 14 * spans.len() as u32);
        let root = SVGBackend::with_string(&mut svg, (SIZE.0, height)).into_drawing_area();
        let e = draw_err("timeline");
        root.fill(&WHITE).map_err(&e)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(190)
            .build_cartesian_2d(0.0..end * 1.02, 0.0..rows)
            .map_err(&e)?;
        let row_name = |v: &f64| {
            let i = v.floor();
            let top = rows - 1.0 - i;
            if (v - i - 0.5).abs() > 0.01 || top < 0.0 { String::new() } else { names[top as usize].clone() }
        };
        chart
            .configure_mesh()
            .x_desc(format!(
                "{unit} since {} UTC (open: queued; filled: running; ×: failed)",
                t0.format("%Y-%m-%d %H:%M")
            ))
            .y_labels(spans.len() * 2 + 1)
            .y_label_formatter(&row_name)
            .y_label_style(("sans-serif", 11))
            .disable_y_mesh()
            .light_line_style(WHITE)
            .draw()
            .map_err(&e)?;
        for (i, s) in spans.iter().enumerate() {
            let y = rows - 1.0 - i as f64;
            let (lo, hi) = (y + 0.2, y + 0.8);
            let colour = stage_colour(s.stage_index);
            let start = s.started.map_or(hours(now), hours);
            let stop = s.ended.map_or(hours(now), hours);
            let mut shapes =
                vec![Rectangle::new([(hours(s.submitted), lo), (start, hi)], colour.stroke_width(1)).into_dyn()];
            if s.started.is_some() {
                shapes.push(Rectangle::new([(start, lo), (stop.max(start), hi)], colour.filled()).into_dyn());
            }
            if s.failed {
                shapes.push(Cross::new((stop, y + 0.5), 5, BLACK.stroke_width(2)).into_dyn());
            }
            chart.draw_series(shapes).map_err(&e)?;
        }
        root.present().map_err(&e)?;
    }
    let failed = spans.iter().filter(|s| s.failed).count();
    let running = spans.iter().filter(|s| s.started.is_some() && s.ended.is_none()).count();
    let reading = format!(
        "The newest {} runs: {running} running now, {failed} failed, over {} since the first was submitted.",
        spans.len(),
        super::human_hours(span_h)
    );
    Ok(Plot { id: "timeline", title: title.into(), reading, svg: Some(responsive(svg)) })
}
