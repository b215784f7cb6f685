//! `iai-conformance sign`: sign one request and print every stage.

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::ValueEnum;
use serde_json::json;

use iai_conformance::encode;
use iai_conformance::sign::{V1Method, tc3, v1};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Algorithm {
    /// TC3-HMAC-SHA256 (signature v3)
    Tc3,
    /// Signature v1 with HmacSHA1
    HmacSha1,
    /// Signature v1 with HmacSHA256
    HmacSha256,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub(crate) enum Method {
    Post,
    Get,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Self::Post => "POST",
            Self::Get => "GET",
        }
    }
}

#[derive(clap::Args)]
pub(crate) struct SignArgs {
    #[arg(long)]
    secret_id: String,
    /// The secret key (or TENCENTCLOUD_SECRET_KEY); never printed.
    #[arg(long, env = "TENCENTCLOUD_SECRET_KEY", hide_env_values = true)]
    secret_key: String,
    /// X-TC-Timestamp / Timestamp, Unix seconds.
    #[arg(long)]
    timestamp: i64,
    /// The Host header, e.g. iai.tencentcloudapi.com.
    #[arg(long)]
    host: String,
    /// The service in the credential scope [default: the host's first label].
    #[arg(long)]
    service: Option<String>,
    #[arg(long)]
    action: String,
    #[arg(long)]
    version: String,
    #[arg(long)]
    region: Option<String>,
    #[arg(long, value_enum, default_value = "POST", ignore_case = true)]
    method: Method,
    /// [default: application/json for POST, application/x-www-form-urlencoded for GET]
    #[arg(long)]
    content_type: Option<String>,
    /// The body, sent as is (TC3 POST).
    #[arg(long, conflicts_with = "query")]
    payload: Option<String>,
    /// The query string (TC3 GET), or the request parameters (v1), as k=v&k=v.
    #[arg(long)]
    query: Option<String>,
    /// TC3 signed headers, `;`-separated: content-type, host, and any of
    /// x-tc-action, x-tc-version, x-tc-timestamp, x-tc-region.
    #[arg(long, default_value = "content-type;host")]
    signed_headers: String,
    #[arg(long, value_enum, default_value = "tc3")]
    algorithm: Algorithm,
    /// v1 only: the Nonce parameter.
    #[arg(long)]
    nonce: Option<u64>,
    /// Print one JSON object instead of the stages.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: SignArgs) -> anyhow::Result<ExitCode> {
    let out = match args.algorithm {
        Algorithm::Tc3 => sign_tc3(&args)?,
        Algorithm::HmacSha1 => sign_v1(&args, V1Method::HmacSha1)?,
        Algorithm::HmacSha256 => sign_v1(&args, V1Method::HmacSha256)?,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for (key, value) in out.as_object().expect("an object") {
            if let Some(text) = value.as_str() {
                println!("== {key}\n{text}\n");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn sign_tc3(args: &SignArgs) -> anyhow::Result<serde_json::Value> {
    if args.nonce.is_some() {
        bail!("--nonce is for v1 signatures; drop it or pass --algorithm hmac-sha1|hmac-sha256");
    }
    let method = args.method.as_str();
    let content_type = args.content_type.clone().unwrap_or_else(|| {
        match args.method {
            Method::Post => "application/json",
            Method::Get => "application/x-www-form-urlencoded",
        }
        .to_string()
    });
    let timestamp = args.timestamp.to_string();
    let mut headers: Vec<(&str, &str)> = Vec::new();
    for name in args.signed_headers.split(';').map(str::trim) {
        let value = match name {
            "content-type" => content_type.as_str(),
            "host" => args.host.as_str(),
            "x-tc-action" => args.action.as_str(),
            "x-tc-version" => args.version.as_str(),
            "x-tc-timestamp" => timestamp.as_str(),
            "x-tc-region" => args
                .region
                .as_deref()
                .context("--signed-headers names x-tc-region but --region is not given")?,
            other => bail!(
                "--signed-headers: cannot sign {other:?}; use content-type, host, x-tc-action, x-tc-version, x-tc-timestamp or x-tc-region"
            ),
        };
        headers.push((name, value));
    }
    let (query, payload) = match args.method {
        Method::Get => {
            if args.payload.is_some() {
                bail!("--payload is for POST; a GET request carries its parameters in --query");
            }
            (args.query.clone().unwrap_or_default(), String::new())
        }
        Method::Post => {
            if args.query.is_some() {
                bail!(
                    "--query is for GET with TC3; a POST request carries its parameters in --payload"
                );
            }
            (String::new(), args.payload.clone().unwrap_or_default())
        }
    };
    let service = args
        .service
        .clone()
        .unwrap_or_else(|| args.host.split('.').next().unwrap_or_default().to_string());
    let stages = tc3::sign(
        &tc3::Tc3Request {
            method,
            query: &query,
            headers: &headers,
            payload: tc3::Payload::Signed(payload.as_bytes()),
        },
        &tc3::SigningParams {
            secret_id: &args.secret_id,
            secret_key: &args.secret_key,
            service: &service,
            timestamp: args.timestamp,
        },
    )
    .map_err(|e| anyhow::anyhow!("--signed-headers or --timestamp: {e}"))?;
    Ok(json!({
        "algorithm": tc3::ALGORITHM,
        "hashed_payload": stages.hashed_payload,
        "canonical_request": stages.canonical_request,
        "hashed_canonical_request": stages.hashed_canonical_request,
        "credential_scope": stages.credential_scope,
        "string_to_sign": stages.string_to_sign,
        "secret_date": const_hex::encode(stages.secret_date),
        "secret_service": const_hex::encode(stages.secret_service),
        "secret_signing": const_hex::encode(stages.secret_signing),
        "signature": stages.signature,
        "authorization": stages.authorization,
    }))
}

fn sign_v1(args: &SignArgs, method: V1Method) -> anyhow::Result<serde_json::Value> {
    if args.payload.is_some() {
        bail!("--payload is for TC3; v1 parameters go in --query as k=v&k=v");
    }
    let nonce = args
        .nonce
        .context("--nonce is required for v1 signatures (a random positive integer)")?;
    let mut params: Vec<(String, String)> =
        form_urlencoded::parse(args.query.as_deref().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    for common in [
        "Action",
        "Version",
        "Region",
        "SecretId",
        "Timestamp",
        "Nonce",
        "SignatureMethod",
    ] {
        if params.iter().any(|(k, _)| k == common) {
            bail!(
                "--query must not repeat the common parameter {common}; it comes from its own flag"
            );
        }
    }
    params.push(("Action".into(), args.action.clone()));
    params.push(("Version".into(), args.version.clone()));
    if let Some(region) = &args.region {
        params.push(("Region".into(), region.clone()));
    }
    params.push(("SecretId".into(), args.secret_id.clone()));
    params.push(("Timestamp".into(), args.timestamp.to_string()));
    params.push(("Nonce".into(), nonce.to_string()));
    if method == V1Method::HmacSha256 {
        params.push(("SignatureMethod".into(), method.param_value().into()));
    }
    let stages = v1::sign(
        args.method.as_str(),
        &args.host,
        "/",
        &params,
        method,
        &args.secret_key,
    );
    Ok(json!({
        "algorithm": method.param_value(),
        "canonical_request": stages.request_string,
        "hashed_canonical_request": null,
        "string_to_sign": stages.string_to_sign,
        "signature": stages.signature,
        "signature_param": encode(&stages.signature),
        "authorization": null,
    }))
}
