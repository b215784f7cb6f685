//! The human format: one progress line per case as it ends, then a
//! summary with every failure and the counts.

use std::fmt::Write as _;

use super::Report;
use crate::results::{CaseResult, Verdict};

impl CaseResult {
    /// One progress line for the human format: the verdict and the name,
    /// and under a failure its mismatches.
    pub fn progress_line(&self) -> String {
        progress_line(self)
    }
}

/// One progress line for the human format.
pub(crate) fn progress_line(result: &CaseResult) -> String {
    let mut line = format!("{:<24} {}", result.verdict.label(), result.name);
    if result.verdict.is_failure() {
        line.push('\n');
        line.push_str(result.failure_text().trim_end_matches('\n'));
    }
    line
}

/// The human report: broken files, each failure with its mismatches, the
/// skipped cases grouped by their reason, then one summary line. With
/// `verbose`, first a line for every case (passed, failed as expected with
/// the reason, unreachable with the reason, ...).
pub(crate) fn human(report: &Report, verbose: bool) -> String {
    let mut out = String::new();
    if verbose {
        for r in &report.results {
            let _ = write!(out, "{:<24} {}", r.verdict.label(), r.name);
            match &r.verdict {
                Verdict::ExpectedFailure(why) | Verdict::Unreachable(why) => {
                    let _ = write!(out, ": {why}");
                }
                _ => {}
            }
            out.push('\n');
        }
    }
    for e in &report.load_errors {
        let _ = writeln!(out, "BROKEN FILE {}: {}", e.file.display(), e.message);
    }
    let failures: Vec<&CaseResult> = report
        .results
        .iter()
        .filter(|r| r.verdict.is_failure())
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "\nfailures:");
        for r in &failures {
            let _ = writeln!(
                out,
                "{} {}  ({}; {})",
                r.verdict.label(),
                r.name,
                r.file,
                r.source.reference
            );
            out.push_str(&r.failure_text());
        }
    }
    // Skipped cases by reason, in the order the reasons first appear.
    let mut skipped: Vec<(&str, Vec<&str>)> = Vec::new();
    for r in &report.results {
        if let Verdict::Skipped(why) = &r.verdict {
            match skipped.iter_mut().find(|(w, _)| *w == why.as_str()) {
                Some((_, names)) => names.push(&r.name),
                None => skipped.push((why, vec![&r.name])),
            }
        }
    }
    if !skipped.is_empty() {
        let _ = writeln!(out, "\nskipped:");
        for (why, names) in &skipped {
            let _ = writeln!(out, "  {} ({}): {}", why, names.len(), names.join(", "));
        }
    }
    let c = report.counts();
    // The matrix's first line, then the summary last.
    let _ = write!(out, "\n{}", super::markdown::coverage(report).line());
    let _ = writeln!(
        out,
        "\n{} cases against {} ({}): {} passed, {} failed, {} failed as expected, {} skipped, {} unreachable, {} broken files; {:.0} ms",
        c.total,
        report.target,
        report.url,
        c.passed,
        c.failed,
        c.expected_failures,
        c.skipped,
        c.unreachable,
        c.load_errors,
        report.wall.as_secs_f64() * 1000.0
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn a_progress_line_shows_the_verdict_and_a_failure_its_mismatches() {
        let report = fixture::report();
        let line = progress_line(&report.results[0]);
        assert_eq!(
            line,
            format!("{:<24} delete_person::doc_example_2", "passed")
        );
        let failed = progress_line(&report.results[1]);
        let mut lines = failed.lines();
        assert!(lines.next().unwrap().starts_with("FAILED "));
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with("  step[0] DeletePerson: Response.Error.Code: expected")
        );
        assert!(lines.next().is_none());
    }

    #[test]
    fn the_summary_lists_broken_files_failures_and_counts() {
        let text = human(&fixture::report(), false);
        assert!(
            text.starts_with("BROKEN FILE broken/file.toml: unknown field `sucess` at line 6\n")
        );
        let failures = text.split("\nfailures:\n").nth(1).expect("a failures list");
        assert!(failures.contains(
            "FAILED delete_person::error_codes::InvalidParameterValue.PersonIdNotExist  (delete_person/error_codes/InvalidParameterValue.PersonIdNotExist.toml;"
        ));
        assert!(failures.contains("delete_person::fixed  ("));
        assert!(!failures.contains("delete_person::expected"));
        assert!(text.contains(
            "7 cases against emulator (http://127.0.0.1:1): 2 passed, 2 failed, 1 failed as expected, 1 skipped, 1 unreachable, 1 broken files; 120 ms\n"
        ), "{text}");
        let lines: Vec<&str> = text.trim_end().lines().collect();
        let coverage = lines[lines.len() - 2];
        assert!(
            coverage.starts_with("1 of 35 actions, 2 of ")
                && coverage.ends_with(" action–code pairs exercised"),
            "{text}"
        );
    }
}
