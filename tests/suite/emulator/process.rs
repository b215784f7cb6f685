//! `serve` as a real process: its startup line, the official Python SDK
//! against it, and a clean stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

struct Served {
    child: Child,
    url: String,
    secret_id: String,
    secret_key: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(extra: &[&str]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iai-conformance"))
        .arg("serve")
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let word = |prefix: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(prefix))
            .unwrap_or_default()
            .to_string()
    };
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_default()
        .to_string();
    assert!(!url.is_empty(), "startup line: {line:?}");
    Served {
        secret_id: word("secret-id="),
        secret_key: word("secret-key="),
        url,
        child,
    }
}

/// A Python with the official SDK, found as `client:python-sdk` finds it
/// (`$IAI_PYTHON`, `.venv-sdk/` here, `python3` on PATH).
fn python() -> Result<PathBuf, String> {
    iai_conformance::client_target::python_sdk()
        .map(|found| found.python)
        .map_err(|e| e.to_string())
}

#[test]
fn the_official_python_sdk_drives_serve() {
    let python = match python() {
        Ok(python) => python,
        Err(why) => {
            // Written to stderr directly: libtest captures eprintln! of a passing
            // test, and this line must be seen.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIP emulator::process::the_official_python_sdk_drives_serve: {why}"
            );
            return;
        }
    };
    let served = serve(&[]);
    assert!(served.secret_id.starts_with("AKID") && !served.secret_key.is_empty());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/sdk_flow.py");
    let out = Command::new(python)
        .arg(script)
        .arg(served.url.trim_start_matches("http://"))
        .arg(&served.secret_id)
        .arg(&served.secret_key)
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("PASS"),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn serve_takes_credentials_and_stops_on_sigterm() {
    let mut served = serve(&[
        "--credential",
        "AKIDfixed:fixedkey",
        "--rate-limit",
        "100/s",
        "--fault",
        "latency=1ms,action=GetGroupList",
    ]);
    assert_eq!(served.secret_id, "AKIDfixed");
    assert!(served.secret_key.is_empty(), "a given key is never printed");
    let pid = served.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = served.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}
