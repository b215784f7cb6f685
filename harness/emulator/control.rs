//! The control API under `/__emulator/`: faults, reset, state, account,
//! seed (each for the account the query names), explain, accounts, and the challenge that proves a URL is this emulator. JSON in and
//! out, no signature; a path the Tencent API never uses.

use std::sync::Arc;

use serde_json::{Value, json};

use super::accounts::Tenant;
use super::faults::{Account, FaultSpec};
use super::service::Service;

/// A control answer: an HTTP status and a JSON body.
pub(crate) type Reply = (u16, Value);

fn bad(message: impl std::fmt::Display) -> Reply {
    (400, json!({ "error": message.to_string() }))
}

fn body_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Reply> {
    serde_json::from_slice(body).map_err(|e| bad(format!("the body is not the expected JSON: {e}")))
}

/// The account a control request names (`account=NAME` or `secret_id=ID`
/// in its query; the default account when none), or the 400 that says why
/// there is none.
fn account<'s>(svc: &'s Service, query: &str) -> Result<&'s Arc<Tenant>, Reply> {
    svc.accounts.select(query).map_err(bad)
}

/// Answers one control request; `None` for a path that is not ours.
pub(crate) fn handle(
    svc: &Service,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
) -> Option<Reply> {
    let reply = match (method, path) {
        ("GET", "/__emulator/challenge") => challenge(svc, query),
        ("GET", p) if p.starts_with("/__emulator/explain/") => {
            explain(svc, &p["/__emulator/explain/".len()..])
        }
        ("GET", "/__emulator/accounts") => (200, svc.accounts.view()),
        ("POST", "/__emulator/faults") => scoped(svc, query, |t| add_fault(t, body)),
        ("GET", "/__emulator/faults") => {
            scoped(svc, query, |t| (200, json!({ "faults": t.faults.list() })))
        }
        ("DELETE", "/__emulator/faults") => scoped(svc, query, |t| {
            t.faults.clear();
            (200, json!({ "cleared": true }))
        }),
        ("POST", "/__emulator/reset") => scoped(svc, query, |t| {
            t.reset();
            (200, json!({ "reset": true, "account": &*t.name }))
        }),
        ("GET", "/__emulator/state") => scoped(svc, query, state_view),
        ("GET", "/__emulator/account") => scoped(svc, query, |t| {
            (
                200,
                json!({ "state": t.status().name(), "account": &*t.name }),
            )
        }),
        ("POST", "/__emulator/account") => scoped(svc, query, |t| set_status(t, body)),
        ("POST", "/__emulator/seed") => scoped(svc, query, |t| seed_body(t, body)),
        (_, p) if p.starts_with("/__emulator/") => (
            404,
            json!({ "error": format!("no control endpoint {method} {p}") }),
        ),
        _ => return None,
    };
    Some(reply)
}

/// `f` on the account the request names.
fn scoped(svc: &Service, query: &str, f: impl FnOnce(&Tenant) -> Reply) -> Reply {
    match account(svc, query) {
        Ok(t) => f(t),
        Err(r) => r,
    }
}

/// `GET /__emulator/explain/<RequestId>`: the explanation of a recent
/// answer, or a 404.
fn explain(svc: &Service, request_id: &str) -> Reply {
    match svc.explain.find(request_id) {
        Some(record) => (200, record),
        None => (
            404,
            json!({
                "error": format!(
                    "no answer with RequestId {:?} among the last {} requests",
                    request_id.chars().take(64).collect::<String>(),
                    super::explain::CAPACITY
                )
            }),
        ),
    }
}

/// `POST /__emulator/faults`.
fn add_fault(t: &Tenant, body: &[u8]) -> Reply {
    match body_json::<FaultSpec>(body) {
        Ok(spec) => match spec.validate() {
            Ok(()) => match t.faults.try_add(spec) {
                Ok(id) => (200, json!({ "id": id })),
                Err(e) => bad(e),
            },
            Err(e) => bad(e),
        },
        Err(r) => r,
    }
}

/// `GET /__emulator/state`.
fn state_view(t: &Tenant) -> Reply {
    let state = t.state.lock().unwrap_or_else(|e| e.into_inner());
    let mut view = state.snapshot(10_000);
    if let Value::Object(map) = &mut view {
        map.insert("account".into(), json!(t.status().name()));
        map.insert("account_name".into(), json!(&*t.name));
    }
    (200, view)
}

