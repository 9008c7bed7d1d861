//! Plots over weeks: sessions arriving beside sessions finished per stage, and
//! failures by cause.

use super::{Plot, PlotError, SIZE, cause_colour, draw_err, empty, responsive, stage_colour};
use crate::domain::FailureCause;
use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::coord::types::{RangedCoordi32, RangedCoordu64};
use plotters::prelude::*;

/// Counts per week, oldest week first.
#[derive(Debug, Clone)]
pub struct Weekly {
    /// The Monday of each week shown.
    pub weeks: Vec<NaiveDate>,
    /// Sessions registered per week.
    pub arrivals: Vec<u64>,
    /// Per stage, in chain order: current runs completed per week.
    pub finished: Vec<(String, Vec<u64>)>,
    /// Per cause, in `FailureCause::ALL` order: failed attempts per week.
    pub failed: Vec<(FailureCause, Vec<u64>)>,
}

fn week_label(weeks: &[NaiveDate]) -> impl Fn(&i32) -> String + '_ {
    move |i| {
        usize::try_from(*i).ok().and_then(|i| weeks.get(i)).map_or(String::new(), |d| d.format("%m-%d").to_string())
    }
}

type WeekChart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordi32, RangedCoordu64>>;

/// Weeks across (labelled by their Monday), counts up, with a title.
fn week_axes<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    title: &str,
    x_max: i32,
    top: u64,
    y_desc: &str,
    weeks: &[NaiveDate],
) -> Result<WeekChart<'a, 'b>, PlotError> {
    let e = draw_err("weekly");
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0..x_max, 0..(top + top / 8 + 1))
        .map_err(&e)?;
    chart
        .configure_mesh()
        .x_desc("week starting (UTC, month-day)")
        .y_desc(y_desc)
        .x_label_formatter(&week_label(weeks))
        .x_labels(weeks.len().min(13))
        .light_line_style(WHITE)
        .draw()
        .map_err(&e)?;
    Ok(chart)
}

/// The legend, top left, over a light background.
fn legend<'a, 'b: 'a>(chart: &mut WeekChart<'a, 'b>) -> Result<(), PlotError> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(draw_err("legend"))
}

const THROUGHPUT: &str = "Keeping up with the scanner: sessions per week";

/// Sessions arriving per week (black) beside each stage's finished units.
pub fn throughput(w: &Weekly) -> Result<Plot, PlotError> {
    let top = w.arrivals.iter().chain(w.finished.iter().flat_map(|(_, c)| c)).copied().max().unwrap_or(0);
    if top == 0 || w.weeks.is_empty() {
        return Ok(empty("throughput", THROUGHPUT, "No session arrived and no run finished in the weeks shown."));
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let e = draw_err("throughput");
        root.fill(&WHITE).map_err(&e)?;
        let mut chart =
            week_axes(&root, THROUGHPUT, (w.weeks.len() as i32 - 1).max(1), top, "sessions per week", &w.weeks)?;
        let points = |c: &[u64]| c.iter().enumerate().map(|(i, v)| (i as i32, *v)).collect::<Vec<_>>();
        chart
            .draw_series(LineSeries::new(points(&w.arrivals), BLACK.stroke_width(3)))
            .map_err(&e)?
            .label("arrived (registered)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], BLACK.stroke_width(3)));
        for (i, (stage, counts)) in w.finished.iter().enumerate() {
            let style = stage_colour(i).stroke_width(2);
            let (dash, gap) = [(1, 0), (10, 4), (4, 4), (14, 3)][i % 4];
            let series = DashedLineSeries::new(points(counts), dash, gap, style);
            chart
                .draw_series(series)
                .map_err(&e)?
                .label(format!("{stage} finished"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
            chart.draw_series(points(counts).into_iter().map(|p| Circle::new(p, 3, style.filled()))).map_err(&e)?;
        }
        legend(&mut chart)?;
        root.present().map_err(&e)?;
    }
    Ok(Plot { id: "throughput", title: THROUGHPUT.into(), reading: keeping_up(w), svg: Some(responsive(svg)) })
}

/// "last 4 weeks: 120 sessions arrived; qsiparc finished 118 (98 %)".
fn keeping_up(w: &Weekly) -> String {
    let recent = |c: &[u64]| c.iter().rev().take(4).sum::<u64>();
    let arrived = recent(&w.arrivals);
    let parts: Vec<String> = w
        .finished
        .iter()
        .map(|(s, c)| {
            let done = recent(c);
            match (arrived, done) {
                (0, _) => format!("{s} finished {done}"),
                _ => format!("{s} finished {done} ({:.0} %)", 100.0 * done as f64 / arrived as f64),
            }
        })
        .collect();
    format!("Last 4 weeks: {arrived} sessions arrived; {}.", parts.join(", "))
}

const FAILURES: &str = "Failed attempts per week, by cause";

/// Failed attempts per week, stacked by cause in `FailureCause::ALL` order.
pub fn failures(w: &Weekly) -> Result<Plot, PlotError> {
    let n = w.weeks.len();
    let totals: Vec<u64> = (0..n).map(|i| w.failed.iter().map(|(_, c)| c.get(i).copied().unwrap_or(0)).sum()).collect();
    let top = totals.iter().copied().max().unwrap_or(0);
    if top == 0 {
        return Ok(empty("failures", FAILURES, "No attempt failed in the weeks shown."));
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let e = draw_err("failures");
        root.fill(&WHITE).map_err(&e)?;
        let mut chart = week_axes(&root, FAILURES, n as i32, top, "failed attempts per week", &w.weeks)?;
        let mut base = vec![0u64; n];
        for (cause, counts) in w.failed.iter().filter(|(_, c)| c.iter().any(|v| *v > 0)) {
            let colour = cause_colour(*cause);
            let bars: Vec<_> = (0..n)
                .filter(|i| counts.get(*i).is_some_and(|v| *v > 0))
                .map(|i| {
                    let (lo, hi) = (base[i], base[i] + counts[i]);
                    base[i] = hi;
                    Rectangle::new([(i as i32, lo), (i as i32 + 1, hi)], colour.filled())
                })
                .collect();
            chart
                .draw_series(bars)
                .map_err(&e)?
                .label(cause.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.filled()));
        }
        legend(&mut chart)?;
        root.present().map_err(&e)?;
    }
    Ok(Plot { id: "failures", title: FAILURES.into(), reading: worst_cause(w), svg: Some(responsive(svg)) })
}

/// "Most failures: out_of_memory (12), first seen in the week of 11-02".
fn worst_cause(w: &Weekly) -> String {
    let total: u64 = w.failed.iter().flat_map(|(_, c)| c).sum();
    let Some((cause, counts)) = w.failed.iter().max_by_key(|(_, c)| c.iter().sum::<u64>()) else {
        return String::new();
    };
    let since = counts.iter().position(|v| *v > 0).and_then(|i| w.weeks.get(i));
    format!(
        "{total} failed attempts; most are {cause} ({}), since the week of {}.",
        counts.iter().sum::<u64>(),
        since.map_or("-".into(), |d| d.format("%Y-%m-%d").to_string())
    )
}
