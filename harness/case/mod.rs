//! Conformance cases: the typed schema of `cases/**/*.toml`, discovery at
//! run time, and the expansion of table files into one case per row.
//!
//! A case file holds one case; a table file (a file with `[[row]]`s, such
//! as the 67-code table) expands into one case per row. Every struct denies
//! unknown fields, so a typo fails loading with the file and the key path
//! instead of silently skipping a check. The schema is documented for
//! authors in `cases/README.md`.

pub(crate) mod capture;
mod codes;
mod examples;
mod schema;
mod table;

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::scope;

pub(crate) use schema::{Answer, Call, CaseFile, Credential, Expect, Tamper, V1Digest};
pub use schema::{Source, SourceKind, TargetKind};
pub(crate) use table::TableFile;
pub use table::Trigger;

/// A case ready to run: a case file, or one row of a table file.
#[derive(Clone, Debug)]
pub struct Case {
    /// `folder::file` or `folder::table::row`, e.g. `delete_person::doc_example_2`.
    pub name: String,
    /// The file it came from, relative to the cases directory.
    pub file: PathBuf,
    /// The case as its file says it.
    pub spec: CaseFile,
    /// For table rows: the documented code the row covers and how it is triggered.
    pub row: Option<RowInfo>,
}

/// What a table row says about the code it covers (for the matrix).
#[derive(Clone, Debug, serde::Serialize)]
pub struct RowInfo {
    /// The action whose code it is.
    pub action: String,
    /// The documented code.
    pub code: String,
    /// How the row triggers it.
    pub trigger: Trigger,
    /// Why it is triggered so (or why it cannot be).
    pub reason: String,
}

impl Case {
    /// Cases that cannot run anywhere (an `unreachable` table row) are
    /// listed, not run.
    pub fn unreachable(&self) -> Option<&str> {
        self.row
            .as_ref()
            .filter(|r| r.trigger == Trigger::Unreachable)
            .map(|r| r.reason.as_str())
    }

    /// Whether the case runs against a target of kind `target`.
    pub fn applies_to(&self, target: TargetKind) -> bool {
        if self.spec.reply.is_some() && !target.is_client() {
            // A served answer: only a client can be judged on it.
            return false;
        }
        self.spec
            .targets
            .as_ref()
            .is_none_or(|t| t.contains(&target))
    }

    /// Whether any call needs the emulator's control API (fault injection).
    pub fn needs_control(&self) -> bool {
        self.spec
            .setup
            .iter()
            .chain(&self.spec.steps)
            .any(|c| c.fault.is_some() || c.pin_clock)
    }
}

/// A case's calls with `{{run}}` filled with one case's scope.
pub(crate) struct ScopedCalls {
    pub(crate) setup: Vec<Call>,
    pub(crate) steps: Vec<Call>,
    pub(crate) teardown: Vec<Call>,
}

impl CaseFile {
    /// The calls, scoped: see [`Call::scoped`].
    pub(crate) fn scoped(&self, scope: &str) -> ScopedCalls {
        let all = |calls: &[Call]| calls.iter().map(|c| c.scoped(scope)).collect();
        ScopedCalls {
            setup: all(&self.setup),
            steps: all(&self.steps),
            teardown: all(&self.teardown),
        }
    }
}

impl Call {
    /// This call with `{{run}}` and `{{run:N}}` expanded for `scope` wherever a case file may
    /// write it: the parameters, the expected values, and the tampered
    /// body and parameters.
    pub(crate) fn scoped(&self, scope: &str) -> Call {
        self.rewritten(
            |map| scope::expand_map(map, scope),
            |text| scope::expand(text, scope),
        )
    }

    /// This call with every `{{capture:NAME}}` filled from `captured`,
    /// wherever `{{run}}` may stand (see [`capture`]); the call itself,
    /// uncopied, while nothing is kept.
    pub(crate) fn filled(&self, captured: &capture::Captured) -> std::borrow::Cow<'_, Call> {
        if captured.is_empty() {
            return std::borrow::Cow::Borrowed(self);
        }
        std::borrow::Cow::Owned(self.rewritten(
            |map| capture::fill_map(map, captured),
            |text| capture::fill_string(text, captured),
        ))
    }

    /// This call with its placeholders rewritten in every place a case file
    /// may write one: `map` for the parameters and the expected values,
    /// `text` for the tampered body and parameters.
    fn rewritten(
        &self,
        map: impl Fn(&Map<String, Value>) -> Map<String, Value>,
        text: impl Fn(&str) -> String,
    ) -> Call {
        let mut call = self.clone();
        call.params = map(&self.params);
        if let Some(expect) = &mut call.expect {
            expect.values = map(&expect.values);
        }
        if let Some(tamper) = &mut call.tamper {
            tamper.body = tamper.body.as_deref().map(&text);
            for value in tamper.set_param.values_mut() {
                *value = text(value);
            }
        }
        call
    }
}

