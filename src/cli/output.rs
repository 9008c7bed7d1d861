//! Printing data to stdout: tables for people, JSON for scripts.

use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, clap::ValueEnum, PartialEq, Eq)]
pub enum Format {
    #[default]
    Table,
    Json,
}

/// Prints a value as pretty JSON.
pub fn json<T: Serialize>(value: &T) {
    println!("{}", serde_json::to_string_pretty(value).expect("serializable"));
}

/// A row of a listing: the same data as a table line or as JSON.
pub trait Listing: Serialize {
    const HEADERS: &'static [&'static str];
    fn cells(&self) -> Vec<String>;
}

/// Prints a listing as a table (for people) or a JSON array (`--format json`).
pub fn rows<T: Listing>(rows: &[T], format: Format) {
    match format {
        Format::Json => json(&rows),
        Format::Table => print!("{}", listing_text(rows)),
    }
}

/// Prints rows under a header with columns padded to the widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    print!("{}", table_text(header, rows));
}

/// The table as text, one line per row (what `table` prints).
pub fn table_text(header: &[&str], rows: &[Vec<String>]) -> String {
    styled_table_text(header, rows, |_, _| None)
}

/// [`table_text`] with a colour per cell (column, text); widths are measured on the
/// plain text. Print it with [`print_styled`]: colour only reaches a terminal.
pub fn styled_table_text(
    header: &[&str],
    rows: &[Vec<String>],
    style: impl Fn(usize, &str) -> Option<anstyle::Style>,
) -> String {
    let mut width: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>, styled: bool| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let text = format!("{c:<w$}", w = width[i]);
                match style(i, c).filter(|_| styled) {
                    Some(s) if i + 1 < cells.len() => format!("{s}{c}{s:#}{}", &text[c.len()..]),
                    Some(s) => format!("{s}{c}{s:#}"),
                    None => text,
                }
            })
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(header.to_vec(), false);
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect(), true));
    }
    out
}

/// Prints text that may hold colour codes: kept on a terminal, stripped in a pipe, a
/// file or under NO_COLOR (anstream's rules).
pub fn print_styled(text: &str) {
    anstream::print!("{text}");
}

/// A listing as a table's text.
pub fn listing_text<T: Listing>(rows: &[T]) -> String {
    table_text(T::HEADERS, &rows.iter().map(Listing::cells).collect::<Vec<_>>())
}
