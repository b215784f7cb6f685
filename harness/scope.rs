//! Run-scoped IDs: how the placeholders of a case file become the IDs of
//! one run, and back (for snapshots and recordings).
//!
//! - `{{run}}` becomes the case's scope, `ct-<run id>-<case index>`, a valid
//!   PersonId/GroupId fragment unique to the run and the case.
//! - `{{run:N}}` becomes the scope padded with `-___...` to exactly `N`
//!   bytes, so a case can send an ID of an exact length (64 accepted, 65
//!   refused) whatever the run id is. `N` must leave room for the scope.
//!
//! A leaf module: it imports nothing of the crate.

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
}
