//! The server runner: runs cases (setup, steps, teardown) concurrently on
//! one [`Session`] with run-scoped IDs, injects faults through the
//! emulator's control API, and checks every exchange.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Instant;

use serde_json::Value;
use tokio::sync::RwLock;

use super::normalize;
use super::session::{Session, control_error};
use crate::api::Catalog;
use crate::case::capture::{self, Captured};
use crate::case::{Call, Case, Expect, ScopedCalls, TargetKind};
use crate::check;
use crate::emulator::FaultSpec;
use crate::envelope::Mismatch;
use crate::live::{self, Guard, policy};
use crate::results::{CaseResult, Verdict};
use crate::scope;
use crate::wire::{Exchange, Prepared};

/// Runs cases against one session.
pub(crate) struct Runner {
    pub(super) session: Session,
    pub(super) run_id: String,
    catalog: &'static Catalog,
    /// RequestId → the case that saw it, to prove uniqueness across the run.
    seen: Mutex<HashMap<String, String>>,
    /// One lock per action: a case whose fault on an action cannot be
    /// scoped to its own IDs holds that action's lock alone (write); every
    /// other case holds the locks of the actions it calls (read).
    exclusive: BTreeMap<String, RwLock<()>>,
    /// On a live target: the policy every request passes.
    pub(super) guard: Option<Guard>,
    recorder: Option<live::record::Recorder>,
    pub(super) replayer: Option<live::record::Replayer>,
    /// Whether snapshot cases keep their normalized exchanges.
    snapshots: bool,
}

