//! The client target (`client:<adapter>`): the harness plays Tencent.
//!
//! For each case that makes a single call, a wiremock server on loopback
//! serves the case's answer (derived from its expectation, or given by its
//! `[reply]`: a status, a Content-Type, a raw body, an envelope missing a
//! key, a delay past the client's timeout, a sequence for retries) and
//! records every request. An [`Adapter`] makes the client call it. Then
//! the harness checks each request (the signature verifies under the
//! credentials it gave, the common headers, the body, Host and
//! Content-Type) and the outcome (success fields, or the error's code,
//! message and RequestId exactly as served).

mod adapter;
mod reply;
mod request;
mod server;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

pub use adapter::{
    Adapter, AdapterError, FoundPython, PYTHON_SDK_ADAPTER, PythonSource, Returned, ReturnedError,
    python_sdk,
};
pub use reply::{ErrorKind, Expected};

use crate::api::{self, Catalog};
use crate::case::{Case, Credential, TargetKind};
use crate::check::Observed;
use crate::client::{SignedHeaderSet, Style};
use crate::envelope::Mismatch;
use crate::run::{CaseResult, Status};
use crate::sign::Credentials;

/// The region every client is given.
pub const REGION: &str = "ap-guangzhou";
/// The client timeout when a case gives none.
const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// What a client case served, expected and got (for the reports).
#[derive(Clone, Debug, serde::Serialize)]
pub struct ClientRecord {
    /// Each answer the server had ready, in order.
    pub served: Vec<String>,
    /// What a correct client returns.
    pub expected: Option<Expected>,
    /// What the adapter returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returned: Option<Returned>,
    /// Why the adapter gave no readable answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter_failure: Option<String>,
    /// How many requests reached the server.
    pub requests: usize,
    /// The signed headers of each request (`v1` for signature v1).
    pub signed_headers: Vec<String>,
}

/// Why a case does not run against a client, if it does not.
pub fn not_for_clients(case: &Case, kind: TargetKind) -> Option<String> {
    if !case.applies_to(kind) {
        return Some(format!("does not apply to a {} target", kind.as_str()));
    }
    if case.spec.steps.len() != 1 {
        return Some(format!(
            "makes {} calls; a client case makes one",
            case.spec.steps.len()
        ));
    }
    let step = &case.spec.steps[0];
    if step.credentials != Credential::Valid
        || step.tamper.is_some()
        || step.clock_skew != 0
        || step.version.is_some()
    {
        return Some(
            "judges a request a client cannot be asked to send (credentials, tampering, clock or version)"
                .into(),
        );
    }
    if step.style != Style::Tc3PostJson || step.signed_headers != SignedHeaderSet::default() {
        return Some("judges a request style; a client signs its own way".into());
    }
    None
}

/// Runs cases against one client adapter.
pub struct ClientRunner {
    adapter: Adapter,
    run_id: String,
    credentials: Credentials,
    catalog: &'static Catalog,
    /// How long past the client's own timeout an adapter may take.
    grace: Duration,
}

impl ClientRunner {
    pub fn new(adapter: Adapter) -> Self {
        Self {
            adapter,
            run_id: uuid::Uuid::new_v4().simple().to_string()[..8].to_string(),
            credentials: Credentials::generate(),
            catalog: Catalog::get(),
            grace: Duration::from_secs(10),
        }
    }

    /// How long past the client's timeout an adapter may run before it is
    /// killed and the case fails (default 10 s).
    pub fn with_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    pub fn adapter(&self) -> &Adapter {
        &self.adapter
    }

    pub fn kind(&self) -> TargetKind {
        self.adapter.kind()
    }

    /// Runs every case, `concurrency` at a time (fewer for adapters that
    /// start a process per call); `progress` sees each result.
    pub async fn run_all(
        self: &Arc<Self>,
        cases: Vec<Case>,
        concurrency: usize,
        progress: impl Fn(&CaseResult) + Send + Sync + 'static,
    ) -> Vec<CaseResult> {
        let limit = if self.adapter.spawns() {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            concurrency.min(cores * 2)
        } else {
            concurrency
        };
        let runner = Arc::clone(self);
        crate::run::run_bounded(cases, limit, progress, move |index, case| {
            let runner = Arc::clone(&runner);
            async move { runner.run_case(index, &case).await }
        })
        .await
    }

