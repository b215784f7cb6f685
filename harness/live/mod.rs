//! Running against a real account: the live policy, the ledger of what a
//! run created, cleanup, the sweeper, pacing, and record/replay.
//!
//! Everything here sits *below* the cases (it knows requests, not case
//! files; the runner decides which cases a live run skips): the runner hands the final
//! prepared request (signed, tampered with if the case says so) to
//! [`Guard::send`], which judges it ([`policy`]), writes the ledger before a
//! create leaves ([`ledger`]), paces it ([`pacing`]) and only then sends it.
//! A case file cannot reach the network any other way on a live target.

pub(crate) mod ledger;
pub(crate) mod pacing;
pub(crate) mod policy;
pub(crate) mod record;
pub(crate) mod sweep;

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::client::{CallOptions, Client, ClientError};
use crate::wire::{Exchange, Prepared, Style};

pub use ledger::Entry;
pub(crate) use ledger::Ledger;
pub use pacing::Limits;
pub(crate) use pacing::Pacer;
pub use policy::Kind;
pub(crate) use policy::{Ownership, Refusal};

/// The 1x1 PNG the case files use as `Image`: on a live target it is
/// replaced by the real face given with `--face-image`.
pub(crate) const PLACEHOLDER_IMAGE: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

/// The user's choices for a live run.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--allow-mutations` / `IAI_ALLOW_MUTATIONS=1`.
    pub allow_mutations: bool,
    /// A face image, Base64, for CreatePerson and CreateFace.
    pub face_image: Option<String>,
    /// Rate, budget and retries.
    pub limits: Limits,
    /// Where the ledger file goes (default: `$IAI_LEDGER_DIR`, else `iai-conformance` in the temporary folder).
    pub ledger_dir: Option<PathBuf>,
    /// `--record DIR`.
    pub record: Option<PathBuf>,
    /// `--replay DIR`.
    pub replay: Option<PathBuf>,
    /// Keep each snapshot case's normalized exchanges in its result (for
    /// insta snapshots, as `cargo test` reviews them); any target.
    pub snapshots: bool,
}

impl Options {
    /// Reads `IAI_ALLOW_MUTATIONS` and `IAI_FACE_IMAGE` (a path).
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut options = Self {
            allow_mutations: env("IAI_ALLOW_MUTATIONS").is_some_and(|v| truthy(&v)),
            ..Self::default()
        };
        if let Some(path) = env("IAI_FACE_IMAGE").filter(|p| !p.is_empty()) {
            options.face_image = Some(read_face_image(Path::new(&path))?);
        }
        Ok(options)
    }
}

/// `1`, `true`, `yes`, `on`.
pub(crate) fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

