//! Example files: every official example of an action (CN and EN, from
//! the generated catalog's `examples`) as a `doc_example` case, built at
//! load time.
//!
//! The file says only what the data cannot: the state the examples need
//! (`setup`, `teardown`), which of the document's fixed IDs and names this
//! run owns (`ids`: each becomes a `{{run}}`-scoped value wherever it
//! appears in a request or an expected value), which output fields the
//! emulator reproduces exactly (`values`), and, per example, what differs
//! from the example as printed and why (`[example."cn#2"]`). The request
//! and the expected outcome come from the example itself: a success with
//! the listed values, or the example's error code.
//!
//! Where the example contradicts the registry or the catalog, the case
//! carries a finding: an answer that is not JSON, a success whose fields
//! or types disagree with the catalog's outputs ([`shape`]), a request
//! value of another type than the parameter's, a code in no registry or
//! not among the action's documented codes, and every override's reason.
//!
//! A client target is served the example's own answer where it is a
//! well-typed success or an error, so a client is judged on the official
//! answers of every shape.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::Case;
use super::schema::{Call, CaseFile, Expect, ExpectFail, Fault, Source, SourceKind, TargetKind};
use crate::api::spec::{Example, Member, Spec, Style as ExampleStyle, Type};
use crate::api::{Catalog, shape};
use crate::wire::Style;

/// The host of the documents' sample URLs: nothing a live service can fetch.
const SAMPLE_HOST: &str = "test.image.myqcloud.com";

/// An examples file (`examples_of = "Action"`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExamplesFile {
    /// The action whose examples become cases.
    pub examples_of: String,
    /// Said of every case, after the example's own description.
    #[serde(default)]
    pub description: Option<String>,
    /// The document's IDs and names this run owns: each value of a
    /// request or expected value equal to a key becomes the key's value.
    #[serde(default)]
    pub ids: BTreeMap<String, String>,
    /// The output fields whose values the emulator reproduces exactly
    /// (taken from the example's answer, with `ids` applied); the others
    /// are checked by type only.
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub targets: Option<Vec<TargetKind>>,
    #[serde(default)]
    pub findings: Vec<String>,
    #[serde(default)]
    pub expect_fail: Vec<ExpectFail>,
    #[serde(default)]
    pub setup: Vec<Call>,
    #[serde(default)]
    pub teardown: Vec<Call>,
    /// Per example (`"cn#1"`, `"en#2"`): what differs from the example.
    #[serde(default, rename = "example")]
    pub examples: BTreeMap<String, Override>,
}

/// What one case changes about its example, and why.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Override {
    /// Why the case differs from the example as printed; a finding when
    /// the expected outcome differs from the example's answer.
    #[serde(default)]
    pub reason: Option<String>,
    /// Parameters set over the example's request (after `ids`).
    #[serde(default)]
    pub params: Map<String, Value>,
    /// Parameters of the example's request left out.
    #[serde(default)]
    pub remove_params: Vec<String>,
    /// Replaces the file's setup.
    #[serde(default)]
    pub setup: Option<Vec<Call>>,
    /// Replaces the file's teardown.
    #[serde(default)]
    pub teardown: Option<Vec<Call>>,
    /// Replaces the expectation derived from the example.
    #[serde(default)]
    pub expect: Option<Expect>,
    /// Replaces the file's `values`.
    #[serde(default)]
    pub values: Option<Vec<String>>,
    /// A fault injected for the call (what no input can trigger on the emulator).
    #[serde(default)]
    pub fault: Option<Fault>,
    #[serde(default)]
    pub targets: Option<Vec<TargetKind>>,
    #[serde(default)]
    pub expect_fail: Option<Vec<ExpectFail>>,
    #[serde(default)]
    pub findings: Vec<String>,
    #[serde(default)]
    pub snapshot: Option<bool>,
}

/// What an example's answer says, as printed.
enum Printed<'a> {
    Success(&'a Map<String, Value>),
    Error(&'a str),
    NotJson,
}

fn printed(example: &Example) -> Printed<'_> {
    let Some(response) = example
        .response
        .as_ref()
        .and_then(|r| r["Response"].as_object())
    else {
        return Printed::NotJson;
    };
    match example.error_code() {
        Some(code) => Printed::Error(code),
        None => Printed::Success(response),
    }
}

