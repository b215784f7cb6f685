//! The IAI API as data: actions with their parameters, rules and outputs,
//! and the catalog of error codes. One source of truth that the emulator,
//! the checks and the reports all read.
//!
//! The data lives in two parts, each parsed once, on first use:
//!
//! - `generated/iai.json`, written by `iai-conformance derive --tencent` from
//!   Tencent's own machine-readable description ([`tccli`]): every action,
//!   its parameters, output fields and official examples ([`spec`]);
//! - `actions.toml` and `errors.toml`, hand-written: what the data cannot
//!   express (ID character sets, byte and character lengths, per-person
//!   limits, the order of checks, each action's documented codes).
//!
//! [`shape::check_output`] type-checks a success answer against the first.

mod catalog;
pub(crate) mod doc_page;
pub(crate) mod shape;
pub(crate) mod spec;
pub(crate) mod tccli;
pub(crate) mod validate;

pub use catalog::{Action, Catalog, CodeKind, ErrorCode, Field, Param, ParamType, Rule};

/// What an action does to the account: the one classification the live
/// policy (what a run may send) and the client retry policy (what may be
/// sent again) share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Read,
    Create,
    /// Delete*, Modify*, Copy* and any action not known to only read.
    Change,
}

/// Classifies an action by name; anything not known to only read is a
/// write (an unknown or mis-cased name too).
pub(crate) fn effect(action: &str) -> Effect {
    const READS: &[&str] = &[
        "Get", "Search", "Verify", "Detect", "Compare", "Analyze", "Estimate",
    ];
    if READS.iter().any(|p| starts_with_word(action, p)) {
        Effect::Read
    } else if starts_with_word(action, "Create") {
        Effect::Create
    } else {
        Effect::Change
    }
}

/// `GetX` but not `Getaway`: the prefix is followed by an upper-case letter.
fn starts_with_word(action: &str, prefix: &str) -> bool {
    action
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
}

/// The API version this harness covers.
pub(crate) const VERSION: &str = "2020-03-03";
/// The service name in the TC3 credential scope and the host's first label.
pub(crate) const SERVICE: &str = "iai";

/// The common parameters a v1 query or form carries besides the action's
/// own (`RequestClient` and `Language` are what the official SDKs add).
pub(crate) const V1_COMMON_PARAMS: &[&str] = &[
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
