//! A connected target: the signing client, what the target turned out to
//! be (emulator, serve or live), its control API when it has one, and the
//! embedded emulator when it was started here.

use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::embedded;
use super::target::{self, Target, TargetError};
use crate::case::TargetKind;
use crate::client::{CallOptions, Client};
use crate::emulator::{ControlClient, ControlError};
use crate::sign::Credentials;
use crate::wire::{Style, now};

/// A connected target.
pub struct Session {
    pub(super) kind: TargetKind,
    pub(super) client: Client,
    pub(super) control: Option<ControlClient>,
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
            Target::Client(adapter) => return Err(TargetError::NotAServer(adapter.name())),
        };
        // The in-process emulator is proven by construction (a client
        // target never gets here); a URL must
        // answer at all, then prove it is `serve`, or it is live.
        let proven = match target {
            Target::Emulator | Target::Client(_) => true,
            Target::Url { live: true, .. } => {
                target::reachable(client.base()).await?;
                false
            }
            Target::Url { .. } => {
                target::reachable(client.base()).await?;
                ControlClient::new(client.base(), client.http().clone(), None)
                    .prove(client.credentials())
                    .await
            }
        };
        let kind = target::kind_of(target, proven);
        // A live target gets no control API, not even a probe of it.
        // Scoped to the account of the run's own credential, so that suites
        // sharing one `serve` never touch each other's faults or status.
        let control = (kind != TargetKind::Live).then(|| {
            ControlClient::new(client.base(), client.http().clone(), None)
                .for_secret_id(&client.credentials().secret_id)
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

    /// What the target turned out to be.
    pub fn kind(&self) -> TargetKind {
        self.kind
    }

    /// The target's URL.
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
            Some(control) => control
                .set_account(state)
                .await
                .map_err(|e| control_error(self.url(), e)),
            None => Err(TargetError::Control {
                url: self.url().to_string(),
                message: "the target has no control API".into(),
            }),
        }
    }

    /// `samples` sequential signed round trips of a read-only call
    /// (`GetPersonBaseInfo` of an ID nobody created), each timed: the floor
    /// one case costs. `None` on a live target, where nothing outside the
    /// cases and their policy is sent.
    pub async fn round_trips(&self, samples: usize) -> Option<Vec<Duration>> {
        if self.kind == TargetKind::Live {
            return None;
        }
        let mut times = Vec::with_capacity(samples);
        let mut params = Map::new();
        params.insert("PersonId".into(), Value::String("ct-floor-probe".into()));
        for _ in 0..samples.max(1) {
            let options = CallOptions::new(Style::Tc3PostJson, now());
            let started = Instant::now();
            let _ = self
                .client
                .call("GetPersonBaseInfo", &params, &options)
                .await;
            times.push(started.elapsed());
        }
        Some(times)
    }

    /// Stops the embedded emulator, if any.
    pub async fn shutdown(self) {
        if let Some(handle) = self.embedded {
            embedded::stop(handle).await;
        }
    }
}

/// A failed control request to the target at `url`, as a target error.
pub(super) fn control_error(url: &str, e: ControlError) -> TargetError {
    TargetError::Control {
        url: url.to_string(),
        message: e.to_string(),
    }
}
