//! Embeds `cases/` in the library, so an installed binary runs the suite
//! from any folder (`case::bundled()`); `--cases DIR` still reads a folder.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a readable directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

fn main() {
    // Read when the script runs, not when it was compiled: one compiled
    // script may serve another checkout sharing the target directory.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest).join("cases");
    println!("cargo::rerun-if-changed=cases");
    let mut found = Vec::new();
    files(&root, &mut found);
    let mut code = String::from(
        "/// Every `*.toml` under `cases/`: its path below `cases/`, `/`-separated, and its text.\npub(super) static FILES: &[(&str, &str)] = &[\n",
    );
    for path in &found {
        let rel = path.strip_prefix(&root).expect("below cases/");
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_str().expect("a UTF-8 case path"))
            .collect::<Vec<_>>()
            .join("/");
        writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("writing to a String");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo"));
    std::fs::write(out.join("bundled_cases.rs"), code).expect("OUT_DIR is writable");
}
