//! Reads a Tencent API page saved as text (the form of `DeletePerson.txt`):
//! its action, parameters, outputs, examples and error-code table.
//!
//! The page is a sequence of numbered sections (`2. Input Parameters`,
//! `3. Output Parameters`, `4. Example`, `6. Error Code`, ...), each table a
//! header line followed by one row per line, columns separated by spaces.
//! A line that does not read as a row continues the previous row's
//! description.

use serde::Serialize;

/// What one API page documents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocPage {
    /// The action's name.
    pub action: String,
    /// The API version, from the `Version` common-parameter row.
    pub version: Option<String>,
    /// The action's own inputs; the common parameters (`Action`, `Version`,
    /// `Region`) are left out.
    pub params: Vec<DocParam>,
    /// Every row of the output table, `RequestId` included.
    pub outputs: Vec<DocField>,
    /// The input/output examples, in order.
    pub examples: Vec<DocExample>,
    /// The business error codes, in the page's order.
    pub error_codes: Vec<DocErrorCode>,
}

/// One input parameter row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocParam {
    /// The parameter's name.
    pub name: String,
    /// Whether the page marks it required.
    pub required: bool,
    /// As printed: `String`, `Integer`, `Array of String`, `FaceRect`, ...
    pub ty: String,
    /// The page's description of it.
    pub description: String,
}

/// One output parameter row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocField {
    /// The field's name.
    pub name: String,
    /// Its type, as the page prints it.
    pub ty: String,
    /// The page's description of it.
    pub description: String,
}

/// One worked example.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocExample {
    /// The heading after `ExampleN`, e.g. `Deleting person`.
    pub title: String,
    /// What the example shows, as the page titles it.
    pub description: String,
    /// The request as printed (URL and `&`-joined parameters, or a body).
    pub input: String,
    /// The answer's JSON text, as printed.
    pub output: String,
}

/// One row of the error-code table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocErrorCode {
    /// The code.
    pub code: String,
    /// The page's description of it.
    pub description: String,
}

/// Why a page could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocError {
    #[error("no `{0}` section")]
    /// A numbered section is missing.
    MissingSection(&'static str),
    #[error("the `{0}` section has no table header")]
    /// A section has no table.
    MissingTable(&'static str),
    #[error("no action name: neither a title line nor an `Action` row")]
    /// The page names no action.
    MissingAction,
    #[error("unreadable row in the `{section}` section: {line:?}")]
    /// A table row cannot be read.
    MalformedRow {
        /// The section's printed name.
        section: &'static str,
        /// The row as read.
        line: String,
    },
    #[error("example {number} has no `{part}` part")]
    /// An example lacks its input or its output.
    IncompleteExample {
        /// The example's number.
        number: usize,
        /// The missing part.
        part: &'static str,
    },
}

/// The numbered sections the parser knows, by their printed names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    Description,
    Input,
    Output,
    Example,
    Resources,
    ErrorCode,
}

impl Section {
    fn from_heading(line: &str) -> Option<Section> {
        let (number, name) = line.split_once(". ")?;
        if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        Some(match name.trim() {
            "API Description" => Section::Description,
            "Input Parameters" => Section::Input,
            "Output Parameters" => Section::Output,
            "Example" | "Examples" => Section::Example,
            "Developer Resources" => Section::Resources,
            "Error Code" | "Error Codes" => Section::ErrorCode,
            _ => return None,
        })
    }

    /// The name used in error messages.
    fn name(self) -> &'static str {
        match self {
            Section::Description => "api description",
            Section::Input => "input parameters",
            Section::Output => "output parameters",
            Section::Example => "example",
            Section::Resources => "developer resources",
            Section::ErrorCode => "error code",
        }
    }
}

/// The first line of the page footer, which ends the last section.
const FOOTER: &str = "Contact Us";
/// Where a page states the action and the version in the parameter table.
const VALUE_PREFIX: &str = "The value used for this API:";
/// How the parameter table marks a common parameter.
const COMMON_PREFIX: &str = "Common Params";

