//! `iai-conformance run`: run the cases against a target and report.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::ValueEnum;

use iai_conformance::{
    Discovered, Entry, Guard, Limits, LiveOptions, Run, Target, TargetError, bundled, discover,
    read_face_image,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Human,
    Json,
    Junit,
    Markdown,
}

#[derive(clap::Args)]
pub(crate) struct RunArgs {
    /// `emulator` (in-process), `live` (IAI_ENDPOINT, else
    /// https://iai.tencentcloudapi.com, under the live policy) or a URL; `live`
    /// and a URL take their credentials from TENCENTCLOUD_SECRET_ID,
    /// TENCENTCLOUD_SECRET_KEY, TENCENTCLOUD_SESSION_TOKEN (optional) and
    /// TENCENTCLOUD_REGION. `client:rust`, `client:python-sdk` or
    /// `client:command:<cmd>` test a client library against the harness
    /// playing the server.
    #[arg(long, env = "IAI_TARGET", default_value = "emulator")]
    target: String,
    /// A folder of your own case files (see cases/README.md) [default: the
    /// suite built into the binary].
    #[arg(long)]
    cases: Option<PathBuf>,
    /// Run only the cases whose name contains TEXT.
    #[arg(long)]
    filter: Option<String>,
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Write the report here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// How many cases run at once (at least 1).
    #[arg(long, default_value_t = 64, value_parser = at_least_one)]
    concurrency: usize,
    /// Also list every case as it ended, unreachable codes included.
    #[arg(long, short)]
    verbose: bool,
    /// Measure the loopback floor and print the run's time against it.
    #[arg(long)]
    bench: bool,
    #[command(flatten)]
    live: LiveArgs,
}

/// The flags of a run against a live account (README: "Running against
/// staging or production").
#[derive(clap::Args)]
pub(crate) struct LiveArgs {
    /// Live only: allow cases that create, modify and delete (only what
    /// the run itself creates, under its `ct-<run id>-` prefix).
    #[arg(long, env = "IAI_ALLOW_MUTATIONS")]
    allow_mutations: bool,
    /// Live only: a JPEG/PNG/BMP with one real face, for CreatePerson and CreateFace.
    #[arg(long, env = "IAI_FACE_IMAGE", value_name = "PATH")]
    face_image: Option<PathBuf>,
    /// Live only: requests per second, retries included.
    #[arg(long, value_name = "N", default_value_t = 5.0)]
    rate: f64,
    /// Live only: the most requests the run may send (cleanup is exempt).
    #[arg(long, value_name = "N", default_value_t = 2000)]
    budget: u64,
    /// Save every exchange, normalized and without secrets, one insta
    /// snapshot per case (a changed one as `.snap.new` for `cargo insta review`).
    #[arg(long, value_name = "DIR")]
    record: Option<PathBuf>,
    /// Answer every call from a recording instead of a target (offline).
    #[arg(long, value_name = "DIR", conflicts_with = "record")]
    replay: Option<PathBuf>,
}

impl LiveArgs {
    fn options(&self) -> anyhow::Result<LiveOptions> {
        if !(self.rate > 0.0 && self.rate.is_finite()) {
            bail!(
                "--rate {}: give a positive number of requests per second",
                self.rate
            );
        }
        let face_image = self
            .face_image
            .as_deref()
            .map(read_face_image)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--face-image (or IAI_FACE_IMAGE): {e}"))?;
        Ok(LiveOptions {
            allow_mutations: self.allow_mutations,
            face_image,
            limits: Limits {
                rate: self.rate,
                budget: self.budget,
                ..Limits::default()
            },
            ledger_dir: None,
            record: self.record.clone(),
            replay: self.replay.clone(),
            snapshots: false,
        })
    }
}

/// `--concurrency`: a whole number, 1 or more.
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("the minimum is 1 (one case at a time)".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{text:?} is not a whole number; give 1 or more")),
    }
}

