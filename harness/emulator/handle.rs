//! The emulator from a Rust test, the way wiremock is used: start it,
//! point the client under test at its URL with its credentials, arrange
//! the library and the faults, assert, stop. The methods here drive the
//! control API (`/__emulator/`, README "Control API") of the emulator they
//! belong to, so they behave exactly as they do against `serve`.

use reqwest::Method;
use serde_json::{Value, json};

use super::remote::{ControlClient, ControlError};
use super::{Emulator, FaultSpec};

impl Emulator {
    /// Adds a fault (an error code, a latency, or both, for the calls that
    /// match); returns its id. A code outside the catalog is refused.
    ///
    /// The whole use from a test: start, configure the code under test
    /// with the URL and credentials, seed, inject, call, stop.
    ///
    /// ```
    /// use iai_conformance::{CallOptions, Client, Style, now};
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
        self.default_account().inject(fault).await
    }

    /// Removes every fault.
    pub async fn clear_faults(&self) -> Result<(), ControlError> {
        self.default_account().clear_faults().await
    }

    /// Adds `count` persons `{prefix}{n}` (n from 0), one face each, to
    /// `group_id` (created if needed); returns how many were added.
    pub async fn seed(
        &self,
        group_id: &str,
        prefix: &str,
        count: u64,
    ) -> Result<u64, ControlError> {
        self.default_account().seed(group_id, prefix, count).await
    }

    /// Empties the library and clears the faults: a fresh emulator.
    pub async fn reset(&self) -> Result<(), ControlError> {
        self.default_account().reset().await
    }

    /// The library as the control API shows it: `group_count`,
    /// `person_count`, `face_count`, `groups`, `persons`, `account`.
    pub async fn state(&self) -> Result<Value, ControlError> {
        self.default_account().state().await
    }

    /// Why the emulator gave the answer with this RequestId (any
    /// account's, among the last [`super::EXPLAIN_CAPACITY`]): `stage`
    /// (`transport`, `protocol`, `auth`, `account`, `fault`, `params`,
    /// `rule`, `state`, `quirk`, `success`), `rule`, `code`, `detail`, ...
    /// For `AuthFailure.SignatureFailure` the detail holds the server's
    /// canonical request and string to sign.
    pub async fn explain(&self, request_id: &str) -> Result<Value, ControlError> {
        self.control()?.explain(request_id).await
    }

    /// Every account: name, SecretIds, status and library size.
    pub async fn accounts(&self) -> Result<Value, ControlError> {
        self.control()?
            .request("accounts", Method::GET, "accounts", None)
            .await
    }

    /// The control API of the account that `secret_id` acts for (see
    /// [`super::Config::accounts`]).
    pub fn for_secret_id(&self, secret_id: &str) -> AccountControl<'_> {
        AccountControl {
            emulator: self,
            scope: Scope::SecretId(secret_id.to_string()),
        }
    }

    /// The control API of the account named `name`.
    pub fn account(&self, name: &str) -> AccountControl<'_> {
        AccountControl {
            emulator: self,
            scope: Scope::Name(name.to_string()),
        }
    }

    fn default_account(&self) -> AccountControl<'_> {
        AccountControl {
            emulator: self,
            scope: Scope::Default,
        }
    }

    /// The control API of this emulator (a fresh connection pool, no proxy).
    fn control(&self) -> Result<ControlClient, ControlError> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|source| ControlError::Transport {
                what: "a connection",
                source,
            })?;
        Ok(ControlClient::new(
            self.url(),
            http,
            self.control_token.clone(),
        ))
    }
}

#[derive(Clone, Debug)]
enum Scope {
    Default,
    Name(String),
    SecretId(String),
}

/// The control API of one account of an emulator: its faults, library and
/// status, untouched by the other accounts' ([`Emulator::account`],
/// [`Emulator::for_secret_id`]).
#[derive(Clone, Debug)]
pub struct AccountControl<'e> {
    emulator: &'e Emulator,
    scope: Scope,
}

impl AccountControl<'_> {
    fn control(&self) -> Result<ControlClient, ControlError> {
        let control = self.emulator.control()?;
        Ok(match &self.scope {
            Scope::Default => control,
            Scope::Name(name) => control.for_account(name),
            Scope::SecretId(id) => control.for_secret_id(id),
        })
    }

    /// Adds a fault for this account's calls only; returns its id.
    pub async fn inject(&self, fault: FaultSpec) -> Result<u64, ControlError> {
        self.control()?.inject(&fault).await
    }

    /// Removes this account's faults.
    pub async fn clear_faults(&self) -> Result<(), ControlError> {
        self.control()?
            .request("clear_faults", Method::DELETE, "faults", None)
            .await
            .map(drop)
    }

    /// Seeds this account's library (see [`Emulator::seed`]).
    pub async fn seed(
        &self,
        group_id: &str,
        prefix: &str,
        count: u64,
    ) -> Result<u64, ControlError> {
        let body = json!({ "group_id": group_id, "prefix": prefix, "count": count });
        let answer = self
            .control()?
            .request("seed", Method::POST, "seed", Some(body))
            .await?;
        Ok(answer["added"].as_u64().unwrap_or_default())
    }

    /// Empties this account's library, clears its faults, status normal.
    pub async fn reset(&self) -> Result<(), ControlError> {
        self.control()?
            .request("reset", Method::POST, "reset", None)
            .await
            .map(drop)
    }

    /// This account's library (see [`Emulator::state`]).
    pub async fn state(&self) -> Result<Value, ControlError> {
        self.control()?
            .request("state", Method::GET, "state", None)
            .await
    }

    /// Sets this account's status (`normal`, `arrears`, `frozen`, ...).
    pub async fn set_status(&self, state: &str) -> Result<(), ControlError> {
        self.control()?.set_account(state).await
    }
}
