//! Table files: one `[[row]]` per case, sharing the table's defaults.
//!
//! Two uses: the documented error-code table (a row per code, each saying
//! how the code is triggered: `input`, `fault` or `unreachable` and why),
//! and families of near-identical cases such as the signature matrix.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::schema::{
    Call, CaseFile, Credential, Expect, ExpectFail, Fault, Reply, Source, SourceKind, Tamper,
    TargetKind, V1Digest,
};
use super::{Case, RowInfo};
use crate::wire::{SignedHeaderSet, Style};

/// How a documented code is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// By the request itself (its parameters, shape or signature).
    Input,
    /// By a fault injected into the emulator.
    Fault,
    /// Not reachable through this action on a server; `reason` says why.
    Unreachable,
}

/// A table file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TableFile {
    /// What the table covers; each row's description starts with it.
    pub description: String,
    pub source: Source,
    /// The action every row calls.
    pub action: String,
    /// Parameters every row sends unless it gives its own.
    #[serde(default)]
    pub params: Map<String, Value>,
    #[serde(default)]
    pub style: Option<Style>,
    #[serde(default)]
    pub setup: Vec<Call>,
    #[serde(default)]
    pub targets: Option<Vec<TargetKind>>,
    #[serde(default = "yes")]
    pub snapshot: bool,
    #[serde(default, rename = "row")]
    pub rows: Vec<Row>,
}

fn yes() -> bool {
    true
}

/// One row: a case, given by what differs from the table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Row {
    /// Another action than the table's.
    #[serde(default)]
    pub action: Option<String>,
    /// The case's last name segment; defaults to `code`.
    #[serde(default)]
    pub name: Option<String>,
    /// The documented code the row covers (error-code tables).
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub trigger: Option<Trigger>,
    /// How the row triggers its code, or why it cannot.
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub params: Option<Map<String, Value>>,
    #[serde(default)]
    pub style: Option<Style>,
    #[serde(default)]
    pub signed_headers: Option<SignedHeaderSet>,
    #[serde(default)]
    pub v1_method: Option<V1Digest>,
    #[serde(default)]
    pub credentials: Option<Credential>,
    #[serde(default)]
    pub clock_skew: Option<i64>,
    #[serde(default)]
    pub pin_clock: Option<bool>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub tamper: Option<Tamper>,
    /// For `fault` rows: overrides of the injected fault (its code is the row's).
    #[serde(default)]
    pub fault: Option<FaultOverride>,
    /// Defaults to `code = <the row's code>`.
    #[serde(default)]
    pub expect: Option<Expect>,
    #[serde(default)]
    pub setup: Option<Vec<Call>>,
    #[serde(default)]
    pub targets: Option<Vec<TargetKind>>,
    #[serde(default)]
    pub expect_fail: Vec<ExpectFail>,
    #[serde(default)]
    pub findings: Vec<String>,
    #[serde(default)]
    pub snapshot: Option<bool>,
    /// What the fake server serves a client (a client-target row).
    #[serde(default)]
    pub reply: Option<Reply>,
}

/// What a fault row may change about its fault.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultOverride {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub latency_ms: Option<u64>,
}

