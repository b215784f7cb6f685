//! The JUnit XML report: a testcase per case (its source and RequestIds as
//! properties, its mismatches as the failure), a broken case file as an
//! error.

use std::fmt::Write as _;

use super::Report;
use crate::results::Verdict;

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JUnit XML: a testcase per case, with its source, RequestIds and mismatches.
pub(crate) fn junit(report: &Report) -> String {
    let c = report.counts();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites><testsuite name=\"iai-conformance ({})\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        xml(&report.target),
        c.total + c.load_errors,
        c.failed,
        c.load_errors,
        c.skipped + c.unreachable + c.expected_failures,
        report.wall.as_secs_f64()
    );
    for e in &report.load_errors {
        let _ = writeln!(
            out,
            "  <testcase classname=\"{}\" name=\"{}\"><error message=\"the case file does not load\">{}</error></testcase>",
            xml(&e.file.display().to_string()),
            xml(&e.name),
            xml(&e.message)
        );
    }
    for r in &report.results {
        let (class, name) = r.name.rsplit_once("::").unwrap_or(("", &r.name));
        let _ = writeln!(
            out,
            "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\">",
            xml(&class.replace("::", ".")),
            xml(name),
            r.elapsed.as_secs_f64()
        );
        let _ = writeln!(out, "    <properties>");
        let _ = writeln!(
            out,
            "      <property name=\"source\" value=\"{}\"/>",
            xml(&r.source.reference)
        );
        for id in &r.request_ids {
            let _ = writeln!(
                out,
                "      <property name=\"request_id\" value=\"{}\"/>",
                xml(id)
            );
        }
        let _ = writeln!(out, "    </properties>");
        match &r.verdict {
            Verdict::Failed | Verdict::UnexpectedPass(_) => {
                let _ = writeln!(
                    out,
                    "    <failure message=\"{} mismatch(es)\">{}</failure>",
                    r.mismatches.len(),
                    xml(&r.failure_text())
                );
            }
            Verdict::Skipped(why) | Verdict::Unreachable(why) | Verdict::ExpectedFailure(why) => {
                let _ = writeln!(out, "    <skipped message=\"{}\"/>", xml(why));
            }
            Verdict::Passed => {}
        }
        let _ = writeln!(out, "  </testcase>");
    }
    out.push_str("</testsuite></testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use quick_xml::Reader;
    use quick_xml::escape::{resolve_predefined_entity, unescape};
    use quick_xml::events::{BytesStart, Event};

    use super::*;
    use crate::report::fixture;

    /// One `<testcase>` as a JUnit reader sees it.
    #[derive(Debug, Default)]
    struct TestCase {
        attrs: BTreeMap<String, String>,
        properties: Vec<(String, String)>,
        /// `failure`, `skipped` or `error`: its message and its text.
        outcome: Option<(String, String, String)>,
    }

    fn attrs(e: &BytesStart<'_>) -> BTreeMap<String, String> {
        e.attributes()
            .map(|a| {
                let a = a.expect("a well-formed attribute");
                let key: &str = a.key.as_ref();
                (
                    key.to_string(),
                    unescape(&a.value).expect("escaped").into_owned(),
                )
            })
            .collect()
    }

    /// Parses a JUnit document into the testsuite's attributes and its
    /// testcases; panics on anything that is not well-formed XML of JUnit's
    /// shape (testsuites > testsuite > testcase > properties/failure/...).
    fn parse(xml: &str) -> (BTreeMap<String, String>, Vec<TestCase>) {
        let mut reader = Reader::from_str(xml);
        let mut suite = BTreeMap::new();
        let mut cases: Vec<TestCase> = Vec::new();
        let mut open: Vec<String> = Vec::new();
        loop {
            let (e, empty) = match reader.read_event().expect("well-formed XML") {
                Event::Decl(_) => continue,
                Event::Eof => break,
                Event::End(_) => {
                    open.pop();
                    continue;
                }
                Event::Text(t) => {
                    let text = unescape(&t).expect("escaped").into_owned();
                    let inside = cases.last().is_some_and(|c| c.outcome.is_some())
                        && open.last().is_some_and(|o| o != "testcase");
                    if inside {
                        text_of(&mut cases).push_str(&text);
                    } else {
                        assert!(text.trim().is_empty(), "text outside an outcome: {text:?}");
                    }
                    continue;
                }
                Event::GeneralRef(r) => {
                    let c = match r.resolve_char_ref().expect("a valid reference") {
                        Some(c) => c.to_string(),
                        None => {
                            let name: &str = &r;
                            resolve_predefined_entity(name)
                                .unwrap_or_else(|| panic!("unknown entity &{name};"))
                                .to_string()
                        }
                    };
                    text_of(&mut cases).push_str(&c);
                    continue;
                }
                Event::Start(e) => (e.into_owned(), false),
                Event::Empty(e) => (e.into_owned(), true),
                other => panic!("unexpected {other:?}"),
            };
            let name = e.name().as_ref().to_string();
            match (open.last().map(String::as_str), name.as_str()) {
                (None, "testsuites") | (Some("testcase"), "properties") => {}
                (Some("testsuites"), "testsuite") => suite = attrs(&e),
                (Some("testsuite"), "testcase") => cases.push(TestCase {
                    attrs: attrs(&e),
                    ..TestCase::default()
                }),
                (Some("properties"), "property") => {
                    let a = attrs(&e);
                    let case = cases.last_mut().expect("inside a testcase");
                    case.properties
                        .push((a["name"].clone(), a["value"].clone()));
                }
                (Some("testcase"), kind @ ("failure" | "skipped" | "error")) => {
                    let message = attrs(&e).get("message").cloned().unwrap_or_default();
                    let case = cases.last_mut().expect("inside a testcase");
                    assert!(case.outcome.is_none(), "two outcomes: {case:?}");
                    case.outcome = Some((kind.to_string(), message, String::new()));
                }
                other => panic!("not JUnit's shape: {other:?}"),
            }
            if !empty {
                open.push(name);
            }
        }
        assert!(open.is_empty(), "unclosed elements: {open:?}");
        (suite, cases)
    }

    fn text_of(cases: &mut [TestCase]) -> &mut String {
        let case = cases.last_mut().expect("text inside a testcase");
        &mut case.outcome.as_mut().expect("text inside an outcome").2
    }

    fn by_name<'c>(cases: &'c [TestCase], class: &str, name: &str) -> &'c TestCase {
        cases
            .iter()
            .find(|c| c.attrs["classname"] == class && c.attrs["name"] == name)
            .unwrap_or_else(|| panic!("no testcase {class} {name}: {cases:?}"))
    }

    #[test]
    fn is_junit_xml_with_a_testcase_per_case_and_per_broken_file() {
        let report = fixture::report();
        let (suite, cases) = parse(&junit(&report));
        assert_eq!(suite["name"], "iai-conformance (emulator)");
        // 7 cases and 1 broken file; 2 failures (a mismatch, an unexpected
        // pass); skipped: skipped, unreachable and the expected failure.
        assert_eq!(suite["tests"], "8");
        assert_eq!(suite["failures"], "2");
        assert_eq!(suite["errors"], "1");
        assert_eq!(suite["skipped"], "3");
        assert_eq!(suite["time"], "0.120");
        assert_eq!(cases.len(), 8);

        let broken = by_name(&cases, "broken/file.toml", "broken::file");
        let (kind, message, text) = broken.outcome.as_ref().unwrap();
        assert_eq!(
            (kind.as_str(), message.as_str()),
            ("error", "the case file does not load")
        );
        assert!(text.contains("unknown field `sucess`"), "{text}");

        let passed = by_name(&cases, "delete_person", "doc_example_2");
        assert!(passed.outcome.is_none());
        assert_eq!(passed.attrs["time"], "0.003");
        assert_eq!(
            passed.properties,
            [
                (
                    "source".to_string(),
                    "DeletePerson.txt, <Example> & \"more\"".to_string()
                ),
                (
                    "request_id".to_string(),
                    "8f7e0a52-0000-4000-8000-000000000001".to_string()
                ),
            ]
        );

        let failed = by_name(
            &cases,
            "delete_person.error_codes",
            "InvalidParameterValue.PersonIdNotExist",
        );
        let (kind, message, text) = failed.outcome.as_ref().unwrap();
        assert_eq!(
            (kind.as_str(), message.as_str()),
            ("failure", "1 mismatch(es)")
        );
        assert!(
            text.contains("found error InternalError (\"a <b> & c\")"),
            "{text}"
        );

        let fixed = by_name(&cases, "delete_person", "fixed");
        let (kind, _, text) = fixed.outcome.as_ref().unwrap();
        assert_eq!(kind, "failure");
        assert!(text.contains("remove its expect_fail"), "{text}");

        for (class, name, why) in [
            ("delete_person", "expected", "a known divergence"),
            ("common", "skipped", "does not apply to a live target"),
            (
                "delete_person.error_codes",
                "InternalError",
                "no input reaches it",
            ),
        ] {
            let (kind, message, _) = by_name(&cases, class, name).outcome.clone().unwrap();
            assert_eq!((kind.as_str(), message.as_str()), ("skipped", why));
        }
    }

    #[test]
    fn the_reader_refuses_what_is_not_escaped() {
        // The test above proves the escaping only if its reader would refuse
        // a raw `<` or `&`.
        let broken = "<testsuites><testsuite><testcase classname=\"a\" name=\"b\"><failure message=\"m\">a <b> & c</failure></testcase></testsuite></testsuites>";
        assert!(std::panic::catch_unwind(|| parse(broken)).is_err());
    }
}