/// `value` with every string equal to an `ids` key replaced by its value.
fn map_ids(value: &Value, ids: &BTreeMap<String, String>) -> Value {
    match value {
        Value::String(s) => Value::String(ids.get(s).cloned().unwrap_or_else(|| s.clone())),
        Value::Array(items) => Value::Array(items.iter().map(|v| map_ids(v, ids)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), map_ids(v, ids)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The name a case gets from its example: `cn#2` → `cn_2`.
fn case_name(example: &Example) -> String {
    format!("{}_{}", example.edition, example.number)
}

/// Request values whose JSON type is not the parameter's (top level and
/// one level into arrays and objects).
fn request_type_slips(members: &[Member], request: &Map<String, Value>, path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (name, value) in request {
        let at = format!("{path}{name}");
        let Some(m) = members.iter().find(|m| &m.name == name) else {
            out.push(format!("{at} is not a parameter of the action"));
            continue;
        };
        let items: Vec<&Value> = match (m.array, value) {
            (true, Value::Array(items)) => items.iter().collect(),
            (true, _) => {
                out.push(format!("{at} is not an array ({})", m.type_name()));
                continue;
            }
            (false, v) => vec![v],
        };
        for item in items {
            let fits = match (m.ty, item) {
                (Type::String, Value::String(_)) => true,
                (Type::Integer, Value::Number(n)) if m.unsigned => n.is_u64(),
                (Type::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
                (Type::Float, Value::Number(_)) => true,
                (Type::Boolean, Value::Bool(_)) => true,
                (Type::Object, Value::Object(fields)) => {
                    out.extend(request_type_slips(&m.fields, fields, &format!("{at}.")));
                    true
                }
                _ => false,
            };
            if !fits {
                let ty = if m.unsigned {
                    format!("{} (unsigned)", m.type_name())
                } else {
                    m.type_name()
                };
                out.push(format!("{at} is {item} where the parameter is {ty}"));
            }
        }
    }
    out
}

fn sends_sample_urls(calls: &[&Call]) -> bool {
    calls.iter().any(|c| {
        Value::Object(c.params.clone())
            .to_string()
            .contains(SAMPLE_HOST)
    })
}

const ALL_BUT_LIVE: [TargetKind; 5] = [
    TargetKind::Emulator,
    TargetKind::Serve,
    TargetKind::ClientRust,
    TargetKind::ClientPythonSdk,
    TargetKind::ClientCommand,
];

impl ExamplesFile {
    /// One case per example of the action, named `<file>::<edition>_<n>`.
    pub(crate) fn expand(self, file_name: &str, file: &Path) -> Result<Vec<Case>, String> {
        let spec = Spec::get();
        let catalog = Catalog::get();
        let action = spec.action(&self.examples_of).ok_or_else(|| {
            format!(
                "examples_of: {:?} is not an action of the catalog",
                self.examples_of
            )
        })?;
        if action.examples.is_empty() {
            return Err(format!(
                "examples_of: {} has no official example",
                action.name
            ));
        }
        for label in self.examples.keys() {
            if !action.examples.iter().any(|e| &e.label() == label) {
                let known: Vec<String> = action.examples.iter().map(Example::label).collect();
                return Err(format!(
                    "example.{label:?}: {} has no such example (it has {})",
                    action.name,
                    known.join(", ")
                ));
            }
        }
        let mut out = Vec::with_capacity(action.examples.len());
        for example in &action.examples {
            let label = example.label();
            let at = format!("example.{label:?}");
            let o = self.examples.get(&label).cloned().unwrap_or_default();
            let mut findings = self.findings.clone();
            let said = |f: String| format!("{} {label}: {f}", action.name);
            // What the example itself says, against the registry and the catalog.
            let shown = printed(example);
            let mut well_typed = false;
            let literal = match &shown {
                Printed::NotJson => {
                    findings.push(said("the example's answer is not JSON".into()));
                    None
                }
                Printed::Error(code) => {
                    if !spec.codes.iter().any(|c| c == code) {
                        findings.push(said(format!("answers {code}, a code in no registry")));
                    }
                    if !catalog.allows(&action.name, code) {
                        findings.push(said(format!(
                            "answers {code}, which is not among the codes documented for {}",
                            action.name
                        )));
                    }
                    // The registered code of the condition, where the example's is in no registry.
                    let registered = catalog
                        .code(code)
                        .and_then(|c| c.same_as.clone())
                        .filter(|_| !spec.codes.iter().any(|c| c == code))
                        .unwrap_or_else(|| code.to_string());
                    Some(Expect {
                        code: Some(registered),
                        ..Expect::default()
                    })
                }
                Printed::Success(fields) => {
                    let slips = shape::check_fields(&action.name, fields);
                    well_typed = slips.is_empty();
                    if !well_typed {
                        let list: Vec<String> = slips
                            .iter()
                            .map(|m| format!("{} {}", m.field, m.found))
                            .collect();
                        findings.push(said(format!(
                            "the answer disagrees with the catalog's outputs: {}",
                            list.join("; ")
                        )));
                    }
                    let wanted = o.values.as_ref().unwrap_or(&self.values);
                    let mut values = Map::new();
                    for name in wanted {
                        if action.output(name).is_none() {
                            return Err(format!(
                                "{at}: values: {name:?} is not an output of {}",
                                action.name
                            ));
                        }
                        if let Some(v) = fields.get(name) {
                            values.insert(name.clone(), map_ids(v, &self.ids));
                        }
                    }
                    Some(Expect {
                        success: Some(true),
                        values,
                        ..Expect::default()
                    })
                }
            };
            let slips = request_type_slips(&action.params, &example.request, "");
            if !slips.is_empty() {
                findings.push(said(format!(
                    "the request disagrees with the catalog's parameters: {}",
                    slips.join("; ")
                )));
            }
            let mut reason_used = false;
            let expect = match (o.expect.clone(), literal.clone()) {
                (Some(e), literal) => {
                    let same = literal.as_ref().is_some_and(|l| {
                        l.success == e.success && l.code == e.code && e.any_of.is_empty()
                    });
                    if !same {
                        let reason = o.reason.clone().ok_or_else(|| {
                            format!("{at}: the expectation differs from the example's answer: say why in `reason`")
                        })?;
                        let printed = match &shown {
                            Printed::Success(_) => "success".to_string(),
                            Printed::Error(code) => code.to_string(),
                            Printed::NotJson => "an answer that is not JSON".to_string(),
                        };
                        findings.push(said(format!("the example answers {printed}; {reason}")));
                        reason_used = true;
                    }
                    e
                }
                (None, Some(l)) => l,
                (None, None) => {
                    return Err(format!(
                        "{at}: the example's answer is not JSON: give `expect`"
                    ));
                }
            };
            findings.extend(o.findings.iter().cloned());
            let mut params = match map_ids(&Value::Object(example.request.clone()), &self.ids) {
                Value::Object(m) => m,
                _ => unreachable!("objects stay objects"),
            };
            for name in &o.remove_params {
                if params.remove(name).is_none() {
                    return Err(format!("{at}.remove_params: the example sends no {name:?}"));
                }
            }
            params.extend(o.params.clone());
            // Serve a client the official answer where it is one a client can be judged on.
            let mut expect = expect;
            let serves_official = match &shown {
                Printed::Success(_) => well_typed,
                Printed::Error(_) => !expect.is_success(),
                Printed::NotJson => false,
            };
            if serves_official {
                expect.answer = example.response.clone();
            }
            let step = Call {
                action: action.name.clone(),
                params,
                style: Style::Tc3PostJson,
                signed_headers: Default::default(),
                v1_method: None,
                credentials: Default::default(),
                clock_skew: 0,
                version: None,
                tamper: None,
                fault: o.fault.clone(),
                pin_clock: false,
                expect: Some(expect.clone()),
                capture: Default::default(),
            };
            let setup = o.setup.clone().unwrap_or_else(|| self.setup.clone());
            let teardown = o.teardown.clone().unwrap_or_else(|| self.teardown.clone());
            let mut targets = o.targets.clone().or_else(|| self.targets.clone());
            let all: Vec<&Call> = setup.iter().chain(std::iter::once(&step)).collect();
            if sends_sample_urls(&all) {
                // The documents' sample images exist nowhere a live service can fetch.
                let list = targets.unwrap_or_else(|| ALL_BUT_LIVE.to_vec());
                targets = Some(
                    list.into_iter()
                        .filter(|t| *t != TargetKind::Live)
                        .collect(),
                );
            }
            let outcome = if expect.is_success() {
                "succeeds".to_string()
            } else {
                format!("answers {}", expect.codes().next().unwrap_or("an error"))
            };
            let style = match example.style {
                ExampleStyle::Query => "query",
                ExampleStyle::Json => "JSON",
            };
            let mut description = format!("{} {label} ({style} example): {outcome}", action.name);
            for extra in [
                self.description.as_ref(),
                o.reason.as_ref().filter(|_| !reason_used),
            ]
            .into_iter()
            .flatten()
            {
                description.push_str("; ");
                description.push_str(extra);
            }
            let spec = CaseFile {
                description,
                source: Source {
                    kind: SourceKind::DocExample,
                    reference: format!("generated catalog, {} example {label}", action.name),
                },
                findings,
                targets,
                snapshot: o.snapshot.unwrap_or(true),
                expect_fail: o
                    .expect_fail
                    .clone()
                    .unwrap_or_else(|| self.expect_fail.clone()),
                setup,
                steps: vec![step],
                teardown,
                reply: None,
            };
            spec.validate().map_err(|e| format!("{at}: {e}"))?;
            out.push(Case {
                name: format!("{file_name}::{}", case_name(example)),
                file: file.to_path_buf(),
                spec,
                row: None,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn load(text: &str) -> Result<Vec<Case>, String> {
        parse(text, "examples::t", Path::new("examples/t.toml"))
    }

    fn by_name<'a>(cases: &'a [Case], suffix: &str) -> &'a Case {
        cases
            .iter()
            .find(|c| c.name.ends_with(suffix))
            .unwrap_or_else(|| panic!("no case {suffix}"))
    }

    #[test]
    fn one_case_per_example_with_the_request_and_outcome_of_the_data() {
        let cases = load(
            r#"
            examples_of = "DeletePerson"
            ids = { "2001" = "{{run}}-2001", "3001" = "{{run}}-3001" }
            [example."en#2"]
            reason = "its Error was lost"
            expect = { code = "InvalidParameterValue.PersonIdNotExist" }
            "#,
        )
        .unwrap();
        assert_eq!(cases.len(), 4);
        let first = by_name(&cases, "::cn_1");
        assert_eq!(first.name, "examples::t::cn_1");
        assert_eq!(first.spec.source.kind, SourceKind::DocExample);
        let step = &first.spec.steps[0];
        assert_eq!(step.params["PersonId"], "{{run}}-2001");
        assert!(step.expect.as_ref().unwrap().is_success());
        // The CN error example: a code in no registry, expected as its registered twin.
        let second = by_name(&cases, "::cn_2");
        let expect = second.spec.steps[0].expect.as_ref().unwrap();
        assert_eq!(
            expect.code.as_deref(),
            Some("InvalidParameterValue.PersonIdNotExist")
        );
        assert!(
            second.spec.findings.iter().any(
                |f| f.contains("ResourceNotFound.ErrorPersonNotExisted, a code in no registry")
            ),
            "{:?}",
            second.spec.findings
        );
        // A client is served the example's own answer.
        assert_eq!(
            expect.answer.as_ref().unwrap()["Response"]["Error"]["Code"],
            "ResourceNotFound.ErrorPersonNotExisted"
        );
        // The EN example lost its Error: the override's reason is a finding.
        let en = by_name(&cases, "::en_2");
        assert!(
            en.spec
                .findings
                .iter()
                .any(|f| f.contains("the example answers success; its Error was lost")),
            "{:?}",
            en.spec.findings
        );
    }

    #[test]
    fn an_expectation_that_differs_from_the_example_says_why() {
        let err = load(
            r#"
            examples_of = "DeletePerson"
            [example."en#2"]
            expect = { code = "InvalidParameterValue.PersonIdNotExist" }
            "#,
        )
        .unwrap_err();
        assert!(err.contains("en#2") && err.contains("reason"), "{err}");
    }

    #[test]
    fn names_an_example_the_action_does_not_have() {
        let err = load(
            r#"
            examples_of = "DeletePerson"
            [example."cn#9"]
            reason = "x"
            "#,
        )
        .unwrap_err();
        assert!(
            err.contains("cn#9") && err.contains("cn#1, cn#2, en#1, en#2"),
            "{err}"
        );
        let err = load(r#"examples_of = "NoSuchAction""#).unwrap_err();
        assert!(err.contains("NoSuchAction"), "{err}");
    }

    #[test]
    fn checks_the_listed_values_and_types_the_rest() {
        let cases = load(
            r#"
            examples_of = "GetPersonBaseInfo"
            ids = { "1001" = "{{run}}-1001" }
            values = ["PersonName", "Gender"]
            [example."en#2"]
            reason = "lost"
            expect = { code = "InvalidParameterValue.PersonIdNotExist" }
            "#,
        )
        .unwrap();
        let values = &by_name(&cases, "::cn_1").spec.steps[0]
            .expect
            .as_ref()
            .unwrap()
            .values;
        assert_eq!(values.len(), 2, "{values:?}");
        assert_eq!(values["PersonName"], "EvanLiao");
        assert!(!values.contains_key("FaceIds"));
        let err = load(
            r#"
            examples_of = "GetPersonBaseInfo"
            values = ["Age"]
        "#,
        )
        .unwrap_err();
        assert!(err.contains("\"Age\" is not an output"), "{err}");
    }

    #[test]
    fn an_answer_or_request_that_disagrees_with_the_catalog_is_a_finding() {
        let cases = load(
            r#"
            examples_of = "GetPersonGroupInfo"
            [example."en#3"]
            reason = "lost"
            expect = { code = "InvalidParameterValue.PersonIdNotExist" }
            "#,
        )
        .unwrap();
        let en1 = by_name(&cases, "::en_1");
        assert!(
            en1.spec
                .findings
                .iter()
                .any(|f| f.contains("Response.GroupNum a string")),
            "{:?}",
            en1.spec.findings
        );
        // A mistyped answer is not served to a client as it is.
        assert!(en1.spec.steps[0].expect.as_ref().unwrap().answer.is_none());
        let cases = load(
            r#"
            examples_of = "SearchFacesReturnsByGroup"
            [example."en#1"]
            reason = "strings"
            expect = { code = "InvalidParameter" }
            "#,
        )
        .unwrap();
        let en1 = by_name(&cases, "::en_1");
        assert!(
            en1.spec
                .findings
                .iter()
                .any(|f| f.contains("MaxFaceNum is \"1\" where the parameter is Integer")),
            "{:?}",
            en1.spec.findings
        );
        // The documents' sample URLs are not for a live service.
        assert!(
            !en1.spec
                .targets
                .as_ref()
                .unwrap()
                .contains(&TargetKind::Live)
        );
    }

    #[test]
    fn an_answer_that_is_not_json_needs_an_expectation() {
        let err = load(r#"examples_of = "GetGroupList""#).unwrap_err();
        assert!(err.contains("en#1") && err.contains("not JSON"), "{err}");
    }

    /// The bundled suite holds one case per official example of every action.
    #[test]
    fn the_suite_has_every_example_of_every_action() {
        let found = super::super::bundled().unwrap();
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        let examples: Vec<&Case> = found
            .cases
            .iter()
            .filter(|c| c.name.starts_with("examples::"))
            .collect();
        let total: usize = Spec::get().actions.iter().map(|a| a.examples.len()).sum();
        assert_eq!(examples.len(), total);
        assert_eq!(total, 135);
        let actions: std::collections::BTreeSet<&str> = examples
            .iter()
            .map(|c| c.spec.steps[0].action.as_str())
            .collect();
        assert_eq!(actions.len(), 35);
    }
}
