//! Run-scoped IDs, in one place: a run's id (its creation time and a
//! random part, so `sweep` can tell its age), the scope of one case, and
//! how the placeholders of a case file become the IDs of one run, and back
//! (for snapshots and recordings).
//!
//! - `{{run}}` becomes the case's scope, `ct-<run id>-<case index>`, a valid
//!   PersonId/GroupId fragment unique to the run and the case.
//! - `{{run:N}}` becomes the scope padded with `-___...` to exactly `N`
//!   bytes, so a case can send an ID of an exact length (64 accepted, 65
//!   refused) whatever the run id is. `N` must leave room for the scope.
//!
//! A leaf module: it imports nothing of the crate.

use serde_json::{Map, Value};

/// Where every created group and person ID starts.
pub(crate) const PREFIX: &str = "ct-";

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

/// The shortest `N` a `{{run:N}}` may ask for: longer than any scope.
pub(crate) const MIN_PADDED: usize = 40;

/// Replaces every placeholder in `text` with `scope`'s form of it.
pub(crate) fn expand(text: &str, scope: &str) -> String {
    if !text.contains("{{run") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + scope.len());
    let mut rest = text;
    while let Some(at) = rest.find("{{run") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + "{{run".len()..];
        if let Some(after) = tail.strip_prefix("}}") {
            out.push_str(scope);
            rest = after;
            continue;
        }
        match padded_len(tail) {
            Some((n, used)) => {
                out.push_str(&padded(scope, n));
                rest = &tail[used..];
            }
            None => {
                out.push_str("{{run");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `:N}}` at the start of `tail`: `N` and the bytes it took.
fn padded_len(tail: &str) -> Option<(usize, usize)> {
    let digits = tail.strip_prefix(':')?;
    let end = digits.find("}}")?;
    let n = digits[..end].parse().ok()?;
    Some((n, 1 + end + 2))
}

/// `scope` padded with `-` and `_`s to `n` bytes (`scope` itself when
/// there is no room, which the case loader refuses beforehand).
fn padded(scope: &str, n: usize) -> String {
    if n <= scope.len() + 1 {
        return scope.to_string();
    }
    let mut id = String::with_capacity(n);
    id.push_str(scope);
    id.push('-');
    id.extend(std::iter::repeat_n('_', n - scope.len() - 1));
    id
}

/// The placeholders a case string asks for, checked: `Err` names what is
/// wrong with a `{{run:N}}`.
pub(crate) fn check(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(at) = rest.find("{{run:") {
        let tail = &rest[at + "{{run".len()..];
        match padded_len(tail) {
            Some((n, used)) if (MIN_PADDED..=100_000).contains(&n) => rest = &tail[used..],
            Some((n, _)) => {
                return Err(format!(
                    "{{{{run:{n}}}}}: the length must be {MIN_PADDED} to 100000 bytes, room for the run's prefix"
                ));
            }
            None => {
                return Err(
                    "`{{run:` must be followed by a length and `}}`, e.g. {{run:64}}".into(),
                );
            }
        }
    }
    Ok(())
}

/// The reverse of [`expand`]: the scope becomes `{{run}}` again, and a
/// padded ID `{{run:N}}`, so a snapshot does not depend on the run.
pub(crate) fn collapse(text: &str, scope: &str) -> String {
    if !text.contains(scope) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(scope) {
        out.push_str(&rest[..at]);
        let tail = &rest[at + scope.len()..];
        let pad = tail
            .strip_prefix('-')
            .map_or(0, |t| t.bytes().take_while(|b| *b == b'_').count());
        let n = scope.len() + 1 + pad;
        if pad > 0 && n >= MIN_PADDED {
            out.push_str(&format!("{{{{run:{n}}}}}"));
            rest = &tail[1 + pad..];
        } else {
            out.push_str("{{run}}");
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// `map` with every placeholder in its strings expanded for `scope` (keys stay).
pub(crate) fn expand_map(map: &Map<String, Value>, scope: &str) -> Map<String, Value> {
    crate::wire::map_strings(map, &|s| Value::String(expand(s, scope)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCOPE: &str = "ct-t3k2x1a-q8z0mb-12";

    #[test]
    fn expands_both_forms() {
        assert_eq!(expand("{{run}}-2001", SCOPE), format!("{SCOPE}-2001"));
        let id = expand("{{run:64}}", SCOPE);
        assert_eq!(id.len(), 64);
        assert!(id.starts_with(SCOPE));
        assert_eq!(expand("a{{run:65}}b", SCOPE).len(), 67);
        assert_eq!(expand("{{run}}/{{run}}", SCOPE), format!("{SCOPE}/{SCOPE}"));
        assert_eq!(expand("no placeholder", SCOPE), "no placeholder");
        assert_eq!(expand("{{run:x}}", SCOPE), format!("{{{{run:x}}}}"));
    }

    #[test]
    fn collapse_undoes_expand() {
        for text in [
            "{{run}}-2001",
            "{{run:64}}",
            "{{run:65}} and {{run}}",
            "{{run}}-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "{{run}}-%@#&_",
            "plain",
        ] {
            assert_eq!(collapse(&expand(text, SCOPE), SCOPE), text, "{text}");
        }
    }

    #[test]
    fn checks_the_padded_length() {
        assert!(check("{{run:64}}").is_ok());
        assert!(check("{{run}}-1").is_ok());
        assert!(check("{{run:10}}").unwrap_err().contains("40 to 100000"));
        assert!(check("{{run:64").is_err());
    }

    #[test]
    fn a_case_scope_carries_its_run_time() {
        let scope = case_scope(&mint_run_id(1_700_000_000), 3);
        assert!(scope.starts_with("ct-") && scope.ends_with("-3"), "{scope}");
        let params: Map<String, Value> =
            serde_json::from_str(r#"{"PersonId": "{{run}}-1", "GroupIds": ["{{run}}-g", 7]}"#)
                .unwrap();
        let filled = expand_map(&params, &scope);
        assert_eq!(filled["PersonId"], Value::String(format!("{scope}-1")));
        assert_eq!(filled["GroupIds"][0], Value::String(format!("{scope}-g")));
        assert_eq!(filled["GroupIds"][1], 7);
        assert_eq!(created_at(&format!("{scope}-1")), Some(1_700_000_000));
    }
}
