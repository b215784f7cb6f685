//! The in-process reference emulator, as a target.

use crate::sign::Credentials;

/// A running embedded emulator.
pub(crate) struct Handle;

/// Starts the emulator on a free loopback port.
pub(crate) async fn start() -> std::io::Result<(Handle, String, Credentials)> {
    Err(std::io::Error::other(
        "the reference emulator is not part of this build yet",
    ))
}

pub(crate) async fn stop(_handle: Handle) {}