/// Reads a whole page.
pub fn parse(text: &str) -> Result<DocPage, DocError> {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let sections = split_sections(&lines);
    let section = |wanted: Section| {
        sections
            .iter()
            .find(|(s, _)| *s == wanted)
            .map(|(_, body)| *body)
            .ok_or(DocError::MissingSection(wanted.name()))
    };

    let rows = parse_inputs(section(Section::Input)?)?;
    let outputs = parse_outputs(section(Section::Output)?)?;
    let examples = parse_examples(section(Section::Example)?)?;
    let error_codes = parse_error_codes(section(Section::ErrorCode)?)?;

    let common_value = |name: &str| {
        rows.iter()
            .find(|p| p.name == name && p.description.starts_with(COMMON_PREFIX))
            .and_then(|p| value_used(&p.description))
    };
    let action = common_value("Action")
        .or_else(|| title(&lines))
        .ok_or(DocError::MissingAction)?;
    let version = common_value("Version");
    let params = rows
        .into_iter()
        .filter(|p| !p.description.starts_with(COMMON_PREFIX))
        .collect();

    Ok(DocPage {
        action,
        version,
        params,
        outputs,
        examples,
        error_codes,
    })
}

/// Splits the page at its section headings; the last section ends at the
/// footer.
fn split_sections<'a>(lines: &'a [&'a str]) -> Vec<(Section, &'a [&'a str])> {
    let end = lines
        .iter()
        .position(|l| l.trim() == FOOTER)
        .unwrap_or(lines.len());
    let lines = &lines[..end];
    let starts: Vec<(usize, Section)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| Section::from_heading(l.trim()).map(|s| (i, s)))
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(k, &(i, s))| {
            let next = starts.get(k + 1).map_or(lines.len(), |&(j, _)| j);
            (s, &lines[i + 1..next])
        })
        .collect()
}

/// The page title: the line before `Last updated: ...`.
fn title(lines: &[&str]) -> Option<String> {
    let updated = lines
        .iter()
        .position(|l| l.trim_start().starts_with("Last updated"))?;
    lines[..updated]
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| !l.is_empty())
        .filter(|l| is_name(l))
        .map(str::to_owned)
}

/// `Common Params. The value used for this API: DeletePerson.` -> `DeletePerson`.
fn value_used(description: &str) -> Option<String> {
    let (_, value) = description.split_once(VALUE_PREFIX)?;
    let value = value.trim().trim_end_matches('.');
    (!value.is_empty()).then(|| value.to_owned())
}

/// The first word of `s` and the rest, with the space between dropped.
fn first_word(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    if s.is_empty() {
        return None;
    }
    Some(match s.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim_start()),
        None => (s, ""),
    })
}

/// A parameter or field name: `PersonId`, `Filters.N`, `Tag_1`.
fn is_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// A type as printed, and the rest of the line: `Array of String` takes
/// three words.
fn type_word(s: &str) -> Option<(String, &str)> {
    let (word, rest) = first_word(s)?;
    if !word.starts_with(|c: char| c.is_ascii_uppercase()) || !is_name(word) {
        return None;
    }
    if word == "Array"
        && let Some(("of", rest)) = first_word(rest)
        && let Some((element, rest)) = first_word(rest)
    {
        return Some((format!("Array of {element}"), rest));
    }
    Some((word.to_owned(), rest))
}

/// The table rows of a section: the lines after the header line that starts
/// with `header`, blank lines dropped. `None` without a header.
fn table<'a>(body: &'a [&'a str], header: &str) -> Option<impl Iterator<Item = &'a str>> {
    let at = body
        .iter()
        .position(|l| l.trim_start().starts_with(header))?;
    Some(
        body[at + 1..]
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty()),
    )
}

/// Appends a continuation line to the last row's description, or fails.
fn continue_row(
    description: Option<&mut String>,
    section: Section,
    line: &str,
) -> Result<(), DocError> {
    let description = description.ok_or_else(|| DocError::MalformedRow {
        section: section.name(),
        line: line.to_owned(),
    })?;
    if !description.is_empty() {
        description.push('\n');
    }
    description.push_str(line);
    Ok(())
}

