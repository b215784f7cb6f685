//! The case-file schema. Field names are snake_case; parameters inside
//! `params` are spelled as on the wire (PascalCase).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::wire::{SignedHeaderSet, Style};

/// One conformance case.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// What the case shows, in one or two sentences.
    pub description: String,
    /// Where the expectation comes from.
    pub source: Source,
    /// Documentation findings this case records (listed by the reports).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
    /// The targets it applies to; all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<TargetKind>>,
    /// Record the normalized exchanges as an insta snapshot.
    #[serde(default = "yes")]
    pub snapshot: bool,
    /// A known divergence: on these targets the case must fail, and turns
    /// red the day it passes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect_fail: Vec<ExpectFail>,
    /// Calls that build the state the steps need; each must succeed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub setup: Vec<Call>,
    /// The calls under test, in order, each with its expectation.
    #[serde(default, rename = "step")]
    pub steps: Vec<Call>,
    /// Best-effort clean-up, run whatever happened; outcomes are ignored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teardown: Vec<Call>,
    /// What the fake server serves a client (client targets only): a case
    /// with a reply is about how a client reads that answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<Reply>,
}

fn yes() -> bool {
    true
}

/// Where an expectation comes from.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// What kind of source it is.
    pub kind: SourceKind,
    /// Which example, row or finding, e.g. `DeletePerson.txt, Example 2`.
    #[serde(rename = "ref")]
    pub reference: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
/// The kinds of source a case names.
pub enum SourceKind {
    /// An input/output example of the document.
    DocExample,
    /// A row of the document's error-code table.
    ErrorCode,
    /// A rule stated in the document's text (parameters, description).
    DocRule,
    /// The common (platform) documentation: signing, common parameters, common codes.
    Common,
    /// A documentation finding: where Tencent's own sources disagree.
    Finding,
}

/// The kinds of target a case can run against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// The reference emulator, in-process.
    Emulator,
    /// A URL that answers the emulator's control API (`iai-conformance serve`).
    Serve,
    /// Any other URL: the real service or a third-party fake.
    Live,
    /// Our own client (`client:rust`), against the harness playing the server.
    #[serde(rename = "client:rust")]
    ClientRust,
    /// The official Python SDK (`client:python-sdk`).
    #[serde(rename = "client:python-sdk")]
    ClientPythonSdk,
    /// Any adapter command (`client:command:<cmd>`).
    #[serde(rename = "client:command")]
    ClientCommand,
}

impl TargetKind {
    /// The name case files use for this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Emulator => "emulator",
            Self::Serve => "serve",
            Self::Live => "live",
            Self::ClientRust => "client:rust",
            Self::ClientPythonSdk => "client:python-sdk",
            Self::ClientCommand => "client:command",
        }
    }

    /// Whether a client library is under test (the harness plays the server).
    pub fn is_client(self) -> bool {
        matches!(
            self,
            Self::ClientRust | Self::ClientPythonSdk | Self::ClientCommand
        )
    }

    /// Whether the target is the reference emulator (in-process or served).
    pub fn is_emulator(self) -> bool {
        matches!(self, Self::Emulator | Self::Serve)
    }
}

/// A known divergence on a target.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectFail {
    pub target: TargetKind,
    pub reason: String,
}

/// Which credentials sign a call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    /// The target's credentials.
    #[default]
    Valid,
    /// The right SecretId with another SecretKey.
    WrongKey,
    /// A SecretId the target does not know.
    UnknownId,
    /// The target's credentials plus a session token it never issued.
    BogusToken,
}

/// One request: an action with parameters, how it is shaped and signed,
/// what is done to it after signing, and what is expected back.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Call {
    pub action: String,
    /// Wire parameters; strings may hold `{{run}}`, replaced by a prefix
    /// unique to the run and the case.
    #[serde(default)]
    pub params: Map<String, Value>,
    #[serde(default = "default_style")]
    pub style: Style,
    #[serde(default)]
    pub signed_headers: SignedHeaderSet,
    /// v1 only: `hmac_sha1` or `hmac_sha256` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v1_method: Option<V1Digest>,
    #[serde(default)]
    pub credentials: Credential,
    /// Seconds added to the current time for the signing timestamp.
    #[serde(default)]
    pub clock_skew: i64,
    /// Pin the server clock at the second this call is signed (the
    /// emulator's control API), so that `clock_skew` is exactly the skew
    /// the server sees; such a case runs alone, and is skipped live.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pin_clock: bool,
    /// The `Version` to send, when not the API version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Changes made to the signed request before it is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tamper: Option<Tamper>,
    /// A fault injected through the control API just before this call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
    /// What the answer must be. Required in `step`, implied (success) in
    /// `setup`, not allowed in `teardown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
    /// Fields of the answer's `Response` kept for later calls, by name:
    /// `{ face = "SucFaceIds[0]" }` makes `{{capture:face}}` usable after
    /// this call (see [`super::capture`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capture: BTreeMap<String, String>,
}