    /// Runs one case; `index` makes its IDs unique in the run.
    pub async fn run_case(&self, index: usize, case: &Case) -> CaseResult {
        let started = Instant::now();
        let kind = self.kind();
        let mut result = CaseResult {
            // client trials are not snapshotted
            snapshot: false,
            ..CaseResult::new(case)
        };
        if let Some(why) = not_for_clients(case, kind) {
            result.status = Status::Skipped(why);
            return result;
        }
        let scope = format!("ct-{}-{index}", self.run_id);
        let step = &case.spec.steps[0];
        let params = crate::run::substitute_map(&step.params, &scope);
        let expect = step.expect.clone().map(|mut e| {
            e.values = crate::run::substitute_map(&e.values, &scope);
            e
        });
        let reply = case.spec.reply.clone().unwrap_or_default();
        let answers: Result<Vec<_>, String> = reply
            .answers()
            .iter()
            .map(|a| reply::serve(a, expect.as_ref(), &step.action, self.catalog))
            .collect();
        let answers = match answers {
            Ok(answers) => answers,
            Err(e) => {
                result
                    .mismatches
                    .push(Mismatch::new("case.reply", "an answer to serve", e));
                result.status = Status::Failed;
                return result;
            }
        };
        result.request_ids = answers
            .iter()
            .filter_map(|a| a.request_id.clone())
            .collect();
        let timeout_ms = reply.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
        let max_attempts = reply.max_attempts.unwrap_or(1);
        let delay = Duration::from_millis(reply.delay_ms);
        let server = server::FakeServer::start(answers.clone(), delay).await;
        let endpoint = server.endpoint();
        let authority = server.authority();
        let input = adapter::Input {
            endpoint: &endpoint,
            credentials: adapter::InputCredentials {
                secret_id: &self.credentials.secret_id,
                secret_key: self.credentials.secret_key.expose(),
            },
            region: REGION,
            action: &step.action,
            version: api::VERSION,
            params: &params,
            timeout: timeout_ms as f64 / 1000.0,
            max_attempts,
        };
        let deadline = Duration::from_millis(timeout_ms) * max_attempts + self.grace;
        let returned = self.adapter.call(&input, deadline).await;
        let requests = server.requests().await;
        drop(server);

        let mut out = Vec::new();
        let mut signed_headers = Vec::new();
        if requests.is_empty() {
            out.push(Mismatch::new(
                "request",
                "the call reaches the server",
                "no request",
            ));
        }
        let asked = request::Asked {
            action: &step.action,
            params: &params,
            credentials: &self.credentials,
            region: REGION,
            authority: &authority,
            now: crate::client::now(),
        };
        for (i, r) in requests.iter().enumerate() {
            let (mismatches, signed) = request::check(r, &asked, &format!("request[{i}]"));
            out.extend(mismatches);
            signed_headers.push(signed);
            // A retry resends the same call (signed anew, same parameters).
            if i > 0 && r.body != requests[0].body {
                out.push(Mismatch::new(
                    format!("request[{i}].body"),
                    "the body of request[0]: a retry resends the same call",
                    String::from_utf8_lossy(&r.body).into_owned(),
                ));
            }
        }
        if let Some(want) = reply.attempts
            && requests.len() != want as usize
        {
            out.push(Mismatch::new(
                "requests",
                format!("{want} (max_attempts {max_attempts})"),
                requests.len().to_string(),
            ));
        }
        let last = &answers[requests.len().saturating_sub(1).min(answers.len() - 1)];
        let expected = if reply.delay_ms >= timeout_ms {
            Expected::Error {
                code: None,
                message: None,
                request_id: None,
                kind: ErrorKind::Transport,
            }
        } else {
            last.expected.clone()
        };
        let mut record = ClientRecord {
            served: answers.iter().map(|a| a.summary.clone()).collect(),
            expected: Some(expected.clone()),
            returned: None,
            adapter_failure: None,
            requests: requests.len(),
            signed_headers,
        };
        let observed = match returned {
            Err(failure) => {
                out.push(Mismatch::new(
                    "adapter",
                    "one JSON answer on stdout",
                    failure.clone(),
                ));
                record.adapter_failure = Some(failure);
                Observed::Unreadable
            }
            Ok(returned) => {
                judge(&expected, &returned, &mut out);
                let observed = match &returned {
                    Returned::Ok(_) => Observed::Success,
                    Returned::Error(e) => Observed::Error(e.code.clone()),
                };
                record.returned = Some(returned);
                observed
            }
        };
        result.observed.push(("client".into(), observed));
        result.mismatches = out;
        result.client = Some(record);
        let failed = !result.mismatches.is_empty();
        let divergence = case.spec.expect_fail.iter().find(|f| f.target == kind);
        result.status = match (failed, divergence) {
            (false, None) => Status::Passed,
            (true, None) => Status::Failed,
            (true, Some(d)) => Status::ExpectedFailure(d.reason.clone()),
            (false, Some(d)) => Status::UnexpectedPass(d.reason.clone()),
        };
        result.elapsed = started.elapsed();
        result
    }
}

