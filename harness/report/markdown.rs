//! The Markdown conformance matrix: per action, every documented code
//! (exercised? passed? observed?), the common codes seen, the documentation
//! findings and the failures; for a client target, the client matrix.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::Report;
use crate::api::Catalog;
use crate::case::Trigger;
use crate::check::Returned;
use crate::results::{CaseResult, Verdict};

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// How much of the API a run exercised: actions and (action, documented
/// code) pairs with a table row that ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Coverage {
    /// Actions with at least one exercised pair.
    pub(crate) actions_exercised: usize,
    /// Every action of the API (the generated catalog: 35 for 2020-03-03).
    pub(crate) actions: usize,
    /// Documented (action, code) pairs whose row ran.
    pub(crate) pairs_exercised: usize,
    /// Every documented (action, code) pair.
    pub(crate) pairs: usize,
}

impl Coverage {
    /// The matrix's first line.
    pub(crate) fn line(&self) -> String {
        format!(
            "{} of {} actions, {} of {} action–code pairs exercised",
            self.actions_exercised, self.actions, self.pairs_exercised, self.pairs
        )
    }
}

/// Whether a result's row was sent (not skipped, not unreachable).
fn ran(r: &CaseResult) -> bool {
    matches!(
        r.verdict,
        Verdict::Passed
            | Verdict::Failed
            | Verdict::ExpectedFailure(_)
            | Verdict::UnexpectedPass(_)
    )
}

/// The coverage of `report`: a pair counts once, however many rows ran it,
/// and only when the code is documented for the action.
pub(crate) fn coverage(report: &Report) -> Coverage {
    let catalog = Catalog::get();
    let exercised: BTreeSet<(&str, &str)> = report
        .results
        .iter()
        .filter(|r| ran(r))
        .filter_map(|r| r.row.as_ref())
        .filter(|row| {
            catalog
                .action(&row.action)
                .is_some_and(|a| a.documented_codes.contains(&row.code))
        })
        .map(|row| (row.action.as_str(), row.code.as_str()))
        .collect();
    let actions: BTreeSet<&str> = exercised.iter().map(|(a, _)| *a).collect();
    Coverage {
        actions_exercised: actions.len(),
        actions: crate::api::spec::Spec::get().actions.len(),
        pairs_exercised: exercised.len(),
        pairs: catalog
            .actions()
            .iter()
            .map(|a| a.documented_codes.len())
            .sum(),
    }
}

/// Every action of the API in catalog order, then those only the generated
/// part knows (no documented codes yet).
fn all_actions() -> Vec<&'static str> {
    let catalog = Catalog::get();
    let mut names: Vec<&str> = catalog.actions().iter().map(|a| a.name.as_str()).collect();
    for a in &crate::api::spec::Spec::get().actions {
        if !names.contains(&a.name.as_str()) {
            names.push(a.name.as_str());
        }
    }
    names
}

