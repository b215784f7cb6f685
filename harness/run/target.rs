//! Targets: where the cases' requests go.

use std::time::Duration;

use crate::case::TargetKind;
use crate::client_target::{Adapter, AdapterError};
use crate::sign::Credentials;

/// A target as the user names it: a server the cases' requests go to, or
/// a client library the harness serves.
#[derive(Clone, Debug)]
pub enum Target {
    /// The reference emulator, started in-process on loopback.
    Emulator,
    /// Any URL, with the given credentials. A URL is `live` unless it
    /// proves it is this project's emulator (`serve`) by answering a fresh
    /// challenge under the run's secret key ([`crate::sign::emulator_proof`]);
    /// no status, body or envelope counts as proof. `live` forces the live
    /// policy without even asking (`--target live`).
    Url {
        /// The endpoint, without a trailing `/`.
        url: String,
        /// The credentials requests are signed with.
        credentials: Credentials,
        /// `X-TC-Region`, if the API needs one.
        region: Option<String>,
        /// Whether the live policy applies whatever the URL proves (`--target live`).
        live: bool,
    },
    /// A client library, through its adapter: the harness plays the
    /// server (`client:rust`, `client:python-sdk`, `client:command:<cmd>`).
    Client(Adapter),
}

/// The endpoint `--target live` uses unless `IAI_ENDPOINT` says otherwise.
pub const LIVE_ENDPOINT: &str = "https://iai.tencentcloudapi.com";

#[derive(Debug, thiserror::Error)]
/// Why a target cannot be used.
pub enum TargetError {
    #[error("cannot start the embedded emulator: {0}")]
    /// The embedded emulator did not start.
    Emulator(std::io::Error),
    #[error("target URL {0:?}: expected http://HOST[:PORT] or https://HOST")]
    /// Not an http(s) URL.
    BadUrl(String),
    #[error("{0}")]
    /// Credentials are missing.
    Credentials(String),
    /// `--target live` without credentials: the live cases are skipped.
    #[error(
        "live target {0}: skipped, no credentials (set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY)"
    )]
    NoCredentials(String),
    #[error("the control API of {url} failed: {message}")]
    /// The emulator's control API refused or failed.
    Control {
        /// The control URL.
        url: String,
        /// What it answered.
        message: String,
    },
    /// A `client:` target that cannot be used.
    #[error(transparent)]
    Adapter(#[from] AdapterError),
    /// A session was asked of a client target, which has no server.
    #[error("{0} is a client target: the harness plays the server")]
    NotAServer(String),
    /// The recording folder (`--record`, `--replay`) cannot be opened.
    #[error("cannot open the recording folder: {0}")]
    Recording(std::io::Error),
    /// Nothing answers at the target's address: no case can run.
    #[error("target {url} does not answer: {reason}")]
    Unreachable {
        /// The target's URL.
        url: String,
        /// Why it did not answer.
        reason: String,
    },
}

impl Target {
    /// Parses `--target` / `IAI_TARGET`: `emulator`, `client:<adapter>`,
    /// `live` (the endpoint in `IAI_ENDPOINT`, else [`LIVE_ENDPOINT`]), or a URL whose
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
        if let Some(adapter) = Adapter::from_spec(spec) {
            return Ok(Self::Client(adapter?));
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

/// Opens (and closes) a TCP connection to the target's host and port, so a
/// target that does not answer at all fails at once, before any case runs.
/// Sends nothing.
pub(crate) async fn reachable(base: &str) -> Result<(), TargetError> {
    let unreachable = |reason: String| TargetError::Unreachable {
        url: base.to_string(),
        reason,
    };
    let url = reqwest::Url::parse(base).map_err(|_| TargetError::BadUrl(base.to_string()))?;
    let host = url
        .host_str()
        .ok_or_else(|| TargetError::BadUrl(base.to_string()))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = url
        .port_or_known_default()
        .ok_or_else(|| TargetError::BadUrl(base.to_string()))?;
    let connect = tokio::net::TcpStream::connect((host.as_str(), port));
    match tokio::time::timeout(Duration::from_secs(10), connect).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            Err(unreachable("connection refused".into()))
        }
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable("no TCP connection within 10 s".into())),
    }
}

/// The kinds a target can turn out to be, once connected: only the
/// in-process emulator, or a URL that gave the proof, is not live.
pub(crate) fn kind_of(target: &Target, proven: bool) -> TargetKind {
    match (target, proven) {
        (Target::Emulator, _) => TargetKind::Emulator,
        (Target::Client(adapter), _) => adapter.kind(),
        (Target::Url { live: true, .. }, _) => TargetKind::Live,
        (Target::Url { .. }, true) => TargetKind::Serve,
        (Target::Url { .. }, false) => TargetKind::Live,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(live: bool) -> Target {
        Target::Url {
            url: "http://127.0.0.1:9".into(),
            credentials: Credentials::generate(),
            region: None,
            live,
        }
    }

    #[test]
    fn a_url_is_live_unless_it_proves_otherwise() {
        assert_eq!(kind_of(&url(false), false), TargetKind::Live);
        assert_eq!(kind_of(&url(false), true), TargetKind::Serve);
        assert_eq!(kind_of(&url(true), true), TargetKind::Live);
        assert_eq!(kind_of(&Target::Emulator, false), TargetKind::Emulator);
    }
}
