//! How one call leaves: its parameters (a real face in place of the
//! placeholder on a live target), the credentials the case asks for, the
//! request built, signed and tampered with at the moment it leaves, then
//! either the recording's answer (replay) or the network, through the live
//! guard on a live target. One function per stage.

use serde_json::{Map, Value};

use super::runner::{Failure, Runner};
use super::{normalize, tamper};
use crate::api;
use crate::case::capture::Captured;
use crate::case::{Call, Credential, V1Digest};
use crate::client::{CallOptions, Client, ClientError};
use crate::live::SendError;
use crate::live::record::Replayer;
use crate::sign::{Credentials, Secret, V1Method};
use crate::wire::{Exchange, Prepared, now};

impl Runner {
    /// Builds, signs, tampers with and sends one call (already scoped). On
    /// a live target the final request passes the guard; on replay the
    /// recording answers.
    pub(super) async fn send(
        &self,
        call: &Call,
        scope: &str,
        case: &str,
        label: &str,
        pinned: Option<i64>,
        captured: &Captured,
    ) -> Result<Exchange, Failure> {
        let params = self.parameters(call);
        let base = &self.session.client;
        let client = base.with_credentials(credentials(
            call.credentials,
            base.credentials(),
            &self.run_id,
        ));
        // Signed at the moment it leaves (the guard builds anew after its
        // pacer and for every retry), with the case's skew from that moment.
        // (or at the second the server clock is pinned at)
        let build = |now: i64| build(&client, call, &params, pinned.unwrap_or(now));
        match &self.replayer {
            Some(replayer) => self.replay(replayer, build(now()), case, label, scope, captured),
            None => self.transmit(&client, build).await,
        }
    }

    /// The call's parameters; on a live target the real face replaces the
    /// cases' placeholder image.
    fn parameters(&self, call: &Call) -> Map<String, Value> {
        let mut params = call.params.clone();
        if let Some(guard) = &self.guard {
            guard.adjust(&call.action, &mut params);
        }
        params
    }

    /// The recording answers, after the same live policy judged the
    /// request (a replay proves it too).
    fn replay(
        &self,
        replayer: &Replayer,
        built: Result<Prepared, ClientError>,
        case: &str,
        label: &str,
        scope: &str,
        captured: &Captured,
    ) -> Result<Exchange, Failure> {
        let prepared = built.map_err(|e| Failure::Transport(e.to_string()))?;
        if let Some(guard) = &self.guard {
            guard
                .ownership()
                .judge(&prepared)
                .map_err(|e| Failure::Refused(SendError::Refused(e).to_string()))?;
        }
        let asked = Exchange::new(prepared.clone(), 0, None, Vec::new(), Default::default());
        let normalized = normalize::exchange(label, &asked, scope, captured);
        replayer
            .answer(case, label, scope, prepared, &normalized)
            .map_err(Failure::Transport)
    }

    /// Sends: through the guard on a live target, straight otherwise.
    async fn transmit(
        &self,
        client: &Client,
        build: impl Fn(i64) -> Result<Prepared, ClientError>,
    ) -> Result<Exchange, Failure> {
        match &self.guard {
            Some(guard) => guard.send(client, build, true).await.map_err(|e| match e {
                SendError::Transport(e) => Failure::Transport(e.to_string()),
                other => Failure::Refused(other.to_string()),
            }),
            None => {
                let prepared = build(now()).map_err(|e| Failure::Transport(e.to_string()))?;
                client
                    .send(prepared)
                    .await
                    .map_err(|e| Failure::Transport(e.to_string()))
            }
        }
    }
}

/// The credentials a call is signed with: the target's, or the wrong ones
/// the case asks for (a wrong key, a bogus token, an unknown SecretId).
fn credentials(kind: Credential, target: &Credentials, run_id: &str) -> Credentials {
    match kind {
        Credential::Valid => target.clone(),
        Credential::WrongKey => Credentials {
            secret_key: Secret::new(format!("wrong{run_id}")),
            ..target.clone()
        },
        Credential::BogusToken => target.clone().with_token(format!("bogus-token-{run_id}")),
        Credential::UnknownId => {
            let mut c = Credentials::generate();
            c.token = target.token.clone();
            c
        }
    }
}

/// How the call is signed at `now`: its style, signed headers, version,
/// v1 digest and clock skew.
fn options(call: &Call, now: i64) -> CallOptions {
    let mut options = CallOptions::new(call.style, now + call.clock_skew);
    options.signed_headers = call.signed_headers;
    if let Some(version) = &call.version {
        options.version = version.clone();
    }
    options.v1_method = match call.v1_method {
        Some(V1Digest::HmacSha1) => V1Method::HmacSha1,
        _ => V1Method::HmacSha256,
    };
    options
}

/// The request, signed at `now`, then tampered with (and signed again)
/// as the case says.
fn build(
    client: &Client,
    call: &Call,
    params: &Map<String, Value>,
    now: i64,
) -> Result<Prepared, ClientError> {
    let mut prepared = client.prepare(&call.action, params, &options(call, now))?;
    if let Some(t) = &call.tamper {
        tamper::apply(&mut prepared, t);
        if t.resign {
            tamper::resign(&mut prepared, client.credentials(), api::SERVICE, t);
        }
    }
    Ok(prepared)
}
