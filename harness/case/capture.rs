//! Values a case takes from one answer into a later call.
//!
//! A call may name fields of its answer's `Response` to keep:
//! `capture = { face = "SucFaceIds[0]" }`. Every later call of the case
//! (setup, step or teardown) may then write `{{capture:face}}` in its
//! parameters, its expected values or its tamper. A string that is exactly
//! the placeholder becomes the kept value with its JSON type; a
//! placeholder inside a longer string is replaced by the value's text.
//! This is how a case deletes the face its CreateFace answered, an ID only
//! the server knows.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// What opens a placeholder.
const OPEN: &str = "{{capture:";
/// What closes one.
const CLOSE: &str = "}}";

/// The values kept so far in one run of a case, by name.
pub(crate) type Captured = BTreeMap<String, Value>;

/// One step of a path: a field of an object or an index of an array.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step<'a> {
    Field(&'a str),
    Index(usize),
}

/// Parses `Name(.Name|[N])*`.
fn parse(path: &str) -> Result<Vec<Step<'_>>, String> {
    let bad = |why: &str| {
        Err(format!(
            "{path:?} is not a Response path ({why}); write e.g. \"SucFaceIds[0]\" or \"FaceInfos[0].FaceRect.X\""
        ))
    };
    let mut steps = Vec::new();
    let mut rest = path;
    let mut first = true;
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix('[') {
            let Some((digits, after)) = tail.split_once(']') else {
                return bad("an index without `]`");
            };
            let Ok(n) = digits.parse::<usize>() else {
                return bad("an index that is not a number");
            };
            if first {
                return bad("it starts with an index, not a field");
            }
            steps.push(Step::Index(n));
            rest = after;
        } else {
            let name_part = if first {
                rest
            } else if let Some(tail) = rest.strip_prefix('.') {
                tail
            } else {
                return bad("fields are joined by `.`");
            };
            let end = name_part.find(['.', '[']).unwrap_or(name_part.len());
            let name = &name_part[..end];
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return bad("a field name is empty or not alphanumeric");
            }
            steps.push(Step::Field(name));
            rest = &name_part[end..];
        }
        first = false;
    }
    if steps.is_empty() {
        return bad("it is empty");
    }
    Ok(steps)
}

/// Checks a capture's name and path.
pub(crate) fn check_capture(name: &str, path: &str) -> Result<(), String> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(format!(
            "{name:?}: a capture's name is letters, digits, `_` and `-`"
        ));
    }
    parse(path).map(drop).map_err(|e| format!("{name}: {e}"))
}

/// The value at `path` inside `response` (the answer's `Response` object).
pub(crate) fn lookup<'v>(response: &'v Value, path: &str) -> Option<&'v Value> {
    let steps = parse(path).ok()?;
    steps.iter().try_fold(response, |value, step| match step {
        Step::Field(name) => value.get(*name),
        Step::Index(i) => value.get(*i),
    })
}

/// The names of the placeholders in `text`, in order.
pub(crate) fn names_in(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(OPEN) {
        let tail = &rest[at + OPEN.len()..];
        match tail.find(CLOSE) {
            Some(end) => {
                names.push(&tail[..end]);
                rest = &tail[end + CLOSE.len()..];
            }
            None => {
                names.push(tail);
                break;
            }
        }
    }
    names
}

/// The names of the placeholders anywhere in `value`'s strings.
pub(crate) fn names_in_value<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::String(s) => out.extend(names_in(s)),
        Value::Array(items) => items.iter().for_each(|v| names_in_value(v, out)),
        Value::Object(map) => map.values().for_each(|v| names_in_value(v, out)),
        _ => {}
    }
}

/// The text a kept value stands for inside a longer string.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `text` with every placeholder replaced; a string that is one
/// placeholder alone becomes the kept value itself. A name not kept (the
/// answer that should have given it failed) stays as written.
pub(crate) fn fill_text(text: &str, captured: &Captured) -> Value {
    if let Some(name) = text
        .strip_prefix(OPEN)
        .and_then(|t| t.strip_suffix(CLOSE))
        .filter(|name| !name.contains(CLOSE))
        && let Some(value) = captured.get(name)
    {
        return value.clone();
    }
    Value::String(fill_string(text, captured))
}

/// [`fill_text`] where the result must stay a string (a tampered body or
/// parameter).
pub(crate) fn fill_string(text: &str, captured: &Captured) -> String {
    if !text.contains(OPEN) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at]);
        let tail = &rest[at + OPEN.len()..];
        let Some(end) = tail.find(CLOSE) else {
            out.push_str(&rest[at..]);
            return out;
        };
        match captured.get(&tail[..end]) {
            Some(value) => out.push_str(&text_of(value)),
            None => out.push_str(&rest[at..at + OPEN.len() + end + CLOSE.len()]),
        }
        rest = &tail[end + CLOSE.len()..];
    }
    out.push_str(rest);
    out
}

/// `map` with every placeholder in its strings filled (keys stay).
pub(crate) fn fill_map(map: &Map<String, Value>, captured: &Captured) -> Map<String, Value> {
    crate::wire::map_strings(map, &|s| fill_text(s, captured))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn paths_parse_and_look_up() {
        let response =
            json!({ "SucFaceIds": ["f1", "f2"], "FaceInfos": [{ "FaceRect": { "X": 3 } }] });
        assert_eq!(lookup(&response, "SucFaceIds[1]"), Some(&json!("f2")));
        assert_eq!(
            lookup(&response, "FaceInfos[0].FaceRect.X"),
            Some(&json!(3))
        );
        assert_eq!(lookup(&response, "SucFaceIds"), Some(&json!(["f1", "f2"])));
        assert_eq!(lookup(&response, "SucFaceIds[2]"), None);
        assert_eq!(lookup(&response, "Missing.X"), None);
        for bad in ["", "[0]", "A[", "A[x]", "A..B", "A.", "A-B", "A]"] {
            assert!(check_capture("n", bad).is_err(), "{bad:?} should not parse");
        }
        assert!(check_capture("a b", "A").is_err());
        assert!(check_capture("face-1", "A[0].B_c").is_ok());
    }

    #[test]
    fn fills_keep_the_type_of_a_whole_placeholder() {
        let captured: Captured = [
            ("face".to_string(), json!("f-9")),
            ("n".to_string(), json!(2)),
        ]
        .into();
        assert_eq!(fill_text("{{capture:face}}", &captured), json!("f-9"));
        assert_eq!(fill_text("{{capture:n}}", &captured), json!(2));
        assert_eq!(
            fill_text("id {{capture:face}}/{{capture:n}}", &captured),
            json!("id f-9/2")
        );
        // not kept: left as written, so the call shows what was missing
        assert_eq!(
            fill_text("{{capture:other}}", &captured),
            json!("{{capture:other}}")
        );
        let params = json!({ "FaceIds": ["{{capture:face}}"], "Info": { "N": "{{capture:n}}" } });
        assert_eq!(
            Value::Object(fill_map(params.as_object().unwrap(), &captured)),
            json!({ "FaceIds": ["f-9"], "Info": { "N": 2 } })
        );
        assert_eq!(names_in("a {{capture:x}} b {{capture:y}}"), ["x", "y"]);
        assert_eq!(names_in("{{capture:open"), ["open"]);
    }
}