fn default_style() -> Style {
    Style::Tc3PostJson
}

impl Call {
    /// Every `{{run:N}}` in the parameters and the tamper is well formed.
    fn check_placeholders(&self, at: &str) -> Result<(), String> {
        fn walk(value: &Value, path: &str) -> Result<(), String> {
            match value {
                Value::String(s) => crate::scope::check(s).map_err(|e| format!("{path}: {e}")),
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .try_for_each(|(i, v)| walk(v, &format!("{path}[{i}]"))),
                Value::Object(map) => map
                    .iter()
                    .try_for_each(|(k, v)| walk(v, &format!("{path}.{k}"))),
                _ => Ok(()),
            }
        }
        for (k, v) in &self.params {
            walk(v, &format!("{at}.params.{k}"))?;
        }
        if let Some(t) = &self.tamper {
            if (t.scope_date.is_some() || t.scope_service.is_some()) && !t.resign {
                return Err(format!(
                    "{at}.tamper: scope_date and scope_service take effect when signing again: add resign = true"
                ));
            }
            for (k, v) in &t.set_param {
                crate::scope::check(v).map_err(|e| format!("{at}.tamper.set_param.{k}: {e}"))?;
            }
            if let Some(body) = &t.body {
                crate::scope::check(body).map_err(|e| format!("{at}.tamper.body: {e}"))?;
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum V1Digest {
    HmacSha1,
    HmacSha256,
}

/// Changes to a signed request. Unless `resign` is set the signature is
/// left as it was, so the change must be detected.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tamper {
    /// Replace the body with this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Pad the JSON body with a filler parameter to at least this many bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_size: Option<usize>,
    /// Pad the query string (GET) with a filler parameter to at least this many bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_size: Option<usize>,
    /// Set (or replace) a parameter in the body or query after signing.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub set_param: BTreeMap<String, String>,
    /// Remove parameters from the body or query after signing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove_param: Vec<String>,
    /// Set (or replace) headers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub set_header: BTreeMap<String, String>,
    /// Remove headers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove_header: Vec<String>,
    /// Sign again (TC3) after the changes, so only the change itself is tested.
    #[serde(default)]
    pub resign: bool,
    /// With `resign`: sign with this date (`YYYY-MM-DD`) in the credential
    /// scope and the key chain instead of the timestamp's UTC date, as a
    /// client that uses its local date would.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_date: Option<String>,
    /// With `resign`: sign for this service instead of `iai`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_service: Option<String>,
}

/// A fault for the emulator to inject (its `FaultSpec`). The fault is
/// scoped to the call's `PersonId` when it has one, and fires once.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
}

/// The expected answer: exactly one of `success`, `code` or `any_of`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// A success answer, with exactly the documented output fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// An error with this code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// An error with one of these codes (the document is ambiguous).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub any_of: Vec<String>,
    /// With `any_of`: the code the reference emulator must answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<String>,
    /// With `success`: values some output fields must have.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub values: Map<String, Value>,
    /// The whole answer (`{"Response": ...}`) a client target serves for
    /// this call instead of one built from the expectation (an official
    /// example's answer); server targets ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Value>,
}

impl Expect {
    pub fn success() -> Self {
        Self {
            success: Some(true),
            ..Self::default()
        }
    }

    pub fn is_success(&self) -> bool {
        self.success == Some(true)
    }

    /// Every code this expectation names.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.code
            .iter()
            .chain(&self.any_of)
            .chain(&self.pinned)
            .map(String::as_str)
    }

