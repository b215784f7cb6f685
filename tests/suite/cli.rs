//! The command as a user meets it: an installed binary in an empty folder,
//! the Python SDK found on PATH, and every bad flag refused with a message
//! and the documented exit code before anything is sent.

use std::io::Read as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{self, bin, text};

/// An empty folder under the target dir, away from the repository's cases/.
fn empty_dir(name: &str) -> PathBuf {
    common::scratch(&format!("cli-{name}"))
}

/// The binary, run from `dir` with none of the harness's variables set.
fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .env_remove("IAI_TARGET")
        .env_remove("IAI_PYTHON")
        .env_remove("IAI_ENDPOINT")
        .env_remove("IAI_ALLOW_MUTATIONS")
        .env_remove("IAI_FACE_IMAGE")
        .env_remove("CI");
    cmd
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_binary_runs_the_built_in_suite_from_an_empty_folder() {
    let dir = empty_dir("empty");
    let out = command(&dir, &["run", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let results = report["cases"].as_array().expect("cases");
    assert!(results.len() > 80, "{} results", results.len());
    // a user's own folder replaces it
    let own = dir.join("mine");
    std::fs::create_dir_all(&own).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("cases/delete_person/doc_example_1.toml"),
        own.join("first.toml"),
    )
    .unwrap();
    let out = command(&dir, &["run", "--cases", "mine", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["cases"].as_array().unwrap().len(), 1, "{report}");
}

#[test]
fn a_captured_value_reaches_a_later_call_and_a_missing_field_is_named() {
    let dir = empty_dir("capture");
    let own = dir.join("mine");
    std::fs::create_dir_all(&own).unwrap();
    // GroupNum is kept with its type: the second call expects the number.
    let case = |capture: &str| {
        format!(
            r#"
description = "a value of one answer reaches a later call"
source = {{ kind = "finding", ref = "cases/README.md, capture" }}
[[step]]
action = "GetGroupList"
expect = {{ success = true }}
capture = {{ n = "{capture}" }}
[[step]]
action = "GetGroupList"
expect = {{ success = true, values = {{ GroupNum = "{{{{capture:n}}}}" }} }}
"#
        )
    };
    std::fs::write(own.join("kept.toml"), case("GroupNum")).unwrap();
    std::fs::write(own.join("lacking.toml"), case("NoSuchField[0]")).unwrap();
    let out = command(&dir, &["run", "--cases", "mine", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let case = |name: &str| {
        report["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {report}"))
            .clone()
    };
    assert_eq!(case("kept")["status"], "passed", "{report}");
    let lacking = case("lacking");
    assert_eq!(lacking["status"], "failed", "{report}");
    assert!(
        lacking["mismatches"]
            .to_string()
            .contains("step[0] GetGroupList: Response.NoSuchField[0]"),
        "{lacking}"
    );
}

/// The JSON report's counts of a run.
fn counts(out: &Output) -> serde_json::Value {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("a JSON report ({e}): {}", text(out)));
    report["counts"].clone()
}

#[test]
fn the_built_in_suite_recorded_on_the_emulator_replays_green() {
    // Every answer comes back with the types it was recorded with (a
    // redacted timestamp is a number again, a long answer is whole), and a
    // case the live policy would refuse is skipped, not failed.
    let dir = empty_dir("replay");
    let recording = dir.join("recording");
    let recorded = command(&dir, &["run", "--record", "recording", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(recorded.status.code(), Some(0), "{}", text(&recorded));
    for extra in [&[][..], &["--allow-mutations"][..]] {
        let mut args = vec!["run", "--replay", "recording", "--format", "json"];
        args.extend_from_slice(extra);
        let out = command(&dir, &args).output().unwrap();
        let summary = counts(&out);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{extra:?}: {summary}\n{}",
            text(&out)
        );
        assert!(
            summary["passed"].as_u64() > Some(100),
            "{extra:?}: {summary}"
        );
    }
    // A recorded answer of the wrong type fails naming the field.
    let snap = recording.join("examples__get_group_info__cn_1.snap");
    let mut doctored = std::fs::read_to_string(&snap).unwrap();
    let field = "\"GroupName\": \"";
    let answer = doctored.rfind(field).expect("the answer's GroupName");
    doctored.replace_range(
        answer..answer + field.len(),
        "\"GroupName\": 7, \"Was\": \"",
    );
    std::fs::write(&snap, doctored).unwrap();
    let out = command(
        &dir,
        &[
            "run",
            "--replay",
            "recording",
            "--allow-mutations",
            "--filter",
            "examples::get_group_info::cn_1",
            "--format",
            "json",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mismatches = &report["cases"][0]["mismatches"];
    assert!(
        mismatches.as_array().unwrap().iter().any(|m| {
            m["field"] == "step[0] GetGroupInfo: Response.GroupName" && m["expected"] == "String"
        }),
        "{mismatches}"
    );
}

#[test]
fn concurrency_zero_is_refused() {
    let dir = empty_dir("conc");
    let out = command(&dir, &["run", "--concurrency", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("the minimum is 1"), "{}", text(&out));
}

/// A listener that counts connections without answering: a target that
/// shows whether anything was sent, and a start-up probe that hangs.
fn silent_target() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    (listener, url)
}

fn with_fake_credentials(cmd: &mut Command) -> &mut Command {
    cmd.env("TENCENTCLOUD_SECRET_ID", "AKIDcliSuiteFake")
        .env("TENCENTCLOUD_SECRET_KEY", "cli-suite-fake-key")
}

#[test]
fn an_unwritable_out_is_refused_before_anything_is_sent() {
    let dir = empty_dir("out");
    let (listener, url) = silent_target();
    listener.set_nonblocking(true).unwrap();
    let out = with_fake_credentials(&mut command(
        &dir,
        &[
            "run",
            "--target",
            &url,
            "--out",
            "no-such-folder/report.json",
        ],
    ))
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("--out no-such-folder/report.json"),
        "{}",
        text(&out)
    );
    assert!(
        listener.accept().is_err(),
        "the run connected to the target before refusing --out"
    );
    // a writable --out is left as it was when nothing was written
    assert!(!dir.join("no-such-folder").exists());
}

#[test]
fn a_client_command_that_does_not_exist_is_a_configuration_error() {
    let dir = empty_dir("cmd");
    let out = command(&dir, &["run", "--target", "client:command:/nonexistent"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("\"/nonexistent\" is not a command here"),
        "{}",
        text(&out)
    );
    assert!(out.stdout.is_empty(), "no case ran: {}", text(&out));
}

/// A signal while `run` waits on the start-up probe ends it with a message
/// and 128 + the signal's number.
fn signal_during_the_probe(signal: &str, code: i32) {
    let dir = empty_dir("probe");
    let (listener, url) = silent_target();
    let child = with_fake_credentials(&mut command(&dir, &["run", "--target", &url]))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // the probe has connected: the run is inside its start-up
    let (mut held, _) = listener.accept().unwrap();
    held.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let _ = held.read(&mut [0; 1024]);
    let started = Instant::now();
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the run waited for the probe's timeout"
    );
    assert_eq!(out.status.code(), Some(code), "{}", text(&out));
    assert!(
        stderr(&out).contains("interrupted while connecting to the target"),
        "{}",
        text(&out)
    );
}

#[test]
fn sigint_during_the_start_up_probe_ends_the_run_with_a_message() {
    signal_during_the_probe("INT", 130);
}

#[test]
fn sigterm_during_the_start_up_probe_exits_143() {
    signal_during_the_probe("TERM", 143);
}

/// A folder holding only `python3`, a wrapper around `python`.
fn path_with_python3(python: &Path) -> PathBuf {
    let dir = empty_dir("path");
    let wrapper = dir.join("python3");
    std::fs::write(
        &wrapper,
        format!("#!/bin/sh\nexec '{}' \"$@\"\n", python.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn the_python_sdk_on_path_alone_is_found_and_named() {
    let python = match iai_conformance::python_sdk() {
        Ok(found) => found.python,
        Err(why) => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIP cli::the_python_sdk_on_path_alone_is_found_and_named: {why}"
            );
            return;
        }
    };
    // the interpreter's own absolute path (a venv's python stays the venv's)
    let exe = Command::new(&python)
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .unwrap();
    let python = PathBuf::from(String::from_utf8(exe.stdout).unwrap().trim());
    let bin_dir = path_with_python3(&python);
    let dir = empty_dir("sdk-path");
    let out = command(
        &dir,
        &[
            "run",
            "--target",
            "client:python-sdk",
            "--filter",
            "doc_example",
        ],
    )
    .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stderr(&out).contains("client:python-sdk: using python3 (from python3 on PATH)"),
        "{}",
        text(&out)
    );
}

#[test]
fn without_the_python_sdk_the_refusal_names_no_build_folder() {
    // PATH holds a python3 that has no SDK (it fails every import)
    let bin_dir = empty_dir("nopy");
    let fake = bin_dir.join("python3");
    std::fs::write(&fake, "#!/bin/sh\nexit 1\n").unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = empty_dir("nosdk");
    let out = command(&dir, &["run", "--target", "client:python-sdk"])
        .env("PATH", &bin_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("python3 on PATH") && err.contains("./.venv-sdk/bin/python"),
        "{}",
        text(&out)
    );
    assert!(!err.contains(env!("CARGO_MANIFEST_DIR")), "{}", text(&out));
}

#[test]
fn the_daily_output_is_failures_skips_with_reasons_and_one_summary() {
    let dir = empty_dir("daily");
    let own = dir.join("mine");
    std::fs::create_dir_all(&own).unwrap();
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
    for (from, to) in [
        ("delete_person/doc_example_1.toml", "passes.toml"),
        ("delete_person/error_codes.toml", "error_codes.toml"),
        ("client/body_not_json.toml", "client_only.toml"),
    ] {
        std::fs::copy(cases.join(from), own.join(to)).unwrap();
    }
    // a case that must fail: the document's missing person, expecting success
    std::fs::write(
        own.join("fails.toml"),
        r#"description = "a deliberate failure"
source = { kind = "finding", ref = "tests/suite/cli.rs" }
[[step]]
action = "DeletePerson"
params = { PersonId = "{{run}}-3001" }
expect = { success = true }
"#,
    )
    .unwrap();
    let out = command(&dir, &["run", "--cases", "mine"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "failures:", "{stdout}");
    assert!(
        lines[1].starts_with("FAILED fails  (fails.toml;"),
        "{stdout}"
    );
    assert!(
        lines[2].contains("step[0] DeletePerson") && lines[2].contains("expected"),
        "the failure's mismatch follows it: {stdout}"
    );
    assert!(
        stdout.contains("\nskipped:\n  does not apply to the")
            && stdout.contains("(1): client_only"),
        "a skip carries its reason: {stdout}"
    );
    let summary: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains(" cases against "))
        .collect();
    assert_eq!(summary.len(), 1, "{stdout}");
    assert!(
        lines.last().unwrap().contains(" passed, 1 failed, "),
        "{stdout}"
    );
    assert!(
        !stdout.contains("unreachable ") && !stdout.contains("\npassed "),
        "no line per passed or unreachable case: {stdout}"
    );
    assert!(!stderr(&out).contains("benchmark"), "{}", text(&out));

    // --verbose lists every case, unreachable codes with their reason;
    // --bench adds the floor figure
    let out = command(&dir, &["run", "--cases", "mine", "--verbose", "--bench"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("unreachable ") && l.contains(": ")),
        "{stdout}"
    );
    assert!(stdout.lines().any(|l| l.starts_with("passed ")), "{stdout}");
    assert!(stderr(&out).contains("benchmark: "), "{}", text(&out));
}
