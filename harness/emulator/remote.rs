//! The control API's client, the one way anything drives an emulator over
//! HTTP: the [`super::Emulator`] handle's methods (a test arranging its
//! fake), and the runner against the in-process emulator or `serve`
//! (faults, the account, and the challenge that proves a URL is this
//! emulator). Faults are this module's own [`FaultSpec`]; the wire format
//! stays the emulator's business.

use std::time::Duration;

use serde_json::{Value, json};

use super::faults::FaultSpec;
use crate::sign::{Credentials, Secret, check_emulator_proof};

/// A control request the emulator refused, or could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// The emulator answered, and not with 200.
    #[error("the emulator's control API refused {what}: HTTP {status}: {message}")]
    Refused {
        /// The request, e.g. `inject`.
        what: &'static str,
        /// The HTTP status.
        status: u16,
        /// The emulator's `error`.
        message: String,
    },
    /// No answer, or one that is not JSON.
    #[error("cannot reach the emulator's control API for {what}: {source}")]
    Transport {
        /// The request, e.g. `inject`.
        what: &'static str,
        /// What failed.
        #[source]
        source: reqwest::Error,
    },
}

/// The control API of the emulator at one base URL.
#[derive(Clone, Debug)]
pub(crate) struct ControlClient {
    base: String,
    http: reqwest::Client,
    /// The bearer token the control API asks for, when it asks for one.
    token: Option<Secret>,
    /// The account every request names (`account` or `secret_id` and its
    /// value); `None`: the emulator's default account.
    scope: Option<(&'static str, String)>,
}

impl ControlClient {
    /// The control API at `base` (`http://127.0.0.1:PORT`), over `http`,
    /// with `token` when the emulator was started with one.
    pub(crate) fn new(base: &str, http: reqwest::Client, token: Option<Secret>) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            http,
            token,
            scope: None,
        }
    }

    /// The same client, for the account that `secret_id` acts for: what a
    /// suite sharing one `serve` with other suites uses, so that its
    /// faults, resets and account switches touch its own account only.
    pub(crate) fn for_secret_id(mut self, secret_id: &str) -> Self {
        self.scope = Some(("secret_id", secret_id.to_string()));
        self
    }

    /// The same client, for the account named `account`.
    pub(crate) fn for_account(mut self, account: &str) -> Self {
        self.scope = Some(("account", account.to_string()));
        self
    }

    /// One control request: `method` on `/__emulator/{path}`; the answer's
    /// JSON when it is 200.
    pub(crate) async fn request(
        &self,
        what: &'static str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, ControlError> {
        let mut url = reqwest::Url::parse(&format!("{}/__emulator/", self.base)).map_err(|_| {
            ControlError::Refused {
                what,
                status: 0,
                message: format!("the base URL {:?} cannot carry a path", self.base),
            }
        })?;
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend(path.split('/'));
        }
        if let Some((key, value)) = &self.scope {
            url.query_pairs_mut().append_pair(key, value);
        }
        let mut request = self.http.request(method, url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose());
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request
            .send()
            .await
            .map_err(|source| ControlError::Transport { what, source })?;
        let status = answer.status().as_u16();
        let value: Value = answer
            .json()
            .await
            .map_err(|source| ControlError::Transport { what, source })?;
        if status != 200 {
            let message = value["error"].as_str().unwrap_or_default().to_string();
            return Err(ControlError::Refused {
                what,
                status,
                message,
            });
        }
        Ok(value)
    }

    /// Adds `fault`, validated as `serve --fault` validates it; its id.
    pub(crate) async fn inject(&self, fault: &FaultSpec) -> Result<u64, ControlError> {
        let body = serde_json::to_value(fault).expect("a fault spec serializes");
        let answer = self
            .request("inject", reqwest::Method::POST, "faults", Some(body))
            .await?;
        Ok(answer["id"].as_u64().unwrap_or_default())
    }

    /// The explanation of the answer with this RequestId (any account's).
    pub(crate) async fn explain(&self, request_id: &str) -> Result<Value, ControlError> {
        self.request(
            "explain",
            reqwest::Method::GET,
            &format!("explain/{request_id}"),
            None,
        )
        .await
    }

    /// Sets the account's state (`normal`, `arrears`, ...).
    pub(crate) async fn set_account(&self, state: &str) -> Result<(), ControlError> {
        let body = json!({ "state": state });
        self.request("set_account", reqwest::Method::POST, "account", Some(body))
            .await
            .map(drop)
    }

    /// Whether the server at the base URL proves it is this project's
    /// emulator: it answers a fresh nonce with the HMAC only a holder of
    /// `credentials`' secret key that speaks the control API can give. The
    /// one request sent before the target's kind is known: an unsigned GET
    /// of a path no Tencent endpoint serves, which touches no data.
    pub(crate) async fn prove(&self, credentials: &Credentials) -> bool {
        let nonce = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let Ok(url) = reqwest::Url::parse_with_params(
            &format!("{}/__emulator/challenge", self.base),
            [
                ("secret_id", credentials.secret_id.as_str()),
                ("nonce", nonce.as_str()),
            ],
        ) else {
            return false;
        };
        let answer = async {
            let response = self.http.get(url).send().await.ok()?;
            if !response.status().is_success() {
                return None;
            }
            let body: Value = response.json().await.ok()?;
            body.get("proof")?.as_str().map(str::to_string)
        };
        match tokio::time::timeout(Duration::from_secs(5), answer).await {
            Ok(Some(proof)) => check_emulator_proof(&credentials.secret_key, &nonce, &proof),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::{Config, Emulator};

    #[tokio::test]
    async fn drives_the_emulator_it_belongs_to() {
        let emulator = Emulator::start(Config::default(), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let control = ControlClient::new(emulator.url(), reqwest::Client::new(), None);
        assert!(control.prove(emulator.credentials()).await);
        assert!(!control.prove(&Credentials::generate()).await);
        let fault = FaultSpec {
            code: "InternalError".into(),
            count: Some(1),
            ..FaultSpec::default()
        };
        control.inject(&fault).await.unwrap();
        let refused = FaultSpec {
            code: "Not.ACode".into(),
            ..FaultSpec::default()
        };
        let e = control.inject(&refused).await.unwrap_err();
        assert!(
            matches!(&e, ControlError::Refused { status: 400, message, .. } if message.contains("Not.ACode")),
            "{e}"
        );
        control.set_account("arrears").await.unwrap();
        assert!(control.set_account("bankrupt").await.is_err());
        emulator.shutdown().await;
    }

    #[tokio::test]
    async fn a_scoped_client_touches_its_own_account_only() {
        let (a, b) = (Credentials::generate(), Credentials::generate());
        let config = Config {
            credentials: vec![a.clone(), b.clone()],
            ..Config::default()
        };
        let emulator = Emulator::start(config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let control = ControlClient::new(emulator.url(), reqwest::Client::new(), None);
        let scoped = control.clone().for_secret_id(&b.secret_id);
        scoped.set_account("arrears").await.unwrap();
        let status = |c: ControlClient| async move {
            c.request("account", reqwest::Method::GET, "account", None)
                .await
                .unwrap()["state"]
                .clone()
        };
        assert_eq!(status(control.clone()).await, "normal");
        assert_eq!(status(scoped).await, "arrears");
        let unknown = control.for_secret_id("AKIDnobody");
        assert!(unknown.set_account("normal").await.is_err());
        emulator.shutdown().await;
    }
}
