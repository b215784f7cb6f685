//! The suite's power, proven: the emulator made wrong in one realistic way
//! at a time (a quirk) must turn at least one named case red. A quirk that
//! survives is a rule the suite claims and does not check.

use std::path::PathBuf;
use std::sync::Arc;

use iai_conformance::emulator::{Config, Emulator, Quirk};
use iai_conformance::{Case, LiveOptions, Run, Target, discover};

/// Each quirk, and one case that must fail when it is in force (others may
/// fail too).
const KILLERS: &[(&str, &str)] = &[
    ("request-id-bare-hex", "delete_person::doc_example_1"),
    ("error-without-message", "delete_person::doc_example_2"),
    ("content-type-charset", "delete_person::doc_example_1"),
    ("error-status-400", "delete_person::doc_example_2"),
    (
        "window-600s",
        "delete_person::signature::tc3_post_json::ct_host::past_301s",
    ),
    (
        "window-240s",
        "delete_person::signature::tc3_post_json::ct_host::past_299s",
    ),
    (
        "window-299s",
        "delete_person::signature::tc3_post_json::ct_host::pinned_past_300s",
    ),
    (
        "window-301s",
        "delete_person::signature::tc3_post_json::ct_host::pinned_future_301s",
    ),
    (
        "unsigned-payload-hashed",
        "delete_person::signature::tc3_post_json::ct_host::unsigned_payload_body_changed",
    ),
    (
        "size-limits-off-by-one",
        "delete_person::protocol::json_body_of_exactly_10_mb",
    ),
    (
        "credential-scope-unchecked",
        "delete_person::signature::tc3_post_json::ct_host::scope_date_not_the_timestamp_s",
    ),
    (
        "sorted-query",
        "delete_person::protocol::get_query_in_its_own_order",
    ),
    (
        "validates-before-auth",
        "delete_person::person_id::authentication_comes_before_validation",
    ),
    (
        "action-case-insensitive",
        "delete_person::protocol::action_names_are_case_sensitive",
    ),
    (
        "unicode-person-id",
        "delete_person::person_id::han_characters_are_illegal",
    ),
    (
        "person-id-65-bytes",
        "delete_person::person_id::exactly_65_bytes_is_too_long",
    ),
    (
        "delete-is-noop",
        "delete_person::lifecycle_second_delete_fails",
    ),
    (
        "delete-from-group-is-noop",
        "library::delete_person_from_group_leaves_the_other_groups",
    ),
    (
        "delete-group-takes-members",
        "library::delete_group_removes_the_group_and_its_only_persons",
    ),
    (
        "delete-face-is-noop",
        "search::lifecycle_counts_follow_every_write",
    ),
    (
        "integers-as-strings",
        "delete_person::lifecycle_removes_from_all_groups",
    ),
    (
        "undocumented-missing-person-code",
        "delete_person::doc_example_2",
    ),
];

fn cases() -> Vec<Case> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases");
    let found = discover(&dir).expect("the cases load");
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    found.cases
}

/// The names of the cases that fail against an emulator with `quirks`.
async fn failures(quirks: Vec<Quirk>) -> Vec<String> {
    let config = Config {
        quirks,
        ..Config::default()
    };
    let emulator = Emulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("the emulator starts");
    // Through its URL, as any server: it proves it is the emulator, so
    // faults can be injected, but its answers are judged like any other.
    let target = Target::Url {
        url: emulator.url().to_string(),
        credentials: emulator.credentials().clone(),
        region: None,
        live: false,
    };
    let run = Run::start(&target, &LiveOptions::default())
        .await
        .expect("connects");
    let results = Arc::new(run).run_all(cases(), 16, |_| {}).await;
    emulator.shutdown().await;
    results
        .into_iter()
        .filter(|r| r.verdict.is_failure())
        .map(|r| r.name)
        .collect()
}

#[test]
fn every_quirk_has_a_killer() {
    for (_, name, _) in Quirk::ALL {
        assert!(
            KILLERS.iter().any(|(q, _)| q == name),
            "quirk {name} has no case named to kill it"
        );
    }
    assert_eq!(KILLERS.len(), Quirk::ALL.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correct_emulator_fails_no_case_through_its_url() {
    let failed = failures(Vec::new()).await;
    assert!(failed.is_empty(), "{failed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_seeded_defect_turns_its_named_case_red() {
    let mut survivors = Vec::new();
    for (name, killer) in KILLERS {
        let quirk = Quirk::parse(name).unwrap();
        let failed = failures(vec![quirk]).await;
        if !failed.iter().any(|f| f == killer) {
            survivors.push(format!(
                "{name}: {killer} passed (failed: {})",
                if failed.is_empty() {
                    "none".to_string()
                } else {
                    failed.join(", ")
                }
            ));
        }
    }
    assert!(
        survivors.is_empty(),
        "quirks the suite did not catch:\n{}",
        survivors.join("\n")
    );
    // The README states the score; keep it true.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let n = KILLERS.len();
    let claim = format!("catches {n} of {n} seeded defects");
    assert!(readme.contains(&claim), "README.md must say {claim:?}");
}
