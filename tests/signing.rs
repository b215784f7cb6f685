//! The signing vectors of `cases/signing/`, one test per file and stage.
//!
//! Forwards, every recorded intermediate is recomputed on its own, so a
//! failure names the stage that diverged (`tc3_variant_e::string_to_sign`).
//! Backwards, the recorded request goes through the verifier with the clock
//! pinned to the vector's timestamp and must verify; with a wrong key it must
//! answer `AuthFailure.SignatureFailure`.

use std::path::{Path, PathBuf};

use http::{HeaderMap, HeaderName, HeaderValue};
use libtest_mimic::{Arguments, Failed, Trial};
use serde::Deserialize;

use iai_conformance::encode;
use iai_conformance::sign::verify::{ReceivedTc3, ReceivedV1, verify_tc3, verify_v1};
use iai_conformance::sign::{Credentials, KeyStore, V1Method, VerifyPolicy, tc3, v1};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    // description, source and finding document the file for its reader;
    // deny_unknown_fields makes sure they are spelled right.
    #[allow(dead_code)]
    description: String,
    #[allow(dead_code)]
    source: String,
    algorithm: String,
    /// A place where the document contradicts itself, and what the vector does.
    #[serde(default)]
    #[allow(dead_code)]
    finding: Option<String>,
    input: Input,
    expected: Expected,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    secret_id: String,
    secret_key: String,
    timestamp: i64,
    method: String,
    // TC3
    service: Option<String>,
    query: Option<String>,
    payload: Option<String>,
    headers: Option<Vec<(String, String)>>,
    // v1
    host: Option<String>,
    path: Option<String>,
    params: Option<Vec<(String, String)>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    hashed_payload: Option<String>,
    canonical_request: Option<String>,
    hashed_canonical_request: Option<String>,
    string_to_sign: Option<String>,
    secret_date: Option<String>,
    secret_service: Option<String>,
    secret_signing: Option<String>,
    signature: Option<String>,
    authorization: Option<String>,
    // v1
    request_string: Option<String>,
    signature_param: Option<String>,
}

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cases/signing")
}

fn compare(stage: &str, expected: &str, found: &str) -> Result<(), Failed> {
    if expected == found {
        Ok(())
    } else {
        Err(
            format!("stage {stage} diverged\n  expected: {expected:?}\n     found: {found:?}")
                .into(),
        )
    }
}

fn field<'a, T>(value: &'a Option<T>, name: &str) -> Result<&'a T, Failed> {
    value
        .as_ref()
        .ok_or_else(|| format!("input.{name} is required for this algorithm").into())
}

/// The stages a TC3 vector can record, each with how to compute it.
fn tc3_trials(name: &str, vector: &Vector) -> Vec<Trial> {
    type Stage = fn(&tc3::Tc3Stages) -> String;
    let stages: [(&str, &Option<String>, Stage); 9] = [
        ("hashed_payload", &vector.expected.hashed_payload, |s| {
            s.hashed_payload.clone()
        }),
        (
            "canonical_request",
            &vector.expected.canonical_request,
            |s| s.canonical_request.clone(),
        ),
        (
            "hashed_canonical_request",
            &vector.expected.hashed_canonical_request,
            |s| s.hashed_canonical_request.clone(),
        ),
        ("string_to_sign", &vector.expected.string_to_sign, |s| {
            s.string_to_sign.clone()
        }),
        ("secret_date", &vector.expected.secret_date, |s| {
            const_hex::encode(s.secret_date)
        }),
        ("secret_service", &vector.expected.secret_service, |s| {
            const_hex::encode(s.secret_service)
        }),
        ("secret_signing", &vector.expected.secret_signing, |s| {
            const_hex::encode(s.secret_signing)
        }),
        ("signature", &vector.expected.signature, |s| {
            s.signature.clone()
        }),
        ("authorization", &vector.expected.authorization, |s| {
            s.authorization.clone()
        }),
    ];
    let mut trials = Vec::new();
    for (stage, expected, compute) in stages {
        let Some(expected) = expected.clone() else {
            continue;
        };
        let input = tc3_input(vector);
        trials.push(Trial::test(
            format!("signing::{name}::{stage}"),
            move || {
                let stages = input.sign()?;
                compare(stage, &expected, &compute(&stages))
            },
        ));
    }
    let input = tc3_input(vector);
    let authorization = vector.expected.authorization.clone();
    trials.push(Trial::test(
        format!("signing::{name}::verifies_backwards"),
        move || {
            let authorization = field(&authorization, "expected.authorization")?;
            input.verify(authorization, &input.secret_key)?;
            let wrong = format!("{}x", input.secret_key);
            match input.verify(authorization, &wrong) {
                Err(code) if code == "AuthFailure.SignatureFailure" => Ok(()),
                other => Err(format!(
                    "with a wrong key: expected AuthFailure.SignatureFailure, got {other:?}"
                )
                .into()),
            }
        },
    ));
    trials
}

#[derive(Clone)]
struct Tc3Input {
    secret_id: String,
    secret_key: String,
    timestamp: i64,
    method: String,
    service: Option<String>,
    query: String,
    payload: String,
    headers: Option<Vec<(String, String)>>,
}

fn tc3_input(v: &Vector) -> Tc3Input {
    Tc3Input {
        secret_id: v.input.secret_id.clone(),
        secret_key: v.input.secret_key.clone(),
        timestamp: v.input.timestamp,
        method: v.input.method.clone(),
        service: v.input.service.clone(),
        query: v.input.query.clone().unwrap_or_default(),
        payload: v.input.payload.clone().unwrap_or_default(),
        headers: v.input.headers.clone(),
    }
}

