//! Deliberate deviations: each quirk makes the emulator wrong in one
//! realistic way (`serve --quirk NAME`), so the suite can prove, inside
//! `cargo test`, that it turns a named case red for every defect it claims
//! to catch. A quirk that no case kills is a check the suite only pretends
//! to have.
//!
//! The emulator applies a quirk at the one stage where a real server would
//! have the defect: the transport, the verifier's inputs, the order of
//! checks, the state effect, or the answer it writes.

use std::borrow::Cow;

use serde_json::{Map, Value};

/// One deliberate defect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quirk {
    /// Envelope: `RequestId` as 32 bare hex digits, no hyphens.
    RequestIdBareHex,
    /// Envelope: an error without its `Message`.
    ErrorWithoutMessage,
    /// Envelope: `Content-Type: application/json; charset=utf-8`.
    ContentTypeCharset,
    /// Envelope: errors answered with HTTP 400 instead of 200.
    ErrorStatus400,
    /// Limits: a request of exactly the documented size limit is refused.
    SizeLimitsOffByOne,
    /// Window: timestamps up to 600 s away are accepted.
    Window600s,
    /// Window: only timestamps within 240 s are accepted.
    Window240s,
    /// Window: one second short (a `>=` for a `>`): exactly 300 s refused.
    Window299s,
    /// Window: one second long: 301 s accepted.
    Window301s,
    /// Signature: `X-TC-Content-SHA256: UNSIGNED-PAYLOAD` ignored, the
    /// body hashed all the same (a verifier that never implemented it).
    UnsignedPayloadHashed,
    /// Signature: the credential scope's date and service are not checked
    /// against the timestamp and `iai`; the key is derived from them as given.
    CredentialScopeUnchecked,
    /// Query order: the canonical query is sorted before verifying (the
    /// AWS habit), so an unsorted GET fails its signature.
    SortedQuery,
    /// Order of checks: parameters are validated before the signature.
    ValidatesBeforeAuth,
    /// Names: actions are matched without regard to case.
    ActionCaseInsensitive,
    /// Validation: PersonId accepts any Unicode letter (a `\w` rule).
    UnicodePersonId,
    /// Validation: a PersonId of 65 bytes is accepted.
    PersonId65Bytes,
    /// State effects: `DeletePerson` answers success and deletes nothing.
    DeleteIsNoop,
    /// State effects: `DeletePersonFromGroup` answers success and removes
    /// nothing.
    DeleteFromGroupIsNoop,
    /// State effects: `DeleteGroup` deletes every member, also the persons
    /// still in another group.
    DeleteGroupTakesMembers,
    /// State effects: `DeleteFace` answers the person's FaceIds it was
    /// given as deleted and deletes nothing.
    DeleteFaceIsNoop,
    /// Types: integer output fields are answered as strings.
    IntegersAsStrings,
    /// Codes: a missing person is answered with an undocumented code.
    UndocumentedMissingPersonCode,
}

