//! The one place that spawns processes: argv logged, a timeout, killed on drop.

use std::time::{Duration, Instant};
use tokio::process::Command;

/// What a finished command left behind.
#[derive(Debug, Clone)]
pub struct Output {
    /// Exit code; a command killed by a signal reports 128 + signal.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == 0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "`{program}` not found on PATH; install the Slurm client tools or put them on the PATH of the user that runs neuroflow"
    )]
    NotFound { program: String },
    #[error("cannot start `{argv}`: {source}")]
    Spawn { argv: String, source: std::io::Error },
    #[error("`{argv}` did not finish within {secs} s and was killed")]
    Timeout { argv: String, secs: u64 },
}

/// Renders argv the way a person would paste it into a shell.
pub fn display_argv(argv: &[String]) -> String {
    shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" "))
}

/// Runs `argv` (no shell), waits at most `timeout`, and kills it if the wait is
/// abandoned (timeout or the caller's future dropped).
pub async fn run(argv: &[String], timeout: Duration) -> Result<Output, RunError> {
    run_with_env(argv, &[], timeout).await
}

/// [`run`] with extra environment variables.
#[allow(clippy::disallowed_methods)] // the one place allowed to spawn (clippy.toml)
pub async fn run_with_env(argv: &[String], env: &[(&str, String)], timeout: Duration) -> Result<Output, RunError> {
    let shown = display_argv(argv);
    let Some((program, args)) = argv.split_first() else {
        return Err(RunError::NotFound { program: String::new() });
    };
    tracing::debug!(argv = %shown, "running");
    let started = Instant::now();
    let child = Command::new(program)
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(timeout, child).await {
        Err(_) => return Err(RunError::Timeout { argv: shown, secs: timeout.as_secs() }),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(RunError::NotFound { program: program.clone() });
        }
        Ok(Err(source)) => return Err(RunError::Spawn { argv: shown, source }),
        Ok(Ok(out)) => out,
    };
    let code = out.status.code().unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        128 + out.status.signal().unwrap_or(0)
    });
    let output = Output {
        code,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    };
    tracing::debug!(argv = %shown, code, ms = output.elapsed.as_millis() as u64, "finished");
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[tokio::test]
    async fn captures_output_and_code() {
        let out = run(&argv(&["sh", "-c", "echo out; echo err >&2; exit 3"]), Duration::from_secs(5)).await.unwrap();
        assert_eq!((out.code, out.stdout.as_str(), out.stderr.as_str()), (3, "out\n", "err\n"));
    }

    #[tokio::test]
    async fn kills_on_timeout() {
        let started = Instant::now();
        let err = run(&argv(&["sleep", "30"]), Duration::from_millis(200)).await.unwrap_err();
        assert!(matches!(err, RunError::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn reports_a_missing_program() {
        let err = run(&argv(&["neuroflow-no-such-program"]), Duration::from_secs(5)).await.unwrap_err();
        assert!(matches!(err, RunError::NotFound { .. }), "{err}");
    }

    #[test]
    fn argv_is_shown_quoted() {
        assert_eq!(display_argv(&argv(&["sbatch", "a b", "$(x)"])), "sbatch 'a b' '$(x)'");
    }
}
