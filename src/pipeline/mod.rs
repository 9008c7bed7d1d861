//! The chain's pure core: planning, resource requests, script contexts, markers.

pub mod markers;
pub mod plan;
pub mod request;
pub mod script;

#[cfg(test)]
mod plan_tests;
