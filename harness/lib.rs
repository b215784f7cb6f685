//! iai-conformance: a conformance harness for the Tencent Cloud Face Recognition (IAI) API.
pub mod api;
pub mod case;
pub mod check;
pub mod client;
pub mod client_target;
pub mod emulator;
pub mod envelope;
pub mod live;
pub mod report;
pub mod run;
pub mod sign;
