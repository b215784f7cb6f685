//! The integration suite: one test binary, one module per area.

mod emulator;
mod live;
mod person_id;
mod target_proof;
