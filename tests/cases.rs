//! Every conformance case as its own test, found at run time in `cases/`.
//!
//! `cargo test --test cases` runs them against the target named by
//! `IAI_TARGET` (default: the embedded emulator), and against the client
//! adapters `rust` and `python-sdk` (`client_rust::...`,
//! `client_python_sdk::...`; the harness plays the server). With
//! `IAI_TARGET=client:<adapter>` only that client runs. A case file that
//! does not load is a failing test named after the file. Each passing
//! server case's normalized exchanges are an insta snapshot in `snapshots/`.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use libtest_mimic::{Arguments, Completion, Failed, Trial};

use iai_conformance::{
    Case, CaseResult, LiveOptions, Run, Target, TargetError, TargetKind, Verdict, discover,
    not_for_clients, python_sdk,
};

/// The runtime every test of the process shares.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

struct Harness {
    run: Result<Run, String>,
    /// `IAI_TARGET=live` without credentials: every case is skipped with this.
    skip: Option<String>,
}

static HARNESS_STARTED: OnceLock<Harness> = OnceLock::new();

/// The target `IAI_TARGET` names, started, shared by every server test.
fn harness() -> &'static Harness {
    HARNESS_STARTED.get_or_init(|| {
        let spec = std::env::var("IAI_TARGET").unwrap_or_default();
        let env = |k: &str| std::env::var(k).ok();
        let target = Target::from_spec(&spec, env);
        if let Err(e @ TargetError::NoCredentials(_)) = &target {
            eprintln!("{e}");
            return Harness {
                run: Err(e.to_string()),
                skip: Some(e.to_string()),
            };
        }
        let run = target
            .map_err(|e| format!("IAI_TARGET: {e}"))
            .and_then(|target| {
                let options = LiveOptions {
                    snapshots: true,
                    ..LiveOptions::from_env(env)?
                };
                runtime()
                    .block_on(Run::start(&target, &options))
                    .map_err(|e| e.to_string())
            });
        Harness { run, skip: None }
    })
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Turns a result into a test outcome; `Ok(true)` when it passed outright.
fn verdict(result: &CaseResult) -> Result<Option<Completion>, Failed> {
    match &result.verdict {
        Verdict::Skipped(why) | Verdict::Unreachable(why) => {
            Ok(Some(Completion::ignored_with(why)))
        }
        Verdict::Failed | Verdict::UnexpectedPass(_) => Err(format!(
            "{} ({}; {})\n{}",
            result.description,
            result.file,
            result.source.reference,
            result.failure_text()
        )
        .into()),
        Verdict::ExpectedFailure(_) => Ok(Some(Completion::Completed)),
        Verdict::Passed => Ok(None),
    }
}

