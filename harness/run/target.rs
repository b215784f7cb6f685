//! Targets: where the cases' requests go.

use std::time::Duration;

use serde_json::{Value, json};

use crate::case::TargetKind;
use crate::sign::Credentials;

/// A target as the user names it.
#[derive(Clone, Debug)]
pub enum Target {
    /// The reference emulator, started in-process on loopback.
    Emulator,
    /// Any URL, with the given credentials. A URL that answers the
    /// emulator's control API is a `serve` target, any other is `live`;
    /// `live` forces the live policy even on a `serve` URL (`--target live`).
    Url {
        url: String,
        credentials: Credentials,
        region: Option<String>,
        live: bool,
    },
}

/// The endpoint `--target live` uses unless `IAI_ENDPOINT` says otherwise.
pub const LIVE_ENDPOINT: &str = "https://iai.tencentcloudapi.com";

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot start the embedded emulator: {0}")]
    Emulator(std::io::Error),
    #[error("target URL {0:?}: expected http://HOST[:PORT] or https://HOST")]
    BadUrl(String),
    #[error("{0}")]
    Credentials(String),
    /// `--target live` without credentials: the live cases are skipped.
    #[error(
        "live target {0}: skipped, no credentials (set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY)"
    )]
    NoCredentials(String),
    #[error("the control API of {url} failed: {message}")]
    Control { url: String, message: String },
}

impl Target {
    /// Parses `--target` / `IAI_TARGET`: `emulator`, `live` (the endpoint
    /// in `IAI_ENDPOINT`, else [`LIVE_ENDPOINT`]), or a URL whose
    /// credentials come from `TENCENTCLOUD_SECRET_ID`,
    /// `TENCENTCLOUD_SECRET_KEY`, `TENCENTCLOUD_SESSION_TOKEN` (optional)
    /// and `TENCENTCLOUD_REGION` (optional).
    pub fn from_spec(
        spec: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, TargetError> {
        let spec = spec.trim();
        if spec.is_empty() || spec == "emulator" {
            return Ok(Self::Emulator);
        }
        let get = |name: &str| env(name).filter(|v| !v.is_empty());
        let live = spec == "live";
        let endpoint = if live {
            get("IAI_ENDPOINT").unwrap_or_else(|| LIVE_ENDPOINT.to_string())
        } else {
            spec.to_string()
        };
        let spec = endpoint.as_str();
        if !(spec.starts_with("http://") || spec.starts_with("https://")) {
            return Err(TargetError::BadUrl(spec.to_string()));
        }
        if live
            && (get("TENCENTCLOUD_SECRET_ID").is_none() || get("TENCENTCLOUD_SECRET_KEY").is_none())
        {
            return Err(TargetError::NoCredentials(spec.to_string()));
        }
        let (Some(id), Some(key)) = (
            get("TENCENTCLOUD_SECRET_ID"),
            get("TENCENTCLOUD_SECRET_KEY"),
        ) else {
            return Err(TargetError::Credentials(format!(
                "target {spec} needs credentials: set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY \
                 (and TENCENTCLOUD_SESSION_TOKEN for temporary keys, TENCENTCLOUD_REGION if the API needs one)"
            )));
        };
        let mut credentials = Credentials::new(id, key);
        if let Some(token) = get("TENCENTCLOUD_SESSION_TOKEN") {
            credentials = credentials.with_token(token);
        }
        Ok(Self::Url {
            url: spec.trim_end_matches('/').to_string(),
            credentials,
            region: get("TENCENTCLOUD_REGION"),
            live,
        })
    }
}

/// The emulator's control API, over HTTP (in-process or `serve`).
#[derive(Clone, Debug)]
pub(crate) struct Control {
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
}

impl Control {
    async fn post(&self, path: &str, body: &Value) -> Result<Value, TargetError> {
        let url = format!("{}{path}", self.base);
        let fail = |message: String| TargetError::Control {
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

    /// Injects a fault; the emulator answers `{"id": N}`.
    pub(crate) async fn inject(&self, fault: &Value) -> Result<(), TargetError> {
        self.post("/__emulator/faults", fault).await.map(|_| ())
    }

    pub(crate) async fn account(&self, state: &str) -> Result<(), TargetError> {
        self.post("/__emulator/account", &json!({ "state": state }))
            .await
            .map(|_| ())
    }

    /// Whether `base` answers the control API.
    pub(crate) async fn probe(base: &str, http: &reqwest::Client) -> bool {
        let url = format!("{base}/__emulator/state");
        matches!(
            http.get(url).timeout(Duration::from_secs(5)).send().await,
            Ok(r) if r.status().is_success()
        )
    }
}

/// The kinds a target can turn out to be, once connected.
pub(crate) fn kind_of(target: &Target, has_control: bool) -> TargetKind {
    match (target, has_control) {
        (Target::Emulator, _) => TargetKind::Emulator,
        (Target::Url { live: true, .. }, _) => TargetKind::Live,
        (Target::Url { .. }, true) => TargetKind::Serve,
        (Target::Url { .. }, false) => TargetKind::Live,
    }
}