    fn validate(&self, at: &str) -> Result<(), String> {
        let said = [
            self.success.is_some(),
            self.code.is_some(),
            !self.any_of.is_empty(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if said != 1 {
            return Err(format!(
                "{at}.expect: give exactly one of `success = true`, `code = \"...\"` or `any_of = [...]`"
            ));
        }
        if self.success == Some(false) {
            return Err(format!(
                "{at}.expect.success: write `success = true`, or expect a `code`"
            ));
        }
        if let Some(pinned) = &self.pinned
            && !self.any_of.contains(pinned)
        {
            return Err(format!(
                "{at}.expect.pinned: {pinned:?} must be one of any_of"
            ));
        }
        if self.pinned.is_some() && self.any_of.is_empty() {
            return Err(format!("{at}.expect.pinned: only with any_of"));
        }
        if !self.values.is_empty() && !self.is_success() {
            return Err(format!("{at}.expect.values: only with success = true"));
        }
        Ok(())
    }
}

impl CaseFile {
    /// Every capture is well formed, kept where a later call can use it,
    /// and every `{{capture:NAME}}` is kept by an earlier call.
    fn check_captures(&self) -> Result<(), String> {
        use super::capture;
        let phases = [
            ("setup", &self.setup),
            ("step", &self.steps),
            ("teardown", &self.teardown),
        ];
        let mut kept: Vec<&str> = Vec::new();
        for (phase, calls) in phases {
            for (i, call) in calls.iter().enumerate() {
                let at = format!("{phase}[{i}]");
                let mut used = Vec::new();
                call.params
                    .values()
                    .for_each(|v| capture::names_in_value(v, &mut used));
                if let Some(expect) = &call.expect {
                    expect
                        .values
                        .values()
                        .for_each(|v| capture::names_in_value(v, &mut used));
                }
                if let Some(t) = &call.tamper {
                    t.set_param
                        .values()
                        .chain(&t.body)
                        .for_each(|v| used.extend(capture::names_in(v)));
                }
                if let Some(name) = used.iter().find(|n| !kept.contains(n)) {
                    return Err(format!(
                        "{at}: {{{{capture:{name}}}}} is not kept by an earlier call; add `capture = {{ {name} = \"Field\" }}` to the call whose answer holds it"
                    ));
                }
                if call.capture.is_empty() {
                    continue;
                }
                if phase == "teardown" || self.reply.is_some() {
                    return Err(format!(
                        "{at}.capture: only a setup or step call of a case against a server keeps values"
                    ));
                }
                for (name, path) in &call.capture {
                    capture::check_capture(name, path).map_err(|e| format!("{at}.capture.{e}"))?;
                    kept.push(name);
                }
            }
        }
        Ok(())
    }

    /// Checks what serde cannot: a step has an expectation, setup and
    /// teardown have none they could not honour, and so on.
    pub fn validate(&self) -> Result<(), String> {
        if self.description.trim().is_empty() {
            return Err("description: must not be empty".into());
        }
        if self.steps.is_empty() {
            return Err("step: a case needs at least one [[step]]".into());
        }
        let phases = [
            ("setup", &self.setup),
            ("step", &self.steps),
            ("teardown", &self.teardown),
        ];
        for (phase, calls) in phases {
            for (i, call) in calls.iter().enumerate() {
                call.check_placeholders(&format!("{phase}[{i}]"))?;
            }
        }
        self.check_captures()?;
        for (i, call) in self.setup.iter().enumerate() {
            if let Some(expect) = &call.expect {
                expect.validate(&format!("setup[{i}]"))?;
            }
        }
        if let Some(reply) = &self.reply {
            reply.validate()?;
            if self.steps.len() != 1 {
                return Err("reply: a case with a [reply] has exactly one [[step]]".into());
            }
        }
        let answered = self.reply.as_ref().is_some_and(Reply::gives_the_answer);
        for (i, call) in self.steps.iter().enumerate() {
            let at = format!("step[{i}]");
            let Some(expect) = call.expect.as_ref() else {
                if answered {
                    continue;
                }
                return Err(format!(
                    "{at}.expect: a step needs an expectation, e.g. `expect = {{ success = true }}`"
                ));
            };
            expect.validate(&at)?;
            if call.style != Style::Tc3PostJson
                && call.style != Style::Tc3Get
                && call.signed_headers != SignedHeaderSet::default()
            {
                return Err(format!("{at}.signed_headers: only TC3 styles sign headers"));
            }
        }
        for (i, call) in self.teardown.iter().enumerate() {
            if call.expect.is_some() || call.fault.is_some() {
                return Err(format!(
                    "teardown[{i}]: teardown calls take no expect and no fault"
                ));
            }
        }
        let targets = self.targets.as_deref().unwrap_or_default();
        for fail in &self.expect_fail {
            if self.targets.is_some() && !targets.contains(&fail.target) {
                return Err(format!(
                    "expect_fail: target {} is not among the case's targets",
                    fail.target.as_str()
                ));
            }
        }
        Ok(())
    }
}

/// What the fake server answers a client (the `[reply]` of a client case).
/// Without `body`, `code`, `success` or `retry_sequence`, the answer is the
/// envelope the step's `expect` describes.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// HTTP status (default 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `Content-Type` (default `application/json`; `""` sends none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// A raw body instead of an envelope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// An error envelope with this code (its catalog description as message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// A success envelope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// No answer: the request is read, then the connection is reset.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reset: bool,
    /// Envelope keys to leave out (see [`Answer::omit`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub omit: Vec<String>,
    /// Milliseconds before each answer is sent.
    #[serde(default)]
    pub delay_ms: u64,
    /// The timeout the client is given, milliseconds (default 10 000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// How many attempts the client may make (retries allowed above 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// How many requests a correct client makes: with `retry_sequence`, a
    /// client that gives up early or retries too often fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// Successive answers: the n-th request gets the n-th, later ones the last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retry_sequence: Vec<Answer>,
}

/// One answer of the fake server.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// HTTP status (default 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `Content-Type` (default `application/json`; `""` sends none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// A raw body instead of an envelope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// An error envelope with this code (its catalog description as message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// A success envelope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// No answer: the request is read, then the connection is reset (RST).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reset: bool,
    /// Envelope keys to leave out: `RequestId`, `Code`, `Message`, or
    /// `Response` (the inner object is sent without its wrapper).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub omit: Vec<String>,
}

