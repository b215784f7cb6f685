//! iai-conformance: a conformance harness for the Tencent Cloud Face Recognition (IAI) API.
pub mod api;
pub mod client;
pub mod emulator;
pub mod envelope;
pub mod sign;
pub mod case;
pub mod check;
pub mod report;
pub mod run;
