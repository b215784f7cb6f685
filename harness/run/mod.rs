//! The runner: connects to a target, runs cases (setup, steps, teardown)
//! concurrently with run-scoped IDs, injects faults through the emulator's
//! control API, tampers with signed requests, and checks every exchange.

mod embedded;
pub mod normalize;
mod tamper;
mod target;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use tokio::sync::{RwLock, Semaphore};

pub use target::{LIVE_ENDPOINT, Target, TargetError};

use crate::api::{self, Catalog};
use crate::case::{Call, Case, Credential, Expect, RowInfo, Source, TargetKind, V1Digest};
use crate::check::{self, Observed};
use crate::client::{CallOptions, Client};
use crate::envelope::Mismatch;
use crate::live::{self, Guard, SendError};
use crate::sign::{Credentials, V1Method};
use target::Control;

/// A connected target.
pub struct Session {
    kind: TargetKind,
    client: Client,
    control: Option<Control>,
    embedded: Option<embedded::Handle>,
}

impl Session {
    /// Connects to `target`, starting the embedded emulator if asked.
    pub async fn start(target: &Target) -> Result<Self, TargetError> {
        let (client, embedded) = match target {
            Target::Emulator => {
                let (handle, url, credentials) =
                    embedded::start().await.map_err(TargetError::Emulator)?;
                let client = Client::new(&url, credentials, None)
                    .map_err(|e| TargetError::BadUrl(e.to_string()))?;
                (client, Some(handle))
            }
            Target::Url {
                url,
                credentials,
                region,
                ..
            } => {
                let client = Client::new(url, credentials.clone(), region.clone())
                    .map_err(|_| TargetError::BadUrl(url.clone()))?;
                (client, None)
            }
        };
        // The in-process emulator is proven by construction; a URL must
        // answer at all, then prove it is `serve`, or it is live.
        let proven = match target {
            Target::Emulator => true,
            Target::Url { live: true, .. } => {
                target::reachable(client.base()).await?;
                false
            }
            Target::Url { .. } => {
                target::reachable(client.base()).await?;
                Control::prove(client.base(), client.http(), client.credentials()).await
            }
        };
        let kind = target::kind_of(target, proven);
        // A live target gets no control API, not even a probe of it.
        let control = (kind != TargetKind::Live).then(|| Control {
            base: client.base().to_string(),
            http: client.http().clone(),
        });
        Ok(Self {
            kind,
            client,
            control,
            embedded,
        })
    }

    /// A live session that never touches the network, for `--replay`.
    pub fn offline() -> Self {
        Self {
            kind: TargetKind::Live,
            client: Client::new("https://replay.invalid", Credentials::generate(), None)
                .expect("a valid URL"),
            control: None,
            embedded: None,
        }
    }

    pub fn kind(&self) -> TargetKind {
        self.kind
    }

    pub fn url(&self) -> &str {
        self.client.base()
    }

    /// The target's signing client (the target's own credentials).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Whether faults can be injected.
    pub fn has_control(&self) -> bool {
        self.control.is_some()
    }

    /// Sets the emulator's account state (`normal`, `arrears`, ...).
    pub async fn set_account(&self, state: &str) -> Result<(), TargetError> {
        match &self.control {
            Some(control) => control.account(state).await,
            None => Err(TargetError::Control {
                url: self.url().to_string(),
                message: "the target has no control API".into(),
            }),
        }
    }

    /// The median of `samples` sequential signed round trips of a read-only
    /// call (`GetPersonBaseInfo` of an ID nobody created): the floor one
    /// case costs. `None` on a live target, where nothing outside the
    /// cases and their policy is sent.
    pub async fn round_trip(&self, samples: usize) -> Option<Duration> {
        if self.kind == TargetKind::Live {
            return None;
        }
        let mut times = Vec::with_capacity(samples);
        let mut params = Map::new();
        params.insert("PersonId".into(), Value::String("ct-floor-probe".into()));
        for _ in 0..samples.max(1) {
            let options = CallOptions::new(crate::client::Style::Tc3PostJson, crate::client::now());
            let started = Instant::now();
            let _ = self
                .client
                .call("GetPersonBaseInfo", &params, &options)
                .await;
            times.push(started.elapsed());
        }
        times.sort();
        Some(times[times.len() / 2])
    }