/// A file that could not be loaded: its name, path and what is wrong.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{}: {message}", file.display())]
pub struct LoadError {
    /// The name the file's case would have had.
    pub name: String,
    /// The file, relative to the cases directory.
    pub file: PathBuf,
    /// What is wrong, with toml's key path and line.
    pub message: String,
}

/// Everything found under a cases directory.
#[derive(Debug, Default)]
pub struct Discovered {
    /// The cases that loaded, in file order.
    pub cases: Vec<Case>,
    /// The files that did not load.
    pub errors: Vec<LoadError>,
}

/// The manifest that lists which folders of `cases/` hold conformance cases
/// (others, such as `cases/signing/`, have their own schema).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Suite {
    folders: Vec<String>,
}

/// The name a file's case gets: its path below the cases directory,
/// `::`-separated, without `.toml`.
fn name_of(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap_or(file).with_extension("");
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("::")
}

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            toml_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// The suite compiled into the library: `cases/` as it was at build time.
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/bundled_cases.rs"));
}

/// The suite that ships inside the library (the crate's `cases/` at build
/// time), read as [`discover`] reads a folder: the folders `suite.toml`
/// lists, case names and `file` paths relative to `cases/`. An installed
/// binary runs it from anywhere.
pub fn bundled() -> Result<Discovered, LoadError> {
    let root = Path::new("cases");
    let suite = embedded::FILES
        .iter()
        .find(|(rel, _)| *rel == "suite.toml")
        .map(|(_, text)| *text);
    let folders = match suite {
        Some(text) => Some(read_suite(text).map_err(|message| LoadError {
            name: "suite".into(),
            file: PathBuf::from("suite.toml"),
            message,
        })?),
        None => None,
    };
    // In the manifest's order of folders, as `discover` reads them.
    let in_folder = |folder: Option<&str>| -> Vec<&'static (&'static str, &'static str)> {
        embedded::FILES
            .iter()
            .filter(|(rel, _)| {
                *rel != "suite.toml" && folder.is_none_or(|f| rel.starts_with(&format!("{f}/")))
            })
            .collect()
    };
    let files: Vec<&(&str, &str)> = match &folders {
        Some(folders) => folders
            .iter()
            .flat_map(|f| in_folder(Some(f.as_str())))
            .collect(),
        None => in_folder(None),
    };
    Ok(load_all(
        files.into_iter().map(|(rel, text)| {
            let rel = PathBuf::from(rel);
            (root.join(&rel), rel, Ok((*text).to_string()))
        }),
        root,
    ))
}

fn read_suite(text: &str) -> Result<Vec<String>, String> {
    toml::from_str::<Suite>(text)
        .map(|s| s.folders)
        .map_err(|e| e.to_string())
}

/// Finds and loads every case under `root`.
///
/// When `root/suite.toml` exists, only the folders it lists are read;
/// otherwise every `*.toml` below `root` is a case or table file. A file
/// that fails to load becomes a [`LoadError`], never a panic, so one bad
/// file does not hide the others.
///
/// ```
/// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
/// let found = iai_conformance::discover(&dir).expect("the cases folder reads");
/// assert!(found.errors.is_empty(), "{:?}", found.errors);
/// assert!(found.cases.iter().any(|c| c.name == "delete_person::doc_example_2"));
/// ```
pub fn discover(root: &Path) -> Result<Discovered, LoadError> {
    let fail = |file: &Path, message: String| LoadError {
        name: name_of(root, file),
        file: file.to_path_buf(),
        message,
    };
    let manifest = root.join("suite.toml");
    let dirs: Vec<PathBuf> = if manifest.is_file() {
        let text =
            std::fs::read_to_string(&manifest).map_err(|e| fail(&manifest, e.to_string()))?;
        let folders = read_suite(&text).map_err(|e| fail(&manifest, e))?;
        folders.iter().map(|f| root.join(f)).collect()
    } else {
        vec![root.to_path_buf()]
    };
    let mut files = Vec::new();
    for dir in &dirs {
        toml_files(dir, &mut files).map_err(|e| {
            fail(
                dir,
                format!("cannot read the cases folder: {e}; check --cases"),
            )
        })?;
    }
    Ok(load_all(
        files.into_iter().map(|file| {
            let rel = file.strip_prefix(root).unwrap_or(&file).to_path_buf();
            let text = std::fs::read_to_string(&file).map_err(|e| e.to_string());
            (file, rel, text)
        }),
        root,
    ))
}

/// Loads files given as (path, path relative to the cases root, text).
fn load_all(
    files: impl Iterator<Item = (PathBuf, PathBuf, Result<String, String>)>,
    root: &Path,
) -> Discovered {
    let mut found = Discovered::default();
    for (file, rel, text) in files {
        let name = name_of(root, &file);
        match text.and_then(|text| parse(&text, &name, &rel)) {
            Ok(cases) => found.cases.extend(cases),
            Err(message) => found.errors.push(LoadError {
                name,
                file: rel,
                message,
            }),
        }
    }
    let mut seen = std::collections::HashSet::new();
    for case in &found.cases {
        if !seen.insert(case.name.clone()) {
            found.errors.push(LoadError {
                name: case.name.clone(),
                file: case.file.clone(),
                message: format!("a second case is named {}", case.name),
            });
        }
    }
    found
}

