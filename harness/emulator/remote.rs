//! A typed client of the control API, for whoever drives an emulator over
//! HTTP (the runner, against the in-process emulator or `serve`): faults
//! are this module's own [`FaultSpec`], the account a state name, and the
//! challenge that proves a URL is this emulator is asked here too. The
//! wire format stays the emulator's business.

use std::time::Duration;

use serde_json::{Value, json};

use super::faults::FaultSpec;
use crate::sign::{Credentials, check_emulator_proof};

/// A control request that failed: the URL and what went wrong.
#[derive(Debug, thiserror::Error)]
#[error("the control API of {url} failed: {message}")]
pub(crate) struct ControlError {
    pub(crate) url: String,
    pub(crate) message: String,
}

/// The control API of the emulator at one base URL.
#[derive(Clone, Debug)]
pub(crate) struct ControlClient {
    base: String,
    http: reqwest::Client,
}

impl ControlClient {
    /// The control API at `base` (`http://127.0.0.1:PORT`), over `http`.
    pub(crate) fn new(base: &str, http: reqwest::Client) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            http,
        }
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Value, ControlError> {
        let url = format!("{}{path}", self.base);
        let fail = |message: String| ControlError {
            url: url.clone(),
            message,
        };
        let response = self
            .http
            .post(&url)
            .json(body)
            .send()
            .await
            .map_err(|e| fail(e.to_string()))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| fail(e.to_string()))?;
        if !status.is_success() {
            return Err(fail(format!("HTTP {status}: {text}")));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Injects `fault`; the emulator validates it as `serve --fault` does.
    pub(crate) async fn inject(&self, fault: &FaultSpec) -> Result<(), ControlError> {
        let body = serde_json::to_value(fault).expect("a fault serializes");
        self.post("/__emulator/faults", &body).await.map(|_| ())
    }

    /// Sets the account's state (`normal`, `arrears`, ...).
    pub(crate) async fn set_account(&self, state: &str) -> Result<(), ControlError> {
        self.post("/__emulator/account", &json!({ "state": state }))
            .await
            .map(|_| ())
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
        let control = ControlClient::new(emulator.url(), reqwest::Client::new());
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
            e.message.contains("HTTP 400") && e.message.contains("Not.ACode"),
            "{e}"
        );
        control.set_account("arrears").await.unwrap();
        assert!(control.set_account("bankrupt").await.is_err());
        emulator.shutdown().await;
    }
}
