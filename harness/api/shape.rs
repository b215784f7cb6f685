//! Every success answer, type-checked field by field against the generated
//! catalog: what is not nullable is present, every value has its type
//! (recursively, through arrays and nested objects), and no field is one
//! the catalog does not know. `RequestId` is the envelope's business
//! ([`crate::envelope::check`]) and is skipped here.

use serde_json::{Map, Value};

use super::spec::{Member, Spec, Type};
use crate::envelope::Mismatch;

/// Checks the `Response` object of a success answer of `action` (with or
/// without its `RequestId`) against the built-in catalog. Each mismatch
/// names the JSON path of the value: `Response.GroupInfos[1].Tag`.
pub fn check_output(action: &str, response: &Value) -> Vec<Mismatch> {
    check_output_in(Spec::get(), action, response)
}

/// [`check_output`] for the fields of a success envelope
/// ([`crate::envelope::Outcome::Success`]).
pub fn check_fields(action: &str, fields: &Map<String, Value>) -> Vec<Mismatch> {
    check_fields_in(Spec::get(), action, fields)
}

/// [`check_output`] against a given catalog.
pub(crate) fn check_output_in(spec: &Spec, action: &str, response: &Value) -> Vec<Mismatch> {
    match response {
        Value::Object(fields) => check_fields_in(spec, action, fields),
        other => vec![Mismatch::new("Response", "an object", describe(other))],
    }
}

fn check_fields_in(spec: &Spec, action: &str, fields: &Map<String, Value>) -> Vec<Mismatch> {
    let mut out = Vec::new();
    match spec.action(action) {
        Some(documented) => object(&documented.outputs, fields, "Response", true, &mut out),
        None => out.push(Mismatch::new(
            "Response",
            format!("a documented action (no success for {action:?})"),
            "a success answer",
        )),
    }
    out
}

fn object(
    members: &[Member],
    fields: &Map<String, Value>,
    path: &str,
    top: bool,
    out: &mut Vec<Mismatch>,
) {
    for key in fields.keys() {
        if top && key == "RequestId" {
            continue;
        }
        if !members.iter().any(|m| &m.name == key) {
            out.push(Mismatch::new(
                format!("{path}.{key}"),
                "only fields the catalog documents",
                "an undocumented field",
            ));
        }
    }
    for m in members {
        let at = format!("{path}.{}", m.name);
        match fields.get(&m.name) {
            None | Some(Value::Null) if m.nullable => {}
            None => out.push(Mismatch::new(
                at,
                format!("present ({}, not nullable)", m.type_name()),
                "absent",
            )),
            Some(Value::Null) => out.push(Mismatch::new(
                at,
                format!("{} (not nullable)", m.type_name()),
                "null",
            )),
            Some(v) => member(m, v, &at, out),
        }
    }
}

fn member(m: &Member, value: &Value, path: &str, out: &mut Vec<Mismatch>) {
    if !m.array {
        return one(m, value, path, out);
    }
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                one(m, item, &format!("{path}[{i}]"), out);
            }
        }
        other => out.push(Mismatch::new(path, m.type_name(), describe(other))),
    }
}

