//! The client target's power, proven: a small correct client
//! (`adapters/wrong_client.py`, the standard library only) passes every
//! case, and made wrong in one realistic way at a time it fails a named
//! case. A defect that passes is a rule the client checks only pretend to
//! have.

use std::process::Command;

use serde_json::Value;

/// Each defect, and one case that must fail when the client has it.
const KILLERS: &[(&str, &str)] = &[
    ("local-date", "delete_person::doc_example_1"),
    ("extra-param", "delete_person::doc_example_1"),
    ("drops-request-id", "delete_person::doc_example_2"),
    ("empty-message", "delete_person::doc_example_2"),
    ("integers-as-strings", "client::typed_success"),
    ("invents-a-code", "client::http_500_plain_text"),
    ("no-retry", "client::retry_then_success"),
    ("retries-everything", "client::no_retry_of_a_client_error"),
    (
        "retries-past-max",
        "client::retry_matrix::read_throttled_retries_on_persistent",
    ),
    (
        "retries-writes",
        "client::retry_matrix::write_html_502_retries_on",
    ),
    (
        "new-body-on-retry",
        "client::retry_matrix::read_throttled_retries_on",
    ),
];

/// Habits the cloud accepts: the case passes, and the client report names
/// the finding (a word of it here).
const FINDERS: &[(&str, &str, &str)] = &[
    (
        "host-without-port",
        "delete_person::doc_example_1",
        "signs Host without the port",
    ),
    (
        "unsigned-payload",
        "delete_person::doc_example_1",
        "UNSIGNED-PAYLOAD",
    ),
];

fn python() -> Option<&'static str> {
    Command::new("python3")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| "python3")
}

/// Every case's (name, status) with the wrong client given `args`, of the
/// cases whose name contains `filter`.
fn statuses(args: &str, filter: &str) -> Vec<(String, String)> {
    cases(args, filter)
        .into_iter()
        .map(|(name, status, _)| (name, status))
        .collect()
}

/// Every case's (name, status, client findings).
fn cases(args: &str, filter: &str) -> Vec<(String, String, Vec<String>)> {
    let adapter = concat!(env!("CARGO_MANIFEST_DIR"), "/adapters/wrong_client.py");
    let out = Command::new(env!("CARGO_BIN_EXE_iai-conformance"))
        .args(["run", "--format", "json", "--filter", filter, "--target"])
        .arg(format!("client:command:python3 {adapter} {args}"))
        .env_remove("IAI_TARGET")
        .output()
        .expect("the run runs");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap_or_default().to_string(),
                r["status"].as_str().unwrap_or_default().to_string(),
                r["client"]["findings"]
                    .as_array()
                    .map(|f| {
                        f.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn a_correct_small_client_passes_and_every_defect_fails_its_named_case() {
    if python().is_none() {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIP wrong_client::a_correct_small_client_passes_and_every_defect_fails_its_named_case: no python3 on PATH"
        );
        return;
    }
    let correct = cases("", "");
    let failed: Vec<_> = correct.iter().filter(|(_, s, _)| s == "failed").collect();
    assert!(failed.is_empty(), "the correct client fails {failed:?}");
    assert!(correct.iter().filter(|(_, s, _)| s == "passed").count() > 50);
    let found: Vec<_> = correct.iter().filter(|(_, _, f)| !f.is_empty()).collect();
    assert!(
        found.is_empty(),
        "the correct client has findings {found:?}"
    );

    let mut survivors = Vec::new();
    for (defect, killer) in KILLERS {
        // The killer alone: the correct client passed it above.
        let got = statuses(&format!("--defect {defect}"), killer);
        let status = got
            .iter()
            .find(|(name, _)| name == killer)
            .map_or("absent", |(_, s)| s.as_str());
        if status != "failed" {
            survivors.push(format!("{defect}: {killer} is {status}"));
        }
    }
    for (defect, case, finding) in FINDERS {
        let got = cases(&format!("--defect {defect}"), case);
        match got.iter().find(|(name, _, _)| name == case) {
            Some((_, status, findings))
                if status == "passed" && findings.iter().any(|f| f.contains(finding)) => {}
            other => survivors.push(format!(
                "{defect}: {case} must pass with a finding naming {finding:?}, got {other:?}"
            )),
        }
    }
    assert!(
        survivors.is_empty(),
        "defects the client suite did not catch:\n{}",
        survivors.join("\n")
    );
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let n = KILLERS.len();
    let claim = format!("catches {n} of {n} client defects");
    assert!(readme.contains(&claim), "README.md must say {claim:?}");
    let f = FINDERS.len();
    let claim = format!("names {f} of {f} accepted client habits");
    assert!(readme.contains(&claim), "README.md must say {claim:?}");
}
