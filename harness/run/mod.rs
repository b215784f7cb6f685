//! Running the cases: the library's one entry point, [`Run`], over the two
//! runners. A server target (the embedded emulator, `serve`, any URL,
//! live) is a [`Session`] driven by the [`Runner`]; a client target
//! (`client:<adapter>`) is the [`ClientRunner`], with the harness playing
//! the server. Both give [`CaseResult`]s by the same verdict rule.
//!
//! Inside: `target` (what the user names, and how a URL proves it is our
//! emulator), `session` (a connected server target), `runner` (cases as
//! calls, checked), `send` (how one call leaves), `tamper` and `normalize`
//! (what a snapshot keeps).

mod embedded;
pub(crate) mod normalize;
mod runner;
mod send;
mod session;
mod tamper;
mod target;

use std::sync::Arc;
use std::time::Duration;

pub(crate) use runner::Runner;
pub use session::Session;
pub use target::{LIVE_ENDPOINT, Target, TargetError};

use crate::case::{Case, LoadError, TargetKind};
use crate::client_target::ClientRunner;
use crate::live::{self, Entry, Guard};
use crate::report::Report;
use crate::results::CaseResult;

/// One run of cases against one target, whatever its kind: start it, run
/// cases (one at a time or all, concurrently), clean up, report, shut down.
///
/// ```
/// use std::sync::Arc;
/// use iai_conformance::{LiveOptions, Run, Target, Verdict, discover};
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
/// let cases: Vec<_> = discover(&dir)?
///     .cases
///     .into_iter()
///     .filter(|c| c.name.starts_with("delete_person::doc_example"))
///     .collect();
/// // the embedded emulator; `client:rust` would judge our own client instead
/// let target = Target::from_spec("emulator", |_| None)?;
/// let run = Arc::new(Run::start(&target, &LiveOptions::default()).await?);
/// let results = run.run_all(cases, 8, |_| {}).await;
/// assert!(results.iter().all(|r| r.verdict == Verdict::Passed));
/// let report = run.report(results, Vec::new(), std::time::Duration::ZERO);
/// assert!(report.passed());
/// Arc::into_inner(run).expect("no case is running").shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct Run {
    runner: Runners,
}

enum Runners {
    Server(Box<Runner>),
    Client(ClientRunner),
}

impl Run {
    /// Starts a run against `target`: connects to a server target (or, with
    /// `options.replay`, answers from a recording without the network), or
    /// prepares a client adapter. On a live target `options` set the live
    /// policy; `record` and `replay` apply to any server target.
    pub async fn start(target: &Target, options: &live::Options) -> Result<Self, TargetError> {
        let runner = match target {
            Target::Client(adapter) => Runners::Client(ClientRunner::new(adapter.clone())),
            server => {
                let session = if options.replay.is_some() {
                    Session::offline()
                } else {
                    Session::start(server).await?
                };
                Runners::Server(Box::new(
                    Runner::with_options(session, options).map_err(TargetError::Recording)?,
                ))
            }
        };
        Ok(Self { runner })
    }

    /// The kind of target, as `expect_fail` and `targets` name it.
    pub fn kind(&self) -> TargetKind {
        match &self.runner {
            Runners::Server(r) => r.session().kind(),
            Runners::Client(r) => r.kind(),
        }
    }

    /// The target as a report names it: `emulator`, `serve`, `live`, or
    /// the client adapter (`client:rust`, ...).
    pub fn name(&self) -> String {
        match &self.runner {
            Runners::Server(r) => r.session().kind().as_str().to_string(),
            Runners::Client(r) => r.adapter().name(),
        }
    }

    /// The target's URL (for a client target, where the harness serves).
    pub fn url(&self) -> String {
        match &self.runner {
            Runners::Server(r) => r.session().url().to_string(),
            Runners::Client(_) => "harness as the server, 127.0.0.1".into(),
        }
    }

    /// The run id (`<base36 seconds>-<random>`) of a server run; every ID
    /// it creates starts with `ct-<run id>-`.
    pub fn run_id(&self) -> Option<&str> {
        match &self.runner {
            Runners::Server(r) => Some(r.run_id()),
            Runners::Client(_) => None,
        }
    }

    /// The live guard, on a live target.
    pub fn guard(&self) -> Option<&Guard> {
        match &self.runner {
            Runners::Server(r) => r.guard(),
            Runners::Client(_) => None,
        }
    }

    /// `samples` sequential round trips of a read-only call, each timed:
    /// the floor one case costs. `None` for a live or a client target.
    pub async fn round_trips(&self, samples: usize) -> Option<Vec<Duration>> {
        match &self.runner {
            Runners::Server(r) => r.session().round_trips(samples).await,
            Runners::Client(_) => None,
        }
    }

    /// Runs one case; `index` makes its IDs unique in the run.
    pub async fn run_case(&self, index: usize, case: &Case) -> CaseResult {
        match &self.runner {
            Runners::Server(r) => r.run_case(index, case).await,
            Runners::Client(r) => r.run_case(index, case).await,
        }
    }

    /// Runs every case, at most `concurrency` at a time (fewer for a client
    /// adapter that starts a process per call); `progress` sees each result
    /// as it comes; the results keep the cases' order.
    pub async fn run_all(
        self: &Arc<Self>,
        cases: Vec<Case>,
        concurrency: usize,
        progress: impl Fn(&CaseResult) + Send + Sync + 'static,
    ) -> Vec<CaseResult> {
        let limit = match &self.runner {
            Runners::Client(r) => r.concurrency(concurrency),
            Runners::Server(_) => concurrency,
        };
        let run = Arc::clone(self);
        crate::results::run_bounded(cases, limit, progress, move |index, case| {
            let run = Arc::clone(&run);
            async move { run.run_case(index, &case).await }
        })
        .await
    }

    /// Deletes everything this run created (live targets; nothing to do
    /// elsewhere). Returns what is left, with the reason.
    pub async fn cleanup(&self) -> Vec<(Entry, String)> {
        match &self.runner {
            Runners::Server(r) => r.cleanup().await,
            Runners::Client(_) => Vec::new(),
        }
    }

    /// The report of `results` (and the files that did not load), taken
    /// `wall` long.
    pub fn report(
        &self,
        results: Vec<CaseResult>,
        load_errors: Vec<LoadError>,
        wall: Duration,
    ) -> Report {
        Report {
            target: self.name(),
            url: self.url(),
            results,
            load_errors,
            wall,
        }
    }

    /// Ends the run: stops the embedded emulator, if one was started.
    pub async fn shutdown(self) {
        if let Runners::Server(r) = self.runner {
            r.into_session().shutdown().await;
        }
    }
}
