//! The committed catalog against Tencent's packages: regenerated from the
//! wheels in `$IAI_TENCENT` (or `.tencent/`, where `.ci/fetch-tencent` puts
//! them), it must name no added, removed or changed action, parameter,
//! field, example or code.

use std::io::Write;
use std::path::PathBuf;

use iai_conformance::{
    GENERATED_CATALOG as GENERATED, Spec, TencentPackages as Packages, catalog_changes,
};

const REFRESH: &str = ".ci/fetch-tencent && cargo run --release -- derive --tencent .tencent";

#[test]
fn the_committed_catalog_is_what_tencents_packages_say() {
    let dir = match std::env::var_os("IAI_TENCENT") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tencent"),
    };
    if std::env::var_os("IAI_TENCENT").is_none() && !dir.exists() {
        // Written to stderr directly: libtest captures eprintln! of a passing
        // test, and this line must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "SKIP catalog::the_committed_catalog_is_what_tencents_packages_say: no Tencent packages; set IAI_TENCENT to a folder holding the tccli, tccli-intl-en and tencentcloud-sdk-python-iai wheels, or run `.ci/fetch-tencent`"
        );
        return;
    }
    let packages = Packages::find(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        packages.missing().is_empty(),
        "{} lacks {:?}; run `.ci/fetch-tencent`",
        dir.display(),
        packages.missing()
    );
    let fresh = packages.derive().unwrap_or_else(|e| panic!("{e}"));
    let committed = Spec::get();
    let changes = catalog_changes(committed, &fresh);
    assert!(
        changes.is_empty(),
        "Tencent's description differs from harness/api/generated/iai.json in {} ways; review, then refresh with `{REFRESH}`:\n{}",
        changes.len(),
        changes.join("\n")
    );
    // The same data under a newer package version is no change; anything
    // else derive would write differently is.
    let mut same = fresh.clone();
    same.sources.clone_from(&committed.sources);
    assert!(
        same.render() == GENERATED,
        "derive would write other bytes than the committed file; refresh with `{REFRESH}`"
    );
    if fresh.sources != committed.sources {
        let _ = writeln!(
            std::io::stderr(),
            "NOTE catalog::the_committed_catalog_is_what_tencents_packages_say: generated from {:?}, checked against {:?}: no change",
            committed.sources,
            fresh.sources
        );
    }
}
