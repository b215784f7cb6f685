//! What the suite's process tests share: the binary, scratch folders, a
//! command's output as text, and `serve`'s startup line.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Output};

/// The `iai-conformance` binary under test.
pub(crate) fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_iai-conformance")
}

/// A fresh, empty folder under the target dir (away from `cases/`).
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A finished command's status, stdout and stderr, for assertion messages.
pub(crate) fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Reads the first line a `serve` child (stdout piped) prints: the line
/// itself and the URL it names.
pub(crate) fn startup_line(child: &mut Child) -> (String, String) {
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout is piped"))
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_default()
        .to_string();
    assert!(!url.is_empty(), "the startup line names the URL: {line:?}");
    (line, url)
}
