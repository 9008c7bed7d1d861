//! Rows as Rust structs. Status-like columns are text in SQL and enums here.

use super::schema::*;
use crate::domain::{FailureCause, IntakeState, RunStatus, WorkflowStatus};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = subjects)]
pub struct Subject {
    pub id: i64,
    pub participant_label: String,
    pub subject_code: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: i64,
    pub subject_id: i64,
    pub session_label: String,
    pub scan_id: String,
    pub dicom_path: String,
    pub study_date: Option<NaiveDate>,
    pub series_json: String,
    pub is_valid: bool,
    pub scans_found: String,
    pub validation_message: String,
    pub excluded: bool,
    pub excluded_reason: Option<String>,
    pub discovered_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When its DICOM headers were last read (None: at `discovered_at`).
    pub series_read_at: Option<NaiveDateTime>,
    /// Why its identity is in question (not planned while set).
    pub identity_issue: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession {
    pub subject_id: i64,
    pub session_label: String,
    pub scan_id: String,
    pub dicom_path: String,
    pub study_date: Option<NaiveDate>,
    pub series_json: String,
    pub is_valid: bool,
    pub scans_found: String,
    pub validation_message: String,
    pub discovered_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub series_read_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = pipeline_runs)]
pub struct Run {
    pub id: i64,
    pub token: String,
    pub stage: String,
    pub level: String,
    pub subject_id: i64,
    pub session_id: Option<i64>,
    pub attempt: i32,
    pub status: RunStatus,
    pub failure_cause: Option<FailureCause>,
    pub message: String,
    pub superseded: bool,
    pub superseded_by: Option<i64>,
    pub trigger_reason: String,
    pub covered_session_ids: String,
    pub upstream_run_ids: String,
    pub workflow_run_id: Option<i64>,
    pub slurm_job_id: Option<i64>,
    pub slurm_array_job_id: Option<i64>,
    pub slurm_array_task_id: Option<i32>,
    pub slurm_cluster: Option<String>,
    pub job_name: String,
    pub script_path: String,
    pub stdout_path: String,
    pub stderr_path: String,
    pub req_cpus: i32,
    pub req_mem_mb: i64,
    pub req_gpus: i32,
    pub req_time_minutes: i64,
    pub req_partition: Option<String>,
    pub req_account: Option<String>,
    pub req_qos: Option<String>,
    pub dependency_job_ids: String,
    pub slurm_state: Option<String>,
    pub pending_reason: Option<String>,
    pub exit_code: Option<i32>,
    pub exit_signal: Option<i32>,
    pub elapsed_seconds: Option<i64>,
    pub max_rss_kb: Option<i64>,
    pub node_list: Option<String>,
    pub unknown_polls: i32,
    pub created_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub started_at: Option<NaiveDateTime>,
    pub ended_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    /// sacct TotalCPU of the job (user + system time of all its steps).
    pub total_cpu_seconds: Option<i64>,
    /// sacct AllocTRES (`billing=2,cpu=2,mem=1G,node=1`).
    pub alloc_tres: Option<String>,
    /// The job's final sacct row as sacct printed it (SACCT_FORMAT fields).
    pub sacct_row: Option<String>,
}

/// Id lists are stored as comma-separated text ("3,7,12"): encoded and decoded
/// only here.
pub fn encode_ids(ids: &[i64]) -> String {
    ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",")
}

fn decode_ids(text: &str) -> Vec<i64> {
    text.split(',').filter_map(|s| s.trim().parse().ok()).collect()
}

impl Run {
    /// The runs this run was made from.
    pub fn upstream_ids(&self) -> Vec<i64> {
        decode_ids(&self.upstream_run_ids)
    }

    /// The sessions a subject-level run covers.
    pub fn covered_sessions(&self) -> Vec<i64> {
        decode_ids(&self.covered_session_ids)
    }

    /// Its Slurm job, once submitted.
    pub fn job(&self) -> Option<crate::domain::JobId> {
        self.slurm_job_id.and_then(|j| u64::try_from(j).ok()).map(crate::domain::JobId)
    }

    /// The job as Slurm shows it (squeue `%i`, sacct JobID, scancel): `123`, or
    /// `123_4` for task 4 of array 123.
    pub fn slurm_key(&self) -> Option<String> {
        match (self.slurm_array_job_id, self.slurm_array_task_id) {
            (Some(a), Some(t)) => Some(format!("{a}_{t}")),
            _ => self.slurm_job_id.map(|j| j.to_string()),
        }
    }
}

/// What is known of a run before it is submitted (the recorded intent).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = pipeline_runs)]
pub struct NewRun {
    pub token: String,
    pub stage: String,
    pub level: String,
    pub subject_id: i64,
    pub session_id: Option<i64>,
    pub attempt: i32,
    pub trigger_reason: String,
    pub covered_session_ids: String,
    pub upstream_run_ids: String,
    pub workflow_run_id: Option<i64>,
    pub job_name: String,
    pub script_path: String,
    pub stdout_path: String,
    pub stderr_path: String,
    pub req_cpus: i32,
    pub req_mem_mb: i64,
    pub req_gpus: i32,
    pub req_time_minutes: i64,
    pub req_partition: Option<String>,
    pub req_account: Option<String>,
    pub req_qos: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = workflow_runs)]
pub struct WorkflowRun {
    pub id: i64,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub status: WorkflowStatus,
    pub current_stage: Option<String>,
    pub stages_completed: String,
    pub counts_json: String,
    pub error: Option<String>,
    pub host: String,
    pub pid: i64,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: i64,
    pub at: NaiveDateTime,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub message: String,
    pub workflow_run_id: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAudit {
    pub at: NaiveDateTime,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub message: String,
    pub workflow_run_id: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = incoming_folders)]
pub struct IncomingFolder {
    pub id: i64,
    pub rel_path: String,
    pub scan_id: String,
    pub subject_hint: Option<String>,
    pub session_hint: Option<String>,
    pub intake_state: IntakeState,
    pub reason: String,
    pub file_count: i64,
    pub total_bytes: i64,
    pub newest_mtime: NaiveDateTime,
    pub fingerprint_since: NaiveDateTime,
    pub first_seen: NaiveDateTime,
    pub last_seen: NaiveDateTime,
    pub session_id: Option<i64>,
}

/// What discovery observed of a folder this tick.
#[derive(Debug, Clone, AsChangeset, Insertable)]
#[diesel(table_name = incoming_folders)]
pub struct FolderObservation {
    pub rel_path: String,
    pub scan_id: String,
    pub subject_hint: Option<String>,
    pub session_hint: Option<String>,
    pub file_count: i64,
    pub total_bytes: i64,
    pub newest_mtime: NaiveDateTime,
    pub fingerprint_since: NaiveDateTime,
    pub last_seen: NaiveDateTime,
}
