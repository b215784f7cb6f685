//! Reports of a run, one file per format: human progress and summary
//! ([`human`]), JSON ([`json`]), JUnit XML ([`junit`]), and the Markdown
//! conformance matrix ([`markdown`]; for a client target, the client
//! matrix).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::case::LoadError;
use crate::results::{CaseResult, Verdict};

mod human;
mod json;
mod junit;
mod markdown;
pub(crate) mod progress;

/// A finished run.
#[derive(Debug)]
pub struct Report {
    /// `emulator`, `serve` or `live`.
    pub target: String,
    /// The target's URL.
    pub url: String,
    /// Every case's result, in the cases' order.
    pub results: Vec<CaseResult>,
    /// Files that did not load; each is a failure.
    pub load_errors: Vec<LoadError>,
    /// The run's wall time.
    pub wall: Duration,
}

/// Counts by outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Cases, broken files not included.
    pub total: usize,
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed, unexpected passes included.
    pub failed: usize,
    /// Cases that failed as `expect_fail` says.
    pub expected_failures: usize,
    /// Cases not for this target.
    pub skipped: usize,
    /// Documented codes no request can reach.
    pub unreachable: usize,
    /// Case files that did not load.
    pub load_errors: usize,
}

impl Report {
    /// The counts by verdict.
    pub fn counts(&self) -> Counts {
        let mut c = Counts {
            total: self.results.len(),
            load_errors: self.load_errors.len(),
            ..Counts::default()
        };
        for r in &self.results {
            match &r.verdict {
                Verdict::Passed => c.passed += 1,
                Verdict::Failed | Verdict::UnexpectedPass(_) => c.failed += 1,
                Verdict::ExpectedFailure(_) => c.expected_failures += 1,
                Verdict::Skipped(_) => c.skipped += 1,
                Verdict::Unreachable(_) => c.unreachable += 1,
            }
        }
        c
    }

    /// Whether the run passed: no failing case and no broken file.
    pub fn passed(&self) -> bool {
        let c = self.counts();
        c.failed == 0 && c.load_errors == 0
    }

    /// The human report: broken files, failures with their mismatches,
    /// skipped cases by reason, one summary line; with `verbose`, first a
    /// line for every case.
    pub fn human(&self, verbose: bool) -> String {
        human::human(self, verbose)
    }

    /// JSON: per case its source, verdict, RequestIds and mismatches.
    pub fn json(&self) -> String {
        json::json(self)
    }

    /// JUnit XML: a testcase per case, with its source, RequestIds and mismatches.
    pub fn junit(&self) -> String {
        junit::junit(self)
    }

    /// The Markdown conformance matrix (for a client target, the client
    /// matrix).
    pub fn markdown(&self) -> String {
        markdown::markdown(self)
    }

    /// Every documentation finding the cases record, with the cases that record it.
    pub fn findings(&self) -> BTreeMap<&str, Vec<&str>> {
        let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for r in &self.results {
            for f in &r.findings {
                out.entry(f.as_str()).or_default().push(r.name.as_str());
            }
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod fixture {
    //! A small finished run with one case of every verdict, for the tests
    //! of every format.

    use std::path::PathBuf;
    use std::time::Duration;

    use super::Report;
    use crate::case::{LoadError, RowInfo, Source, SourceKind, Trigger};
    use crate::check::Observed;
    use crate::envelope::Mismatch;
    use crate::results::{CaseResult, Verdict};

    /// A result of `name` (`folder::file` or `folder::table::row`).
    pub(crate) fn result(name: &str, verdict: Verdict) -> CaseResult {
        CaseResult {
            name: name.into(),
            file: format!("{}.toml", name.replace("::", "/")),
            description: format!("the case {name}"),
            source: Source {
                kind: SourceKind::Finding,
                reference: "DeletePerson.txt, <Example> & \"more\"".into(),
            },
            verdict,
            mismatches: Vec::new(),
            request_ids: vec!["8f7e0a52-0000-4000-8000-000000000001".into()],
            observed: Vec::new(),
            findings: Vec::new(),
            row: None,
            client: None,
            snapshot: false,
            exchanges: Vec::new(),
            elapsed: Duration::from_millis(3),
        }
    }

    /// A table row's result for `code` of DeletePerson.
    pub(crate) fn row(
        code: &str,
        trigger: Trigger,
        verdict: Verdict,
        seen: Option<&str>,
    ) -> CaseResult {
        let mut r = result(&format!("delete_person::error_codes::{code}"), verdict);
        r.row = Some(RowInfo {
            action: "DeletePerson".into(),
            code: code.into(),
            trigger,
            reason: format!("how {code} is reached"),
        });
        if let Some(seen) = seen {
            r.observed
                .push(("step[0] DeletePerson".into(), Observed::Error(seen.into())));
        }
        r
    }

    /// One case of each verdict, a failing row, and a broken file.
    pub(crate) fn report() -> Report {
        let mut failed = row(
            "InvalidParameterValue.PersonIdNotExist",
            Trigger::Input,
            Verdict::Failed,
            Some("InternalError"),
        );
        failed.mismatches.push(Mismatch::new(
            "step[0] DeletePerson: Response.Error.Code",
            "InvalidParameterValue.PersonIdNotExist",
            "error InternalError (\"a <b> & c\")",
        ));
        let mut passed = result("delete_person::doc_example_2", Verdict::Passed);
        passed
            .findings
            .push("the example's RequestId is not a UUID".into());
        passed
            .observed
            .push(("step[0] DeletePerson".into(), Observed::Success));
        Report {
            target: "emulator".into(),
            url: "http://127.0.0.1:1".into(),
            results: vec![
                passed,
                failed,
                row(
                    "FailedOperation.RequestTimeout",
                    Trigger::Fault,
                    Verdict::Passed,
                    Some("FailedOperation.RequestTimeout"),
                ),
                row(
                    "InternalError",
                    Trigger::Unreachable,
                    Verdict::Unreachable("no input reaches it".into()),
                    None,
                ),
                result(
                    "delete_person::expected",
                    Verdict::ExpectedFailure("a known divergence".into()),
                ),
                result(
                    "delete_person::fixed",
                    Verdict::UnexpectedPass("a fixed divergence".into()),
                ),
                result(
                    "common::skipped",
                    Verdict::Skipped("does not apply to a live target".into()),
                ),
            ],
            load_errors: vec![LoadError {
                name: "broken::file".into(),
                file: PathBuf::from("broken/file.toml"),
                message: "unknown field `sucess` at line 6".into(),
            }],
            wall: Duration::from_millis(120),
        }
    }
}
