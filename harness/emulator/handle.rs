//! The emulator from a Rust test, the way wiremock is used: start it,
//! point the client under test at its URL with its credentials, arrange
//! the library and the faults, assert, stop. The methods here drive the
//! control API (`/__emulator/`, README "Control API") of the emulator they
//! belong to, so they behave exactly as they do against `serve`.

use serde_json::{Value, json};

use super::{Emulator, FaultSpec};

/// A control request the emulator refused, or could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("the emulator's control API refused {what}: HTTP {status}: {message}")]
    Refused {
        what: &'static str,
        status: u16,
        message: String,
    },
    #[error("cannot reach the emulator's control API for {what}: {source}")]
    Transport {
        what: &'static str,
        #[source]
        source: reqwest::Error,
    },
}

impl Emulator {
    /// Adds a fault (an error code, a latency, or both, for the calls that
    /// match); returns its id. A code outside the catalog is refused.
    ///
    /// The whole use from a test: start, configure the code under test
    /// with the URL and credentials, seed, inject, call, stop.
    ///
    /// ```
    /// use iai_conformance::client::{CallOptions, Client, Style, now};
    /// use iai_conformance::emulator::{Config, Emulator, FaultSpec};
    /// use iai_conformance::envelope::{self, Outcome};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emulator = Emulator::start(Config::default(), "127.0.0.1:0".parse()?).await?;
    /// // what the code under test is configured with
    /// let (url, credentials) = (emulator.url(), emulator.credentials().clone());
    /// // a group with three persons, seed-0 to seed-2, one face each
    /// assert_eq!(emulator.seed("my-group", "seed-", 3).await?, 3);
    /// // the next DeletePerson fails as the cloud does under load
    /// emulator
    ///     .inject(FaultSpec {
    ///         code: "FailedOperation.RequestTimeout".into(),
    ///         action: Some("DeletePerson".into()),
    ///         count: Some(1),
    ///         ..FaultSpec::default()
    ///     })
    ///     .await?;
    ///
    /// let client = Client::new(url, credentials, None)?;
    /// let params = serde_json::json!({ "PersonId": "seed-0" });
    /// let delete = async || {
    ///     let exchange = client
    ///         .call("DeletePerson", params.as_object().unwrap(), &CallOptions::new(Style::Tc3PostJson, now()))
    ///         .await?;
    ///     let answer = envelope::check(exchange.status, exchange.content_type.as_deref(), &exchange.body)
    ///         .expect("a Tencent envelope");
    ///     Ok::<_, Box<dyn std::error::Error>>(answer.outcome)
    /// };
    /// assert!(matches!(delete().await?, Outcome::Error { code, .. } if code == "FailedOperation.RequestTimeout"));
    /// assert!(matches!(delete().await?, Outcome::Success(_)), "the fault was spent");
    /// assert_eq!(emulator.state().await?["person_count"], 2);
    /// emulator.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn inject(&self, fault: FaultSpec) -> Result<u64, ControlError> {
        let body = serde_json::to_value(&fault).expect("a fault spec serializes");
        let answer = self.control("inject", "POST", "faults", Some(body)).await?;
        Ok(answer["id"].as_u64().unwrap_or_default())
    }

    /// Removes every fault.
    pub async fn clear_faults(&self) -> Result<(), ControlError> {
        self.control("clear_faults", "DELETE", "faults", None)
            .await
            .map(drop)
    }

    /// Adds `count` persons `{prefix}{n}` (n from 0), one face each, to
    /// `group_id` (created if needed); returns how many were added.
    pub async fn seed(
        &self,
        group_id: &str,
        prefix: &str,
        count: u64,
    ) -> Result<u64, ControlError> {
        let body = json!({ "group_id": group_id, "prefix": prefix, "count": count });
        let answer = self.control("seed", "POST", "seed", Some(body)).await?;
        Ok(answer["added"].as_u64().unwrap_or_default())
    }

    /// Empties the library and clears the faults: a fresh emulator.
    pub async fn reset(&self) -> Result<(), ControlError> {
        self.control("reset", "POST", "reset", None).await.map(drop)
    }

    /// The library as the control API shows it: `group_count`,
    /// `person_count`, `face_count`, `groups`, `persons`, `account`.
    pub async fn state(&self) -> Result<Value, ControlError> {
        self.control("state", "GET", "state", None).await
    }

    async fn control(
        &self,
        what: &'static str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, ControlError> {
        let url = format!("{}/__emulator/{path}", self.url());
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method name");
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|source| ControlError::Transport { what, source })?;
        let mut request = http.request(method, url);
        if let Some(token) = &self.control_token {
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
}
