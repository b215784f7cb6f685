//! The IAI API as data: actions with their parameters, rules and outputs,
//! and the catalog of error codes. One source of truth that the emulator,
//! the checks and the reports all read.
//!
//! The data lives in `actions.toml` and `errors.toml` beside this file and
//! is parsed once, on first use.

mod catalog;
pub mod doc_page;
pub mod validate;

pub use catalog::{Action, Catalog, ErrorCode, ErrorKind, Field, Param, ParamType, Rule};

/// The API version this harness covers.
pub const VERSION: &str = "2020-03-03";
/// The service name in the TC3 credential scope and the host's first label.
pub const SERVICE: &str = "iai";
/// The production endpoint.
pub const ENDPOINT: &str = "iai.tencentcloudapi.com";

/// The common parameters a v1 query or form carries besides the action's
/// own (`RequestClient` and `Language` are what the official SDKs add).
pub const V1_COMMON_PARAMS: &[&str] = &[
    "Action",
    "Version",
    "Region",
    "Timestamp",
    "Nonce",
    "SecretId",
    "Signature",
    "SignatureMethod",
    "Token",
    "Language",
    "RequestClient",
];