    /// Stops the embedded emulator, if any.
    pub async fn shutdown(self) {
        if let Some(handle) = self.embedded {
            embedded::stop(handle).await;
        }
    }
}

/// How a case ended.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    /// Failed where `expect_fail` says it must (a known divergence).
    ExpectedFailure(String),
    /// Passed where `expect_fail` says it must fail: the divergence is
    /// fixed, so the expectation must go. Counts as a failure.
    UnexpectedPass(String),
    /// Not for this target.
    Skipped(String),
    /// A documented code this action cannot produce on a server.
    Unreachable(String),
}

impl Status {
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Failed | Self::UnexpectedPass(_))
    }

    pub fn label(&self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "FAILED",
            Self::ExpectedFailure(_) => "failed as expected",
            Self::UnexpectedPass(_) => "FAILED (passes but is expected to fail)",
            Self::Skipped(_) => "skipped",
            Self::Unreachable(_) => "unreachable",
        }
    }
}

/// Everything a case produced.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CaseResult {
    pub name: String,
    pub file: String,
    pub description: String,
    pub source: Source,
    #[serde(flatten)]
    pub status: Status,
    pub mismatches: Vec<Mismatch>,
    pub request_ids: Vec<String>,
    /// What each step answered: `step[0]` → success or a code.
    pub observed: Vec<(String, Observed)>,
    pub findings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<RowInfo>,
    /// Client targets: what was served, asked and returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<crate::client_target::ClientRecord>,
    #[serde(skip)]
    pub snapshot: bool,
    /// The normalized exchanges of the steps (for snapshots).
    #[serde(skip)]
    pub exchanges: Vec<Value>,
    #[serde(serialize_with = "millis")]
    pub elapsed: Duration,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

impl CaseResult {
    /// A passing result for `case`, before anything has run.
    pub(crate) fn new(case: &Case) -> Self {
        Self {
            name: case.name.clone(),
            file: case.file.display().to_string(),
            description: case.spec.description.clone(),
            source: case.spec.source.clone(),
            status: Status::Passed,
            mismatches: Vec::new(),
            request_ids: Vec::new(),
            observed: Vec::new(),
            findings: case.spec.findings.clone(),
            row: case.row.clone(),
            client: None,
            snapshot: case.spec.snapshot,
            exchanges: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }

    /// The mismatches, one per line, each naming its field.
    pub fn failure_text(&self) -> String {
        let mut text = String::new();
        if let Status::UnexpectedPass(reason) = &self.status {
            text.push_str(&format!(
                "expected to fail on this target ({reason}), but it passes: remove its expect_fail\n"
            ));
        }
        for m in &self.mismatches {
            text.push_str(&format!("  {m}\n"));
        }
        text
    }
}

/// Runs cases against one session.
pub struct Runner {
    session: Session,
    run_id: String,
    catalog: &'static Catalog,
    /// RequestId → the case that saw it, to prove uniqueness across the run.
    seen: Mutex<HashMap<String, String>>,
    /// Cases with unscoped faults run alone (write), the others together (read).
    exclusive: RwLock<()>,
    /// On a live target: the policy every request passes.
    guard: Option<Guard>,
    recorder: Option<live::record::Recorder>,
    replayer: Option<live::record::Replayer>,
}

impl Runner {
    /// A runner with the default live options (no mutations, no face image).
    pub fn new(session: Session) -> Self {
        Self::with_options(session, &live::Options::default())
            .expect("no recording or replay folder to open")
    }

    /// A runner; on a live target `options` set the live policy, and
    /// `record`/`replay` apply to any target.
    pub fn with_options(session: Session, options: &live::Options) -> std::io::Result<Self> {
        // The run id carries its creation time, so `sweep` can tell its age.
        let run_id = live::policy::new_run_id(crate::client::now());
        let guard = (session.kind == TargetKind::Live).then(|| Guard::for_run(&run_id, options));
        let recorder = options
            .record
            .as_ref()
            .map(live::record::Recorder::new)
            .transpose()?;
        let replayer = options
            .replay
            .as_deref()
            .map(live::record::Replayer::open)
            .transpose()?;
        Ok(Self {
            session,
            run_id,
            catalog: Catalog::get(),
            seen: Mutex::new(HashMap::new()),
            exclusive: RwLock::new(()),
            guard,
            recorder,
            replayer,
        })
    }

