#![allow(clippy::disallowed_methods)] // tests and benchmarks run tools directly
//! The one integration-test binary: end-to-end tests of the built `neuroflow`
//! against real SQLite, PostgreSQL and Slurm.

mod apptainer_standin;
mod arrays;
mod bad_units;
mod chain;
mod chain_cli;
mod changes;
mod cli_basics;
mod dicom_real;
mod intake;
mod intake_changes;
mod migrations;
mod ops;
mod real_parsers;
mod sessions_cli;
mod slurm_real;
mod store;
mod support;
mod tool_releases;
