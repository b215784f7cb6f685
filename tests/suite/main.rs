//! The integration suite: one test binary, one module per area.

mod catalog;
mod cli;
mod common;
mod embedding;
mod emulator;
mod live;
mod person_id;
mod quirks;
mod target_proof;
mod wrong_client;