impl Quirk {
    /// Every quirk, with its name and what it breaks.
    pub const ALL: &'static [(Quirk, &'static str, &'static str)] = &[
        (
            Self::RequestIdBareHex,
            "request-id-bare-hex",
            "RequestId as 32 hex digits without hyphens",
        ),
        (
            Self::ErrorWithoutMessage,
            "error-without-message",
            "errors carry no Message",
        ),
        (
            Self::ContentTypeCharset,
            "content-type-charset",
            "Content-Type: application/json; charset=utf-8",
        ),
        (
            Self::ErrorStatus400,
            "error-status-400",
            "errors answered with HTTP 400",
        ),
        (
            Self::Window600s,
            "window-600s",
            "timestamps up to 600 s away accepted",
        ),
        (
            Self::Window240s,
            "window-240s",
            "timestamps more than 240 s away refused",
        ),
        (
            Self::Window299s,
            "window-299s",
            "a timestamp exactly 300 s away refused",
        ),
        (
            Self::Window301s,
            "window-301s",
            "a timestamp 301 s away accepted",
        ),
        (
            Self::UnsignedPayloadHashed,
            "unsigned-payload-hashed",
            "X-TC-Content-SHA256: UNSIGNED-PAYLOAD ignored, the body hashed",
        ),
        (
            Self::SizeLimitsOffByOne,
            "size-limits-off-by-one",
            "a request of exactly the size limit refused",
        ),
        (
            Self::CredentialScopeUnchecked,
            "credential-scope-unchecked",
            "the credential scope's date and service taken as given",
        ),
        (
            Self::SortedQuery,
            "sorted-query",
            "the canonical query sorted before verifying",
        ),
        (
            Self::ValidatesBeforeAuth,
            "validates-before-auth",
            "parameters validated before the signature",
        ),
        (
            Self::ActionCaseInsensitive,
            "action-case-insensitive",
            "action names matched without case",
        ),
        (
            Self::UnicodePersonId,
            "unicode-person-id",
            "PersonId accepts any Unicode letter",
        ),
        (
            Self::PersonId65Bytes,
            "person-id-65-bytes",
            "a 65-byte PersonId accepted",
        ),
        (
            Self::DeleteIsNoop,
            "delete-is-noop",
            "DeletePerson answers success and deletes nothing",
        ),
        (
            Self::DeleteFromGroupIsNoop,
            "delete-from-group-is-noop",
            "DeletePersonFromGroup answers success and removes nothing",
        ),
        (
            Self::DeleteGroupTakesMembers,
            "delete-group-takes-members",
            "DeleteGroup deletes every member, also persons still in another group",
        ),
        (
            Self::DeleteFaceIsNoop,
            "delete-face-is-noop",
            "DeleteFace answers the faces as deleted and deletes nothing",
        ),
        (
            Self::IntegersAsStrings,
            "integers-as-strings",
            "integer output fields answered as strings",
        ),
        (
            Self::UndocumentedMissingPersonCode,
            "undocumented-missing-person-code",
            "a missing person answered with an undocumented code",
        ),
    ];

    /// The quirk called `name`.
    pub fn parse(name: &str) -> Result<Quirk, String> {
        Self::ALL
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(q, ..)| *q)
            .ok_or_else(|| {
                format!(
                    "unknown quirk {name:?}; one of: {}",
                    Self::ALL
                        .iter()
                        .map(|(_, n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }

    /// Its name, as `--quirk` takes it.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(q, ..)| *q == self)
            .map(|(_, n, _)| *n)
            .expect("every quirk is listed")
    }
}

/// The quirks in force (none, in every ordinary use).
#[derive(Clone, Debug, Default)]
pub(crate) struct Quirks(Vec<Quirk>);

impl Quirks {
    pub(crate) fn new(quirks: impl IntoIterator<Item = Quirk>) -> Self {
        Self(quirks.into_iter().collect())
    }

    pub(crate) fn has(&self, quirk: Quirk) -> bool {
        self.0.contains(&quirk)
    }

    /// The signature window the verifier applies, in seconds.
    pub(crate) fn max_skew(&self, correct: i64) -> i64 {
        if self.has(Quirk::Window600s) {
            600
        } else if self.has(Quirk::Window240s) {
            240
        } else if self.has(Quirk::Window299s) {
            correct - 1
        } else if self.has(Quirk::Window301s) {
            correct + 1
        } else {
            correct
        }
    }

    /// The headers the TC3 verifier reads: without `X-TC-Content-SHA256`
    /// under [`Quirk::UnsignedPayloadHashed`], so the body is hashed.
    pub(crate) fn verified_headers<'h>(
        &self,
        headers: &'h http::HeaderMap,
    ) -> Cow<'h, http::HeaderMap> {
        if self.has(Quirk::UnsignedPayloadHashed) && headers.contains_key("x-tc-content-sha256") {
            let mut owned = headers.clone();
            owned.remove("x-tc-content-sha256");
            Cow::Owned(owned)
        } else {
            Cow::Borrowed(headers)
        }
    }

    /// The largest request size the transport accepts.
    pub(crate) fn size_limit(&self, correct: usize) -> usize {
        if self.has(Quirk::SizeLimitsOffByOne) {
            correct.saturating_sub(1)
        } else {
            correct
        }
    }

    /// The query the verifier canonicalizes.
    pub(crate) fn canonical_query<'a>(&self, query: &'a str) -> Cow<'a, str> {
        if !self.has(Quirk::SortedQuery) || query.is_empty() {
            return Cow::Borrowed(query);
        }
        let mut pairs: Vec<&str> = query.split('&').collect();
        pairs.sort_unstable();
        Cow::Owned(pairs.join("&"))
    }

    /// The action the server looks up.
    pub(crate) fn action<'k>(
        &self,
        action: &'k str,
        known: impl IntoIterator<Item = &'k str>,
    ) -> &'k str {
        if !self.has(Quirk::ActionCaseInsensitive) {
            return action;
        }
        known
            .into_iter()
            .find(|k| k.eq_ignore_ascii_case(action))
            .unwrap_or(action)
    }

    /// With [`Quirk::ValidatesBeforeAuth`]: the code a validation of the
    /// request's IDs answers before the signature is looked at.
    pub(crate) fn early_validation(&self, params: &[(String, String)]) -> Option<&'static str> {
        use crate::api::validate::{IdKind, check_id};
        if !self.has(Quirk::ValidatesBeforeAuth) {
            return None;
        }
        params.iter().find_map(|(k, v)| {
            let kind = match k.as_str() {
                "PersonId" => IdKind::Person,
                "GroupId" => IdKind::Group,
                _ => return None,
            };
            check_id(kind, v).err()
        })
    }

    /// Rewrites the PersonId the way a server with the defect would read
    /// it, so the rest of the emulator behaves as that server does.
    pub(crate) fn person_id(&self, params: &mut Map<String, Value>) {
        let Some(Value::String(id)) = params.get_mut("PersonId") else {
            return;
        };
        if self.has(Quirk::UnicodePersonId) && !id.is_ascii() {
            // `\w` lets every letter through: the server stores it as is;
            // here it becomes an ASCII stand-in the validator accepts.
            *id = id
                .chars()
                .map(|c| {
                    if c.is_alphanumeric() && !c.is_ascii() {
                        'u'
                    } else {
                        c
                    }
                })
                .collect();
        }
        if self.has(Quirk::PersonId65Bytes) && id.len() == 65 && id.is_ascii() {
            id.truncate(64);
        }
    }

    /// The answer as the defective server writes it.
    pub(crate) fn answer(&self, answer: &mut Value) {
        if self.0.is_empty() {
            return;
        }
        let Some(response) = answer.get_mut("Response").and_then(Value::as_object_mut) else {
            return;
        };
        if self.has(Quirk::RequestIdBareHex)
            && let Some(Value::String(id)) = response.get_mut("RequestId")
        {
            id.retain(|c| c != '-');
        }
        if let Some(Value::Object(error)) = response.get_mut("Error") {
            if self.has(Quirk::ErrorWithoutMessage) {
                error.remove("Message");
            }
            if self.has(Quirk::UndocumentedMissingPersonCode)
                && error.get("Code").and_then(Value::as_str)
                    == Some("InvalidParameterValue.PersonIdNotExist")
            {
                error.insert(
                    "Code".into(),
                    Value::String("ResourceNotFound.PersonNotFound".into()),
                );
            }
        } else if self.has(Quirk::IntegersAsStrings) {
            stringify_integers(response);
        }
    }

    /// The HTTP status and content type the defective transport sends.
    pub(crate) fn transport(&self, answer: &Value) -> (u16, &'static str) {
        if self.0.is_empty() {
            return (200, crate::envelope::CONTENT_TYPE);
        }
        let is_error = answer.pointer("/Response/Error").is_some();
        let status = if is_error && self.has(Quirk::ErrorStatus400) {
            400
        } else {
            200
        };
        let content_type = if self.has(Quirk::ContentTypeCharset) {
            "application/json; charset=utf-8"
        } else {
            crate::envelope::CONTENT_TYPE
        };
        (status, content_type)
    }
}