impl Runner {
    /// A runner; on a live target `options` set the live policy, and
    /// `record`/`replay` apply to any target.
    pub(crate) fn with_options(session: Session, options: &live::Options) -> std::io::Result<Self> {
        // The run id carries its creation time, so `sweep` can tell its age.
        let run_id = scope::mint_run_id(crate::wire::now());
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
            exclusive: Catalog::get()
                .actions()
                .iter()
                .map(|a| (a.name.clone(), RwLock::new(())))
                .collect(),
            guard,
            recorder,
            replayer,
            snapshots: options.snapshots,
        })
    }

    /// The run id (`<base36 seconds>-<random>`); every ID the run creates
    /// starts with `ct-<run id>-`.
    pub(crate) fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The live guard, on a live target.
    pub(crate) fn guard(&self) -> Option<&Guard> {
        self.guard.as_ref()
    }

    /// Deletes everything this run created (live targets; a no-op
    /// elsewhere). Returns what is left, with the reason.
    pub(crate) async fn cleanup(&self) -> Vec<(live::Entry, String)> {
        match (&self.guard, &self.replayer) {
            (Some(guard), None) => guard.cleanup(&self.session.client).await,
            _ => Vec::new(),
        }
    }

    /// The session the cases run on.
    pub(crate) fn session(&self) -> &Session {
        &self.session
    }

    /// The session back, once every case has ended.
    pub(crate) fn into_session(self) -> Session {
        self.session
    }

    /// The prefix that `{{run}}` becomes in case `index`: unique per run and case,
    /// a valid PersonId/GroupId fragment.
    pub(crate) fn scope(&self, index: usize) -> String {
        scope::case_scope(&self.run_id, index)
    }

    /// Runs one case; `index` makes its IDs unique in the run.
    pub(crate) async fn run_case(&self, index: usize, case: &Case) -> CaseResult {
        let started = Instant::now();
        let kind = self.session.kind;
        let mut result = CaseResult::new(case);
        if let Some(reason) = case.unreachable() {
            result.verdict = Verdict::Unreachable(reason.to_string());
            return result;
        }
        if !case.applies_to(kind) {
            result.verdict =
                Verdict::Skipped(format!("does not apply to the {} target", kind.as_str()));
            return result;
        }
        if case.needs_control() && self.session.control.is_none() {
            result.verdict =
                Verdict::Skipped("needs fault injection (the emulator's control API)".into());
            return result;
        }
        let scope = self.scope(index);
        let scoped = case.spec.scoped(&scope);
        if let Some(reason) = self.guard.as_ref().and_then(|g| live_skip(g, &scoped)) {
            result.verdict = Verdict::Skipped(reason);
            return result;
        }
        let _locks = self.lock(case).await;
        let mut trail = Trail::default();
        let mut setup_ok = true;
        for (i, call) in scoped.setup.iter().enumerate() {
            let call = call.filled(&trail.captured);
            let expect = call.expect.clone().unwrap_or_else(Expect::success);
            let label = format!("setup[{i}] {}", call.action);
            if !self
                .call(&label, &call, &expect, &scope, &mut result, &mut trail)
                .await
            {
                setup_ok = false;
                break;
            }
        }
        if setup_ok {
            for (i, call) in scoped.steps.iter().enumerate() {
                let call = call.filled(&trail.captured);
                let expect = call.expect.clone().unwrap_or_else(Expect::success);
                let label = format!("step[{i}] {}", call.action);
                self.call(&label, &call, &expect, &scope, &mut result, &mut trail)
                    .await;
            }
        }
        // Teardown may find its target gone, so its outcome is free; its
        // answers still keep the contract (envelope, codes, types).
        for (i, call) in scoped.teardown.iter().enumerate() {
            let call = &call.filled(&trail.captured);
            let label = format!("teardown[{i}] {}", call.action);
            let sent = self
                .send(call, &scope, &result.name, &label, None, &trail.captured)
                .await;
            if let Ok(exchange) = sent {
                let checked =
                    check::contract(&call.action, &exchange, self.session.kind, self.catalog);
                result
                    .mismatches
                    .extend(checked.mismatches.into_iter().map(|m| Mismatch {
                        field: format!("{label}: {}", m.field),
                        ..m
                    }));
                if self.recorder.is_some() {
                    let normalized =
                        normalize::exchange(&label, &exchange, &scope, &trail.captured);
                    trail.exchanges.push(normalized);
                }
            }
        }
        if let Some(recorder) = &self.recorder
            && !trail.exchanges.is_empty()
            && let Err(e) = recorder.write(&result.name, &result.description, &trail.exchanges)
        {
            result.mismatches.push(Mismatch::new(
                "record",
                "the recording written",
                e.to_string(),
            ));
        }
        result.conclude(case, kind, started)
    }

    /// The action locks `case` needs, taken in name order (so two cases
    /// never wait for each other): write for an action whose fault cannot be
    /// scoped, read for every other action it calls, or for all of them
    /// when a call is tampered with (it may reach another action); write
    /// for all of them when it pins the server's clock.
    async fn lock(&self, case: &Case) -> Vec<LockGuard<'_>> {
        let calls = || {
            case.spec
                .setup
                .iter()
                .chain(&case.spec.steps)
                .chain(&case.spec.teardown)
        };
        let alone: BTreeSet<&str> = calls()
            .filter(|c| {
                c.fault.is_some()
                    && !c
                        .params
                        .values()
                        .any(|v| crate::wire::holds_text(v, "{{run"))
            })
            .map(|c| c.action.as_str())
            .collect();
        let everything = calls().any(|c| c.tamper.is_some());
        // A pinned clock is the whole server's: the case runs alone.
        let pinned = calls().any(|c| c.pin_clock);
        let mut guards = Vec::new();
        for (action, lock) in &self.exclusive {
            if pinned || alone.contains(action.as_str()) {
                guards.push(LockGuard::Alone(lock.write().await));
            } else if everything || calls().any(|c| &c.action == action) {
                guards.push(LockGuard::Shared(lock.read().await));
            }
        }
        guards
    }

    /// Makes one call, checks it, and keeps what it captures; false when
    /// it did not meet `expect` or lacks a field to keep.
    async fn call(
        &self,
        label: &str,
        call: &Call,
        expect: &Expect,
        scope: &str,
        result: &mut CaseResult,
        trail: &mut Trail,
    ) -> bool {
        let before = result.mismatches.len();
        let is_step = label.starts_with("step");
        if let Some(fault) = &call.fault {
            let control = self.session.control.as_ref().expect("checked before");
            // One hit, scoped to the call's action and person, or to the
            // case's own IDs when the call names any.
            let spec = FaultSpec {
                code: fault.code.clone(),
                action: Some(call.action.clone()),
                person_id: call
                    .params
                    .get("PersonId")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                scope: call
                    .params
                    .values()
                    .any(|v| crate::wire::holds_text(v, scope))
                    .then(|| scope.to_string()),
                count: Some(1),
                probability: None,
                latency_ms: fault.latency_ms,
                message: fault.message.clone(),
            };
            if let Err(e) = control.inject(&spec).await {
                result.mismatches.push(Mismatch::new(
                    format!("{label}: fault injection"),
                    "the fault accepted",
                    control_error(self.session.url(), e).to_string(),
                ));
                return false;
            }
        }
        // A pinned clock: the server stands at the second the call is signed.
        let pinned = if call.pin_clock {
            let control = self.session.control.as_ref().expect("checked before");
            let at = crate::wire::now();
            if let Err(e) = control.set_clock(0, Some(at)).await {
                result.mismatches.push(Mismatch::new(
                    format!("{label}: server clock"),
                    "the clock pinned",
                    control_error(self.session.url(), e).to_string(),
                ));
                return false;
            }
            Some(at)
        } else {
            None
        };
        let sent = self
            .send(call, scope, &result.name, label, pinned, &trail.captured)
            .await;
        if pinned.is_some() {
            let control = self.session.control.as_ref().expect("checked before");
            if let Err(e) = control.set_clock(0, None).await {
                result.mismatches.push(Mismatch::new(
                    format!("{label}: server clock"),
                    "the clock running again",
                    control_error(self.session.url(), e).to_string(),
                ));
            }
        }
        let exchange = match sent {
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
        // Normalized only for a recording or a snapshot: a plain run keeps
        // no exchange.
        let snapshot = is_step && self.snapshots && result.snapshot;
        let normalized = (self.recorder.is_some() || snapshot)
            .then(|| normalize::exchange(label, &exchange, scope, &trail.captured));
        let checked = check::exchange(
            &call.action,
            &exchange,
            expect,
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
        }
        if let Some(normalized) = normalized {
            if snapshot {
                result.exchanges.push(normalized.clone());
            }
            if self.recorder.is_some() {
                trail.exchanges.push(normalized);
            }
        }
        result.mismatches.len() == before
            && keep(label, call, &exchange, &mut trail.captured, result)
    }
}