impl Answer {
    fn gives_the_answer(&self) -> bool {
        self.body.is_some() || self.code.is_some() || self.success.is_some() || self.reset
    }

    fn validate(&self, at: &str) -> Result<(), String> {
        let said = [
            self.body.is_some(),
            self.code.is_some(),
            self.success.is_some(),
            self.reset,
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if said > 1 {
            return Err(format!(
                "{at}: give at most one of body, code, success and reset"
            ));
        }
        if self.reset
            && (self.status.is_some() || self.content_type.is_some() || !self.omit.is_empty())
        {
            return Err(format!(
                "{at}.reset: a reset sends no status, Content-Type or envelope"
            ));
        }
        if self.success == Some(false) {
            return Err(format!(
                "{at}.success: write `success = true`, or give a `code`"
            ));
        }
        for key in &self.omit {
            if !["RequestId", "Code", "Message", "Response"].contains(&key.as_str()) {
                return Err(format!(
                    "{at}.omit: {key:?} is not one of RequestId, Code, Message, Response"
                ));
            }
        }
        if self.body.is_some() && !self.omit.is_empty() {
            return Err(format!("{at}.omit: only for envelopes, not with body"));
        }
        Ok(())
    }
}

impl Reply {
    /// The single answer (without `retry_sequence`).
    pub fn answer(&self) -> Answer {
        Answer {
            status: self.status,
            content_type: self.content_type.clone(),
            body: self.body.clone(),
            code: self.code.clone(),
            success: self.success,
            reset: self.reset,
            omit: self.omit.clone(),
        }
    }

    /// The answers served in turn: the retry sequence, or the one answer.
    pub fn answers(&self) -> Vec<Answer> {
        if self.retry_sequence.is_empty() {
            vec![self.answer()]
        } else {
            self.retry_sequence.clone()
        }
    }

    /// Whether the reply itself says what is served (no `expect` needed).
    pub fn gives_the_answer(&self) -> bool {
        self.answer().gives_the_answer() || !self.retry_sequence.is_empty()
    }

    fn validate(&self) -> Result<(), String> {
        let answer = self.answer();
        answer.validate("reply")?;
        for (i, answer) in self.retry_sequence.iter().enumerate() {
            answer.validate(&format!("reply.retry_sequence[{i}]"))?;
            if !answer.gives_the_answer() {
                return Err(format!(
                    "reply.retry_sequence[{i}]: give body, code or success"
                ));
            }
        }
        if !self.retry_sequence.is_empty()
            && (answer.gives_the_answer()
                || answer.status.is_some()
                || answer.content_type.is_some()
                || !answer.omit.is_empty())
        {
            return Err("reply: with retry_sequence, describe each answer inside it".into());
        }
        if self.max_attempts == Some(0) {
            return Err("reply.max_attempts: at least 1".into());
        }
        Ok(())
    }
}
