//! Every conformance case as its own test, found at run time in `cases/`.
//!
//! `cargo test --test cases` runs them against the target named by
//! `IAI_TARGET` (default: the embedded emulator). A case file that does not
//! load is a failing test named after the file. Each passing case's
//! normalized exchanges are an insta snapshot in `snapshots/`.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use libtest_mimic::{Arguments, Completion, Failed, Trial};

use iai_conformance::case::{self, Case};
use iai_conformance::live;
use iai_conformance::run::{Runner, Session, Status, Target, TargetError};

struct Harness {
    runtime: tokio::runtime::Runtime,
    runner: Result<Arc<Runner>, String>,
    /// `IAI_TARGET=live` without credentials: every case is skipped with this.
    skip: Option<String>,
}

static HARNESS_STARTED: OnceLock<Harness> = OnceLock::new();

/// The runtime and the connected target, shared by every test of the process.
fn harness() -> &'static Harness {
    HARNESS_STARTED.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let spec = std::env::var("IAI_TARGET").unwrap_or_default();
        let env = |k: &str| std::env::var(k).ok();
        let target = Target::from_spec(&spec, env);
        if let Err(e @ TargetError::NoCredentials(_)) = &target {
            eprintln!("{e}");
            return Harness {
                runtime,
                runner: Err(e.to_string()),
                skip: Some(e.to_string()),
            };
        }
        let runner = target
            .map_err(|e| format!("IAI_TARGET: {e}"))
            .and_then(|target| {
                runtime
                    .block_on(Session::start(&target))
                    .map_err(|e| e.to_string())
            })
            .and_then(|session| {
                let options = live::Options::from_env(env)?;
                Runner::with_options(session, &options).map_err(|e| e.to_string())
            })
            .map(Arc::new);
        Harness {
            runtime,
            runner,
            skip: None,
        }
    })
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(index: usize, case: Case) -> Result<Completion, Failed> {
    let h = harness();
    if let Some(why) = &h.skip {
        return Ok(Completion::ignored_with(why));
    }
    let runner = h.runner.as_ref().map_err(|e| Failed::from(e.as_str()))?;
    let result = h.runtime.block_on(runner.run_case(index, &case));
    match &result.status {
        Status::Skipped(why) | Status::Unreachable(why) => {
            return Ok(Completion::ignored_with(why));
        }
        Status::Failed | Status::UnexpectedPass(_) => {
            return Err(format!(
                "{} ({}; {})\n{}",
                result.description,
                result.file,
                result.source.reference,
                result.failure_text()
            )
            .into());
        }
        Status::ExpectedFailure(_) => return Ok(Completion::Completed),
        Status::Passed => {}
    }
    if result.snapshot {
        let kind = runner.session().kind();
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(root().join("snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.set_description(format!(
            "{} ({})",
            result.description, result.source.reference
        ));
        if !kind.is_emulator() {
            // A live service answers in its own words: its own snapshots.
            settings.set_snapshot_suffix(kind.as_str());
        }
        let name = result.name.replace("::", "__");
        let exchanges = result.exchanges.clone();
        settings.bind(|| insta::assert_json_snapshot!(name, exchanges));
    }
    Ok(Completion::Completed)
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    match case::discover(&root().join("cases")) {
        Err(e) => {
            let message = e.to_string();
            trials.push(Trial::test(e.name.clone(), move || Err(message.into())));
        }
        Ok(found) => {
            for error in found.errors {
                let message = error.to_string();
                trials.push(Trial::test(error.name.clone(), move || Err(message.into())));
            }
            for (index, case) in found.cases.into_iter().enumerate() {
                let name = case.name.clone();
                trials.push(Trial::ignorable_test(name, move || run(index, case)));
            }
        }
    }
    let conclusion = libtest_mimic::run(&args, trials);
    // A live run deletes everything it created, pass or fail.
    if let Some(h) = HARNESS_STARTED.get()
        && let Ok(runner) = &h.runner
    {
        let left = h.runtime.block_on(runner.cleanup());
        for (entry, why) in &left {
            eprintln!("cleanup: {:?} {} not deleted: {why}", entry.kind, entry.id);
        }
    }
    conclusion.exit();
}
