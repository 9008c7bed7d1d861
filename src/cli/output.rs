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
        Format::Table => table(T::HEADERS, &rows.iter().map(Listing::cells).collect::<Vec<_>>()),
    }
}

/// Prints rows under a header with columns padded to the widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut width: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = width[i])).collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}
