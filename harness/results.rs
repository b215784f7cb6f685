//! What a run produced, whatever the target: how each case ended
//! ([`Verdict`]), everything it produced ([`CaseResult`]), what a client
//! case served and got ([`ClientRecord`]), the one rule that turns
//! mismatches and a case's `expect_fail` into a verdict, and the bounded
//! loop that runs cases concurrently.
//!
//! The server runner and the client runner both build on this module;
//! neither imports the other.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Semaphore;

use crate::case::{Case, RowInfo, Source, TargetKind};
use crate::check::{Expected, Observed, Returned};
use crate::envelope::Mismatch;

/// How a case ended.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum Verdict {
    /// Every check held.
    Passed,
    /// A check found a mismatch.
    Failed,
    /// Failed where `expect_fail` says it must (a known divergence).
    ExpectedFailure(String),
    /// Passed where `expect_fail` says it must fail: the divergence is
    /// fixed, so the expectation must go. Counts as a failure.
    UnexpectedPass(String),
    /// Not for this target.
    Skipped(String),
    /// A documented code this action cannot produce on a server.
    Unreachable(String),
}

impl Verdict {
    /// The one verdict rule: the checks' finding (`failed`) held against
    /// the case's `expect_fail` row for `target`, if it has one.
    pub(crate) fn of(case: &Case, target: TargetKind, failed: bool) -> Self {
        let divergence = case.spec.expect_fail.iter().find(|f| f.target == target);
        match (failed, divergence) {
            (false, None) => Self::Passed,
            (true, None) => Self::Failed,
            (true, Some(d)) => Self::ExpectedFailure(d.reason.clone()),
            (false, Some(d)) => Self::UnexpectedPass(d.reason.clone()),
        }
    }

    /// Whether the run fails because of this case.
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Failed | Self::UnexpectedPass(_))
    }

    /// Whether the case ran (it was neither skipped nor unreachable).
    pub fn ran(&self) -> bool {
        !matches!(self, Self::Skipped(_) | Self::Unreachable(_))
    }

    /// The word a progress line shows.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "FAILED",
            Self::ExpectedFailure(_) => "failed as expected",
            Self::UnexpectedPass(_) => "FAILED (passes but is expected to fail)",
            Self::Skipped(_) => "skipped",
            Self::Unreachable(_) => "unreachable",
        }
    }
}

/// What a client case served, expected and got (for the reports).
#[derive(Clone, Debug, serde::Serialize)]
pub struct ClientRecord {
    /// Each answer the server had ready, in order.
    pub served: Vec<String>,
    /// What a correct client returns.
    pub expected: Option<Expected>,
    /// What the adapter returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returned: Option<Returned>,
    /// Why the adapter gave no readable answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter_failure: Option<String>,
    /// How many requests reached the server.
    pub requests: usize,
    /// The signed headers of each request (`v1` for signature v1).
    pub signed_headers: Vec<String>,
    /// What the client did that the cloud accepts but the report names
    /// (Host signed without its port, UNSIGNED-PAYLOAD).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
}

/// Everything a case produced.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CaseResult {
    /// The case's name, e.g. `delete_person::doc_example_2`.
    pub name: String,
    /// The file it came from, relative to the cases directory.
    pub file: String,
    /// The case's description.
    pub description: String,
    /// Where its expectation comes from.
    pub source: Source,
    /// How it ended (in JSON: `status` and `reason`).
    #[serde(flatten)]
    pub verdict: Verdict,
    /// Every mismatch the checks found, each naming its field.
    pub mismatches: Vec<Mismatch>,
    /// The RequestIds of its answers.
    pub request_ids: Vec<String>,
    /// What each step answered: `step[0]` → success or a code.
    pub observed: Vec<(String, Observed)>,
    /// The documentation findings the case records.
    pub findings: Vec<String>,
    /// For table rows: the documented code the row covers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<RowInfo>,
    /// Client targets: what was served, asked and returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientRecord>,
    /// Whether its exchanges are kept as a snapshot.
    #[serde(skip)]
    pub snapshot: bool,
    /// The normalized exchanges of the steps (for snapshots).
    #[serde(skip)]
    pub exchanges: Vec<Value>,
    /// How long it took.
    #[serde(serialize_with = "millis")]
    pub elapsed: Duration,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

impl CaseResult {
    /// A passing result for `case`, before anything has run.
    pub(crate) fn new(case: &Case) -> Self {
        Self {
            name: case.name.clone(),
            file: case.file.display().to_string(),
            description: case.spec.description.clone(),
            source: case.spec.source.clone(),
            verdict: Verdict::Passed,
            mismatches: Vec::new(),
            request_ids: Vec::new(),
            observed: Vec::new(),
            findings: case.spec.findings.clone(),
            row: case.row.clone(),
            client: None,
            snapshot: case.spec.snapshot,
            exchanges: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }

    /// Ends a case that ran on `target`: its verdict by the one rule, and
    /// the time since `started`.
    pub(crate) fn conclude(mut self, case: &Case, target: TargetKind, started: Instant) -> Self {
        self.verdict = Verdict::of(case, target, !self.mismatches.is_empty());
        self.elapsed = started.elapsed();
        self
    }

    /// The mismatches, one per line, each naming its field.
    pub fn failure_text(&self) -> String {
        let mut text = String::new();
        if let Verdict::UnexpectedPass(reason) = &self.verdict {
            text.push_str(&format!(
                "expected to fail on this target ({reason}), but it passes: remove its expect_fail\n"
            ));
        }
        for m in &self.mismatches {
            text.push_str(&format!("  {m}\n"));
        }
        text
    }
}

/// Runs `run` on every case, at most `concurrency` at a time, reporting
/// each result to `progress` as it comes; the results keep the cases' order.
pub(crate) async fn run_bounded<F, Fut>(
    cases: Vec<Case>,
    concurrency: usize,
    progress: impl Fn(&CaseResult) + Send + Sync + 'static,
    run: F,
) -> Vec<CaseResult>
where
    F: Fn(usize, Case) -> Fut,
    Fut: std::future::Future<Output = CaseResult> + Send + 'static,
{
    let progress = Arc::new(progress);
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let total = cases.len();
    let mut results: Vec<Option<CaseResult>> = (0..total).map(|_| None).collect();
    let mut keep = |joined: Result<(usize, CaseResult), tokio::task::JoinError>| {
        let (index, result) = joined.expect("a case task panicked");
        results[index] = Some(result);
    };
    // A case is spawned once a slot is free, and an ended one is collected
    // before the next starts: at most `concurrency` case futures live at
    // once, so their memory is reused rather than mapped afresh.
    for (index, case) in cases.into_iter().enumerate() {
        let permit = Arc::clone(&permits)
            .acquire_owned()
            .await
            .expect("never closed");
        while let Some(joined) = tasks.try_join_next() {
            keep(joined);
        }
        let progress = Arc::clone(&progress);
        let work = run(index, case);
        tasks.spawn(async move {
            let _permit = permit;
            let result = work.await;
            progress(&result);
            (index, result)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        keep(joined);
    }
    results
        .into_iter()
        .map(|r| r.expect("every case ran"))
        .collect()
}