/// The Markdown conformance matrix: first the coverage line, then per
/// action of the API every documented code (exercised? passed?
/// observed?), then the common codes seen, then the documentation findings.
pub(crate) fn markdown(report: &Report) -> String {
    if report.target.starts_with("client:") {
        return client_matrix(report);
    }
    let catalog = Catalog::get();
    let c = report.counts();
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", coverage(report).line());
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
    let mut actions = all_actions();
    for r in &report.results {
        if let Some(row) = &r.row
            && !actions.contains(&row.action.as_str())
        {
            actions.push(row.action.as_str());
        }
    }
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
        if documented.is_empty() && rows.is_empty() {
            let _ = writeln!(out, "## {action}: no documented codes in the catalog yet\n");
            continue;
        }
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
                    let ran = ran(r);
                    let observed = r
                        .observed
                        .iter()
                        .map(|(_, o)| o.to_string())
                        .collect::<Vec<_>>()
                        .join(", ");
                    let passed = match &r.verdict {
                        Verdict::Passed => "yes".to_string(),
                        Verdict::ExpectedFailure(_) => "no (expected)".to_string(),
                        s if ran => mark(!s.is_failure()).to_string(),
                        Verdict::Skipped(why) => format!("skipped: {why}"),
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
        .filter(|r| r.verdict.is_failure())
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
pub(crate) fn client_matrix(report: &Report) -> String {
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
            (Some(Returned::Ok(_)), _) => "success".to_string(),
            (Some(Returned::Error(e)), _) => format!(
                "error `{}`{}",
                e.code,
                e.kind
                    .map(|k| format!(" ({})", k.as_str()))
                    .unwrap_or_default()
            ),
            (None, Some(failure)) => format!("adapter failure: {failure}"),
            (None, None) => "-".into(),
        };
        let verdict = match &r.verdict {
            Verdict::Passed => "pass".to_string(),
            Verdict::ExpectedFailure(why) => format!("known divergence: {why}"),
            Verdict::UnexpectedPass(why) => {
                format!("FAIL: passes, but is a known divergence ({why}); remove the expect_fail")
            }
            Verdict::Failed => format!(
                "FAIL: {}",
                r.mismatches
                    .iter()
                    .map(|m| m.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Verdict::Skipped(why) | Verdict::Unreachable(why) => why.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{ErrorKind, Expected, ReturnedError};
    use crate::report::fixture;
    use crate::results::ClientRecord;

    /// The rows of the first table under the heading that starts with
    /// `heading`, each split into its cells (`\|` stays inside a cell).
    fn rows(md: &str, heading: &str) -> Vec<Vec<String>> {
        let section = md
            .split("\n## ")
            .find(|s| s.starts_with(heading))
            .unwrap_or_else(|| panic!("no section {heading:?} in\n{md}"));
        section
            .lines()
            .filter(|l| l.starts_with('|'))
            .skip(2) // the header and the |---| line
            .map(|line| {
                let mut cells = Vec::new();
                let mut cell = String::new();
                let mut escaped = false;
                for c in line.trim().trim_matches('|').chars() {
                    match c {
                        '|' if !escaped => cells.push(std::mem::take(&mut cell).trim().to_string()),
                        _ => cell.push(c),
                    }
                    escaped = c == '\\';
                }
                cells.push(cell.trim().to_string());
                cells
            })
            .collect()
    }

    fn row<'r>(rows: &'r [Vec<String>], code: &str) -> &'r [String] {
        rows.iter()
            .find(|r| r[1] == format!("`{code}`"))
            .unwrap_or_else(|| panic!("no row for {code}: {rows:?}"))
    }

    #[test]
    fn the_matrix_has_a_row_per_documented_code_and_per_case_row() {
        let md = markdown(&fixture::report());
        assert!(
            md.contains("Target: **emulator** (http://127.0.0.1:1). 7 cases: 2 passed, 2 failed, 1 failed as expected, 1 skipped, 1 unreachable."),
            "{md}"
        );
        let documented = &Catalog::get()
            .action("DeletePerson")
            .expect("DeletePerson is in the catalog")
            .documented_codes;
        assert!(md.contains(&format!(
            "## DeletePerson: {} documented codes",
            documented.len()
        )));
        let table = rows(&md, "DeletePerson:");
        let extra = [
            "InvalidParameterValue.PersonIdNotExist",
            "FailedOperation.RequestTimeout",
            "InternalError",
        ]
        .iter()
        .filter(|c| !documented.iter().any(|d| d == *c))
        .count();
        assert_eq!(table.len(), documented.len() + extra);
        for (i, r) in table.iter().enumerate() {
            assert_eq!(r.len(), 7, "{r:?}");
            assert_eq!(r[0], (i + 1).to_string());
        }
        let failed = row(&table, "InvalidParameterValue.PersonIdNotExist");
        assert_eq!(failed[2..6], ["input", "yes", "no", "InternalError"]);
        let fault = row(&table, "FailedOperation.RequestTimeout");
        assert_eq!(
            fault[2..6],
            ["fault", "yes", "yes", "FailedOperation.RequestTimeout"]
        );
        let unreachable = row(&table, "InternalError");
        assert_eq!(unreachable[2..6], ["unreachable", "no", "-", "-"]);
        assert_eq!(
            unreachable[6].starts_with("NOT DOCUMENTED for DeletePerson"),
            !documented.iter().any(|d| d == "InternalError")
        );
        let missing = documented
            .iter()
            .find(|c| {
                table
                    .iter()
                    .filter(|r| r[1] == format!("`{c}`"))
                    .all(|r| r[3] == "no")
            })
            .expect("a documented code without a case row");
        assert_eq!(
            row(&table, missing)[2..],
            ["-", "no", "-", "-", "no row in the case table"]
        );

        let common = rows(&md, "Common codes observed");
        assert_eq!(
            common,
            [vec![
                "`InternalError`".to_string(),
                "delete_person::error_codes::InvalidParameterValue.PersonIdNotExist".to_string()
            ]]
        );
        assert!(
            md.contains("- the example's RequestId is not a UUID (delete_person::doc_example_2)")
        );
        let failures = md.split("## Failures").nth(1).expect("a failures section");
        assert!(failures.contains("- `broken/file.toml`: unknown field `sucess` at line 6"));
        assert!(
            failures.contains(
                "- `delete_person::error_codes::InvalidParameterValue.PersonIdNotExist`:"
            )
        );
        assert!(failures.contains("- `delete_person::fixed`:"));
    }

    fn pairs() -> usize {
        Catalog::get()
            .actions()
            .iter()
            .map(|a| a.documented_codes.len())
            .sum()
    }

    /// The first line counts the actions and documented pairs whose rows
    /// ran: a failed row counts, an unreachable or skipped one does not, a
    /// pair run twice counts once, a code the action does not document never.
    #[test]
    fn the_first_line_counts_exercised_actions_and_pairs() {
        let mut report = fixture::report();
        let md = markdown(&report);
        let actions = crate::api::spec::Spec::get().actions.len();
        assert_eq!(actions, 35);
        let first = |md: &str| md.lines().next().unwrap_or_default().to_string();
        assert_eq!(
            first(&md),
            format!(
                "1 of 35 actions, 2 of {} action–code pairs exercised",
                pairs()
            )
        );
        let mut other = fixture::row(
            "InvalidParameterValue.GroupIdNotExist",
            Trigger::Input,
            Verdict::Passed,
            None,
        );
        other.row.as_mut().unwrap().action = "GetGroupInfo".into();
        let mut again = fixture::row(
            "FailedOperation.RequestTimeout",
            Trigger::Fault,
            Verdict::Passed,
            None,
        );
        again.name.push_str("_again");
        let mut undocumented = fixture::row(
            "FailedOperation.AcrossVersionsError",
            Trigger::Input,
            Verdict::Passed,
            None,
        );
        undocumented.name.push_str("_x");
        let skipped = fixture::row(
            "InvalidParameterValue.PersonIdTooLong",
            Trigger::Input,
            Verdict::Skipped("not here".into()),
            None,
        );
        report.results.extend([other, again, undocumented, skipped]);
        let md = markdown(&report);
        assert_eq!(
            first(&md),
            format!(
                "2 of 35 actions, 3 of {} action–code pairs exercised",
                pairs()
            )
        );
        assert_eq!(
            coverage(&report),
            Coverage {
                actions_exercised: 2,
                actions: 35,
                pairs_exercised: 3,
                pairs: pairs()
            }
        );
    }

    /// Every action of the API has a section, with or without rows.
    #[test]
    fn every_action_has_a_section() {
        let md = markdown(&fixture::report());
        for action in all_actions() {
            assert!(
                md.contains(&format!("\n## {action}: ")),
                "no section for {action}"
            );
        }
        assert_eq!(all_actions().len(), 35);
        let info = rows(&md, "GetGroupInfo:");
        assert!(info.iter().all(|r| r[3] == "no"), "{info:?}");
    }

    #[test]
    fn the_client_matrix_has_a_row_per_client_case() {
        let mut report = fixture::report();
        report.target = "client:rust".into();
        report.load_errors.clear();
        let record = |returned, failure: Option<&str>| ClientRecord {
            served: vec![
                "HTTP 500, application/json, error InternalError".into(),
                "HTTP 200 | ok".into(),
            ],
            expected: Some(Expected::Error {
                code: Some("InternalError".into()),
                message: None,
                request_id: None,
                kind: ErrorKind::Api,
            }),
            returned,
            adapter_failure: failure.map(str::to_string),
            requests: 2,
            signed_headers: vec!["content-type;host".into(), "v1".into()],
        };
        let mut passed = fixture::result("client::http_500", Verdict::Passed);
        passed.client = Some(record(
            Some(Returned::Error(ReturnedError {
                code: "InternalError".into(),
                message: None,
                request_id: None,
                kind: Some(ErrorKind::Api),
            })),
            None,
        ));
        let mut crashed = fixture::result("client::crash", Verdict::Failed);
        crashed.mismatches.push(crate::envelope::Mismatch::new(
            "adapter",
            "one JSON answer",
            "exit 3",
        ));
        crashed.client = Some(record(None, Some("exit 3")));
        let mut known = fixture::result(
            "client::known",
            Verdict::ExpectedFailure("the SDK retries".into()),
        );
        known.client = Some(record(Some(Returned::Ok(serde_json::Map::new())), None));
        // a case that did not run on a client has no record and no row
        report.results = vec![
            passed,
            crashed,
            fixture::result("client::not", Verdict::Skipped("makes 2 calls".into())),
            known,
        ];

        let md = markdown(&report);
        assert!(md.starts_with("# IAI client conformance matrix"), "{md}");
        assert!(md.contains("Client: **client:rust**. 4 cases: 1 passed, 1 failed, 1 known divergences, 1 not for clients."));
        let table: Vec<Vec<String>> = md
            .lines()
            .filter(|l| l.starts_with('|'))
            .skip(2)
            .map(|l| {
                l.trim_matches('|')
                    .split(" | ")
                    .map(|c| c.trim().to_string())
                    .collect()
            })
            .collect();
        assert_eq!(table.len(), 3, "{table:?}");
        assert_eq!(table[0][0..2], ["1", "`client::http_500`"]);
        assert_eq!(
            table[0][2],
            "HTTP 500, application/json, error InternalError → HTTP 200 \\| ok"
        );
        assert_eq!(
            table[0][3..],
            [
                "error InternalError (api)",
                "error `InternalError` (api)",
                "2 (content-type;host, v1)",
                "pass"
            ]
        );
        assert_eq!(table[1][4], "adapter failure: exit 3");
        assert!(
            table[1][6].starts_with("FAIL: adapter: expected one JSON answer"),
            "{:?}",
            table[1]
        );
        assert_eq!(
            table[2][4..],
            [
                "success",
                "2 (content-type;host, v1)",
                "known divergence: the SDK retries"
            ]
        );
    }
}
