use clap::Parser as _;
use neuroflow::cli::{self, Cli, LogFormat};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // `neuroflow runs list | head -1` ends quietly, as other Unix tools do, instead of
    // panicking on a closed pipe.
    sigpipe::reset();
    // Scripts, logs and work files are not world-writable (nor world-readable): the
    // umask reaches every file neuroflow writes and, through sbatch, the job's logs.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o027));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // A usage error (unknown subcommand or flag) needs a person: exit 1, never
            // the transient 2 that clap uses, so a typo in a crontab does not look
            // like a passing outage. --help and --version exit 0.
            let _ = e.print();
            return ExitCode::from(u8::from(e.use_stderr()));
        }
    };
    init_tracing(cli.log_format, cli.verbose);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::from(2);
        }
    };
    // SIGINT/SIGTERM: finish the current step, record the tick, exit 2.
    runtime.spawn(neuroflow::workflow::stop::listen());
    match runtime.block_on(cli::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let class = e.exit_class();
            tracing::error!(exit = class as u8, "{e}");
            ExitCode::from(class as u8)
        }
    }
}

fn init_tracing(format: LogFormat, verbose: u8) {
    let default = match verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.with_target(false).init(),
    }
}