    /// The run id (`<base36 seconds>-<random>`); every ID the run creates
    /// starts with `ct-<run id>-`.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The live guard, on a live target.
    pub fn guard(&self) -> Option<&Guard> {
        self.guard.as_ref()
    }

    /// Deletes everything this run created (live targets; a no-op
    /// elsewhere). Returns what is left, with the reason.
    pub async fn cleanup(&self) -> Vec<(live::Entry, String)> {
        match (&self.guard, &self.replayer) {
            (Some(guard), None) => guard.cleanup(&self.session.client).await,
            _ => Vec::new(),
        }
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn into_session(self) -> Session {
        self.session
    }

    /// The prefix that `{{run}}` becomes in case `index`: unique per run and case,
    /// a valid PersonId/GroupId fragment.
    pub fn scope(&self, index: usize) -> String {
        format!("ct-{}-{index}", self.run_id)
    }

    /// Runs every case, `concurrency` at a time; `progress` sees each result.
    pub async fn run_all(
        self: &Arc<Self>,
        cases: Vec<Case>,
        concurrency: usize,
        progress: impl Fn(&CaseResult) + Send + Sync + 'static,
    ) -> Vec<CaseResult> {
        let runner = Arc::clone(self);
        run_bounded(cases, concurrency, progress, move |index, case| {
            let runner = Arc::clone(&runner);
            async move { runner.run_case(index, &case).await }
        })
        .await
    }

    /// Runs one case; `index` makes its IDs unique in the run.
    pub async fn run_case(&self, index: usize, case: &Case) -> CaseResult {
        let started = Instant::now();
        let kind = self.session.kind;
        let mut result = CaseResult::new(case);
        if let Some(reason) = case.unreachable() {
            result.status = Status::Unreachable(reason.to_string());
            return result;
        }
        if !case.applies_to(kind) {
            result.status =
                Status::Skipped(format!("does not apply to a {} target", kind.as_str()));
            return result;
        }
        if case.needs_control() && self.session.control.is_none() {
            result.status =
                Status::Skipped("needs fault injection (the emulator's control API)".into());
            return result;
        }
        if let Some(reason) = self.guard.as_ref().and_then(|g| g.skip_reason(case)) {
            result.status = Status::Skipped(reason);
            return result;
        }
        let exclusive = needs_exclusive(case);
        let _shared;
        let _alone;
        if exclusive {
            _alone = self.exclusive.write().await;
        } else {
            _shared = self.exclusive.read().await;
        }
        let scope = self.scope(index);
        let mut trail = Vec::new();
        let mut setup_ok = true;
        for (i, call) in case.spec.setup.iter().enumerate() {
            let expect = call.expect.clone().unwrap_or_else(Expect::success);
            let label = format!("setup[{i}] {}", call.action);
            if !self
                .call(&label, call, &expect, &scope, &mut result, &mut trail)
                .await
            {
                setup_ok = false;
                break;
            }
        }
        if setup_ok {
            for (i, call) in case.spec.steps.iter().enumerate() {
                let expect = call.expect.clone().unwrap_or_else(Expect::success);
                let label = format!("step[{i}] {}", call.action);
                self.call(&label, call, &expect, &scope, &mut result, &mut trail)
                    .await;
            }
        }
        for (i, call) in case.spec.teardown.iter().enumerate() {
            let label = format!("teardown[{i}] {}", call.action);
            if let Ok(exchange) = self.send(call, &scope, &result.name, &label).await {
                trail.push(normalize::exchange(&label, &exchange, &scope));
            }
        }
        if let Some(recorder) = &self.recorder
            && !trail.is_empty()
            && let Err(e) = recorder.write(&result.name, &result.description, &trail)
        {
            result.mismatches.push(Mismatch::new(
                "record",
                "the recording written",
                e.to_string(),
            ));
        }
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

    /// Makes one call and checks it; false when it did not meet `expect`.
    async fn call(
        &self,
        label: &str,
        call: &Call,
        expect: &Expect,
        scope: &str,
        result: &mut CaseResult,
        trail: &mut Vec<Value>,
    ) -> bool {
        let before = result.mismatches.len();
        let is_step = label.starts_with("step");
        if let Some(fault) = &call.fault {
            let control = self.session.control.as_ref().expect("checked before");
            let params = substitute_map(&call.params, scope);
            let spec = json!({
                "code": fault.code,
                "action": call.action,
                "person_id": params.get("PersonId").and_then(Value::as_str),
                "count": 1,
                "message": fault.message,
                "latency_ms": fault.latency_ms,
            });
            if let Err(e) = control.inject(&spec).await {
                result.mismatches.push(Mismatch::new(
                    format!("{label}: fault injection"),
                    "the fault accepted",
                    e.to_string(),
                ));
                return false;
            }
        }
        let exchange = match self.send(call, scope, &result.name, label).await {
            Ok(exchange) => exchange,
            Err(Failure::Refused(e)) => {
                result.mismatches.push(Mismatch::new(
                    format!("{label}: live policy"),
                    "a request this run may send",
                    e,
                ));
                return false;
            }
            Err(Failure::Transport(e)) => {
                result.mismatches.push(Mismatch::new(
                    format!("{label}: transport"),
                    "an answer",
                    e,
                ));
                return false;
            }
        };
        let normalized = normalize::exchange(label, &exchange, scope);
        let expect = substitute_expect(expect, scope);
        let checked = check::exchange(
            &call.action,
            &exchange,
            &expect,
            self.session.kind,
            self.catalog,
        );
        if let Some(id) = &checked.request_id {
            let mut seen = self.seen.lock().expect("not poisoned");
            if let Some(other) = seen.insert(id.clone(), result.name.clone()) {
                result.mismatches.push(Mismatch::new(
                    format!("{label}: Response.RequestId"),
                    "unique across the run",
                    format!("{id} also answered a call of {other}"),
                ));
            }
            result.request_ids.push(id.clone());
        }
        result
            .mismatches
            .extend(checked.mismatches.into_iter().map(|m| Mismatch {
                field: format!("{label}: {}", m.field),
                ..m
            }));
        if is_step {
            result.observed.push((label.to_string(), checked.observed));
            result.exchanges.push(normalized.clone());
        }
        trail.push(normalized);
        result.mismatches.len() == before
    }

    /// Builds, signs, tampers with and sends one call. On a live target
    /// the final request passes the guard; on replay the recording answers.
    async fn send(
        &self,
        call: &Call,
        scope: &str,
        case: &str,
        label: &str,
    ) -> Result<crate::client::Exchange, Failure> {
        let mut params = substitute_map(&call.params, scope);
        if let Some(guard) = &self.guard {
            guard.adjust(&call.action, &mut params);
        }
        let base = &self.session.client;
        let credentials = match call.credentials {
            Credential::Valid => base.credentials().clone(),
            Credential::WrongKey => Credentials {
                secret_key: crate::sign::Secret::new(format!("wrong{}", self.run_id)),
                ..base.credentials().clone()
            },
            Credential::BogusToken => base
                .credentials()
                .clone()
                .with_token(format!("bogus-token-{}", self.run_id)),
            Credential::UnknownId => {
                let mut c = Credentials::generate();
                c.token = base.credentials().token.clone();
                c
            }
        };
        let client = base.with_credentials(credentials);
        let tamper = call.tamper.clone().map(|mut t| {
            t.body = t.body.map(|b| crate::scope::expand(&b, scope));
            t.set_param = t
                .set_param
                .into_iter()
                .map(|(k, v)| (k, crate::scope::expand(&v, scope)))
                .collect();
            t
        });
        // Signed at the moment it leaves (the guard builds anew after its
        // pacer and for every retry), with the case's skew from that moment.
        let build = |now: i64| -> Result<crate::client::Prepared, crate::client::ClientError> {
            let mut options = CallOptions::new(call.style, now + call.clock_skew);
            options.signed_headers = call.signed_headers;
            if let Some(version) = &call.version {
                options.version = version.clone();
            }
            options.v1_method = match call.v1_method {
                Some(V1Digest::HmacSha1) => V1Method::HmacSha1,
                _ => V1Method::HmacSha256,
            };
            let mut prepared = client.prepare(&call.action, &params, &options)?;
            if let Some(t) = &tamper {
                tamper::apply(&mut prepared, t);
                if t.resign {
                    tamper::resign(&mut prepared, client.credentials(), api::SERVICE, t);
                }
            }
            Ok(prepared)
        };
        if let Some(replayer) = &self.replayer {
            let prepared =
                build(crate::client::now()).map_err(|e| Failure::Transport(e.to_string()))?;
            if let Some(guard) = &self.guard {
                // The same policy as live: a replay proves it too.
                guard
                    .ownership()
                    .judge(&prepared)
                    .map_err(|e| Failure::Refused(SendError::Refused(e).to_string()))?;
            }
            let asked = crate::client::Exchange {
                request: prepared.clone(),
                status: 0,
                content_type: None,
                body: Vec::new(),
                elapsed: Duration::ZERO,
            };
            let normalized = normalize::exchange(label, &asked, scope);
            return replayer
                .answer(case, label, scope, prepared, &normalized)
                .map_err(Failure::Transport);
        }
        match &self.guard {
            Some(guard) => guard.send(&client, build, true).await.map_err(|e| match e {
                SendError::Transport(e) => Failure::Transport(e.to_string()),
                other => Failure::Refused(other.to_string()),
            }),
            None => {
                let prepared =
                    build(crate::client::now()).map_err(|e| Failure::Transport(e.to_string()))?;
                client
                    .send(prepared)
                    .await
                    .map_err(|e| Failure::Transport(e.to_string()))
            }
        }
    }
}

/// Why a call got no answer.
enum Failure {
    /// Not sent: the live policy, the budget or the ledger said no.
    Refused(String),
    Transport(String),
}

/// A case whose fault cannot be scoped to its own PersonId would disturb
/// the cases running beside it: it runs alone.
fn needs_exclusive(case: &Case) -> bool {
    case.spec
        .setup
        .iter()
        .chain(&case.spec.steps)
        .any(|c| c.fault.is_some() && !c.params.get("PersonId").is_some_and(Value::is_string))
}

fn substitute(value: &Value, scope: &str) -> Value {
    match value {
        Value::String(s) => Value::String(crate::scope::expand(s, scope)),
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, scope)).collect()),
        Value::Object(map) => Value::Object(substitute_map(map, scope)),
        other => other.clone(),
    }
}

