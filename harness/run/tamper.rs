//! Changes made to a signed request before it leaves, and re-signing.

use crate::case::Tamper;
use crate::sign::{Credentials, tc3, verify};
use crate::wire::Prepared;

fn is_json(request: &Prepared) -> bool {
    request
        .header("content-type")
        .is_some_and(|ct| ct.starts_with("application/json"))
}

fn split_target(target: &str) -> (&str, &str) {
    target.split_once('?').unwrap_or((target, ""))
}

fn edit_pairs(text: &str, tamper: &Tamper) -> String {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .filter(|(k, _)| !tamper.remove_param.contains(k))
        .collect();
    for (name, value) in &tamper.set_param {
        match pairs.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value.clone(),
            None => pairs.push((name.clone(), value.clone())),
        }
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", crate::wire::encode(k), crate::wire::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Applies `tamper` to `request`. Parameters are edited where they travel:
/// the query of a GET, the JSON or form body of a POST.
pub(crate) fn apply(request: &mut Prepared, tamper: &Tamper) {
    if !tamper.set_param.is_empty() || !tamper.remove_param.is_empty() {
        let (path, query) = split_target(&request.target);
        if request.method == "GET" {
            let query = edit_pairs(query, tamper);
            request.target = format!("{path}?{query}");
        } else if is_json(request) {
            if let Ok(serde_json::Value::Object(mut map)) =
                serde_json::from_slice::<serde_json::Value>(&request.body)
            {
                for name in &tamper.remove_param {
                    map.remove(name);
                }
                for (name, value) in &tamper.set_param {
                    map.insert(name.clone(), serde_json::Value::String(value.clone()));
                }
                request.body = serde_json::to_vec(&map).expect("JSON values serialize");
            }
        } else {
            let body = String::from_utf8_lossy(&request.body).into_owned();
            request.body = edit_pairs(&body, tamper).into_bytes();
        }
    }
    if let Some(body) = &tamper.body {
        request.body = body.clone().into_bytes();
    }
    if let Some(size) = tamper.body_size {
        // JSON allows trailing whitespace, and a form empty `&` pairs: the
        // body stays valid (and its v1 signature too), only large.
        let filler = if is_json(request) { b' ' } else { b'&' };
        let missing = size.saturating_sub(request.body.len());
        request.body.reserve_exact(missing);
        request.body.resize(request.body.len() + missing, filler);
    }
    if let Some(size) = tamper.query_size {
        let (path, query) = split_target(&request.target);
        let filler = "&Padding=";
        let missing = size.saturating_sub(query.len() + filler.len());
        request.target = format!("{path}?{query}{filler}{}", "x".repeat(missing));
    }
    for name in &tamper.remove_header {
        request.remove_header(name);
    }
    for (name, value) in &tamper.set_header {
        request.set_header(name, value.clone());
    }
}

/// Signs a (tampered) TC3 request again with the headers its
/// `Authorization` names, so that only the tampering itself is judged; the
/// tamper's `scope_date`/`scope_service`, when given, replace the
/// timestamp's date and the service in the scope and the key chain.
pub(crate) fn resign(
    request: &mut Prepared,
    credentials: &Credentials,
    service: &str,
    tamper: &Tamper,
) {
    let Some(auth) = request.header("authorization").map(str::to_string) else {
        return;
    };
    let Ok(parsed) = verify::parse_authorization(&auth) else {
        return;
    };
    let names: Vec<String> = parsed
        .signed_headers
        .split(';')
        .map(str::to_string)
        .collect();
    let timestamp: i64 = request
        .header("x-tc-timestamp")
        .and_then(|t| t.parse().ok())
        .unwrap_or_default();
    let values: Vec<(String, String)> = names
        .iter()
        .map(|n| (n.clone(), request.header(n).unwrap_or_default().to_string()))
        .collect();
    let headers: Vec<(&str, &str)> = values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (_, query) = split_target(&request.target);
    let service = tamper.scope_service.as_deref().unwrap_or(service);
    let Ok(stages) = tc3::sign(
        &tc3::Tc3Request {
            method: &request.method,
            query,
            headers: &headers,
            // A request that declares its payload unsigned is signed so.
            payload: if request
                .header("x-tc-content-sha256")
                .is_some_and(|v| v.trim() == tc3::UNSIGNED_PAYLOAD)
            {
                tc3::Payload::Unsigned
            } else {
                tc3::Payload::Signed(&request.body)
            },
        },
        &tc3::SigningParams {
            secret_id: &credentials.secret_id,
            secret_key: credentials.secret_key.expose(),
            service,
            timestamp,
        },
    ) else {
        return;
    };
    let Some(date) = &tamper.scope_date else {
        request.set_header("Authorization", stages.authorization);
        return;
    };
    // The same canonical request, signed under another date.
    let scope = tc3::credential_scope(date, service);
    let to_sign = tc3::string_to_sign(timestamp, &scope, &stages.hashed_canonical_request);
    let (_, _, signing) = tc3::derive_keys(credentials.secret_key.expose(), date, service);
    let signature = tc3::signature(&signing, &to_sign);
    request.set_header(
        "Authorization",
        tc3::authorization(
            &credentials.secret_id,
            &scope,
            &stages.signed_headers,
            &signature,
        ),
    );
}
