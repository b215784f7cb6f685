//! Our own signed HTTP client for IAI: the URL and live targets and the
//! `rust` client adapter all use it.
//!
//! A call is split in two so that a conformance case can tamper with a
//! correctly signed request before it leaves: [`Client::prepare`] builds and
//! signs, [`Client::send`] sends and records.

use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::api;
use crate::sign::{Credentials, V1Method, tc3, v1};
use crate::wire::{Exchange, Prepared, SignedHeaderSet, Style, encode, flatten};

/// Per-call choices.
#[derive(Clone, Debug)]
pub struct CallOptions {
    /// How the request is shaped and signed.
    pub style: Style,
    /// Which headers a TC3 request signs.
    pub signed_headers: SignedHeaderSet,
    /// The signing time, Unix seconds.
    pub timestamp: i64,
    /// `HmacSHA1` or `HmacSHA256`, for v1 styles.
    pub v1_method: V1Method,
    /// The v1 `Nonce` (random by default).
    pub nonce: u32,
    /// The `Version` to send (the API version unless a case says otherwise).
    pub version: String,
}

impl CallOptions {
    /// The defaults for `style` at `timestamp`: the SDKs' signed headers, HmacSHA256 for v1, a random nonce and the API version.
    pub fn new(style: Style, timestamp: i64) -> Self {
        Self {
            style,
            signed_headers: SignedHeaderSet::default(),
            timestamp,
            v1_method: V1Method::HmacSha256,
            nonce: rand::random_range(1..u32::MAX),
            version: api::VERSION.to_string(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
/// Why a call could not be made.
pub enum ClientError {
    #[error("endpoint {0:?} is not an http(s) URL")]
    /// The endpoint is not an http(s) URL.
    BadEndpoint(String),
    #[error("cannot sign: {0}")]
    /// The request could not be signed.
    Sign(#[from] tc3::SignError),
    #[error("transport: {0}")]
    /// No answer: the connection, TLS or a timeout failed.
    Transport(#[from] reqwest::Error),
}

/// A signed client for one endpoint and one credential.
#[derive(Clone, Debug)]
pub struct Client {
    base: String,
    host: String,
    credentials: Credentials,
    region: Option<String>,
    http: reqwest::Client,
}

impl Client {
    /// `endpoint` is a URL such as `http://127.0.0.1:8080` or
    /// `https://iai.tencentcloudapi.com`.
    pub fn new(
        endpoint: &str,
        credentials: Credentials,
        region: Option<String>,
    ) -> Result<Self, ClientError> {
        let bad = || ClientError::BadEndpoint(endpoint.to_string());
        let rest = endpoint
            .strip_prefix("http://")
            .or_else(|| endpoint.strip_prefix("https://"))
            .ok_or_else(bad)?;
        let host = rest
            .split('/')
            .next()
            .filter(|h| !h.is_empty())
            .ok_or_else(bad)?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self {
            base: endpoint.trim_end_matches('/').to_string(),
            host: host.to_string(),
            credentials,
            region: region.filter(|r| !r.is_empty()),
            http,
        })
    }

    /// The same endpoint and connection pool, signing with other credentials.
    pub fn with_credentials(&self, credentials: Credentials) -> Self {
        Self {
            credentials,
            ..self.clone()
        }
    }

    /// The same endpoint and credentials, with a timeout on each request
    /// (a new connection pool).
    pub fn with_timeout(self, timeout: Duration) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(timeout)
            .build()?;
        Ok(Self { http, ..self })
    }

    /// The endpoint, without a trailing `/`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The underlying HTTP client (shares the connection pool).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The credentials it signs with.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The `Host` it sends (the endpoint's authority).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Builds and signs a call of `action` with `params`.
    pub fn prepare(
        &self,
        action: &str,
        params: &Map<String, Value>,
        options: &CallOptions,
    ) -> Result<Prepared, ClientError> {
        match options.style {
            Style::Tc3PostJson => self.prepare_tc3(action, options, "POST", String::new(), {
                serde_json::to_vec(params).expect("JSON values serialize")
            }),
            Style::Tc3Get => {
                let query = flatten(params)
                    .iter()
                    .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                self.prepare_tc3(action, options, "GET", query, Vec::new())
            }
            Style::V1Get | Style::V1PostForm => Ok(self.prepare_v1(action, params, options)),
        }
    }

    fn prepare_tc3(
        &self,
        action: &str,
        options: &CallOptions,
        method: &str,
        query: String,
        body: Vec<u8>,
    ) -> Result<Prepared, ClientError> {
        let content_type = if method == "GET" {
            "application/x-www-form-urlencoded"
        } else {
            "application/json"
        };
        let mut signed: Vec<(&str, &str)> =
            vec![("content-type", content_type), ("host", &self.host)];
        if options.signed_headers == SignedHeaderSet::ContentTypeHostAction {
            signed.push(("x-tc-action", action));
        }
        let authorization = tc3::authorization_header(
            &tc3::Tc3Request {
                method,
                query: &query,
                headers: &signed,
                payload: tc3::Payload::Signed(&body),
            },
            &tc3::SigningParams {
                secret_id: &self.credentials.secret_id,
                secret_key: self.credentials.secret_key.expose(),
                service: api::SERVICE,
                timestamp: options.timestamp,
            },
        )?;
        let mut headers = vec![
            ("Host".to_string(), self.host.clone()),
            ("Content-Type".to_string(), content_type.to_string()),
            ("X-TC-Action".to_string(), action.to_string()),
            ("X-TC-Version".to_string(), options.version.clone()),
            ("X-TC-Timestamp".to_string(), options.timestamp.to_string()),
            ("Authorization".to_string(), authorization),
        ];
        if let Some(region) = &self.region {
            headers.push(("X-TC-Region".to_string(), region.clone()));
        }
        if let Some(token) = &self.credentials.token {
            headers.push(("X-TC-Token".to_string(), token.expose().to_string()));
        }
        let target = if query.is_empty() {
            "/".to_string()
        } else {
            format!("/?{query}")
        };
        Ok(Prepared {
            method: method.to_string(),
            target,
            headers,
            body,
        })
    }

    fn prepare_v1(
        &self,
        action: &str,
        params: &Map<String, Value>,
        options: &CallOptions,
    ) -> Prepared {
        let mut pairs = flatten(params);
        pairs.push(("Action".into(), action.into()));
        pairs.push(("Version".into(), options.version.clone()));
        pairs.push(("SecretId".into(), self.credentials.secret_id.clone()));
        pairs.push(("Timestamp".into(), options.timestamp.to_string()));
        pairs.push(("Nonce".into(), options.nonce.to_string()));
        if let Some(region) = &self.region {
            pairs.push(("Region".into(), region.clone()));
        }
        if options.v1_method == V1Method::HmacSha256 {
            pairs.push(("SignatureMethod".into(), "HmacSHA256".into()));
        }
        if let Some(token) = &self.credentials.token {
            pairs.push(("Token".into(), token.expose().to_string()));
        }
        let method = if options.style == Style::V1Get {
            "GET"
        } else {
            "POST"
        };
        let stages = v1::sign(
            method,
            &self.host,
            "/",
            &pairs,
            options.v1_method,
            self.credentials.secret_key.expose(),
        );
        pairs.push(("Signature".into(), stages.signature));
        let encoded = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut headers = vec![("Host".to_string(), self.host.clone())];
        if method == "GET" {
            Prepared {
                method: method.into(),
                target: format!("/?{encoded}"),
                headers,
                body: Vec::new(),
            }
        } else {
            headers.push((
                "Content-Type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            ));
            Prepared {
                method: method.into(),
                target: "/".into(),
                headers,
                body: encoded.into_bytes(),
            }
        }
    }

    /// Sends a prepared request and records the answer, whatever it is.
    pub async fn send(&self, mut request: Prepared) -> Result<Exchange, ClientError> {
        let method =
            reqwest::Method::from_bytes(request.method.as_bytes()).unwrap_or(reqwest::Method::POST);
        let mut builder = self
            .http
            .request(method, format!("{}{}", self.base, request.target));
        for (k, v) in &request.headers {
            builder = builder.header(k, v);
        }
        // The body is lent to the request, not copied (a case may send
        // 10 MB), and taken back for the exchange once the answer is in.
        let body = bytes::Bytes::from(std::mem::take(&mut request.body));
        if !body.is_empty() {
            builder = builder.body(body.clone());
        }
        let started = Instant::now();
        let sent = builder.send().await;
        request.body = Vec::from(body);
        let response = sent?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let body = Vec::from(response.bytes().await?);
        Ok(Exchange::new(
            request,
            status,
            content_type,
            body,
            started.elapsed(),
        ))
    }

    /// Prepares and sends in one step.
    pub async fn call(
        &self,
        action: &str,
        params: &Map<String, Value>,
        options: &CallOptions,
    ) -> Result<Exchange, ClientError> {
        let prepared = self.prepare(action, params, options)?;
        self.send(prepared).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_token() {
        let client = Client::new(
            "http://127.0.0.1:9",
            Credentials::new("AKIDx", "the-key").with_token("the-token"),
            None,
        )
        .unwrap();
        for style in [Style::Tc3PostJson, Style::V1Get] {
            let prepared = client
                .prepare("DeletePerson", &Map::new(), &CallOptions::new(style, 1))
                .unwrap();
            let shown = format!("{prepared:?} {:?}", client);
            assert!(
                !shown.contains("the-token") && !shown.contains("the-key"),
                "{shown}"
            );
        }
    }
}
