//! The reference emulator: a stateful fake IAI 2020-03-03 on loopback that
//! checks signatures as strictly as the cloud and fails on demand.
//!
//! ```
//! use iai_conformance::emulator::{Config, Emulator, FaultSpec};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! // every DeletePerson of person 42 fails, as the cloud fails when it is busy
//! let config = Config {
//!     faults: vec![FaultSpec::parse("code=FailedOperation.RequestTimeout,action=DeletePerson,person=42").unwrap()],
//!     ..Config::default()
//! };
//! let emu = Emulator::start(config, "127.0.0.1:0".parse().unwrap()).await?;
//! assert!(emu.url().starts_with("http://127.0.0.1:"));
//! println!("{} accepts {}", emu.url(), emu.credentials().secret_id);
//! emu.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The transport (`http.rs`) is separate from the core (`service.rs`: auth,
//! validation, state, faults), which the unit tests drive without sockets.
//! Decisions, the control API and the order of checks are in
//! `harness/emulator/README.md`.

mod accounts;
mod actions;
mod control;
mod detection;
mod explain;
pub mod faces;
mod faults;
mod handle;
mod http;
mod jobs;
mod params;
mod quirks;
mod recognition;
mod remote;
mod service;
mod state;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::sign::{Credentials, Secret};

pub use accounts::{MAX_ACCOUNT_NAME, valid_account_name};
pub use explain::CAPACITY as EXPLAIN_CAPACITY;
pub use faults::{FaultError, FaultSpec, MAX_FAULT_TEXT, MAX_FAULTS, MAX_LATENCY_MS};
pub use handle::AccountControl;
pub use quirks::Quirk;
pub(crate) use remote::ControlClient;
pub use remote::ControlError;

/// How to run an emulator.
#[derive(Clone, Debug)]
pub struct Config {
    /// The accepted credentials; the first is the one [`Emulator::credentials`] gives.
    pub credentials: Vec<Credentials>,
    /// Credentials grouped into accounts: SecretId → account name. Each
    /// account has its own library, faults, status and rate limit; a
    /// credential not named here is an account of its own, named by its
    /// SecretId. The first credential's account is the one the control
    /// API (and [`Emulator`]'s methods) address by default.
    pub accounts: BTreeMap<String, String>,
    /// Faults in force from the start, in every account (each its own copy).
    pub faults: Vec<FaultSpec>,
    /// Requests per second before `RequestLimitExceeded`, per account; `None`: unlimited.
    pub rate_limit: Option<u32>,
    /// Deliberate deviations, to prove the suite catches each (none by default).
    pub quirks: Vec<Quirk>,
    /// Timeouts and the connection cap of the transport.
    pub limits: Limits,
    /// When set, every `/__emulator/*` request must carry
    /// `Authorization: Bearer <token>`. Required to listen on an address
    /// that is not loopback.
    pub control_token: Option<Secret>,
    /// Print one line per request on standard error with its explanation
    /// (`serve --explain`; the same facts as `/__emulator/explain/<RequestId>`).
    pub explain_log: bool,
}

impl Default for Config {
    /// One freshly generated credential pair, no faults, no rate limit,
    /// the default limits, no control token.
    fn default() -> Self {
        Self {
            credentials: vec![Credentials::generate()],
            accounts: BTreeMap::new(),
            faults: Vec::new(),
            rate_limit: None,
            quirks: Vec::new(),
            limits: Limits::default(),
            control_token: None,
            explain_log: false,
        }
    }
}

/// The transport's limits (see "Transport" in `harness/emulator/README.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Time a connection has to send a complete header block, counted from
    /// when the server starts waiting for it (so it is also how long an idle
    /// keep-alive connection stays open); then it is closed.
    pub header_timeout: Duration,
    /// Longest pause while a body is being received; a body that stalls
    /// longer is answered `InvalidParameter` and the connection closed.
    pub body_timeout: Duration,
    /// Connections held at once. At the cap, a new connection closes the
    /// connection that has been idle longest (no request in progress). It
    /// is lowered to fit the process's open-file limit.
    pub max_connections: usize,
}

impl Default for Limits {
    /// 30 s for headers, 10 s of body silence, 4,096 connections.
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(10),
            max_connections: 4096,
        }
    }
}

/// Why [`Emulator::start`] refuses an address.
fn check_listen(listen: SocketAddr, token: Option<&Secret>) -> std::io::Result<()> {
    match token {
        _ if listen.ip().is_loopback()
            && token.is_none_or(|t| t.expose().len() >= MIN_CONTROL_TOKEN) =>
        {
            Ok(())
        }
        Some(t) if t.expose().len() >= MIN_CONTROL_TOKEN => Ok(()),
        Some(_) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("a control token must have at least {MIN_CONTROL_TOKEN} characters"),
        )),
        None => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "refusing to listen on {listen}: it is not a loopback address and the control API \
                 would be open to the network; set a control token to protect it"
            ),
        )),
    }
}

/// Why [`Emulator::start`] refuses an account grouping: a name that is not
/// 1 to 64 letters, digits, `_`, `-` or `.`, or a SecretId that is not a
/// credential.
fn check_accounts(
    credentials: &[Credentials],
    accounts: &BTreeMap<String, String>,
) -> std::io::Result<()> {
    let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, m);
    for (secret_id, name) in accounts {
        if !valid_account_name(name) {
            return Err(invalid(format!(
                "the account name {name:?} must be 1 to {MAX_ACCOUNT_NAME} ASCII letters, digits, '_', '-' or '.'"
            )));
        }
        if !credentials.iter().any(|c| &c.secret_id == secret_id) {
            return Err(invalid(format!(
                "the account {name:?} names the SecretId {secret_id:?}, which is not a credential"
            )));
        }
    }
    Ok(())
}

/// The shortest control token accepted.
pub const MIN_CONTROL_TOKEN: usize = 16;

/// A running emulator.
#[derive(Debug)]
pub struct Emulator {
    url: String,
    credentials: Credentials,
    /// The control token, when the control API requires one.
    control_token: Option<Secret>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Emulator {
    /// Binds `listen` (`127.0.0.1:0` for an ephemeral port) and serves in
    /// the background until [`Emulator::shutdown`]. An address that is not
    /// loopback needs [`Config::control_token`].
    pub async fn start(config: Config, listen: SocketAddr) -> std::io::Result<Emulator> {
        check_listen(listen, config.control_token.as_ref())?;
        let mut credentials = config.credentials;
        if credentials.is_empty() {
            credentials.push(Credentials::generate());
        }
        let first = credentials[0].clone();
        if config.faults.len() > faults::MAX_FAULTS {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                FaultError::TooMany,
            ));
        }
        for spec in &config.faults {
            spec.validate()
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        }
        check_accounts(&credentials, &config.accounts)?;
        let svc = service::Service::new(credentials, &config.accounts, config.rate_limit)
            .with_quirks(config.quirks)
            .with_explain_log(config.explain_log);
        for spec in &config.faults {
            svc.accounts.add_fault_everywhere(spec);
        }
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let control_token = config.control_token.clone();
        let shared = Arc::new(http::Shared::new(svc, config.control_token, &config.limits));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(http::serve(listener, shared, config.limits, stopped));
        Ok(Emulator {
            url: format!("http://{addr}"),
            credentials: first,
            control_token,
            stop,
            task,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The first accepted credential.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Stops accepting, lets answers in flight finish, and returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let mut task = self.task;
        // Idle keep-alive connections close at once; a client that keeps a
        // request open longer than this is cut off.
        if tokio::time::timeout(std::time::Duration::from_secs(5), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}
