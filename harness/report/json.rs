//! The JSON report: per case its source, verdict, RequestIds and
//! mismatches, with the counts and the findings.

use serde_json::json;

use super::Report;

/// JSON: per case its source, status, RequestIds and mismatches.
pub(crate) fn json(report: &Report) -> String {
    let value = json!({
        "target": report.target,
        "url": report.url,
        "wall_ms": report.wall.as_secs_f64() * 1000.0,
        "counts": report.counts(),
        "load_errors": report.load_errors.iter().map(|e| json!({
            "name": e.name, "file": e.file.display().to_string(), "message": e.message,
        })).collect::<Vec<_>>(),
        "cases": report.results,
        "findings": report.findings(),
    });
    serde_json::to_string_pretty(&value).expect("reports serialize")
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::report::fixture;

    #[test]
    fn holds_every_case_with_its_verdict_and_the_counts() {
        let value: Value = serde_json::from_str(&json(&fixture::report())).expect("JSON");
        assert_eq!(value["target"], "emulator");
        assert_eq!(value["counts"]["total"], 7);
        assert_eq!(value["counts"]["failed"], 2);
        assert_eq!(value["counts"]["load_errors"], 1);
        assert_eq!(value["load_errors"][0]["name"], "broken::file");
        let cases = value["cases"].as_array().expect("cases");
        assert_eq!(cases.len(), 7);
        // the verdict keeps its wire names: status and reason
        assert_eq!(cases[0]["status"], "passed");
        assert!(cases[0].get("reason").is_none());
        assert_eq!(cases[3]["status"], "unreachable");
        assert_eq!(cases[3]["reason"], "no input reaches it");
        assert_eq!(cases[3]["row"]["trigger"], "unreachable");
        assert_eq!(
            cases[1]["mismatches"][0]["field"],
            "step[0] DeletePerson: Response.Error.Code"
        );
        assert_eq!(cases[1]["observed"][0][1]["error"], "InternalError");
        assert_eq!(cases[0]["elapsed"], 3.0);
        assert_eq!(
            value["findings"]["the example's RequestId is not a UUID"][0],
            "delete_person::doc_example_2"
        );
    }
}