fn run(index: usize, case: Case) -> Result<Completion, Failed> {
    let h = harness();
    if let Some(why) = &h.skip {
        return Ok(Completion::ignored_with(why));
    }
    let run = h.run.as_ref().map_err(|e| Failed::from(e.as_str()))?;
    let result = runtime().block_on(run.run_case(index, &case));
    if let Some(done) = verdict(&result)? {
        return Ok(done);
    }
    if result.snapshot {
        let kind = run.kind();
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

/// One client adapter's run, shared by its trials.
struct ClientHarness {
    /// `client_rust`, `client_python_sdk`, ...: the trials' name prefix.
    prefix: String,
    run: Result<Arc<Run>, String>,
}

/// The client adapters to run: the one `IAI_TARGET` names, or `rust` and
/// `python-sdk` beside a server target.
fn client_harnesses(spec: &str) -> Vec<ClientHarness> {
    let specs: Vec<&str> = if spec.trim().starts_with("client:") {
        vec![spec.trim()]
    } else {
        vec!["client:rust", "client:python-sdk"]
    };
    specs
        .into_iter()
        .map(|spec| {
            let target = Target::from_spec(spec, |_| None);
            let prefix = match &target {
                Ok(t) => client_kind(t).as_str(),
                Err(_) if spec == "client:python-sdk" => "client:python-sdk",
                Err(_) => "client:command",
            }
            .replace([':', '-'], "_");
            ClientHarness {
                prefix,
                run: target.map_err(|e| e.to_string()).and_then(|t| {
                    runtime()
                        .block_on(Run::start(&t, &LiveOptions::default()))
                        .map(Arc::new)
                        .map_err(|e| e.to_string())
                }),
            }
        })
        .collect()
}

/// The kind of a client target.
fn client_kind(target: &Target) -> TargetKind {
    match target {
        Target::Client(adapter) => adapter.kind(),
        _ => unreachable!("a client spec parses as a client target"),
    }
}

fn run_client(run: &Run, index: usize, case: &Case) -> Result<Completion, Failed> {
    let result = runtime().block_on(run.run_case(index, case));
    Ok(verdict(&result)?.unwrap_or(Completion::Completed))
}

/// The README's example adapter, run through `client:command:`, must pass
/// the document's examples and a few error codes.
fn readme_example(python: std::path::PathBuf, cases: Vec<Case>) -> Result<Completion, Failed> {
    let readme = std::fs::read_to_string(root().join("README.md")).map_err(|e| e.to_string())?;
    let section = readme
        .split("## Testing your own client")
        .nth(1)
        .ok_or("README.md has no section \"## Testing your own client\"")?;
    let code = section
        .split("```python\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .ok_or("the section has no ```python example adapter")?;
    let file = std::env::temp_dir().join(format!("iai-readme-adapter-{}.py", std::process::id()));
    std::fs::write(&file, code).map_err(|e| e.to_string())?;
    let target = Target::from_spec(
        &format!("client:command:{} {}", python.display(), file.display()),
        |_| None,
    )
    .map_err(|e| e.to_string())?;
    let run = runtime()
        .block_on(Run::start(&target, &LiveOptions::default()))
        .map_err(|e| e.to_string())?;
    let mut failures = String::new();
    let mut ran = 0;
    for (index, case) in cases.iter().enumerate() {
        let result = runtime().block_on(run.run_case(index, case));
        ran += 1;
        if result.verdict != Verdict::Passed {
            failures.push_str(&format!(
                "{}: {}\n{}",
                result.name,
                result.verdict.label(),
                result.failure_text()
            ));
        }
    }
    let _ = std::fs::remove_file(&file);
    if ran == 0 {
        return Err("no case for the README's example adapter".into());
    }
    if failures.is_empty() {
        Ok(Completion::Completed)
    } else {
        Err(failures.into())
    }
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    let spec = std::env::var("IAI_TARGET").unwrap_or_default();
    let clients = client_harnesses(&spec);
    let server = !spec.trim().starts_with("client:");
    match discover(&root().join("cases")) {
        Err(e) => {
            let message = e.to_string();
            trials.push(Trial::test(e.name.clone(), move || Err(message.into())));
        }
        Ok(found) => {
            for error in found.errors {
                let message = error.to_string();
                trials.push(Trial::test(error.name.clone(), move || Err(message.into())));
            }
            for client in clients {
                let run = match client.run {
                    Ok(run) => Some(run),
                    Err(why) => {
                        eprintln!("SKIP {}::* (marked ignored): {why}", client.prefix);
                        None
                    }
                };
                let kind = match (&run, client.prefix.as_str()) {
                    (Some(r), _) => r.kind(),
                    (None, "client_python_sdk") => TargetKind::ClientPythonSdk,
                    (None, _) => TargetKind::ClientCommand,
                };
                for (index, case) in found.cases.iter().enumerate() {
                    if not_for_clients(case, kind).is_some() {
                        continue;
                    }
                    let name = format!("{}::{}", client.prefix, case.name);
                    match &run {
                        Some(run) => {
                            let (run, case) = (Arc::clone(run), case.clone());
                            trials.push(Trial::ignorable_test(name, move || {
                                run_client(&run, index, &case)
                            }));
                        }
                        None => trials.push(Trial::test(name, || Ok(())).with_ignored_flag(true)),
                    }
                }
            }
            if server {
                let example: Vec<Case> = found
                    .cases
                    .iter()
                    .filter(|c| {
                        c.name.starts_with("delete_person::doc_example")
                            || c.name.starts_with("delete_person::error_codes::Auth")
                    })
                    .cloned()
                    .collect();
                let name = "client_command::readme_example_adapter".to_string();
                match python_sdk() {
                    Ok(found) => trials.push(Trial::ignorable_test(name, move || {
                        readme_example(found.python, example)
                    })),
                    Err(why) => {
                        eprintln!("SKIP {name} (marked ignored): {why}");
                        trials.push(Trial::test(name, || Ok(())).with_ignored_flag(true));
                    }
                }
                for (index, case) in found.cases.into_iter().enumerate() {
                    let name = case.name.clone();
                    trials.push(Trial::ignorable_test(name, move || run(index, case)));
                }
            }
        }
    }
    let conclusion = libtest_mimic::run(&args, trials);
    // A live run deletes everything it created, pass or fail.
    if let Some(h) = HARNESS_STARTED.get()
        && let Ok(run) = &h.run
    {
        let left = runtime().block_on(run.cleanup());
        for (entry, why) in &left {
            eprintln!("cleanup: {:?} {} not deleted: {why}", entry.kind, entry.id);
        }
    }
    conclusion.exit();
}