/// Parses the text of a case or table file. `name` is the case name (or the
/// table's prefix); errors carry toml's key path and line.
pub(crate) fn parse(text: &str, name: &str, file: &Path) -> Result<Vec<Case>, String> {
    let value: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    if value.contains_key("recipe") {
        // The code recipes: every action's documented-code table, generated.
        return codes::expand(text, file, crate::api::Catalog::get());
    }
    if value.contains_key("examples_of") {
        let examples: examples::ExamplesFile = toml::from_str(text).map_err(|e| e.to_string())?;
        examples.expand(name, file)
    } else if value.contains_key("row") {
        let table: TableFile = toml::from_str(text).map_err(|e| e.to_string())?;
        table.expand(name, file)
    } else {
        let spec: CaseFile = toml::from_str(text).map_err(|e| e.to_string())?;
        spec.validate()?;
        Ok(vec![Case {
            name: name.to_string(),
            file: file.to_path_buf(),
            spec,
            row: None,
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Result<Vec<Case>, String> {
        parse(text, "t::case", Path::new("t/case.toml"))
    }

    /// The embedded suite is the folder's suite: the same cases, in the
    /// same order, with the same names and file paths.
    #[test]
    fn the_bundled_suite_is_the_cases_folder() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
        let folder = discover(&root).unwrap();
        let bundled = bundled().unwrap();
        let names = |d: &Discovered| {
            d.cases
                .iter()
                .map(|c| (c.name.clone(), c.file.clone()))
                .collect::<Vec<_>>()
        };
        assert!(folder.errors.is_empty() && bundled.errors.is_empty());
        assert!(folder.cases.len() > 80, "{}", folder.cases.len());
        assert_eq!(names(&bundled), names(&folder));
        // signing/ is not a case folder (suite.toml does not list it)
        assert!(bundled.cases.iter().all(|c| !c.name.starts_with("signing")));
    }

    #[test]
    fn reads_a_minimal_case() {
        let cases = one(r#"
            description = "delete a person"
            source = { kind = "doc_example", ref = "DeletePerson.txt, Example 1" }
            [[setup]]
            action = "CreatePerson"
            params = { PersonId = "{{run}}-2001" }
            [[step]]
            action = "DeletePerson"
            params = { PersonId = "{{run}}-2001" }
            expect = { success = true }
        "#)
        .unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].spec.steps[0].action, "DeletePerson");
    }

    #[test]
    fn names_an_unknown_field_and_where_it_is() {
        let err = one(r#"
            description = "x"
            source = { kind = "finding", ref = "y" }
            [[step]]
            action = "DeletePerson"
            expect = { sucess = true }
        "#)
        .unwrap_err();
        assert!(err.contains("sucess"), "{err}");
        assert!(err.contains("line 6"), "{err}");
    }

    #[test]
    fn a_capture_is_kept_before_it_is_used_and_its_path_parses() {
        let case = |capture: &str, use_at: &str| {
            one(&format!(
                r#"
            description = "x"
            source = {{ kind = "finding", ref = "y" }}
            [[step]]
            action = "CreateFace"
            params = {{ PersonId = "{{{{run}}}}-p", Urls = ["u"] }}
            expect = {{ success = true }}
            {capture}
            [[step]]
            action = "DeleteFace"
            params = {{ PersonId = "{{{{run}}}}-p", FaceIds = ["{use_at}"] }}
            expect = {{ success = true }}
        "#
            ))
        };
        assert!(
            case(
                r#"capture = { face = "SucFaceIds[0]" }"#,
                "{{capture:face}}"
            )
            .is_ok()
        );
        let err = case("", "{{capture:face}}").unwrap_err();
        assert!(
            err.contains("step[1]") && err.contains("{{capture:face}} is not kept"),
            "{err}"
        );
        let err = case(
            r#"capture = { face = "SucFaceIds[x]" }"#,
            "{{capture:face}}",
        )
        .unwrap_err();
        assert!(
            err.contains("step[0].capture.face") && err.contains("SucFaceIds[x]"),
            "{err}"
        );
        let err = case(
            r#"capture = { face = "SucFaceIds[0]" }"#,
            "{{capture:fase}}",
        )
        .unwrap_err();
        assert!(err.contains("{{capture:fase}}"), "{err}");
    }

    #[test]
    fn a_step_needs_an_expectation() {
        let err = one(r#"
            description = "x"
            source = { kind = "finding", ref = "y" }
            [[step]]
            action = "DeletePerson"
        "#)
        .unwrap_err();
        assert!(err.contains("step[0]") && err.contains("expect"), "{err}");
    }

    #[test]
    fn an_expectation_says_one_thing() {
        let err = one(r#"
            description = "x"
            source = { kind = "finding", ref = "y" }
            [[step]]
            action = "DeletePerson"
            expect = { success = true, code = "InternalError" }
        "#)
        .unwrap_err();
        assert!(err.contains("exactly one of"), "{err}");
    }
}
