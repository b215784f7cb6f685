//! Run-scoped IDs, in one place: a run's id (its creation time and a
//! random part, so `sweep` can tell its age), the scope of one case
//! (`ct-<run id>-<case index>`, a valid PersonId/GroupId fragment), and the
//! `{{run}}` placeholder of the case files, filled with a case's scope before
//! its calls are made and restored in what a snapshot records.

use serde_json::{Map, Value};

/// Where every created group and person ID starts.
pub(crate) const PREFIX: &str = "ct-";

/// What case files write where the case's scope goes.
pub(crate) const PLACEHOLDER: &str = "{{run}}";

/// A run id: its creation time (Unix seconds, base 36) and 6 random base-36
/// characters, e.g. `t3k2x1a-q8z0mb`.
pub(crate) fn mint_run_id(now: i64) -> String {
    let mut random = String::new();
    let mut n: u64 = rand::random();
    for _ in 0..6 {
        random.push(base36_digit((n % 36) as u8));
        n /= 36;
    }
    format!("{}-{random}", base36(now.max(0) as u64))
}

fn base36_digit(d: u8) -> char {
    char::from_digit(u32::from(d), 36).expect("below 36")
}

fn base36(mut n: u64) -> String {
    if n == 0 {
        return "0".into();
    }
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(base36_digit((n % 36) as u8));
        n /= 36;
    }
    digits.iter().rev().collect()
}

/// The creation time (Unix seconds) of the run that made `id`, when `id`
/// has the shape `ct-<base36 seconds>-<base36 random>-...`.
pub(crate) fn created_at(id: &str) -> Option<i64> {
    let rest = id.strip_prefix(PREFIX)?;
    let mut parts = rest.splitn(3, '-');
    let time = parts.next()?;
    let random = parts.next()?;
    let _ = parts.next()?;
    let lower36 = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
    };
    if !lower36(time) || time.len() > 12 || !lower36(random) {
        return None;
    }
    i64::from_str_radix(time, 36).ok()
}

/// The scope of case `index` of run `run_id`: what `{{run}}` becomes.
pub(crate) fn case_scope(run_id: &str, index: usize) -> String {
    format!("{PREFIX}{run_id}-{index}")
}

/// `text` with every `{{run}}` replaced by `scope`.
pub(crate) fn fill(text: &str, scope: &str) -> String {
    text.replace(PLACEHOLDER, scope)
}

/// `value` with every `{{run}}` in its strings replaced by `scope`.
pub(crate) fn fill_value(value: &Value, scope: &str) -> Value {
    match value {
        Value::String(s) => Value::String(fill(s, scope)),
        Value::Array(items) => Value::Array(items.iter().map(|v| fill_value(v, scope)).collect()),
        Value::Object(map) => Value::Object(fill_map(map, scope)),
        other => other.clone(),
    }
}

/// `map` with every `{{run}}` in its strings replaced by `scope` (keys stay).
pub(crate) fn fill_map(map: &Map<String, Value>, scope: &str) -> Map<String, Value> {
    map.iter()
        .map(|(k, v)| (k.clone(), fill_value(v, scope)))
        .collect()
}

/// `text` with the case's scope put back as `{{run}}` (for what a snapshot records).
pub(crate) fn scrub(text: &str, scope: &str) -> String {
    text.replace(scope, PLACEHOLDER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_and_restores_the_placeholder() {
        let scope = case_scope(&mint_run_id(1_700_000_000), 3);
        assert!(scope.starts_with("ct-") && scope.ends_with("-3"), "{scope}");
        let params: Map<String, Value> =
            serde_json::from_str(r#"{"PersonId": "{{run}}-1", "GroupIds": ["{{run}}-g", 7]}"#)
                .unwrap();
        let filled = fill_map(&params, &scope);
        assert_eq!(filled["PersonId"], Value::String(format!("{scope}-1")));
        assert_eq!(filled["GroupIds"][0], Value::String(format!("{scope}-g")));
        assert_eq!(filled["GroupIds"][1], 7);
        assert_eq!(scrub(&format!("{scope}-1"), &scope), "{{run}}-1");
        assert_eq!(created_at(&format!("{scope}-1")), Some(1_700_000_000));
    }
}
