//! The tick against the in-memory scheduler and a temporary SQLite store.

mod frontier;
mod tick;
mod views;