/// Reads an image file as Base64.
pub fn read_face_image(path: &Path) -> Result<String, String> {
    use base64::Engine as _;
    let bytes = std::fs::read(path).map_err(|e| format!("face image {}: {e}", path.display()))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Why a call did not produce an answer.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The live policy refused it; nothing was sent.
    #[error("refused by the live policy, nothing sent: {0}")]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Budget(#[from] pacing::BudgetSpent),
    #[error("{0}; the create was not sent")]
    Ledger(#[from] ledger::LedgerError),
    #[error(transparent)]
    Transport(#[from] ClientError),
}

/// The gate every request to a live target passes.
#[derive(Debug)]
pub struct Guard {
    ownership: Ownership,
    ledger: Ledger,
    pacer: Pacer,
    face_image: Option<String>,
}

impl Guard {
    /// The guard of run `run_id`: its prefix is `ct-<run_id>-`.
    pub fn for_run(run_id: &str, options: &Options) -> Self {
        let dir = options
            .ledger_dir
            .clone()
            .unwrap_or_else(Ledger::default_dir);
        Self {
            ownership: Ownership::Run {
                prefix: format!("{}{run_id}-", crate::scope::PREFIX),
                consent: options.allow_mutations,
            },
            ledger: Ledger::new(&dir, run_id),
            pacer: Pacer::new(options.limits.clone()),
            face_image: options.face_image.clone(),
        }
    }

    /// The sweeper's guard: deletes only run IDs older than `older_than` seconds.
    pub fn for_sweep(now: i64, older_than: i64, limits: Limits) -> Self {
        Self {
            ownership: Ownership::Sweep { now, older_than },
            ledger: Ledger::new(&std::env::temp_dir(), "sweep-unused"),
            pacer: Pacer::new(limits),
            face_image: None,
        }
    }

    /// Whether the run may create, modify and delete (`--allow-mutations`).
    pub fn allows_mutations(&self) -> bool {
        matches!(self.ownership, Ownership::Run { consent: true, .. })
    }

    /// Who owns what: the run's prefix and ledger, or the sweeper's age limit.
    pub fn ownership(&self) -> &Ownership {
        &self.ownership
    }

    /// The ledger of what the run created.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The pacer: rate, budget and backoff.
    pub fn pacer(&self) -> &Pacer {
        &self.pacer
    }

    /// Whether a real face was given for CreatePerson and CreateFace.
    pub(crate) fn has_face_image(&self) -> bool {
        self.face_image.is_some()
    }

    /// Puts the real face in place of the cases' placeholder image.
    pub fn adjust(&self, action: &str, params: &mut Map<String, Value>) {
        if let Some(face) = &self.face_image
            && matches!(action, "CreatePerson" | "CreateFace")
        {
            for key in ["Image", "Images"] {
                match params.get_mut(key) {
                    Some(Value::String(s)) if s == PLACEHOLDER_IMAGE => *s = face.clone(),
                    Some(Value::Array(items)) => items
                        .iter_mut()
                        .filter(|v| v.as_str() == Some(PLACEHOLDER_IMAGE))
                        .for_each(|v| *v = Value::String(face.clone())),
                    _ => {}
                }
            }
        }
    }

    /// Judges the request, writes the ledger for a create, paces, sends,
    /// and retries with backoff on `RequestLimitExceeded` (and on transport
    /// errors, for reads). `build` makes the request as it leaves at a given
    /// moment (Unix seconds): every attempt is built, and so signed, after
    /// the pacer admits it, so neither the queue nor a retry sends a stale
    /// signature, and a case's clock skew is measured from the moment of
    /// sending. `budgeted` is false only for cleanup.
    pub async fn send(
        &self,
        client: &Client,
        build: impl Fn(i64) -> Result<Prepared, ClientError>,
        budgeted: bool,
    ) -> Result<Exchange, SendError> {
        let (reading, created) = self.ownership.judge(&build(crate::wire::now())?)?;
        if !created.is_empty() {
            self.ledger.record(&created)?;
        }
        let read_only = reading.effect() == policy::Effect::Read;
        let attempts = self.pacer.limits().attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.pacer.admit(budgeted).await?;
            let request = build(crate::wire::now())?;
            // What leaves is judged, not what was judged before the queue.
            self.ownership.judge(&request)?;
            match client.send(request).await {
                Ok(exchange) if is_throttled(&exchange) => {
                    self.pacer.throttled().await;
                    if attempt >= attempts {
                        return Ok(exchange);
                    }
                }
                Ok(exchange) => {
                    self.pacer.succeeded().await;
                    return Ok(exchange);
                }
                Err(_) if read_only && attempt < attempts => {}
                Err(e) => return Err(e.into()),
            }
            tokio::time::sleep(self.pacer.backoff(attempt)).await;
        }
    }

    /// One signed call through the guard (cleanup and sweep).
    pub async fn call(
        &self,
        client: &Client,
        action: &str,
        params: Value,
        budgeted: bool,
    ) -> Result<Exchange, SendError> {
        let Value::Object(params) = params else {
            unreachable!("parameters are an object")
        };
        let build =
            |now| client.prepare(action, &params, &CallOptions::new(Style::Tc3PostJson, now));
        self.send(client, build, budgeted).await
    }

    /// Deletes everything in the ledger (persons, then groups). Returns
    /// what could not be deleted, with the reason; the ledger file stays
    /// while anything is left, for `sweep`.
    pub async fn cleanup(&self, client: &Client) -> Vec<(Entry, String)> {
        let mut settled = Vec::new();
        let mut left = Vec::new();
        for entry in self.ledger.entries() {
            let (action, key) = match entry.kind {
                Kind::Person => ("DeletePerson", "PersonId"),
                Kind::Group => ("DeleteGroup", "GroupId"),
            };
            let outcome = self
                .call(client, action, json!({ key: entry.id }), false)
                .await;
            match outcome {
                Ok(x) => match error_code(&x) {
                    None => settled.push(entry),
                    Some(code) if is_gone(&code) => settled.push(entry),
                    Some(code) => left.push((entry, code)),
                },
                Err(e) => left.push((entry, e.to_string())),
            }
        }
        if let Err(e) = self.ledger.settle(&settled) {
            eprintln!(
                "warning: cannot update the ledger {}: {e}",
                self.ledger.path().display()
            );
        }
        left
    }
}

/// `Response.Error.Code`, when the body is an error envelope.
pub(crate) fn error_code(exchange: &Exchange) -> Option<String> {
    crate::envelope::read(exchange.json())
        .code()
        .map(str::to_string)
}

fn is_throttled(exchange: &Exchange) -> bool {
    error_code(exchange).as_deref() == Some("RequestLimitExceeded")
}

/// Codes that mean "already gone".
fn is_gone(code: &str) -> bool {
    code.contains("NotExist") || code.starts_with("ResourceNotFound")
}