/// One value of the member's element type.
fn one(m: &Member, value: &Value, path: &str, out: &mut Vec<Mismatch>) {
    let fits = match (m.ty, value) {
        (Type::String, Value::String(_)) => true,
        (Type::Integer, Value::Number(n)) if m.unsigned => n.is_u64(),
        (Type::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
        (Type::Float, Value::Number(_)) => true,
        (Type::Boolean, Value::Bool(_)) => true,
        (Type::Object, Value::Object(fields)) => {
            object(&m.fields, fields, path, false, out);
            true
        }
        _ => false,
    };
    if !fits {
        let expected = match (m.ty, &m.object) {
            (Type::Object, Some(name)) => format!("an object ({name})"),
            (Type::Integer, _) if m.unsigned => "Integer (not negative)".to_string(),
            (ty, _) => ty.to_string(),
        };
        out.push(Mismatch::new(path, expected, describe(value)));
    }
}

/// A success answer of `action` that passes [`check_output`]: every
/// output field, nullable ones included, with a plausible value of its
/// type (arrays of one element, objects with all their members). Empty for
/// an action the catalog does not know.
pub(crate) fn sample_fields(action: &str) -> Map<String, Value> {
    fn value(m: &Member) -> Value {
        let one = match m.ty {
            Type::String => Value::from("conformance"),
            Type::Integer => Value::from(1),
            Type::Float => Value::from(1.5),
            Type::Boolean => Value::Bool(true),
            Type::Object => Value::Object(
                m.fields
                    .iter()
                    .map(|f| (f.name.clone(), value(f)))
                    .collect(),
            ),
        };
        if m.array {
            Value::Array(vec![one])
        } else {
            one
        }
    }
    Spec::get()
        .action(action)
        .map(|a| {
            a.outputs
                .iter()
                .map(|m| (m.name.clone(), value(m)))
                .collect()
        })
        .unwrap_or_default()
}

/// What a value is, for a report: `a string ("0")`.
fn describe(v: &Value) -> String {
    let short = |s: String| {
        if s.chars().count() > 40 {
            format!("{}...", s.chars().take(40).collect::<String>())
        } else {
            s
        }
    };
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) if n.is_f64() => format!("a float ({n})"),
        Value::Number(n) => format!("an integer ({n})"),
        Value::String(s) => format!("a string ({})", short(format!("{s:?}"))),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use serde_json::json;

    fn fields(found: &[Mismatch]) -> Vec<&str> {
        found.iter().map(|m| m.field.as_str()).collect()
    }

    fn person() -> Value {
        json!({
            "PersonName": "Jane",
            "Gender": 1,
            "FaceIds": ["1", "2"],
            "RequestId": "not checked here"
        })
    }

    #[test]
    fn a_well_typed_answer_passes() {
        let found = check_output("GetPersonBaseInfo", &person());
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn a_gender_given_as_a_string_fails_at_its_path() {
        let mut answer = person();
        answer["Gender"] = json!("0");
        let found = check_output("GetPersonBaseInfo", &answer);
        assert_eq!(fields(&found), ["Response.Gender"]);
        assert_eq!(found[0].expected, "Integer");
        assert_eq!(found[0].found, "a string (\"0\")");
    }

    #[test]
    fn a_missing_field_that_is_not_nullable_fails() {
        let mut answer = person();
        answer.as_object_mut().unwrap().remove("PersonName");
        let found = check_output("GetPersonBaseInfo", &answer);
        assert_eq!(fields(&found), ["Response.PersonName"]);
        assert_eq!(found[0].found, "absent");
        assert!(found[0].expected.starts_with("present (String"));
    }

    #[test]
    fn an_unknown_field_fails() {
        let mut answer = person();
        answer["Age"] = json!(30);
        let found = check_output("GetPersonBaseInfo", &answer);
        assert_eq!(fields(&found), ["Response.Age"]);
        assert_eq!(found[0].found, "an undocumented field");
    }

    #[test]
    fn a_string_where_an_integer_belongs_inside_a_nested_array_fails() {
        let mut answer = json!({
            "GroupNum": 1,
            "PersonGroupInfos": [{"GroupId": "g", "PersonExDescriptions": []}],
            "FaceModelVersion": "3.0"
        });
        let mut list = json!({
            "GroupInfos": [
                {"GroupName": "a", "GroupId": "a", "GroupExDescriptions": [], "Tag": "",
                 "FaceModelVersion": "3.0", "CreationTimestamp": 1, "UpdateTimestamp": 1},
                {"GroupName": "b", "GroupId": "b", "GroupExDescriptions": ["x"], "Tag": "",
                 "FaceModelVersion": "3.0", "CreationTimestamp": "1", "UpdateTimestamp": 1}
            ],
            "GroupNum": 2
        });
        assert!(check_output("GetPersonGroupInfo", &answer).is_empty());
        let found = check_output("GetGroupList", &list);
        assert_eq!(fields(&found), ["Response.GroupInfos[1].CreationTimestamp"]);
        assert_eq!(found[0].expected, "Integer (not negative)");
        // Deeper: a string array's element, two levels down.
        answer["PersonGroupInfos"][0]["PersonExDescriptions"] = json!(["a", 7]);
        let found = check_output("GetPersonGroupInfo", &answer);
        assert_eq!(
            fields(&found),
            ["Response.PersonGroupInfos[0].PersonExDescriptions[1]"]
        );
        // And an object where an array belongs.
        list["GroupInfos"] = json!({});
        let found = check_output("GetGroupList", &list);
        assert_eq!(fields(&found), ["Response.GroupInfos"]);
        assert_eq!(found[0].expected, "Array of GroupInfo");
    }

    #[test]
    fn null_and_absence_are_allowed_only_where_the_catalog_says_nullable() {
        // CreatePerson's FaceRect is nullable, its FaceId is not.
        let mut created = json!({"FaceId": "1", "FaceRect": null, "SimilarPersonId": "", "FaceModelVersion": "3.0"});
        assert!(check_output("CreatePerson", &created).is_empty());
        created.as_object_mut().unwrap().remove("FaceRect");
        assert!(check_output("CreatePerson", &created).is_empty());
        created["FaceId"] = Value::Null;
        let found = check_output("CreatePerson", &created);
        assert_eq!(fields(&found), ["Response.FaceId"]);
        assert_eq!(found[0].found, "null");
    }

    #[test]
    fn a_negative_value_where_the_catalog_says_unsigned_fails() {
        let found = check_output("GetPersonListNum", &json!({"PersonNum": -1, "FaceNum": 0}));
        assert_eq!(fields(&found), ["Response.PersonNum"]);
    }

    #[test]
    fn the_sample_answer_of_every_action_passes() {
        for action in &Spec::get().actions {
            let sample = sample_fields(&action.name);
            assert_eq!(sample.len(), action.outputs.len(), "{}", action.name);
            let found = check_fields(&action.name, &sample);
            assert!(found.is_empty(), "{}: {found:#?}", action.name);
        }
        assert!(sample_fields("NoSuchAction").is_empty());
    }

    #[test]
    fn an_unknown_action_fails() {
        assert_eq!(
            fields(&check_output("NoSuchAction", &json!({}))),
            ["Response"]
        );
    }

    /// Every official success example of every action, type-checked. The
    /// ones that fail are the documents' own slips, listed here so that the
    /// list fails the day Tencent fixes one.
    #[test]
    fn the_official_examples_pass_but_for_the_known_slips() {
        let mut found = BTreeSet::new();
        let mut checked = 0;
        for action in &Spec::get().actions {
            for ex in &action.examples {
                let Some(response) = &ex.response else {
                    found.insert(format!("{} {}: not JSON", action.name, ex.label()));
                    continue;
                };
                if response["Response"].get("Error").is_some() {
                    continue;
                }
                checked += 1;
                for m in check_output(&action.name, &response["Response"]) {
                    found.insert(format!(
                        "{} {}: {} {}",
                        action.name,
                        ex.label(),
                        m.field,
                        m.found
                    ));
                }
            }
        }
        let expected: BTreeSet<String> = KNOWN_SLIPS.iter().map(|s| s.to_string()).collect();
        let new: Vec<_> = found.difference(&expected).collect();
        let fixed: Vec<_> = expected.difference(&found).collect();
        assert!(
            new.is_empty() && fixed.is_empty(),
            "new mismatches: {new:#?}\nno longer failing: {fixed:#?}"
        );
        assert!(checked > 50, "{checked} success examples");
    }

    /// The official examples' known slips (see the test above). Most EN
    /// ones are error examples whose `Error` object the international
    /// pipeline stripped, leaving a "success" without its fields.
    const KNOWN_SLIPS: &[&str] = &[
        "CreateFace en#2: Response.FaceModelVersion absent",
        "CreateFace en#2: Response.RetCode absent",
        "CreateFace en#2: Response.SucFaceIds absent",
        "CreateFace en#2: Response.SucFaceNum absent",
        "CreateFace en#2: Response.SucFaceRects absent",
        "CreateFace en#2: Response.SucIndexes absent",
        "CreateGroup en#3: Response.FaceModelVersion absent",
        "CreateGroup en#4: Response.FaceModelVersion absent",
        "CreatePerson en#3: Response.FaceId absent",
        "CreatePerson en#3: Response.FaceModelVersion absent",
        "CreatePerson en#3: Response.SimilarPersonId absent",
        "CreatePerson en#4: Response.FaceId absent",
        "CreatePerson en#4: Response.FaceModelVersion absent",
        "CreatePerson en#4: Response.SimilarPersonId absent",
        "DeleteFace en#2: Response.SucDeletedNum absent",
        "DeleteFace en#2: Response.SucFaceIds absent",
        "GetGroupList cn#2: Response.GroupInfos[0].UpdateTimestamp absent",
        "GetGroupList cn#2: Response.GroupInfos[1].UpdateTimestamp absent",
        "GetGroupList en#1: not JSON",
        "GetGroupList en#2: Response.GroupInfos absent",
        "GetPersonBaseInfo en#2: Response.FaceIds absent",
        "GetPersonBaseInfo en#2: Response.Gender absent",
        "GetPersonBaseInfo en#2: Response.PersonName absent",
        "GetPersonGroupInfo en#1: Response.GroupNum a string (\"1\")",
        "GetPersonGroupInfo en#2: Response.GroupNum a string (\"1\")",
        "GetPersonGroupInfo en#3: Response.PersonGroupInfos absent",
        "GetPersonList en#3: Response.PersonInfos absent",
        "GetPersonListNum en#2: Response.FaceNum absent",
        "GetPersonListNum en#2: Response.PersonNum absent",
        "SearchFaces en#2: Response.FaceModelVersion absent",
        "SearchFaces en#2: Response.FaceNum absent",
        "SearchFaces en#2: Response.Results absent",
        "SearchFaces en#3: Response.FaceModelVersion absent",
        "SearchFaces en#3: Response.FaceNum absent",
        "SearchFaces en#3: Response.Results absent",
        "SearchPersons en#2: Response.PersonNum absent",
        "SearchPersons en#2: Response.Results absent",
        "SearchPersonsReturnsByGroup en#2: Response.FaceModelVersion absent",
        "SearchPersonsReturnsByGroup en#2: Response.PersonNum absent",
        "SearchPersonsReturnsByGroup en#2: Response.ResultsReturnsByGroup absent",
    ];
}