fn parse_inputs(body: &[&str]) -> Result<Vec<DocParam>, DocError> {
    let section = Section::Input;
    let rows = table(body, "Parameter Name").ok_or(DocError::MissingTable(section.name()))?;
    let mut params: Vec<DocParam> = Vec::new();
    for line in rows {
        match input_row(line) {
            Some(param) => params.push(param),
            None => continue_row(params.last_mut().map(|p| &mut p.description), section, line)?,
        }
    }
    Ok(params)
}

fn input_row(line: &str) -> Option<DocParam> {
    let (name, rest) = first_word(line)?;
    let (required, rest) = first_word(rest)?;
    let required = match required {
        "Yes" | "是" => true,
        "No" | "否" => false,
        _ => return None,
    };
    let (ty, description) = type_word(rest)?;
    is_name(name).then(|| DocParam {
        name: name.to_owned(),
        required,
        ty,
        description: description.to_owned(),
    })
}

fn parse_outputs(body: &[&str]) -> Result<Vec<DocField>, DocError> {
    let section = Section::Output;
    let rows = table(body, "Parameter Name").ok_or(DocError::MissingTable(section.name()))?;
    let mut fields: Vec<DocField> = Vec::new();
    for line in rows {
        match output_row(line) {
            Some(field) => fields.push(field),
            None => continue_row(fields.last_mut().map(|f| &mut f.description), section, line)?,
        }
    }
    Ok(fields)
}

fn output_row(line: &str) -> Option<DocField> {
    let (name, rest) = first_word(line)?;
    let (ty, description) = type_word(rest)?;
    is_name(name).then(|| DocField {
        name: name.to_owned(),
        ty,
        description: description.to_owned(),
    })
}