impl Tc3Input {
    fn sign(&self) -> Result<tc3::Tc3Stages, Failed> {
        let headers: Vec<(&str, &str)> = field(&self.headers, "headers")?
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        tc3::sign(
            &tc3::Tc3Request {
                method: &self.method,
                query: &self.query,
                headers: &headers,
                payload: tc3::Payload::Signed(self.payload.as_bytes()),
            },
            &tc3::SigningParams {
                secret_id: &self.secret_id,
                secret_key: &self.secret_key,
                service: field(&self.service, "service")?,
                timestamp: self.timestamp,
            },
        )
        .map_err(|e| format!("cannot sign: {e}").into())
    }

    /// Verifies the recorded request; `Err` carries the code or a setup error.
    fn verify(&self, authorization: &str, key: &str) -> Result<(), String> {
        let mut map = HeaderMap::new();
        let mut add = |k: &str, v: &str| -> Result<(), String> {
            let name =
                HeaderName::from_bytes(k.as_bytes()).map_err(|e| format!("header {k}: {e}"))?;
            let value = HeaderValue::from_str(v).map_err(|e| format!("header {k}: {e}"))?;
            map.insert(name, value);
            Ok(())
        };
        for (k, v) in self.headers.as_deref().unwrap_or_default() {
            add(k, v)?;
        }
        add("x-tc-timestamp", &self.timestamp.to_string())?;
        add("authorization", authorization)?;
        let keys = KeyStore::new([Credentials::new(self.secret_id.clone(), key)]);
        let service = self.service.as_deref().unwrap_or_default();
        let received = ReceivedTc3 {
            method: &self.method,
            query: &self.query,
            headers: &map,
            body: self.payload.as_bytes(),
        };
        verify_tc3(
            &received,
            &keys,
            &VerifyPolicy::new(self.timestamp, service),
        )
        .map(drop)
        .map_err(|e| e.code().to_string())
    }
}

fn v1_trials(name: &str, vector: &Vector, method: V1Method) -> Vec<Trial> {
    let input = &vector.input;
    let (Some(host), Some(params)) = (input.host.clone(), input.params.clone()) else {
        return vec![Trial::test(format!("signing::{name}"), || {
            Err("a v1 vector needs input.host and input.params".into())
        })];
    };
    let path = input.path.clone().unwrap_or_else(|| "/".into());
    let stages = v1::sign(
        &input.method,
        &host,
        &path,
        &params,
        method,
        &input.secret_key,
    );
    let mut trials = Vec::new();
    let checks = [
        (
            "request_string",
            &vector.expected.request_string,
            stages.request_string.clone(),
        ),
        (
            "string_to_sign",
            &vector.expected.string_to_sign,
            stages.string_to_sign.clone(),
        ),
        (
            "signature",
            &vector.expected.signature,
            stages.signature.clone(),
        ),
        (
            "signature_param",
            &vector.expected.signature_param,
            encode(&stages.signature),
        ),
    ];
    for (stage, expected, found) in checks {
        let Some(expected) = expected.clone() else {
            continue;
        };
        trials.push(Trial::test(
            format!("signing::{name}::{stage}"),
            move || compare(stage, &expected, &found),
        ));
    }
    let (secret_id, key, ts, http_method) = (
        input.secret_id.clone(),
        input.secret_key.clone(),
        input.timestamp,
        input.method.clone(),
    );
    let signature = vector.expected.signature.clone();
    trials.push(Trial::test(
        format!("signing::{name}::verifies_backwards"),
        move || {
            let mut sent = params.clone();
            sent.push((
                "Signature".into(),
                field(&signature, "expected.signature")?.clone(),
            ));
            let verify = |key: &str| {
                let keys = KeyStore::new([Credentials::new(secret_id.clone(), key)]);
                let received = ReceivedV1 {
                    method: &http_method,
                    host: &host,
                    path: &path,
                    params: &sent,
                };
                verify_v1(&received, &keys, &VerifyPolicy::new(ts, "cvm")).map_err(|e| e.code())
            };
            verify(&key).map_err(|code| format!("the recorded request does not verify: {code}"))?;
            match verify(&format!("{key}x")) {
                Err("AuthFailure.SignatureFailure") => Ok(()),
                other => Err(format!(
                    "with a wrong key: expected AuthFailure.SignatureFailure, got {other:?}"
                )
                .into()),
            }
        },
    ));
    trials
}

fn trials_for(path: &Path) -> Vec<Trial> {
    let name = path
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let shown = path.display().to_string();
    let parsed = std::fs::read_to_string(path)
        .map_err(|e| format!("{shown}: {e}"))
        .and_then(|text| toml::from_str::<Vector>(&text).map_err(|e| format!("{shown}: {e}")));
    let vector = match parsed {
        Ok(v) => v,
        Err(message) => {
            return vec![Trial::test(format!("signing::{name}"), move || {
                Err(message.into())
            })];
        }
    };
    match vector.algorithm.as_str() {
        "tc3" => tc3_trials(&name, &vector),
        "hmac-sha1" => v1_trials(&name, &vector, V1Method::HmacSha1),
        "hmac-sha256" => v1_trials(&name, &vector, V1Method::HmacSha256),
        other => {
            let message =
                format!("{shown}: algorithm {other:?} is not tc3, hmac-sha1 or hmac-sha256");
            vec![Trial::test(format!("signing::{name}"), move || {
                Err(message.into())
            })]
        }
    }
}

fn main() {
    let args = Arguments::from_args();
    let mut files: Vec<PathBuf> = std::fs::read_dir(vectors_dir())
        .expect("cases/signing exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let trials = files.iter().flat_map(|p| trials_for(p)).collect();
    libtest_mimic::run(&args, trials).exit();
}