impl TableFile {
    /// One case per row, named `<table>::<row name>`.
    pub(crate) fn expand(self, table_name: &str, file: &Path) -> Result<Vec<Case>, String> {
        if self.rows.is_empty() {
            return Err("row: a table needs at least one [[row]]".into());
        }
        let mut out = Vec::with_capacity(self.rows.len());
        let mut names = BTreeMap::new();
        for (i, row) in self.rows.into_iter().enumerate() {
            let at = format!("row[{i}]");
            let name = row
                .name
                .clone()
                .or_else(|| row.code.clone())
                .ok_or_else(|| format!("{at}: give `name` or `code`"))?;
            if let Some(first) = names.insert(name.clone(), i) {
                return Err(format!("{at}: row[{first}] has the same name {name:?}"));
            }
            if row.code.is_some() != row.trigger.is_some() {
                return Err(format!(
                    "{at}: `code` and `trigger` go together (trigger = \"input\", \"fault\" or \"unreachable\")"
                ));
            }
            let trigger = row.trigger;
            if trigger == Some(Trigger::Fault) && row.expect.is_none() && row.code.is_none() {
                return Err(format!("{at}: a fault row needs its code"));
            }
            if trigger.is_some() && row.reason.as_deref().is_none_or(str::is_empty) {
                return Err(format!(
                    "{at}.reason: say how the code is triggered, or why it cannot be"
                ));
            }
            if trigger != Some(Trigger::Fault) && row.fault.is_some() {
                return Err(format!("{at}.fault: only for trigger = \"fault\""));
            }
            let answered = row.reply.as_ref().is_some_and(Reply::gives_the_answer);
            let expect = match (&row.expect, &row.code) {
                (Some(e), _) => Some(e.clone()),
                (None, Some(code)) => Some(Expect {
                    code: Some(code.clone()),
                    ..Expect::default()
                }),
                (None, None) if answered => None,
                (None, None) => return Err(format!("{at}.expect: give `expect` or `code`")),
            };
            let fault = (trigger == Some(Trigger::Fault)).then(|| {
                let o = row.fault.clone().unwrap_or_default();
                Fault {
                    code: row.code.clone().unwrap_or_default(),
                    message: o.message,
                    latency_ms: o.latency_ms,
                }
            });
            let step = Call {
                action: row.action.clone().unwrap_or_else(|| self.action.clone()),
                params: row.params.clone().unwrap_or_else(|| self.params.clone()),
                style: row.style.or(self.style).unwrap_or(Style::Tc3PostJson),
                signed_headers: row.signed_headers.unwrap_or_default(),
                v1_method: row.v1_method,
                credentials: row.credentials.unwrap_or_default(),
                clock_skew: row.clock_skew.unwrap_or(0),
                pin_clock: row.pin_clock.unwrap_or(false),
                version: row.version.clone(),
                tamper: row.tamper.clone(),
                fault,
                expect,
                capture: Default::default(),
            };
            let description = match (&row.description, &row.reason) {
                (Some(d), _) => format!("{}: {d}", self.description),
                (None, Some(r)) => format!("{} ({name}): {r}", self.description),
                (None, None) => format!("{} ({name})", self.description),
            };
            let spec = CaseFile {
                description,
                source: Source {
                    kind: self.source.kind,
                    reference: match &row.code {
                        Some(code) => format!("{}, row {code}", self.source.reference),
                        None => self.source.reference.clone(),
                    },
                },
                findings: row.findings.clone(),
                targets: row.targets.clone().or_else(|| self.targets.clone()),
                snapshot: row.snapshot.unwrap_or(self.snapshot),
                expect_fail: row.expect_fail.clone(),
                setup: row.setup.clone().unwrap_or_else(|| self.setup.clone()),
                steps: vec![step],
                teardown: Vec::new(),
                reply: row.reply.clone(),
            };
            spec.validate().map_err(|e| format!("{at}: {e}"))?;
            out.push(Case {
                name: format!("{table_name}::{name}"),
                file: file.to_path_buf(),
                spec,
                // Only an error-code table feeds the matrix's per-action rows.
                row: row
                    .code
                    .clone()
                    .filter(|_| self.source.kind == SourceKind::ErrorCode)
                    .map(|code| RowInfo {
                        action: self.action.clone(),
                        code,
                        trigger: trigger.unwrap_or(Trigger::Input),
                        reason: row.reason.clone().unwrap_or_default(),
                    }),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    #[test]
    fn expands_one_case_per_row() {
        let cases = parse(
            r#"
            description = "DeletePerson error codes"
            source = { kind = "error_code", ref = "DeletePerson.txt, 6. Error Code" }
            action = "DeletePerson"
            params = { PersonId = "{{run}}-p" }
            [[row]]
            code = "InvalidParameterValue.PersonIdNotExist"
            trigger = "input"
            reason = "a valid ID nobody created"
            [[row]]
            code = "InternalError"
            trigger = "fault"
            reason = "injected"
            [[row]]
            code = "FailedOperation.ImageDecodeFailed"
            trigger = "unreachable"
            reason = "DeletePerson takes no image"
            "#,
            "delete_person::error_codes",
            Path::new("delete_person/error_codes.toml"),
        )
        .unwrap();
        assert_eq!(cases.len(), 3);
        assert_eq!(cases[1].name, "delete_person::error_codes::InternalError");
        assert_eq!(
            cases[1].spec.steps[0].fault.as_ref().unwrap().code,
            "InternalError"
        );
        assert!(cases[2].unreachable().is_some());
        assert!(cases[0].unreachable().is_none());
    }

    #[test]
    fn a_code_row_says_why() {
        let err = parse(
            r#"
            description = "t"
            source = { kind = "error_code", ref = "r" }
            action = "DeletePerson"
            [[row]]
            code = "InternalError"
            trigger = "fault"
            "#,
            "t",
            Path::new("t.toml"),
        )
        .unwrap_err();
        assert!(err.contains("row[0].reason"), "{err}");
    }
}