fn stringify_integers(map: &mut Map<String, Value>) {
    for value in map.values_mut() {
        match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => *value = Value::String(n.to_string()),
            Value::Object(inner) => stringify_integers(inner),
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(inner) = item {
                        stringify_integers(inner);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_quirk_has_a_unique_name_that_parses_back() {
        for (quirk, name, _) in Quirk::ALL {
            assert_eq!(Quirk::parse(name), Ok(*quirk));
            assert_eq!(quirk.name(), *name);
        }
        let err = Quirk::parse("nope").unwrap_err();
        assert!(err.contains("request-id-bare-hex"), "{err}");
    }

    #[test]
    fn no_quirk_changes_nothing() {
        let q = Quirks::default();
        let mut answer = json!({"Response": {"PersonNum": 1, "RequestId": "a-b"}});
        let before = answer.clone();
        q.answer(&mut answer);
        assert_eq!(answer, before);
        assert_eq!(q.canonical_query("b=1&a=2"), "b=1&a=2");
        assert_eq!(q.max_skew(300), 300);
        assert_eq!(q.transport(&answer), (200, crate::envelope::CONTENT_TYPE));
    }

    #[test]
    fn quirks_do_what_they_say() {
        let q = Quirks::new([
            Quirk::SortedQuery,
            Quirk::IntegersAsStrings,
            Quirk::PersonId65Bytes,
        ]);
        assert_eq!(q.canonical_query("b=1&a=2"), "a=2&b=1");
        let mut answer =
            json!({"Response": {"PersonNum": 1, "Infos": [{"Gender": 0}], "RequestId": "x"}});
        q.answer(&mut answer);
        assert_eq!(answer["Response"]["PersonNum"], "1");
        assert_eq!(answer["Response"]["Infos"][0]["Gender"], "0");
        let mut params = Map::new();
        params.insert("PersonId".into(), Value::String("p".repeat(65)));
        q.person_id(&mut params);
        assert_eq!(params["PersonId"].as_str().unwrap().len(), 64);
    }
}
