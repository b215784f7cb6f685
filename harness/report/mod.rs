//! Reports of a run: human progress and summary, JSON, JUnit XML, and the
//! Markdown conformance matrix.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::Duration;

use serde_json::json;

pub mod progress;

use crate::api::Catalog;
use crate::case::{LoadError, Trigger};
use crate::run::{CaseResult, Status};

/// A finished run.
#[derive(Debug)]
pub struct Report {
    /// `emulator`, `serve` or `live`.
    pub target: String,
    pub url: String,
    pub results: Vec<CaseResult>,
    /// Files that did not load; each is a failure.
    pub load_errors: Vec<LoadError>,
    pub wall: Duration,
}

/// Counts by outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub expected_failures: usize,
    pub skipped: usize,
    pub unreachable: usize,
    pub load_errors: usize,
}

impl Report {
    pub fn counts(&self) -> Counts {
        let mut c = Counts {
            total: self.results.len(),
            load_errors: self.load_errors.len(),
            ..Counts::default()
        };
        for r in &self.results {
            match &r.status {
                Status::Passed => c.passed += 1,
                Status::Failed | Status::UnexpectedPass(_) => c.failed += 1,
                Status::ExpectedFailure(_) => c.expected_failures += 1,
                Status::Skipped(_) => c.skipped += 1,
                Status::Unreachable(_) => c.unreachable += 1,
            }
        }
        c
    }