/// `--out FILE` must be writable before anything is sent: a live run's
/// requests are spent by the time the report is written. The file is
/// created to prove it, and removed again if it did not exist.
fn check_out(path: &std::path::Path) -> anyhow::Result<()> {
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .with_context(|| format!("--out {}: cannot write the report there", path.display()))?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// The exit code of a run stopped by a signal: 128 + its number.
const SIGINT_EXIT: u8 = 130;
const SIGTERM_EXIT: u8 = 143;
/// Round trips timed for `--bench`, before the run and again after it.
const FLOOR_SAMPLES: usize = 64;

/// The cases of `--cases DIR`, else the suite built into the binary.
fn load_cases(given: Option<&PathBuf>) -> anyhow::Result<(Discovered, String)> {
    match given {
        Some(dir) => {
            if !dir.is_dir() {
                bail!(
                    "--cases {}: not a directory; point it at a folder of case files such as cases/",
                    dir.display()
                );
            }
            let found = discover(dir).map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok((found, dir.display().to_string()))
        }
        None => {
            let found = bundled().map_err(|e| anyhow::anyhow!("the built-in suite: {e}"))?;
            Ok((found, "the built-in suite".to_string()))
        }
    }
}

pub(crate) fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let options = args.live.options()?;
    if let Some(out) = &args.out {
        check_out(out)?;
    }
    let target = match Target::from_spec(&args.target, |k| std::env::var(k).ok()) {
        Err(e @ TargetError::NoCredentials(_)) if options.replay.is_none() => {
            eprintln!("{e}");
            return Ok(ExitCode::SUCCESS);
        }
        other => other.context("--target (or IAI_TARGET)")?,
    };
    let client = match &target {
        Target::Client(adapter) => {
            if let Some(note) = adapter.note() {
                eprintln!("{note}");
            }
            true
        }
        _ => false,
    };
    let (found, source) = load_cases(args.cases.as_ref())?;
    let mut cases = found.cases;
    let mut load_errors = found.errors;
    if let Some(filter) = &args.filter {
        cases.retain(|c| c.name.contains(filter.as_str()));
        load_errors.retain(|e| e.name.contains(filter.as_str()));
    }
    if cases.is_empty() && load_errors.is_empty() {
        bail!(
            "no case matches{} in {}; check --filter and --cases",
            args.filter
                .as_deref()
                .map(|f| format!(" {f:?}"))
                .unwrap_or_default(),
            source
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let human = args.format == Format::Human && args.out.is_none();
    // On standard error: a bar on a terminal, plain lines now and then
    // elsewhere; failures as they happen when the report goes elsewhere.
    let progress = Arc::new(iai_conformance::Progress::new(cases.len(), !human));
    let report = runtime.block_on(async {
        // From here on Ctrl-C and SIGTERM end the run with a word and cleanup.
        let stop = Stop::listen();
        let start = async {
            let run = Run::start(&target, &options).await?;
            let floor = if args.bench {
                run.round_trips(FLOOR_SAMPLES).await
            } else {
                None
            };
            anyhow::Ok((run, floor))
        };
        let (run, floor) = tokio::select! {
            started = start => started?,
            code = stop.stopped() => {
                eprintln!("interrupted while connecting to the target: no case ran");
                return anyhow::Ok(Err(ExitCode::from(code)));
            }
        };
        let run = Arc::new(run);
        if let (Some(guard), Some(run_id)) = (run.guard(), run.run_id()) {
            eprintln!(
                "live: run {run_id} creates only IDs under ct-{run_id}-; mutations {}; ledger {}",
                if guard.allows_mutations() {
                    "allowed"
                } else {
                    "not allowed (--allow-mutations)"
                },
                guard.ledger().path().display()
            );
        }
        let started = Instant::now();
        let mut task = tokio::spawn({
            let run = Arc::clone(&run);
            let progress = Arc::clone(&progress);
            async move {
                run.run_all(cases, args.concurrency, move |r| progress.case_done(r))
                    .await
            }
        });
        // The ledger is emptied however the run ends: done, failed,
        // panicked, or stopped by Ctrl-C / SIGTERM.
        let mut stopped_by = None;
        let ended = tokio::select! {
            joined = &mut task => Some(joined),
            code = stop.stopped() => {
                stopped_by = Some(code);
                None
            }
        };
        progress.finish();
        if ended.is_none() {
            task.abort();
            let _ = (&mut task).await;
            if client {
                eprintln!("interrupted: the client run stopped");
            } else {
                eprintln!("interrupted: deleting what this run created");
            }
        }
        let left = run.cleanup().await;
        if let Some(guard) = run.guard() {
            report_cleanup(guard, &left);
        }
        let results = match ended {
            None => {
                let code = stopped_by.unwrap_or(SIGINT_EXIT);
                return anyhow::Ok(Err(ExitCode::from(code)));
            }
            Some(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Some(Err(e)) => bail!("the run ended abnormally: {e}"),
            Some(Ok(results)) => results,
        };
        let report = run.report(results, load_errors, started.elapsed());
        // The floor is probed again once the run has ended, so that it
        // stands for the machine over the whole run, not its first moment.
        let floor = match floor {
            Some(mut samples) => {
                samples.extend(run.round_trips(FLOOR_SAMPLES).await.unwrap_or_default());
                samples.sort();
                Some(samples[samples.len() / 2])
            }
            None => None,
        };
        Arc::into_inner(run)
            .expect("every case task has ended")
            .shutdown()
            .await;
        anyhow::Ok(Ok((report, floor)))
    })?;
    let (report, floor) = match report {
        Ok(done) => done,
        Err(code) => return Ok(code),
    };
    let text = match args.format {
        Format::Human => report.human(args.verbose),
        Format::Json => report.json(),
        Format::Junit => report.junit(),
        Format::Markdown => report.markdown(),
    };
    match &args.out {
        Some(path) => std::fs::write(path, &text)
            .with_context(|| format!("--out {}: cannot write the report", path.display()))?,
        None => print!("{text}"),
    }
    if let Some(floor) = floor {
        let ran = report.results.iter().filter(|r| r.verdict.ran()).count();
        let per_case = floor.as_secs_f64() * 1000.0 * ran as f64;
        eprintln!(
            "benchmark: {} cases ({} ran) in {:.1} ms wall; floor {per_case:.1} ms ({} ran x {:.0} us per loopback round trip, median of {FLOOR_SAMPLES} before and {FLOOR_SAMPLES} after the run); the wall time is {:.2}x that",
            report.results.len(),
            ran,
            report.wall.as_secs_f64() * 1000.0,
            ran,
            floor.as_secs_f64() * 1e6,
            report.wall.as_secs_f64() * 1000.0 / per_case.max(f64::MIN_POSITIVE)
        );
        // Most cases make several calls (setup, steps, teardown): the
        // same floor per answered call, for comparison.
        let calls: usize = report.results.iter().map(|r| r.request_ids.len()).sum();
        let per_call = floor.as_secs_f64() * 1000.0 * calls as f64;
        eprintln!(
            "benchmark: {calls} answered setup and step calls x {:.0} us = {per_call:.1} ms; the wall time is {:.2}x that",
            floor.as_secs_f64() * 1e6,
            report.wall.as_secs_f64() * 1000.0 / per_call.max(f64::MIN_POSITIVE)
        );
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn report_cleanup(guard: &Guard, left: &[(Entry, String)]) {
    if left.is_empty() {
        return;
    }
    eprintln!(
        "cleanup: {} IDs could not be deleted; they stay in {} for `iai-conformance sweep`:",
        left.len(),
        guard.ledger().path().display()
    );
    for (entry, why) in left {
        eprintln!("  {:?} {}: {why}", entry.kind, entry.id);
    }
}

/// Ctrl-C or SIGTERM, listened for once for the whole run.
struct Stop(tokio::sync::watch::Receiver<Option<u8>>);

impl Stop {
    /// Installs the handlers now (so a signal from here on is never the
    /// default, silent kill) and watches for the first one.
    fn listen() -> Self {
        let (tx, rx) = tokio::sync::watch::channel(None);
        let first = stop_signal();
        tokio::spawn(async move {
            let _ = tx.send(Some(first.await));
        });
        Self(rx)
    }

    /// The exit code of the first signal (130 for SIGINT, 143 for SIGTERM).
    async fn stopped(&self) -> u8 {
        let mut rx = self.0.clone();
        match rx.wait_for(Option::is_some).await {
            Ok(code) => code.unwrap_or(SIGINT_EXIT),
            // the listener ended without a signal: never stop
            Err(_) => std::future::pending().await,
        }
    }
}

/// Registers for Ctrl-C and SIGTERM at once; the future gives the
/// conventional exit code of the first to arrive.
fn stop_signal() -> impl Future<Output = u8> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let int = signal(SignalKind::interrupt());
        let term = signal(SignalKind::terminate());
        async move {
            match (int, term) {
                (Ok(mut int), Ok(mut term)) => tokio::select! {
                    _ = int.recv() => SIGINT_EXIT,
                    _ = term.recv() => SIGTERM_EXIT,
                },
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                    SIGINT_EXIT
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async move {
            let _ = tokio::signal::ctrl_c().await;
            SIGINT_EXIT
        }
    }
}
