//! The fake IAI a client talks to: an HTTP/1.1 server on loopback that
//! serves a case's answers in turn and records every request.
//!
//! It is written on a bare TCP socket, not on a mock library, because one
//! of the answers is no answer at all: a connection reset (the request
//! read, then the socket closed with an RST and nothing written), which a
//! mock library's response templates cannot express.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use wiremock::Request;

use super::reply::Served;

/// The largest request head accepted (a client's headers are far smaller).
const MAX_HEAD: usize = 64 * 1024;

/// What the connections share: the answers, and the requests received.
struct Shared {
    answers: Vec<Served>,
    delay: Duration,
    next: AtomicUsize,
    received: Mutex<Vec<Request>>,
    authority: String,
}

/// A running fake server for one case; stops when dropped.
pub(crate) struct FakeServer {
    shared: Arc<Shared>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl FakeServer {
    /// Serves the n-th answer to the n-th request, the last one after that.
    pub(crate) async fn start(answers: Vec<Served>, delay: Duration) -> Self {
        assert!(!answers.is_empty(), "a case serves at least one answer");
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port is free");
        let authority = listener.local_addr().expect("bound").to_string();
        let shared = Arc::new(Shared {
            answers,
            delay,
            next: AtomicUsize::new(0),
            received: Mutex::new(Vec::new()),
            authority,
        });
        let for_accept = Arc::clone(&shared);
        let accept = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                connections.spawn(serve_connection(stream, Arc::clone(&for_accept)));
            }
        });
        Self { shared, accept }
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn endpoint(&self) -> String {
        format!("http://{}", self.shared.authority)
    }

    /// `127.0.0.1:PORT`: the Host a client of [`Self::endpoint`] sends.
    pub(crate) fn authority(&self) -> String {
        self.shared.authority.clone()
    }

    /// Every request received so far, in order.
    pub(crate) async fn requests(&self) -> Vec<Request> {
        self.shared.received.lock().await.clone()
    }
}

/// Serves the requests of one connection (keep-alive) until it closes or
/// an answer resets it.
async fn serve_connection(mut stream: TcpStream, shared: Arc<Shared>) {
    let mut buffer = Vec::new();
    loop {
        let Some((request, close)) = read_request(&mut stream, &mut buffer, &shared).await else {
            return;
        };
        shared.received.lock().await.push(request);
        let n = shared.next.fetch_add(1, Ordering::SeqCst);
        let answer = &shared.answers[n.min(shared.answers.len() - 1)];
        if !shared.delay.is_zero() {
            tokio::time::sleep(shared.delay).await;
        }
        if answer.reset {
            // An RST, not a FIN: the request was read and nothing answers it.
            let _ = stream.set_zero_linger();
            return;
        }
        let mut head = format!(
            "HTTP/1.1 {} {}\r\ncontent-length: {}\r\n",
            answer.status,
            reason(answer.status),
            answer.body.len()
        );
        if let Some(ct) = &answer.content_type {
            head.push_str(&format!("content-type: {ct}\r\n"));
        }
        if close {
            head.push_str("connection: close\r\n");
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&answer.body);
        if stream.write_all(&bytes).await.is_err() || close {
            let _ = stream.shutdown().await;
            return;
        }
    }
}

/// Reads one request: its head, then `content-length` bytes of body.
/// `None` when the connection ends or sends what is not HTTP/1.1.
async fn read_request(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    shared: &Shared,
) -> Option<(Request, bool)> {
    let head_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buffer.len() > MAX_HEAD || !fill(stream, buffer).await {
            return None;
        }
    };
    let head = std::str::from_utf8(&buffer[..head_end]).ok()?.to_string();
    let mut lines = head.split("\r\n");
    let mut start = lines.next()?.split(' ');
    let method = Method::from_bytes(start.next()?.as_bytes()).ok()?;
    let target = start.next()?.to_string();
    let version = start.next()?;
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':')?;
        headers.append(
            HeaderName::from_bytes(name.trim().as_bytes()).ok()?,
            HeaderValue::from_str(value.trim()).ok()?,
        );
    }
    let length: usize = match headers.get("content-length") {
        Some(v) => v.to_str().ok()?.parse().ok()?,
        None => 0,
    };
    let body_start = head_end + 4;
    while buffer.len() < body_start + length {
        if !fill(stream, buffer).await {
            return None;
        }
    }
    let body = buffer[body_start..body_start + length].to_vec();
    buffer.drain(..body_start + length);
    let close = version == "HTTP/1.0"
        || headers
            .get("connection")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
    // An absolute-form target (through a proxy) is kept as sent.
    let url = if target.starts_with("http://") {
        reqwest::Url::parse(&target).ok()?
    } else {
        reqwest::Url::parse(&format!("http://{}{target}", shared.authority)).ok()?
    };
    Some((
        Request {
            url,
            method,
            headers,
            body,
        },
        close,
    ))
}

/// Reads more bytes into `buffer`; false at the end of the stream.
async fn fill(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 16 * 1024];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buffer.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown")
}
