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
mod retry;
mod server;

use std::time::{Duration, Instant};

pub use adapter::{Adapter, AdapterError, FoundPython, PythonSource, python_sdk};

use crate::api::{self, Catalog};
use crate::case::{Case, Credential, TargetKind};
use crate::check::{self, ErrorKind, Expected, Observed, Returned, request};
use crate::envelope::Mismatch;
use crate::results::{CaseResult, ClientRecord, Verdict};
use crate::scope;
use crate::sign::Credentials;
use crate::wire::{SignedHeaderSet, Style};

/// The region every client is given.
pub(crate) const REGION: &str = "ap-guangzhou";
/// The client timeout when a case gives none.
const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// Why a case does not run against a client, if it does not.
pub fn not_for_clients(case: &Case, kind: TargetKind) -> Option<String> {
    if !case.applies_to(kind) {
        return Some(format!("does not apply to the {} target", kind.as_str()));
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
pub(crate) struct ClientRunner {
    adapter: Adapter,
    run_id: String,
    credentials: Credentials,
    catalog: &'static Catalog,
    /// How long past the client's own timeout an adapter may take.
    grace: Duration,
}

impl ClientRunner {
    /// A runner for `adapter`, with fresh credentials for the client.
    pub(crate) fn new(adapter: Adapter) -> Self {
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
    #[cfg(test)]
    pub(crate) fn with_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// The client under test.
    pub(crate) fn adapter(&self) -> &Adapter {
        &self.adapter
    }

    /// The kind of target, as `expect_fail` names it.
    pub(crate) fn kind(&self) -> TargetKind {
        self.adapter.kind()
    }

    /// How many cases may run at once when `requested` are asked: fewer
    /// for adapters that start a process per call.
    pub(crate) fn concurrency(&self, requested: usize) -> usize {
        if self.adapter.spawns() {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            requested.min(cores * 2)
        } else {
            requested
        }
    }

    /// Runs one case; `index` makes its IDs unique in the run.
    pub(crate) async fn run_case(&self, index: usize, case: &Case) -> CaseResult {
        let started = Instant::now();
        let kind = self.kind();
        let mut result = CaseResult {
            // client trials are not snapshotted
            snapshot: false,
            ..CaseResult::new(case)
        };
        if let Some(why) = not_for_clients(case, kind) {
            result.verdict = Verdict::Skipped(why);
            return result;
        }
        let scope = scope::case_scope(&self.run_id, index);
        let step = case.spec.steps[0].scoped(&scope);
        let params = step.params;
        let expect = step.expect;
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
                result.verdict = Verdict::Failed;
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
            now: crate::wire::now(),
        };
        let mut findings: Vec<String> = Vec::new();
        for (i, r) in requests.iter().enumerate() {
            let checked = request::check(r, &asked, &format!("request[{i}]"));
            out.extend(checked.mismatches);
            signed_headers.push(checked.signed_with);
            for f in checked.findings {
                if !findings.contains(&f) {
                    findings.push(f);
                }
            }
        }
        out.extend(request::retries(&requests, reply.attempts, max_attempts));
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
            findings,
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
                check::client::judge(&expected, &returned, &mut out);
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
        result.conclude(case, kind, started)
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
        assert_eq!(result.verdict, Verdict::Failed, "{result:?}");
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
        assert_eq!(result.verdict, Verdict::Failed);
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
        assert_eq!(result.verdict, Verdict::Passed, "{:?}", result.mismatches);
        assert_eq!(
            result.client.unwrap().signed_headers,
            vec!["content-type;host".to_string()]
        );
    }
}
