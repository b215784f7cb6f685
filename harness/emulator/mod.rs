//! The reference emulator: a stateful fake IAI 2020-03-03 on loopback that
//! checks signatures as strictly as the cloud and fails on demand.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use iai_conformance::emulator::{Config, Emulator};
//! let emu = Emulator::start(Config::default(), "127.0.0.1:0".parse().unwrap()).await?;
//! println!("{} as {}", emu.url(), emu.credentials().secret_id);
//! emu.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The transport ([`http`]) is separate from the core ([`service`]: auth,
//! validation, state, faults), which the unit tests drive without sockets.
//! Decisions, the control API and the order of checks are in
//! `harness/emulator/README.md`.

mod actions;
mod control;
pub mod faces;
mod faults;
mod http;
mod jobs;
mod params;
mod quirks;
mod recognition;
mod service;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::sign::{Credentials, KeyStore};

pub use faults::{FaultError, FaultSpec};
pub use quirks::Quirk;

/// How to run an emulator.
#[derive(Clone, Debug)]
pub struct Config {
    /// The accepted credentials; the first is the one [`Emulator::credentials`] gives.
    pub credentials: Vec<Credentials>,
    /// Faults in force from the start.
    pub faults: Vec<FaultSpec>,
    /// Requests per second before `RequestLimitExceeded`; `None`: unlimited.
    pub rate_limit: Option<u32>,
    /// Deliberate deviations, to prove the suite catches each (none by default).
    pub quirks: Vec<Quirk>,
}

impl Default for Config {
    /// One freshly generated credential pair, no faults, no rate limit.
    fn default() -> Self {
        Self {
            credentials: vec![Credentials::generate()],
            faults: Vec::new(),
            rate_limit: None,
            quirks: Vec::new(),
        }
    }
}

/// A running emulator.
#[derive(Debug)]
pub struct Emulator {
    url: String,
    credentials: Credentials,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Emulator {
    /// Binds `listen` (`127.0.0.1:0` for an ephemeral port) and serves in
    /// the background until [`Emulator::shutdown`].
    pub async fn start(config: Config, listen: SocketAddr) -> std::io::Result<Emulator> {
        let mut credentials = config.credentials;
        if credentials.is_empty() {
            credentials.push(Credentials::generate());
        }
        let first = credentials[0].clone();
        for spec in &config.faults {
            spec.validate()
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        }
        let svc = service::Service::new(KeyStore::new(credentials), config.rate_limit)
            .with_quirks(quirks::Quirks::new(config.quirks));
        for spec in config.faults {
            svc.faults.add(spec);
        }
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let app = axum::Router::new()
            .fallback(http::handle)
            .with_state(Arc::new(svc));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Emulator {
            url: format!("http://{addr}"),
            credentials: first,
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
