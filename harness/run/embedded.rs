//! The in-process reference emulator, as a target.

use crate::emulator::{Config, Emulator};
use crate::sign::Credentials;

/// A running embedded emulator.
pub(crate) type Handle = Emulator;

/// Starts the emulator on a free loopback port.
pub(crate) async fn start() -> std::io::Result<(Handle, String, Credentials)> {
    let emulator = Emulator::start(
        Config::default(),
        "127.0.0.1:0".parse().expect("a socket address"),
    )
    .await?;
    let url = emulator.url().to_string();
    let credentials = emulator.credentials().clone();
    Ok((emulator, url, credentials))
}

pub(crate) async fn stop(handle: Handle) {
    handle.shutdown().await;
}