/// Drops null members, recursively: a client that reports an unset field
/// as null says the same as one that leaves it out.
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// Compares what the client returned with what a correct client returns.
fn judge(expected: &Expected, returned: &Returned, out: &mut Vec<Mismatch>) {
    let describe = |r: &Returned| match r {
        Returned::Ok(_) => "success".to_string(),
        Returned::Error(e) => format!(
            "error {} ({:?}, request_id {:?})",
            e.code,
            e.message.as_deref().unwrap_or_default(),
            e.request_id
        ),
    };
    match (expected, returned) {
        (Expected::Ok(fields), Returned::Ok(got)) => {
            let want = without_nulls(&Value::Object(fields.clone()));
            let got = without_nulls(&Value::Object(got.clone()));
            let (Value::Object(want), Value::Object(got)) = (want, got) else {
                unreachable!("objects stay objects")
            };
            for (name, value) in &want {
                if got.get(name) != Some(value) {
                    out.push(Mismatch::new(
                        format!("ok.{name}"),
                        value.to_string(),
                        got.get(name)
                            .map_or_else(|| "absent".into(), Value::to_string),
                    ));
                }
            }
            for (name, value) in &got {
                if !want.contains_key(name) {
                    out.push(Mismatch::new(
                        format!("ok.{name}"),
                        "absent (not served)",
                        value.to_string(),
                    ));
                }
            }
        }
        (Expected::Ok(_), other) => out.push(Mismatch::new("outcome", "success", describe(other))),
        (Expected::Error { .. }, Returned::Ok(_)) => out.push(Mismatch::new(
            "outcome",
            expected.to_string(),
            describe(returned),
        )),
        (
            Expected::Error {
                code,
                message,
                request_id,
                kind,
            },
            Returned::Error(e),
        ) => {
            if let Some(code) = code
                && &e.code != code
            {
                out.push(Mismatch::new(
                    "error.code",
                    format!("{code:?} (as served)"),
                    format!("{:?}", e.code),
                ));
            }
            if let Some(message) = message
                && e.message.as_deref().unwrap_or_default() != message
            {
                out.push(Mismatch::new(
                    "error.message",
                    format!("{message:?} (as served)"),
                    format!("{:?}", e.message),
                ));
            }
            let got_id = e.request_id.as_deref().filter(|id| !id.is_empty());
            if got_id != request_id.as_deref() {
                out.push(Mismatch::new(
                    "error.request_id",
                    request_id.as_ref().map_or_else(
                        || "absent (none was served)".into(),
                        |id| format!("{id:?} (as served)"),
                    ),
                    format!("{got_id:?}"),
                ));
            }
            if let Some(got) = e.kind
                && got != *kind
            {
                out.push(Mismatch::new("error.kind", kind.as_str(), got.as_str()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn case(reply: &str) -> Case {
        let text = format!(
            r#"
            description = "t"
            source = {{ kind = "finding", ref = "t" }}
            [reply]
            {reply}
            [[step]]
            action = "DeletePerson"
            params = {{ PersonId = "{{{{run}}}}-1" }}
            expect = {{ code = "InternalError" }}
            "#
        );
        crate::case::parse(&text, "t::case", Path::new("t.toml"))
            .unwrap()
            .remove(0)
    }

    async fn adapter_failure(command: &str, reply: &str) -> String {
        let runner = ClientRunner::new(Adapter::Command(command.into()))
            .with_grace(Duration::from_millis(300));
        let result = runner.run_case(0, &case(reply)).await;
        assert_eq!(result.status, Status::Failed, "{result:?}");
        let m = result
            .mismatches
            .iter()
            .find(|m| m.field == "adapter")
            .unwrap_or_else(|| panic!("{:?}", result.mismatches));
        m.found.clone()
    }

    #[tokio::test]
    async fn a_crash_fails_the_case_with_its_status() {
        let found = adapter_failure("echo boom >&2; exit 3", "").await;
        assert!(
            found.contains("exit status: 3") && found.contains("boom"),
            "{found}"
        );
    }

    #[tokio::test]
    async fn a_hang_is_killed_and_fails_the_case() {
        let started = Instant::now();
        let found = adapter_failure("sleep 30", "timeout_ms = 200").await;
        assert!(found.contains("did not answer"), "{found}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn output_that_is_not_the_protocol_fails_the_case() {
        let found = adapter_failure("cat >/dev/null; echo hello", "").await;
        assert!(
            found.contains("not one JSON object") && found.contains("hello"),
            "{found}"
        );
    }

    #[tokio::test]
    async fn a_client_that_sends_nothing_fails_the_request_check() {
        let runner = ClientRunner::new(Adapter::Command(
            r#"cat >/dev/null; echo '{"error": {"code": "InternalError"}}'"#.into(),
        ));
        let result = runner.run_case(0, &case("")).await;
        assert_eq!(result.status, Status::Failed);
        let fields: Vec<&str> = result.mismatches.iter().map(|m| m.field.as_str()).collect();
        assert!(fields.contains(&"request"), "{fields:?}");
        // The served message and RequestId were not returned either.
        assert!(fields.contains(&"error.message"), "{fields:?}");
        assert!(fields.contains(&"error.request_id"), "{fields:?}");
    }

    #[tokio::test]
    async fn our_client_passes_a_served_error() {
        let runner = ClientRunner::new(Adapter::Rust);
        let result = runner.run_case(0, &case("status = 500")).await;
        assert_eq!(result.status, Status::Passed, "{:?}", result.mismatches);
        assert_eq!(
            result.client.unwrap().signed_headers,
            vec!["content-type;host".to_string()]
        );
    }
}