/// An error code: dot-separated words of letters and digits, each starting
/// with an upper-case letter (`InternalError`, `FailedOperation.UnKnowError`).
fn is_error_code(s: &str) -> bool {
    s.split('.').all(|part| {
        part.starts_with(|c: char| c.is_ascii_uppercase())
            && part.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

fn parse_error_codes(body: &[&str]) -> Result<Vec<DocErrorCode>, DocError> {
    let section = Section::ErrorCode;
    let Some(rows) = table(body, "Error Code") else {
        // A page whose action has no business codes says so instead.
        let says_none = body
            .iter()
            .any(|l| l.to_lowercase().contains("there is no error code"));
        return if says_none {
            Ok(Vec::new())
        } else {
            Err(DocError::MissingTable(section.name()))
        };
    };
    let mut codes: Vec<DocErrorCode> = Vec::new();
    for line in rows {
        match first_word(line).filter(|(code, _)| is_error_code(code)) {
            Some((code, description)) => codes.push(DocErrorCode {
                code: code.to_owned(),
                description: description.to_owned(),
            }),
            None => continue_row(codes.last_mut().map(|c| &mut c.description), section, line)?,
        }
    }
    Ok(codes)
}

/// `Example1 Deleting person` -> (1, `Deleting person`).
fn example_heading(line: &str) -> Option<(usize, &str)> {
    let rest = line.strip_prefix("Example")?.trim_start();
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let number = rest[..digits].parse().ok()?;
    Some((number, rest[digits..].trim()))
}

/// Where a line of the example section belongs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Description,
    Input,
    Output,
}

/// An example being read.
struct Draft<'a> {
    number: usize,
    title: &'a str,
    part: Part,
    seen_input: bool,
    seen_output: bool,
    description: Vec<&'a str>,
    input: Vec<&'a str>,
    output: Vec<&'a str>,
}

impl<'a> Draft<'a> {
    fn new(number: usize, title: &'a str) -> Self {
        Draft {
            number,
            title,
            part: Part::Description,
            seen_input: false,
            seen_output: false,
            description: Vec::new(),
            input: Vec::new(),
            output: Vec::new(),
        }
    }

    fn push(&mut self, line: &'a str) {
        match line.trim() {
            "Input Example" => {
                self.part = Part::Input;
                self.seen_input = true;
            }
            "Output Example" => {
                self.part = Part::Output;
                self.seen_output = true;
            }
            _ => match self.part {
                Part::Description => self.description.push(line.trim()),
                Part::Input => self.input.push(line),
                Part::Output => self.output.push(line),
            },
        }
    }

    fn finish(self) -> Result<DocExample, DocError> {
        let missing = |part| DocError::IncompleteExample {
            number: self.number,
            part,
        };
        if !self.seen_input {
            return Err(missing("input example"));
        }
        if !self.seen_output {
            return Err(missing("output example"));
        }
        Ok(DocExample {
            title: self.title.to_owned(),
            description: join_trimmed(&self.description),
            input: join_trimmed(&self.input),
            output: join_trimmed(&self.output),
        })
    }
}

/// Joins lines, dropping blank lines at either end.
fn join_trimmed(lines: &[&str]) -> String {
    let first = lines.iter().position(|l| !l.trim().is_empty());
    let last = lines.iter().rposition(|l| !l.trim().is_empty());
    match (first, last) {
        (Some(first), Some(last)) => lines[first..=last].join("\n"),
        _ => String::new(),
    }
}

fn parse_examples(body: &[&str]) -> Result<Vec<DocExample>, DocError> {
    let mut examples = Vec::new();
    let mut draft: Option<Draft<'_>> = None;
    for line in body {
        if let Some((number, title)) = example_heading(line.trim()) {
            if let Some(done) = draft.replace(Draft::new(number, title)) {
                examples.push(done.finish()?);
            }
        } else if let Some(draft) = draft.as_mut() {
            draft.push(line);
        }
    }
    if let Some(done) = draft {
        examples.push(done.finish()?);
    }
    Ok(examples)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::api::Catalog;

    /// A page of our own in the layout of Tencent's saved pages, carrying the
    /// facts of the DeletePerson page (its parameters, examples and 67
    /// codes) in our own words. It lives in the repository, so the tests need
    /// nothing beside it.
    const FIXTURE: &str = include_str!("testdata/DeletePerson.txt");

    fn delete_person_page() -> String {
        FIXTURE.to_owned()
    }

    fn page() -> DocPage {
        parse(&delete_person_page()).expect("the fixture page parses")
    }

    #[test]
    fn reads_the_action_and_version() {
        let page = page();
        assert_eq!(page.action, "DeletePerson");
        assert_eq!(page.version.as_deref(), Some("2020-03-03"));
    }

    #[test]
    fn reads_the_person_id_parameter_and_skips_the_common_ones() {
        assert_eq!(
            page().params,
            [DocParam {
                name: "PersonId".into(),
                required: true,
                ty: "String".into(),
                description: "The person to delete: the PersonId given to CreatePerson.".into(),
            }]
        );
    }

    #[test]
    fn reads_the_request_id_output() {
        let outputs = page().outputs;
        assert_eq!(outputs.len(), 1);
        assert_eq!(outputs[0].name, "RequestId");
        assert_eq!(outputs[0].ty, "String");
    }

    #[test]
    fn reads_both_examples_with_their_json_answers() {
        let examples = page().examples;
        assert_eq!(examples.len(), 2);
        let expected = [
            (
                "Deleting person",
                "PersonId=2001",
                "4b609b7c-7a9a-4ea0-be8b-1fb638c2ceca",
            ),
            (
                "Sample error",
                "PersonId=3001",
                "4b9c1bdc-86eb-413f-8c74-15bcf4466cd5",
            ),
        ];
        for (example, (title, person, request_id)) in examples.iter().zip(expected) {
            assert_eq!(example.title, title);
            assert!(example.description.starts_with("This example shows"));
            assert!(!example.description.contains("Input Example"));
            assert!(
                example
                    .input
                    .starts_with("https://iai.tencentcloudapi.com/?Action=DeletePerson")
            );
            assert!(
                example.input.lines().any(|l| l == format!("&{person}")),
                "{}",
                example.input
            );
            let output: serde_json::Value =
                serde_json::from_str(&example.output).expect("the output is JSON");
            assert_eq!(output["Response"]["RequestId"], request_id);
        }
    }

    #[test]
    fn reads_all_67_error_codes() {
        let codes = page().error_codes;
        assert_eq!(codes.len(), 67);
        assert_eq!(codes[0].code, "FailedOperation.ConflictOperation");
        assert_eq!(
            codes[0].description,
            "Two operations on one person at the same time."
        );
        let wrapped = codes
            .iter()
            .find(|c| c.code == "InvalidParameterValue.DeleteFaceNumExceed")
            .unwrap();
        assert_eq!(
            wrapped.description,
            "Too many faces to delete: a person keeps\nat least one face."
        );
        let last = codes.last().unwrap();
        assert_eq!(last.code, "UnsupportedOperation.UnknowMethod");
        assert_eq!(last.description, "The method name is unknown.");
    }

    /// The catalog and the recorded page must list the same codes, so an
    /// edit of actions.toml that drops or adds one is named. (Drift of the
    /// real API is checked against the installed SDK and CLI packages.)
    #[test]
    fn delete_person_codes_match_the_recorded_page() {
        let page = page();
        let catalog = Catalog::get();
        let action = catalog
            .action("DeletePerson")
            .expect("DeletePerson in actions.toml");
        let on_page: BTreeSet<&str> = page.error_codes.iter().map(|c| c.code.as_str()).collect();
        let in_catalog: BTreeSet<&str> =
            action.documented_codes.iter().map(String::as_str).collect();
        let added: Vec<_> = on_page.difference(&in_catalog).collect();
        let removed: Vec<_> = in_catalog.difference(&on_page).collect();
        let unknown: Vec<_> = on_page
            .iter()
            .filter(|c| catalog.code(c).is_none())
            .collect();
        assert!(
            added.is_empty()
                && removed.is_empty()
                && unknown.is_empty()
                && page.error_codes.len() == action.documented_codes.len(),
            "DeletePerson codes differ from the recorded page:\n  \
             added on the page: {added:?}\n  \
             removed from the page: {removed:?}\n  \
             missing from errors.toml: {unknown:?}\n  \
             counts: page {}, actions.toml {}",
            page.error_codes.len(),
            action.documented_codes.len(),
        );
    }

    #[test]
    fn names_the_missing_section() {
        let text = delete_person_page();
        let cut = text.find("6. Error Code").unwrap();
        let err = parse(&text[..cut]).unwrap_err();
        assert_eq!(err, DocError::MissingSection("error code"));
        assert_eq!(err.to_string(), "no `error code` section");
    }

    #[test]
    fn reads_array_types_and_wrapped_descriptions() {
        let text = "\
CopyPerson
Last updated: 2023-02-27 15:22:49

2. Input Parameters

Parameter Name Required Type Description
Action Yes String Common Params. The value used for this API: CopyPerson.
PersonId Yes String Person ID.
GroupIds Yes Array of String List of groups to join.
Up to 100 groups.

3. Output Parameters

Parameter Name Type Description
SucGroupNum Integer Number of groups joined.
FaceRect FaceRect Position of the face.
Note: this field may return null.
RequestId String The unique request ID.

4. Example

Example1 Copying a person

Input Example

POST / HTTP/1.1
{\"PersonId\": \"1001\"}

Output Example

{\"Response\": {\"RequestId\": \"r\"}}

6. Error Code

There is no error code related to the API business logic.
";
        let page = parse(text).unwrap();
        assert_eq!(page.action, "CopyPerson");
        assert_eq!(page.version, None);
        assert_eq!(page.params[1].ty, "Array of String");
        assert_eq!(
            page.params[1].description,
            "List of groups to join.\nUp to 100 groups."
        );
        assert_eq!(page.outputs[1].ty, "FaceRect");
        assert!(page.outputs[1].description.ends_with("may return null."));
        assert_eq!(page.examples[0].title, "Copying a person");
        assert_eq!(page.examples[0].description, "");
        assert_eq!(
            page.examples[0].input,
            "POST / HTTP/1.1\n{\"PersonId\": \"1001\"}"
        );
        assert!(page.error_codes.is_empty());
    }

    #[test]
    fn rejects_an_example_without_an_answer() {
        let text = delete_person_page().replacen("Output Example", "", 1);
        assert_eq!(
            parse(&text).unwrap_err(),
            DocError::IncompleteExample {
                number: 1,
                part: "output example"
            }
        );
    }
}
