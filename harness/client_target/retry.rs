//! Which failed call a client may send again: the idempotency class of
//! the action crossed with what went wrong (the retry matrix of
//! `cases/client/retry_matrix.toml` states the same policy as cases).
//!
//! The policy, and why:
//!
//! | fault | read | write |
//! |---|---|---|
//! | `RequestLimitExceeded` | retry | retry |
//! | `InternalError` envelope | no | no |
//! | HTTP 5xx without an envelope (a gateway's 502) | retry | no |
//! | no answer (connection reset, timeout) | retry | no |
//!
//! - `RequestLimitExceeded` is the front door refusing the call before
//!   it runs: nothing happened, so any call may be sent again. Both
//!   official SDKs retry exactly this code when retries are on (Python's
//!   `StandardRetryer`, Go's `RateLimitExceededMaxRetries`).
//! - `InternalError` is an answer from the service: the call ran, or ran
//!   in part, and failed. Neither SDK retries it (observed: Python makes
//!   one request), and the document does not say it may be retried.
//! - A 502 without an envelope or a reset says nothing about whether the
//!   call ran. A read may be sent again; a write (Create*, Delete*,
//!   Modify*, Copy*, Upgrade*, Revert*) may have landed, and IAI documents
//!   no idempotency token for them (`DeletePerson` twice answers an
//!   error; `CreatePerson` twice answers `PersonIdAlreadyExist`). The Go
//!   SDK retries network failures only for requests with a `ClientToken`;
//!   the Python SDK retries them for every action, which this policy
//!   names as a divergence (`expect_fail` rows of the matrix).

use crate::api;

/// Whether running an action twice is the same as running it once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// Reads and computations: `Get*`, `Search*`, `Verify*`, `Compare*`, ...
    Read,
    /// Calls that change the library.
    Write,
}

/// The idempotency class of `action`: a read when [`api::effect`] (the
/// classification the live policy uses too) says it only reads; anything
/// else, an unknown name included, is a write.
pub(crate) fn class(action: &str) -> Class {
    match api::effect(action) {
        api::Effect::Read => Class::Read,
        api::Effect::Create | api::Effect::Change => Class::Write,
    }
}

/// What went wrong with one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// An `Error` envelope with a `RequestLimitExceeded` code.
    Throttled,
    /// Any other `Error` envelope.
    Refused,
    /// A 5xx status without an envelope.
    Gateway,
    /// No answer: reset, refused, timed out.
    NoAnswer,
}

/// Whether a call of `class` that failed with `failure` may be sent again.
pub(crate) fn may_retry(class: Class, failure: Failure) -> bool {
    match failure {
        Failure::Throttled => true,
        Failure::Refused => false,
        Failure::Gateway | Failure::NoAnswer => class == Class::Read,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_the_state_changing_actions() {
        for a in [
            "CreatePerson",
            "DeletePerson",
            "ModifyGroup",
            "CopyPerson",
            "DeleteFace",
        ] {
            assert_eq!(class(a), Class::Write, "{a}");
        }
        for a in [
            "GetPersonBaseInfo",
            "GetGroupList",
            "SearchFaces",
            "VerifyPerson",
            "CompareFace",
        ] {
            assert_eq!(class(a), Class::Read, "{a}");
        }
        // not known to only read: never retried after a lost answer
        assert_eq!(class("getPersonList"), Class::Write);
    }

    #[test]
    fn every_catalog_action_is_a_read_or_one_of_the_writing_verbs() {
        // The document's verbs: a write is Create, Delete, Modify, Copy,
        // Upgrade or Revert, and every other action only reads.
        const WRITES: &[&str] = &["Create", "Delete", "Modify", "Copy", "Upgrade", "Revert"];
        for action in api::Catalog::get().actions() {
            let name = action.name.as_str();
            let writes = WRITES.iter().any(|p| name.starts_with(p));
            assert_eq!(class(name) == Class::Write, writes, "{name}");
        }
    }

    #[test]
    fn only_a_throttle_retries_a_write() {
        assert!(may_retry(Class::Write, Failure::Throttled));
        assert!(!may_retry(Class::Write, Failure::Gateway));
        assert!(!may_retry(Class::Write, Failure::NoAnswer));
        assert!(may_retry(Class::Read, Failure::NoAnswer));
        assert!(!may_retry(Class::Read, Failure::Refused));
    }
}
