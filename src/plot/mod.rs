//! Owns: drawing the status page's plots as inline SVG (plotters' SVG backend, no
//! font files): pure functions from figures to a `Plot`, no store, no I/O.
//! May import: domain. Must not import: db, workflow (the views feed it figures).
//!
//! Every plot has a title, axes with units, a one-line reading, and an empty-state
//! sentence instead of a picture when there is nothing to draw. Colours keep their
//! meaning from page to page (a stage's colour is its place in the chain, a cause's
//! its place in `FailureCause::ALL`) and stay apart in grey: stages differ in
//! lightness and in dash pattern, causes stack in a fixed order that the legend
//! repeats.

mod spread;
mod timeline;
mod weekly;

pub use spread::{Asked, StageTimes, asked_vs_used, durations};
pub use timeline::{Span, timeline};
pub use weekly::{Weekly, failures, throughput};

use plotters::style::RGBColor;
use serde::Serialize;

/// One figure of the page: its SVG, or the sentence that says why there is none.
#[derive(Debug, Clone, Serialize)]
pub struct Plot {
    /// The HTML id (`plot-<id>`).
    pub id: &'static str,
    pub title: String,
    /// One line that says what the picture shows ("qsiprep waits 3.1 h median…").
    pub reading: String,
    /// The drawing (an `<svg>` element); None when there is nothing to draw.
    pub svg: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("drawing the {plot} plot: {message}")]
    Draw { plot: &'static str, message: String },
}

/// Width and height of every plot, in SVG user units (scaled to the page by CSS).
pub const SIZE: (u32, u32) = (760, 300);

/// Stage colours in chain order: dark to light, so they stay apart in grey.
const STAGE_COLOURS: [RGBColor; 4] =
    [RGBColor(0x0b, 0x2a, 0x5b), RGBColor(0x1f, 0x6f, 0xb4), RGBColor(0xd9, 0x5f, 0x02), RGBColor(0x9e, 0xbc, 0xda)];

/// The colour of the stage at `index` in the chain.
pub fn stage_colour(index: usize) -> RGBColor {
    STAGE_COLOURS[index % STAGE_COLOURS.len()]
}

/// Cause colours by place in `FailureCause::ALL`: neighbours alternate dark and light.
const CAUSE_COLOURS: [RGBColor; 15] = [
    RGBColor(0x7f, 0x00, 0x00),
    RGBColor(0xfd, 0xbb, 0x84),
    RGBColor(0x1f, 0x4e, 0x79),
    RGBColor(0xa6, 0xce, 0xe3),
    RGBColor(0x33, 0x33, 0x33),
    RGBColor(0xb2, 0xdf, 0x8a),
    RGBColor(0x6a, 0x3d, 0x9a),
    RGBColor(0xff, 0xe0, 0x8a),
    RGBColor(0x8c, 0x51, 0x0a),
    RGBColor(0xca, 0xb2, 0xd6),
    RGBColor(0x1b, 0x78, 0x37),
    RGBColor(0xd9, 0xd9, 0xd9),
    RGBColor(0xd7, 0x30, 0x27),
    RGBColor(0x80, 0xcd, 0xc1),
    RGBColor(0x54, 0x27, 0x88),
];

/// The colour of a failure cause (its place in `FailureCause::ALL`).
pub fn cause_colour(cause: crate::domain::FailureCause) -> RGBColor {
    let i = crate::domain::FailureCause::ALL.iter().position(|c| *c == cause).unwrap_or(0);
    CAUSE_COLOURS[i % CAUSE_COLOURS.len()]
}

/// The plot with nothing to draw.
fn empty(id: &'static str, title: &str, sentence: &str) -> Plot {
    Plot { id, title: title.into(), reading: sentence.into(), svg: None }
}

/// A plotters error, named by the plot it broke.
fn draw_err<E: std::fmt::Debug>(plot: &'static str) -> impl Fn(E) -> PlotError {
    move |e| PlotError::Draw { plot, message: format!("{e:?}") }
}

/// Makes the drawing scale with the page (its fixed size stays as the viewBox).
fn responsive(svg: String) -> String {
    svg.replacen("<svg width=", "<svg role=\"img\" style=\"max-width:100%;height:auto\" width=", 1)
}

/// Hours as people read them: `42 s`, `12 min`, `3.1 h`, `2.5 d`.
pub fn human_hours(h: f64) -> String {
    if h < 1.0 / 60.0 {
        format!("{:.0} s", h * 3600.0)
    } else if h < 1.0 {
        format!("{:.0} min", h * 60.0)
    } else if h < 48.0 {
        format!("{h:.1} h")
    } else {
        format!("{:.1} d", h / 24.0)
    }
}

/// The value below which `q` of the sorted values lie (nearest rank); None if empty.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

#[cfg(test)]
mod tests;
