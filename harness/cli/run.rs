//! `iai-conformance run`: run the cases against a target and report.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::ValueEnum;

use iai_conformance::case;
use iai_conformance::client_target::{Adapter, ClientRunner};
use iai_conformance::report::{self, Report};
use iai_conformance::run::{Runner, Session, Target};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Human,
    Json,
    Junit,
    Markdown,
}

#[derive(clap::Args)]
pub(crate) struct RunArgs {
    /// `emulator` (in-process) or a URL; a URL takes its credentials from
    /// TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY,
    /// TENCENTCLOUD_SESSION_TOKEN (optional) and TENCENTCLOUD_REGION.
    /// `client:rust`, `client:python-sdk` or `client:command:<cmd>` test a
    /// client library against the harness playing the server.
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
    let adapter = Adapter::from_spec(&args.target)
        .transpose()
        .context("--target (or IAI_TARGET)")?;
    let target = match adapter {
        Some(_) => Target::Emulator, // unused: the harness plays the server
        None => Target::from_spec(&args.target, |k| std::env::var(k).ok())
            .context("--target (or IAI_TARGET)")?,
    };
    let dir = cases_dir(args.cases)?;
    let found = case::discover(&dir).map_err(|e| anyhow::anyhow!("{e}"))?;
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
    let (report, floor) = runtime.block_on(async {
        if let Some(adapter) = adapter {
            return anyhow::Ok((
                run_client(adapter, cases, load_errors, args.concurrency, human).await,
                None,
            ));
        }
        let session = Session::start(&target).await?;
        let floor = if session.kind().is_emulator() {
            Some(session.round_trip(64).await)
        } else {
            None
        };
        let runner = Arc::new(Runner::new(session));
        let started = Instant::now();
        let results = runner
            .run_all(cases, args.concurrency, move |r| {
                if human {
                    println!("{}", report::progress_line(r));
                } else if r.status.is_failure() {
                    eprintln!("{}", report::progress_line(r));
                }
            })
            .await;
        let wall = started.elapsed();
        let runner = Arc::into_inner(runner).expect("every case task has ended");
        let session = runner.into_session();
        let report = Report {
            target: session.kind().as_str().to_string(),
            url: session.url().to_string(),
            results,
            load_errors,
            wall,
        };
        session.shutdown().await;
        anyhow::Ok((report, floor))
    })?;
    let text = match args.format {
        Format::Human => report::human(&report),
        Format::Json => report::json(&report),
        Format::Junit => report::junit(&report),
        Format::Markdown => report::markdown(&report),
    };
    match &args.out {
        Some(path) => std::fs::write(path, &text)
            .with_context(|| format!("--out {}: cannot write the report", path.display()))?,
        None => print!("{text}"),
    }
    if let Some(floor) = floor {
        let ran = report
            .results
            .iter()
            .filter(|r| {
                !matches!(
                    r.status,
                    iai_conformance::run::Status::Skipped(_)
                        | iai_conformance::run::Status::Unreachable(_)
                )
            })
            .count();
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

/// A client target: the harness serves each case's answer and judges the client.
async fn run_client(
    adapter: Adapter,
    cases: Vec<case::Case>,
    load_errors: Vec<case::LoadError>,
    concurrency: usize,
    human: bool,
) -> Report {
    let target = adapter.name();
    let runner = Arc::new(ClientRunner::new(adapter));
    let started = Instant::now();
    let results = runner
        .run_all(cases, concurrency, move |r| {
            if human {
                println!("{}", report::progress_line(r));
            } else if r.status.is_failure() {
                eprintln!("{}", report::progress_line(r));
            }
        })
        .await;
    Report {
        target,
        url: "harness as the server, 127.0.0.1".into(),
        results,
        load_errors,
        wall: started.elapsed(),
    }
}