/// What a case's calls leave for the rest of it: the normalized exchanges
/// (when recording) and the values kept for `{{capture:NAME}}`.
#[derive(Default)]
struct Trail {
    exchanges: Vec<Value>,
    captured: Captured,
}

/// Keeps what `call` captures from the answer it met; false (with the
/// mismatch that says which field) when the answer lacks one.
fn keep(
    label: &str,
    call: &Call,
    exchange: &Exchange,
    captured: &mut Captured,
    result: &mut CaseResult,
) -> bool {
    let mut all = true;
    for (name, path) in &call.capture {
        let value = exchange
            .json()
            .ok()
            .and_then(|body| body.get("Response"))
            .and_then(|response| capture::lookup(response, path));
        match value {
            Some(value) => {
                captured.insert(name.clone(), value.clone());
            }
            None => {
                all = false;
                result.mismatches.push(Mismatch::new(
                    format!("{label}: Response.{path}"),
                    format!("present, for {{{{capture:{name}}}}}"),
                    "absent",
                ));
            }
        }
    }
    all
}

/// Why a call got no answer.
pub(super) enum Failure {
    /// Not sent: the live policy, the budget or the ledger said no.
    Refused(String),
    /// Sent, or meant to be, and no answer came.
    Transport(String),
}

/// A held action lock ([`Runner::lock`]); dropped when the case ends.
#[allow(dead_code)] // held for its drop
enum LockGuard<'a> {
    Alone(tokio::sync::RwLockWriteGuard<'a, ()>),
    Shared(tokio::sync::RwLockReadGuard<'a, ()>),
}

/// Why a case (its calls, `scoped`) cannot run on a live target under the
/// guard's options, if so: its setup, or a step that must succeed, changes
/// the account without consent, or creates a person without a real face;
/// or the guard would refuse one of its calls: a create without consent, or a
/// write to an ID no run creates in a call that expects an error (a
/// document's ID as printed). Such a refusal says nothing of the target,
/// so the case is skipped. A call that must succeed in writing an ID the
/// run did not create is a wrong case for a live account: it is sent to
/// the guard, which refuses it, and the case fails naming the policy.
fn live_skip(guard: &Guard, scoped: &ScopedCalls) -> Option<String> {
    let calls = || {
        let setup = scoped.setup.iter().map(|c| ("setup", c)).enumerate();
        setup.chain(scoped.steps.iter().map(|c| ("step", c)).enumerate())
    };
    // Setup must succeed; a step as its expectation says.
    let must_succeed = |part: &str, call: &Call| {
        part == "setup" || call.expect.as_ref().is_some_and(Expect::is_success)
    };
    let mut mutates = false;
    let mut creates_person = false;
    for (_, (_, call)) in calls().filter(|(_, (part, call))| must_succeed(part, call)) {
        mutates |= policy::effect(&call.action) != policy::Effect::Read;
        creates_person |= matches!(call.action.as_str(), "CreatePerson" | "CreateFace");
    }
    if mutates && !guard.allows_mutations() {
        return Some(
            "changes the account (its setup or steps create, modify or delete): pass --allow-mutations or IAI_ALLOW_MUTATIONS=1".into(),
        );
    }
    if creates_person && !guard.has_face_image() {
        return Some(
            "creates a person, and CreatePerson on a live account needs a real face: pass --face-image PATH or IAI_FACE_IMAGE".into(),
        );
    }
    for (i, (part, call)) in calls() {
        let request = Prepared {
            method: "POST".into(),
            target: "/".into(),
            headers: vec![("X-TC-Action".into(), call.action.clone())],
            body: serde_json::to_vec(&call.params).unwrap_or_default(),
        };
        if let Err(refusal) = guard.ownership().judge(&request)
            && (matches!(refusal, policy::Refusal::NoConsent { .. }) || !must_succeed(part, call))
        {
            return Some(format!(
                "the live policy would refuse {part}[{i}] {}: {refusal}",
                call.action
            ));
        }
    }
    None
}