/// `POST /__emulator/account` `{"state": S}`.
fn set_status(t: &Tenant, body: &[u8]) -> Reply {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        state: String,
    }
    match body_json::<Body>(body) {
        Ok(b) => match Account::parse(&b.state) {
            Some(a) => {
                t.set_status(a);
                (
                    200,
                    json!({ "state": a.name(), "code": a.code(), "account": &*t.name }),
                )
            }
            None => bad(format!(
                "unknown account state {:?}; one of: {}",
                b.state,
                Account::ALL
                    .iter()
                    .map(|(n, ..)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        },
        Err(r) => r,
    }
}

/// `POST /__emulator/seed` `{"group_id", "prefix", "count"}`.
fn seed_body(t: &Tenant, body: &[u8]) -> Reply {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        group_id: String,
        #[serde(default = "default_prefix")]
        prefix: String,
        count: u64,
    }
    fn default_prefix() -> String {
        "seed-".into()
    }
    match body_json::<Body>(body) {
        Ok(b) => seed(t, &b.group_id, &b.prefix, b.count),
        Err(r) => r,
    }
}

/// The most persons one seed call adds.
pub(crate) const MAX_SEED: u64 = 1_000_000;
/// Seeding never grows the library past this many persons (about 0.7 GB).
pub(crate) const MAX_SEEDED_LIBRARY: u64 = 2_000_000;

/// `POST /__emulator/seed`, bounded: `count` up to [`MAX_SEED`], the
/// library up to [`MAX_SEEDED_LIBRARY`] persons, valid IDs.
fn seed(t: &Tenant, group_id: &str, prefix: &str, count: u64) -> Reply {
    use crate::api::validate::{IdKind, check_id};
    if count > MAX_SEED {
        return bad(format!("count may be at most {MAX_SEED}, got {count}"));
    }
    if check_id(IdKind::Group, group_id).is_err() {
        return bad("group_id must be 1 to 64 bytes of letters, digits and -%@#&_");
    }
    let last = format!("{prefix}{}", count.saturating_sub(1));
    if check_id(IdKind::Person, &last).is_err() {
        return bad(
            "prefix followed by the person number must be a PersonId: 1 to 64 bytes of letters, digits and -%@#&_",
        );
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let mut state = t.state.lock().unwrap_or_else(|e| e.into_inner());
    let persons = state.counts().1 as u64;
    if persons.saturating_add(count) > MAX_SEEDED_LIBRARY {
        return bad(format!(
            "seeding may grow the library to at most {MAX_SEEDED_LIBRARY} persons; it holds {persons}"
        ));
    }
    let added = state.seed(group_id, prefix, count, now);
    (200, json!({ "added": added }))
}

/// `GET /__emulator/challenge?secret_id=ID&nonce=N`: the proof that this
/// server is the emulator and holds the key of `ID` (see
/// [`crate::sign::emulator_proof`]).
fn challenge(svc: &Service, query: &str) -> Reply {
    let mut secret_id = None;
    let mut nonce = None;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match &*k {
            "secret_id" => secret_id = Some(v.into_owned()),
            "nonce" => nonce = Some(v.into_owned()),
            _ => {}
        }
    }
    let (Some(secret_id), Some(nonce)) = (secret_id, nonce) else {
        return bad("give secret_id and nonce in the query");
    };
    if !crate::sign::valid_nonce(&nonce) {
        return bad("nonce: 16 to 128 ASCII letters, digits or '-'");
    }
    match svc.secret_of(&secret_id) {
        Some(key) => (
            200,
            json!({ "proof": crate::sign::emulator_proof(key, &nonce) }),
        ),
        None => (
            403,
            json!({ "error": "this emulator does not accept that secret_id" }),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_codes_outside_the_catalog() {
        let svc = Service::new(Vec::new(), &Default::default(), None);
        let (status, body) = handle(
            &svc,
            "POST",
            "/__emulator/faults",
            "",
            br#"{"code":"Nope.Nope"}"#,
        )
        .unwrap();
        assert_eq!(status, 400, "{body}");
        assert!(body["error"].as_str().unwrap().contains("Nope.Nope"));
        let (status, _) = handle(
            &svc,
            "POST",
            "/__emulator/faults",
            "",
            br#"{"latency_ms": 3}"#,
        )
        .unwrap();
        assert_eq!(status, 200);
        let (_, list) = handle(&svc, "GET", "/__emulator/faults", "", b"").unwrap();
        assert_eq!(list["faults"].as_array().unwrap().len(), 1);
        handle(&svc, "POST", "/__emulator/reset", "", b"").unwrap();
        assert!(svc.default_account().faults.is_empty());
        assert!(handle(&svc, "GET", "/", "", b"").is_none());
    }

    #[test]
    fn answers_the_challenge_only_for_a_key_it_holds() {
        let creds = crate::sign::Credentials::new("AKIDchallenge", "the-key");
        let svc = Service::new(vec![creds.clone()], &Default::default(), None);
        let nonce = "n0nce-0123456789abcdef";
        let (status, body) = handle(
            &svc,
            "GET",
            "/__emulator/challenge",
            &format!("secret_id=AKIDchallenge&nonce={nonce}"),
            b"",
        )
        .unwrap();
        assert_eq!(status, 200, "{body}");
        let proof = body["proof"].as_str().unwrap();
        assert!(crate::sign::check_emulator_proof(
            &creds.secret_key,
            nonce,
            proof
        ));
        assert!(!body.to_string().contains("the-key"));
        let (status, _) = handle(
            &svc,
            "GET",
            "/__emulator/challenge",
            &format!("secret_id=AKIDother&nonce={nonce}"),
            b"",
        )
        .unwrap();
        assert_eq!(status, 403);
        let (status, _) = handle(
            &svc,
            "GET",
            "/__emulator/challenge",
            "secret_id=AKIDchallenge&nonce=short",
            b"",
        )
        .unwrap();
        assert_eq!(status, 400);
    }
}
