//! `iai-conformance run`: run the cases against a target and report.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::ValueEnum;

use iai_conformance::{
    Entry, Guard, Limits, LiveOptions, Run, Target, TargetError, discover, read_face_image,
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
    /// The cases directory [default: ./cases, else the crate's cases/].
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
    /// How many cases run at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
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
        })
    }
}

/// `./cases`, else the crate's own `cases/`.
fn cases_dir(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = given {
        if !dir.is_dir() {
            bail!(
                "--cases {}: not a directory; point it at a folder of case files such as cases/",
                dir.display()
            );
        }
        return Ok(dir);
    }
    let local = PathBuf::from("cases");
    if local.is_dir() {
        return Ok(local);
    }
    let bundled = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases");
    if bundled.is_dir() {
        return Ok(bundled);
    }
    bail!("no cases/ folder here; pass --cases DIR")
}

pub(crate) fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let options = args.live.options()?;
    let target = match Target::from_spec(&args.target, |k| std::env::var(k).ok()) {
        Err(e @ TargetError::NoCredentials(_)) if options.replay.is_none() => {
            eprintln!("{e}");
            return Ok(ExitCode::SUCCESS);
        }
        other => other.context("--target (or IAI_TARGET)")?,
    };
    let dir = cases_dir(args.cases)?;
    let found = discover(&dir).map_err(|e| anyhow::anyhow!("{e}"))?;
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
            dir.display()
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let human = args.format == Format::Human && args.out.is_none();
    let report = runtime.block_on(async {
        let run = Arc::new(Run::start(&target, &options).await?);
        let floor = run.round_trip(64).await;
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
            async move {
                run.run_all(cases, args.concurrency, move |r| {
                    if human {
                        println!("{}", r.progress_line());
                    } else if r.verdict.is_failure() {
                        eprintln!("{}", r.progress_line());
                    }
                })
                .await
            }
        });
        // The ledger is emptied however the run ends: done, failed,
        // panicked, or stopped by Ctrl-C / SIGTERM.
        let ended = tokio::select! {
            joined = &mut task => Some(joined),
            () = stop_signal() => None,
        };
        if ended.is_none() {
            task.abort();
            let _ = (&mut task).await;
            eprintln!("interrupted: deleting what this run created");
        }
        let left = run.cleanup().await;
        if let Some(guard) = run.guard() {
            report_cleanup(guard, &left);
        }
        let results = match ended {
            None => return anyhow::Ok(Err(ExitCode::from(130))),
            Some(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Some(Err(e)) => bail!("the run ended abnormally: {e}"),
            Some(Ok(results)) => results,
        };
        let report = run.report(results, load_errors, started.elapsed());
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
        Format::Human => report.human(),
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
        eprintln!(
            "benchmark: {} cases ({} ran) in {:.1} ms wall; floor {:.1} ms ({} ran x {:.0} us per loopback round trip, median of 64)",
            report.results.len(),
            ran,
            report.wall.as_secs_f64() * 1000.0,
            floor.as_secs_f64() * 1000.0 * ran as f64,
            ran,
            floor.as_secs_f64() * 1e6
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

/// Ctrl-C or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