/// Replaces `{{run}}` and `{{run:N}}` with the case's scope in every string of `map`.
pub(crate) fn substitute_map(map: &Map<String, Value>, scope: &str) -> Map<String, Value> {
    map.iter()
        .map(|(k, v)| (k.clone(), substitute(v, scope)))
        .collect()
}

fn substitute_expect(expect: &Expect, scope: &str) -> Expect {
    Expect {
        values: substitute_map(&expect.values, scope),
        ..expect.clone()
    }
}

/// Runs `run` on every case, at most `concurrency` at a time, reporting
/// each result to `progress` as it comes; the results keep the cases' order.
pub(crate) async fn run_bounded<F, Fut>(
    cases: Vec<Case>,
    concurrency: usize,
    progress: impl Fn(&CaseResult) + Send + Sync + 'static,
    run: F,
) -> Vec<CaseResult>
where
    F: Fn(usize, Case) -> Fut,
    Fut: std::future::Future<Output = CaseResult> + Send + 'static,
{
    let progress = Arc::new(progress);
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let total = cases.len();
    for (index, case) in cases.into_iter().enumerate() {
        let permits = Arc::clone(&permits);
        let progress = Arc::clone(&progress);
        let work = run(index, case);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("never closed");
            let result = work.await;
            progress(&result);
            (index, result)
        });
    }
    let mut results: Vec<Option<CaseResult>> = (0..total).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        let (index, result) = joined.expect("a case task panicked");
        results[index] = Some(result);
    }
    results
        .into_iter()
        .map(|r| r.expect("every case ran"))
        .collect()
}
