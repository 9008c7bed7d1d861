// Hand-maintained diesel schema shared by both backends. The SQL in
// migrations/postgres and migrations/sqlite must produce tables that match it;
// `tests/it/store.rs` checks that by exercising every column on both backends.

diesel::table! {
    subjects (id) {
        id -> BigInt,
        participant_label -> Text,
        subject_code -> Text,
        created_at -> Timestamp,
        settled -> Bool,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        subject_id -> BigInt,
        session_label -> Text,
        scan_id -> Text,
        dicom_path -> Text,
        study_date -> Nullable<Date>,
        series_json -> Text,
        is_valid -> Bool,
        scans_found -> Text,
        validation_message -> Text,
        excluded -> Bool,
        excluded_reason -> Nullable<Text>,
        discovered_at -> Timestamp,
        updated_at -> Timestamp,
        series_read_at -> Nullable<Timestamp>,
        identity_issue -> Nullable<Text>,
    }
}

diesel::table! {
    incoming_folders (id) {
        id -> BigInt,
        rel_path -> Text,
        scan_id -> Text,
        subject_hint -> Nullable<Text>,
        session_hint -> Nullable<Text>,
        intake_state -> Text,
        reason -> Text,
        file_count -> BigInt,
        total_bytes -> BigInt,
        newest_mtime -> Timestamp,
        fingerprint_since -> Timestamp,
        first_seen -> Timestamp,
        last_seen -> Timestamp,
        session_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    pipeline_runs (id) {
        id -> BigInt,
        token -> Text,
        stage -> Text,
        level -> Text,
        subject_id -> BigInt,
        session_id -> Nullable<BigInt>,
        attempt -> Integer,
        status -> Text,
        failure_cause -> Nullable<Text>,
        message -> Text,
        superseded -> Bool,
        superseded_by -> Nullable<BigInt>,
        trigger_reason -> Text,
        covered_session_ids -> Text,
        upstream_run_ids -> Text,
        workflow_run_id -> Nullable<BigInt>,
        slurm_job_id -> Nullable<BigInt>,
        slurm_array_job_id -> Nullable<BigInt>,
        slurm_array_task_id -> Nullable<Integer>,
        slurm_cluster -> Nullable<Text>,
        job_name -> Text,
        script_path -> Text,
        stdout_path -> Text,
        stderr_path -> Text,
        req_cpus -> Integer,
        req_mem_mb -> BigInt,
        req_gpus -> Integer,
        req_time_minutes -> BigInt,
        req_partition -> Nullable<Text>,
        req_account -> Nullable<Text>,
        req_qos -> Nullable<Text>,
        dependency_job_ids -> Text,
        slurm_state -> Nullable<Text>,
        pending_reason -> Nullable<Text>,
        exit_code -> Nullable<Integer>,
        exit_signal -> Nullable<Integer>,
        elapsed_seconds -> Nullable<BigInt>,
        max_rss_kb -> Nullable<BigInt>,
        node_list -> Nullable<Text>,
        unknown_polls -> Integer,
        created_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        started_at -> Nullable<Timestamp>,
        ended_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        total_cpu_seconds -> Nullable<BigInt>,
        alloc_tres -> Nullable<Text>,
        sacct_row -> Nullable<Text>,
    }
}

diesel::table! {
    run_provenance (run_id) {
        run_id -> BigInt,
        neuroflow_version -> Text,
        config_sha256 -> Text,
        script_sha256 -> Text,
        runtime -> Text,
        image_path -> Nullable<Text>,
        image_sha256 -> Nullable<Text>,
        command_path -> Nullable<Text>,
        recorded_at -> Timestamp,
        tool_release -> Nullable<Text>,
        tool_release_found_by -> Nullable<Text>,
        slurm_release -> Nullable<Text>,
    }
}

diesel::table! {
    tool_releases (key) {
        key -> Text,
        tool -> Text,
        version -> Text,
        found_by -> Text,
        found_at -> Timestamp,
    }
}

diesel::table! {
    image_digests (path) {
        path -> Text,
        size_bytes -> BigInt,
        mtime_ns -> BigInt,
        sha256 -> Text,
        computed_at -> Timestamp,
    }
}

diesel::table! {
    notifications (key) {
        key -> Text,
        kind -> Text,
        message -> Text,
        first_seen -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        attempts -> Integer,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    site_state (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    workflow_runs (id) {
        id -> BigInt,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        status -> Text,
        current_stage -> Nullable<Text>,
        stages_completed -> Text,
        counts_json -> Text,
        error -> Nullable<Text>,
        host -> Text,
        pid -> BigInt,
        dry_run -> Bool,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        entity -> Text,
        entity_id -> BigInt,
        action -> Text,
        old_value -> Nullable<Text>,
        new_value -> Nullable<Text>,
        message -> Text,
        workflow_run_id -> Nullable<BigInt>,
    }
}

diesel::joinable!(sessions -> subjects (subject_id));
diesel::joinable!(pipeline_runs -> subjects (subject_id));
diesel::joinable!(run_provenance -> pipeline_runs (run_id));
diesel::allow_tables_to_appear_in_same_query!(
    subjects,
    sessions,
    incoming_folders,
    pipeline_runs,
    run_provenance,
    image_digests,
    tool_releases,
    notifications,
    site_state,
    workflow_runs,
    audit_log,
);
diesel::allow_columns_to_appear_in_same_group_by_clause!(pipeline_runs::stage, run_provenance::tool_release);