    /// Whether the run passed: no failing case and no broken file.
    pub fn passed(&self) -> bool {
        let c = self.counts();
        c.failed == 0 && c.load_errors == 0
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

/// One progress line for the human format.
pub fn progress_line(result: &CaseResult) -> String {
    let mut line = format!("{:<24} {}", result.status.label(), result.name);
    if result.status.is_failure() {
        line.push('\n');
        line.push_str(result.failure_text().trim_end_matches('\n'));
    }
    line
}

/// The human report: broken files, each failure with its mismatches, the
/// skipped cases grouped by their reason, then one summary line. With
/// `verbose`, first a line for every case (passed, failed as expected with
/// the reason, unreachable with the reason, ...).
pub fn human(report: &Report, verbose: bool) -> String {
    let mut out = String::new();
    if verbose {
        for r in &report.results {
            let _ = write!(out, "{:<24} {}", r.status.label(), r.name);
            match &r.status {
                Status::ExpectedFailure(why) | Status::Unreachable(why) => {
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
        .filter(|r| r.status.is_failure())
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "\nfailures:");
        for r in &failures {
            let _ = writeln!(
                out,
                "{} {}  ({}; {})",
                r.status.label(),
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
        if let Status::Skipped(why) = &r.status {
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

/// JSON: per case its source, status, RequestIds and mismatches.
pub fn json(report: &Report) -> String {
    let value = json!({
        "target": report.target,
        "url": report.url,
        "wall_ms": report.wall.as_secs_f64() * 1000.0,
        "counts": report.counts(),
        "load_errors": report.load_errors.iter().map(|e| json!({
            "name": e.name, "file": e.file.display().to_string(), "message": e.message,
        })).collect::<Vec<_>>(),
        "cases": report.results,
        "findings": report.findings(),
    });
    serde_json::to_string_pretty(&value).expect("reports serialize")
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JUnit XML: a testcase per case, with its source, RequestIds and mismatches.
pub fn junit(report: &Report) -> String {
    let c = report.counts();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites><testsuite name=\"iai-conformance ({})\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        xml(&report.target),
        c.total + c.load_errors,
        c.failed,
        c.load_errors,
        c.skipped + c.unreachable + c.expected_failures,
        report.wall.as_secs_f64()
    );
    for e in &report.load_errors {
        let _ = writeln!(
            out,
            "  <testcase classname=\"{}\" name=\"{}\"><error message=\"the case file does not load\">{}</error></testcase>",
            xml(&e.file.display().to_string()),
            xml(&e.name),
            xml(&e.message)
        );
    }
    for r in &report.results {
        let (class, name) = r.name.rsplit_once("::").unwrap_or(("", &r.name));
        let _ = writeln!(
            out,
            "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\">",
            xml(&class.replace("::", ".")),
            xml(name),
            r.elapsed.as_secs_f64()
        );
        let _ = writeln!(out, "    <properties>");
        let _ = writeln!(
            out,
            "      <property name=\"source\" value=\"{}\"/>",
            xml(&r.source.reference)
        );
        for id in &r.request_ids {
            let _ = writeln!(
                out,
                "      <property name=\"request_id\" value=\"{}\"/>",
                xml(id)
            );
        }
        let _ = writeln!(out, "    </properties>");
        match &r.status {
            Status::Failed | Status::UnexpectedPass(_) => {
                let _ = writeln!(
                    out,
                    "    <failure message=\"{} mismatch(es)\">{}</failure>",
                    r.mismatches.len(),
                    xml(&r.failure_text())
                );
            }
            Status::Skipped(why) | Status::Unreachable(why) | Status::ExpectedFailure(why) => {
                let _ = writeln!(out, "    <skipped message=\"{}\"/>", xml(why));
            }
            Status::Passed => {}
        }
        let _ = writeln!(out, "  </testcase>");
    }
    out.push_str("</testsuite></testsuites>\n");
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown conformance matrix: per action, every documented code
/// (exercised? passed? observed?), then the common codes seen, then the
/// documentation findings.
pub fn markdown(report: &Report) -> String {
    if report.target.starts_with("client:") {
        return client_matrix(report);
    }
    let catalog = Catalog::get();
    let c = report.counts();
    let mut out = String::new();
    let _ = writeln!(out, "# IAI conformance matrix\n");
    let _ = writeln!(
        out,
        "Target: **{}** ({}). {} cases: {} passed, {} failed, {} failed as expected, {} skipped, {} unreachable.\n",
        report.target,
        report.url,
        c.total,
        c.passed,
        c.failed,
        c.expected_failures,
        c.skipped,
        c.unreachable
    );
    // Which codes each case observed, by code.
    let mut seen_in: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in &report.results {
        for (_, observed) in &r.observed {
            if let Some(code) = observed.code() {
                seen_in.entry(code).or_default().insert(r.name.as_str());
            }
        }
    }
    let actions: BTreeSet<&str> = report
        .results
        .iter()
        .filter_map(|r| r.row.as_ref().map(|row| row.action.as_str()))
        .collect();
    for action in actions {
        let rows: Vec<&CaseResult> = report
            .results
            .iter()
            .filter(|r| r.row.as_ref().is_some_and(|row| row.action == action))
            .collect();
        let documented: Vec<String> = catalog
            .action(action)
            .map(|a| a.documented_codes.clone())
            .unwrap_or_default();
        let _ = writeln!(out, "## {action}: {} documented codes\n", documented.len());
        let _ = writeln!(
            out,
            "| # | Code | Trigger | Exercised | Passed | Observed | How / why not |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|");
        let mut codes: Vec<String> = documented.clone();
        for r in &rows {
            let code = &r.row.as_ref().expect("filtered").code;
            if !codes.contains(code) {
                codes.push(code.clone());
            }
        }
        for (i, code) in codes.iter().enumerate() {
            let row = rows
                .iter()
                .find(|r| r.row.as_ref().is_some_and(|row| &row.code == code));
            let mark = |b: bool| if b { "yes" } else { "no" };
            let (trigger, exercised, passed, observed, how) = match row {
                None => (
                    "-".to_string(),
                    "no".to_string(),
                    "-".to_string(),
                    "-".to_string(),
                    "no row in the case table".to_string(),
                ),
                Some(r) => {
                    let info = r.row.as_ref().expect("a row");
                    let trigger = match info.trigger {
                        Trigger::Input => "input",
                        Trigger::Fault => "fault",
                        Trigger::Unreachable => "unreachable",
                    };
                    let ran = matches!(
                        r.status,
                        Status::Passed
                            | Status::Failed
                            | Status::ExpectedFailure(_)
                            | Status::UnexpectedPass(_)
                    );
                    let observed = r
                        .observed
                        .iter()
                        .map(|(_, o)| o.to_string())
                        .collect::<Vec<_>>()
                        .join(", ");
                    let passed = match &r.status {
                        Status::Passed => "yes".to_string(),
                        Status::ExpectedFailure(_) => "no (expected)".to_string(),
                        s if ran => mark(!s.is_failure()).to_string(),
                        Status::Skipped(why) => format!("skipped: {why}"),
                        _ => "-".to_string(),
                    };
                    let mut how = info.reason.clone();
                    if !documented.contains(code) {
                        how = format!("NOT DOCUMENTED for {action}; {how}");
                    }
                    (
                        trigger.to_string(),
                        mark(ran).to_string(),
                        passed,
                        if observed.is_empty() {
                            "-".into()
                        } else {
                            observed
                        },
                        how,
                    )
                }
            };
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | {} | {} | {} |",
                i + 1,
                code,
                trigger,
                exercised,
                passed,
                cell(&observed),
                cell(&how)
            );
        }
        out.push('\n');
    }
    let common: Vec<_> = catalog
        .common_codes()
        .filter(|c| seen_in.contains_key(c.code.as_str()))
        .collect();
    if !common.is_empty() {
        let _ = writeln!(out, "## Common codes observed\n");
        let _ = writeln!(out, "| Code | Cases |");
        let _ = writeln!(out, "|---|---|");
        for code in common {
            let cases = &seen_in[code.code.as_str()];
            let _ = writeln!(
                out,
                "| `{}` | {} |",
                code.code,
                cell(&cases.iter().copied().collect::<Vec<_>>().join(", "))
            );
        }
        out.push('\n');
    }
    let findings = report.findings();
    let _ = writeln!(out, "## Documentation findings\n");
    if findings.is_empty() {
        let _ = writeln!(out, "None recorded.");
    }
    for (finding, cases) in findings {
        let _ = writeln!(out, "- {} ({})", cell(finding), cases.join(", "));
    }
    let failures: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.status.is_failure())
        .collect();
    if !failures.is_empty() || !report.load_errors.is_empty() {
        let _ = writeln!(out, "\n## Failures\n");
        for e in &report.load_errors {
            let _ = writeln!(out, "- `{}`: {}", e.file.display(), cell(&e.message));
        }
        for r in failures {
            let _ = writeln!(out, "- `{}`:", r.name);
            for m in &r.mismatches {
                let _ = writeln!(out, "  - {}", cell(&m.to_string()));
            }
        }
    }
    out
}

/// The client conformance matrix: per case, what was served, what a
/// correct client returns, what the client returned, and the verdict with
/// known divergences marked.
pub fn client_matrix(report: &Report) -> String {
    let c = report.counts();
    let mut out = String::new();
    let _ = writeln!(out, "# IAI client conformance matrix\n");
    let _ = writeln!(
        out,
        "Client: **{}**. {} cases: {} passed, {} failed, {} known divergences, {} not for clients.\n",
        report.target, c.total, c.passed, c.failed, c.expected_failures, c.skipped
    );
    let _ = writeln!(
        out,
        "| # | Case | Served | Correct client returns | Client returned | Requests | Verdict |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    let mut n = 0;
    for r in &report.results {
        let Some(record) = &r.client else { continue };
        n += 1;
        let returned = match (&record.returned, &record.adapter_failure) {
            (Some(crate::client_target::Returned::Ok(_)), _) => "success".to_string(),
            (Some(crate::client_target::Returned::Error(e)), _) => format!(
                "error `{}`{}",
                e.code,
                e.kind
                    .map(|k| format!(" ({})", k.as_str()))
                    .unwrap_or_default()
            ),
            (None, Some(failure)) => format!("adapter failure: {failure}"),
            (None, None) => "-".into(),
        };
        let verdict = match &r.status {
            Status::Passed => "pass".to_string(),
            Status::ExpectedFailure(why) => format!("known divergence: {why}"),
            Status::UnexpectedPass(why) => {
                format!("FAIL: passes, but is a known divergence ({why}); remove the expect_fail")
            }
            Status::Failed => format!(
                "FAIL: {}",
                r.mismatches
                    .iter()
                    .map(|m| m.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Status::Skipped(why) | Status::Unreachable(why) => why.clone(),
        };
        let _ = writeln!(
            out,
            "| {n} | `{}` | {} | {} | {} | {} ({}) | {} |",
            r.name,
            cell(&record.served.join(" → ")),
            cell(
                &record
                    .expected
                    .as_ref()
                    .map_or_else(|| "-".into(), ToString::to_string)
            ),
            cell(&returned),
            record.requests,
            cell(&record.signed_headers.join(", ")),
            cell(&verdict)
        );
    }
    for e in &report.load_errors {
        let _ = writeln!(
            out,
            "\n- BROKEN FILE `{}`: {}",
            e.file.display(),
            cell(&e.message)
        );
    }
    out
}
