//! Record and replay: every exchange of a run, normalized (no signature,
//! timestamp, nonce, SecretId, token or host; RequestIds and FaceIds
//! redacted; the run's IDs as `{{run}}`), one insta snapshot file per case.
//!
//! Recording into a folder that already holds a case's `.snap` writes a
//! `.snap.new` beside it when the exchanges differ, so `cargo insta review`
//! shows what changed in the API since the last recording. Replay answers
//! each call from the accepted `.snap`, offline.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::Value;

use crate::wire::{Exchange, Prepared};

/// The file stem of a case's recording.
fn stem(case: &str) -> String {
    case.replace("::", "__")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes recordings.
#[derive(Debug)]
pub(crate) struct Recorder {
    dir: PathBuf,
}

/// What a recording did to a case's file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Recorded {
    New,
    Unchanged,
    /// A `.snap.new` waits for `cargo insta review`.
    Changed,
}

impl Recorder {
    pub(crate) fn new(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    /// Writes one case's exchanges.
    pub(crate) fn write(
        &self,
        case: &str,
        description: &str,
        exchanges: &[Value],
    ) -> std::io::Result<Recorded> {
        let body = serde_json::to_string_pretty(exchanges).expect("JSON values serialize");
        let text = format!(
            "---\nsource: iai-conformance run --record\ndescription: {}\nexpression: exchanges\n---\n{body}\n",
            serde_json::to_string(description).expect("a string serializes")
        );
        let snap = self.dir.join(format!("{}.snap", stem(case)));
        let new = self.dir.join(format!("{}.snap.new", stem(case)));
        match std::fs::read_to_string(&snap) {
            Ok(old) if contents(&old) == contents(&text) => {
                let _ = std::fs::remove_file(&new);
                Ok(Recorded::Unchanged)
            }
            Ok(_) => std::fs::write(&new, text).map(|()| Recorded::Changed),
            Err(_) => std::fs::write(&snap, text).map(|()| Recorded::New),
        }
    }
}

/// A snapshot's contents: what follows its `---` header.
fn contents(text: &str) -> &str {
    text.strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map_or(text, |(_, body)| body)
        .trim()
}

/// Answers calls from a recording.
#[derive(Debug)]
pub(crate) struct Replayer {
    dir: PathBuf,
    cases: Mutex<HashMap<String, Vec<Value>>>,
}

impl Replayer {
    pub(crate) fn open(dir: &Path) -> std::io::Result<Self> {
        if !dir.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("--replay {}: not a folder of recordings", dir.display()),
            ));
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            cases: Mutex::new(HashMap::new()),
        })
    }

    fn recording(&self, case: &str) -> Result<Vec<Value>, String> {
        let mut cases = self.cases.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = cases.get(case) {
            return Ok(found.clone());
        }
        let path = self.dir.join(format!("{}.snap", stem(case)));
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("no recording of {case} ({}: {e})", path.display()))?;
        let exchanges: Vec<Value> = serde_json::from_str(contents(&text))
            .map_err(|e| format!("{}: not a recording: {e}", path.display()))?;
        cases.insert(case.to_string(), exchanges.clone());
        Ok(exchanges)
    }

    /// The recorded answer to call `label` of `case`. `normalized` is the
    /// request as this run would record it; it must match the recording.
    pub(crate) fn answer(
        &self,
        case: &str,
        label: &str,
        scope: &str,
        request: Prepared,
        normalized: &Value,
    ) -> Result<Exchange, String> {
        let exchanges = self.recording(case)?;
        let recorded = exchanges
            .iter()
            .find(|x| x["call"] == label)
            .ok_or_else(|| format!("the recording of {case} has no call {label}"))?;
        if recorded["request"] != normalized["request"] {
            return Err(format!(
                "{label}: the request differs from the recording (record again)\n  recorded: {}\n  now:      {}",
                recorded["request"], normalized["request"]
            ));
        }
        let response = &recorded["response"];
        let mut body = response["body"].clone();
        restore(&mut body, scope);
        Ok(Exchange::new(
            request,
            response["status"].as_u64().unwrap_or(200) as u16,
            response["content_type"].as_str().map(str::to_string),
            if body.is_null() {
                Vec::new()
            } else {
                serde_json::to_vec(&body).expect("JSON values serialize")
            },
            std::time::Duration::ZERO,
        ))
    }
}

/// What a recording holds in place of the answer's RequestId, which
/// [`restore`] makes fresh again.
pub(crate) const REDACTED_REQUEST_ID: &str = "[request-id]";
/// What a recording holds in place of a server-minted `*Timestamp`, which
/// [`restore`] makes a number again.
pub(crate) const REDACTED_TIMESTAMP: &str = "[timestamp]";

/// Puts the run's IDs back, gives each answer a fresh RequestId and each
/// redacted timestamp a number again (the moment of the replay, in
/// milliseconds), so the answer has the types the server gave it.
fn restore(value: &mut Value, scope: &str) {
    match value {
        Value::String(s) if s == REDACTED_REQUEST_ID => *s = uuid::Uuid::new_v4().to_string(),
        Value::String(s) => *s = crate::scope::expand(s, scope),
        Value::Array(items) => items.iter_mut().for_each(|v| restore(v, scope)),
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key.ends_with("Timestamp") && v == REDACTED_TIMESTAMP {
                    *v = Value::from(crate::wire::now().saturating_mul(1000));
                } else {
                    restore(v, scope);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_changed_answer_waits_for_review() {
        let dir = std::env::temp_dir().join(format!("iai-record-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let rec = Recorder::new(&dir).unwrap();
        let x = vec![json!({"call": "step[0] DeletePerson", "response": {"status": 200}})];
        assert_eq!(rec.write("a::b", "d", &x).unwrap(), Recorded::New);
        assert_eq!(rec.write("a::b", "d", &x).unwrap(), Recorded::Unchanged);
        let y = vec![json!({"call": "step[0] DeletePerson", "response": {"status": 500}})];
        assert_eq!(rec.write("a::b", "d", &y).unwrap(), Recorded::Changed);
        assert!(dir.join("a__b.snap.new").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
