//! The transport: HTTP/1.1 over hyper with our own accept loop, one
//! handler for everything. It enforces Tencent's size limits while reading
//! (never buffering more than the limit), hands the bytes to the service
//! core, and writes every answer as HTTP 200 `application/json`.
//!
//! Against real clients: a half-closed socket still gets its answer
//! (`half_close`), slow or silent header blocks time out (the registry's
//! watchdog, [`Registry::time_out_heads`]), a stalled body
//! times out, the connection count is capped below the open-file limit by
//! closing the longest-idle connection, an `Expect: 100-continue` upload
//! over the limit is refused before its body is sent, and hyper's own bare
//! 414/431 answers are replaced by envelopes ([`Io`]).

use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::rt::Write as _;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use subtle::ConstantTimeEq;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot, watch};
use tokio::task::JoinSet;

use crate::envelope;
use crate::sign::Secret;

use super::Limits;
use super::control;
use super::service::{self, Incoming as Call, Service};

/// What every connection shares: the service core and the transport's
/// settings.
#[derive(Debug)]
pub(crate) struct Shared {
    svc: Service,
    control_token: Option<Secret>,
    body_timeout: Duration,
}

impl Shared {
    pub(crate) fn new(svc: Service, control_token: Option<Secret>, limits: &Limits) -> Self {
        Self {
            svc,
            control_token,
            body_timeout: limits.body_timeout,
        }
    }
}

/// The answer body: the bytes, and the mark that the connection is busy
/// until hyper has taken them.
pub(crate) struct Answer {
    bytes: Full<Bytes>,
    _busy: BusyGuard,
}

impl Body for Answer {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.bytes).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.bytes.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.bytes.size_hint()
    }
}

fn json_response(status: u16, value: &Value) -> Response<Full<Bytes>> {
    let bytes = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    reply_response(service::Reply {
        status,
        content_type: envelope::CONTENT_TYPE,
        body: bytes,
    })
}

/// The HTTP answer that carries `reply`.
fn reply_response(reply: service::Reply) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(reply.content_type),
    );
    response
}

fn envelope_response(value: &Value) -> Response<Full<Bytes>> {
    json_response(200, value)
}

/// The answer, with `Connection: close`: the rest of the request is not
/// going to be read.
fn closing(mut response: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn too_large(svc: &Service, limit: usize) -> Response<Full<Bytes>> {
    envelope_response(&svc.transport_answer(
        "RequestSizeLimitExceeded",
        Some(&format!("this request may carry at most {limit} bytes")),
    ))
}

/// Largest control API body, bytes.
const MAX_CONTROL_BODY: usize = 64 * 1024;

/// The largest body this request may carry, before reading any of it.
fn limit_for(method: &http::Method, headers: &http::HeaderMap, query_len: usize) -> usize {
    if method == http::Method::GET {
        return service::MAX_GET.saturating_sub(query_len);
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            const FORM: &str = "application/x-www-form-urlencoded";
            v.trim_start()
                .get(..FORM.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(FORM))
        });
    let tc3 = headers.contains_key(header::AUTHORIZATION);
    if form && !tc3 {
        service::MAX_FORM_POST
    } else {
        service::MAX_TC3_POST
    }
}

/// How much of an oversized body is read and thrown away before answering,
/// so that the client, still sending, reads the answer instead of a reset.
const DRAIN_LIMIT: u64 = 64 * 1024 * 1024;
/// How long reading one body may take in all.
const BODY_TIME: Duration = Duration::from_secs(60);

enum Read {
    Body(Bytes),
    TooLarge,
    Broken,
    /// No byte for the body timeout, short of the declared length.
    Stalled {
        got: u64,
        declared: Option<u64>,
    },
}

/// Reads the body, keeping at most `limit` bytes. Past the limit the rest is
/// read and dropped (up to [`DRAIN_LIMIT`] bytes), never kept; a declared
/// length over the drain limit is refused unread. A pause longer than
/// `pause` (or [`BODY_TIME`] in all) ends the read: too large if it already
/// was, stalled otherwise.
async fn read_body(mut body: Incoming, limit: usize, pause: Duration) -> Read {
    let declared = body.size_hint().exact();
    if declared.is_some_and(|n| n > DRAIN_LIMIT) {
        return Read::TooLarge;
    }
    let mut kept = BytesMut::new();
    let mut seen: u64 = 0;
    let mut over = declared.is_some_and(|n| n > limit as u64);
    let deadline = tokio::time::Instant::now() + BODY_TIME;
    while !body.is_end_stream() {
        let until = deadline.min(tokio::time::Instant::now() + pause);
        let frame = match tokio::time::timeout_at(until, body.frame()).await {
            Err(_) if over => return Read::TooLarge,
            Err(_) => {
                return Read::Stalled {
                    got: seen,
                    declared,
                };
            }
            Ok(None) => break,
            Ok(Some(frame)) => frame,
        };
        let Ok(frame) = frame else {
            return if over { Read::TooLarge } else { Read::Broken };
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen += data.len() as u64;
        if !over && kept.len() + data.len() > limit {
            over = true;
            kept = BytesMut::new();
        }
        if over {
            if seen > DRAIN_LIMIT {
                return Read::TooLarge;
            }
        } else if kept.is_empty() && body.is_end_stream() {
            // The whole body in one frame: no copy.
            return Read::Body(data);
        } else {
            if kept.is_empty() {
                // Room for the whole declared length (within the limit,
                // or it would be over) at the first of several frames: a
                // large body is not copied again at every doubling.
                kept.reserve(declared.map_or(0, |n| n as usize).max(data.len()));
            }
            kept.extend_from_slice(&data);
        }
    }
    if over {
        Read::TooLarge
    } else {
        Read::Body(kept.freeze())
    }
}

fn expects_continue(headers: &http::HeaderMap) -> bool {
    headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"))
}

fn control_allowed(token: &Secret, headers: &http::HeaderMap) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
    else {
        return false;
    };
    bool::from(given.ct_eq(token.expose().as_bytes()))
}

async fn handle(shared: &Shared, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or_default();
    let is_control = path.starts_with("/__emulator/");

    // The challenge proves key ownership and reveals nothing without the
    // key, so `run --target URL` can tell a protected emulator from a live
    // endpoint; everything else needs the token.
    if is_control
        && path != "/__emulator/challenge"
        && let Some(token) = &shared.control_token
        && !control_allowed(token, &parts.headers)
    {
        return closing(json_response(
            401,
            &serde_json::json!({
                "error": "the control API requires the header `Authorization: Bearer <control token>`"
            }),
        ));
    }
    let limit = if is_control {
        MAX_CONTROL_BODY
    } else {
        let max_get = shared.svc.quirks.size_limit(service::MAX_GET);
        if parts.method == http::Method::GET && query.len() > max_get {
            return closing(too_large(&shared.svc, max_get));
        }
        shared
            .svc
            .quirks
            .size_limit(limit_for(&parts.method, &parts.headers, query.len()))
    };
    // A client that waits for `100 Continue` is told at once, and hyper
    // sends no `100 Continue` because the body is never polled.
    if expects_continue(&parts.headers) && body.size_hint().lower() > limit as u64 {
        return closing(too_large(&shared.svc, limit));
    }
    let bytes = match read_body(body, limit, shared.body_timeout).await {
        Read::Body(bytes) => bytes,
        Read::TooLarge => return closing(too_large(&shared.svc, limit)),
        // The client went away or sent a broken body: answer anyway;
        // if the connection is gone hyper drops the answer.
        Read::Broken => {
            return closing(envelope_response(&shared.svc.transport_answer(
                "InvalidParameter",
                Some("the request body could not be read"),
            )));
        }
        Read::Stalled { got, declared } => {
            let of = declared.map_or_else(String::new, |d| format!(" of {d}"));
            return closing(envelope_response(&shared.svc.transport_answer(
                "InvalidParameter",
                Some(&format!(
                    "the request body stopped after {got}{of} bytes: nothing arrived for {} ms",
                    shared.body_timeout.as_millis()
                )),
            )));
        }
    };

    if is_control
        && let Some((status, value)) =
            control::handle(&shared.svc, parts.method.as_str(), path, query, &bytes)
    {
        return json_response(status, &value);
    }
    let incoming = Call {
        method: parts.method.as_str(),
        path,
        query,
        headers: &parts.headers,
        body: &bytes,
    };
    reply_response(shared.svc.reply(incoming, shared.svc.clock.now()).await)
}

// ---------------------------------------------------------------------------
// Connections: the registry behind the cap.

#[derive(Debug)]
struct ConnState {
    /// Requests in progress (from the head read to the answer taken).
    busy: AtomicUsize,
    /// When a request last began or ended (or the connection opened), on
    /// the registry's clock: while nothing is in progress, the server has
    /// been waiting for a header block since then.
    last: AtomicU64,
    /// Chosen for closing.
    evicted: AtomicBool,
    evict: Notify,
}

#[derive(Debug)]
struct Registry {
    started: Instant,
    /// Milliseconds since `started`, as of the watchdog's last tick: a
    /// clock every request can read without a system call.
    clock: AtomicU64,
    next: AtomicU64,
    conns: Mutex<HashMap<u64, Arc<ConnState>>>,
    /// A connection ended.
    freed: Notify,
}

impl Registry {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            clock: AtomicU64::new(0),
            next: AtomicU64::new(0),
            conns: Mutex::new(HashMap::new()),
            freed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<ConnState>>> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The coarse clock, ms (see [`Registry::clock`]).
    fn now_ms(&self) -> u64 {
        self.clock.load(Ordering::Relaxed)
    }

    /// Moves the coarse clock to now (never back).
    fn tick(&self) -> u64 {
        let now = self.started.elapsed().as_millis() as u64;
        self.clock.fetch_max(now, Ordering::Relaxed).max(now)
    }

    /// The header timeout: asks every connection that has had nothing in
    /// progress for `timeout_ms` (it has been waiting that long for a
    /// complete header block, sent slowly or not at all) to close. One
    /// sweep per tick replaces a timer armed and disarmed per request.
    fn time_out_heads(&self, timeout_ms: u64) {
        let now = self.tick();
        for c in self.lock().values() {
            if c.busy.load(Ordering::Acquire) == 0
                && !c.evicted.load(Ordering::Relaxed)
                && now.saturating_sub(c.last.load(Ordering::Relaxed)) >= timeout_ms
            {
                c.evicted.store(true, Ordering::Relaxed);
                c.evict.notify_one();
            }
        }
    }

    /// Keeps the clock and the header timeout until `stop`: a tick every
    /// eighth of the timeout (5 to 250 ms), so a connection is closed at
    /// most that much after its timeout.
    async fn watchdog(self: Arc<Self>, timeout: Duration, mut stop: watch::Receiver<bool>) {
        let tick = (timeout / 8).clamp(Duration::from_millis(5), Duration::from_millis(250));
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let mut every = tokio::time::interval(tick);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = every.tick() => self.time_out_heads(timeout_ms),
                _ = stop.changed() => return,
            }
        }
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    fn open(self: &Arc<Self>) -> Slot {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(ConnState {
            busy: AtomicUsize::new(0),
            last: AtomicU64::new(self.tick()),
            evicted: AtomicBool::new(false),
            evict: Notify::new(),
        });
        self.lock().insert(id, Arc::clone(&state));
        Slot {
            registry: Arc::clone(self),
            id,
            state,
        }
    }

    /// Asks the connection idle the longest to close; false when every
    /// connection is busy (or already asked).
    fn evict_oldest_idle(&self) -> bool {
        let conns = self.lock();
        let oldest = conns
            .values()
            .filter(|c| c.busy.load(Ordering::Acquire) == 0 && !c.evicted.load(Ordering::Relaxed))
            .min_by_key(|c| c.last.load(Ordering::Relaxed));
        match oldest {
            Some(c) => {
                c.evicted.store(true, Ordering::Relaxed);
                c.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

/// A connection's place in the registry; leaving it frees the place.
struct Slot {
    registry: Arc<Registry>,
    id: u64,
    state: Arc<ConnState>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
        self.registry.freed.notify_one();
    }
}

/// Marks a connection busy for one request.
pub(crate) struct BusyGuard {
    registry: Arc<Registry>,
    state: Arc<ConnState>,
}

impl BusyGuard {
    fn enter(registry: &Arc<Registry>, state: &Arc<ConnState>) -> Self {
        state.busy.fetch_add(1, Ordering::AcqRel);
        state.last.store(registry.now_ms(), Ordering::Relaxed);
        Self {
            registry: Arc::clone(registry),
            state: Arc::clone(state),
        }
    }
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.state
            .last
            .store(self.registry.now_ms(), Ordering::Relaxed);
        self.state.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The soft limit on open files, from `/proc/self/limits` (Linux).
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Files kept free of connections for everything else the process opens.
const RESERVED_FILES: usize = 64;

/// The cap in force: `configured`, lowered to fit the open-file limit.
fn connection_cap(configured: usize) -> usize {
    let fit = open_file_limit().map_or(usize::MAX, |n| n.saturating_sub(RESERVED_FILES));
    configured.min(fit).max(1)
}

/// Accepts and serves until `stop`; then closes idle connections at once
/// and lets requests in progress finish.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    limits: Limits,
    mut stop: oneshot::Receiver<()>,
) -> io::Result<()> {
    let cap = connection_cap(limits.max_connections);
    let registry = Arc::new(Registry::new());
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The header timeout is the registry's watchdog, not hyper's own
    // (which arms and drops a timer for every request).
    builder
        .header_read_timeout(None)
        .half_close(true)
        .keep_alive(true);
    let (stopping, stopped) = watch::channel(false);
    let watchdog =
        tokio::spawn(Arc::clone(&registry).watchdog(limits.header_timeout, stopped.clone()));
    let mut tasks = JoinSet::new();
    'accept: loop {
        // Make room first: the longest-idle connection goes.
        while registry.len() >= cap {
            registry.evict_oldest_idle();
            tokio::select! {
                _ = &mut stop => break 'accept,
                _ = registry.freed.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }
        tokio::select! {
            _ = &mut stop => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let slot = registry.open();
                    tasks.spawn(connection(
                        stream,
                        Arc::clone(&shared),
                        builder.clone(),
                        slot,
                        stopped.clone(),
                    ));
                }
                // Out of files or a connection that died in the queue:
                // make room and go on.
                Err(_) => {
                    registry.evict_oldest_idle();
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
        }
    }
    drop(listener);
    let _ = stopping.send(true);
    while tasks.join_next().await.is_some() {}
    let _ = watchdog.await;
    Ok(())
}

async fn connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    builder: hyper::server::conn::http1::Builder,
    slot: Slot,
    mut stop: watch::Receiver<bool>,
) {
    let registry = Arc::clone(&slot.registry);
    let state = Arc::clone(&slot.state);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let busy = BusyGuard::enter(&registry, &state);
        let shared = Arc::clone(&shared);
        async move {
            let response = handle(&shared, request).await;
            Ok::<_, Infallible>(response.map(|bytes| Answer { bytes, _busy: busy }))
        }
    });
    let conn = builder.serve_connection(Io::new(stream), service);
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        tokio::select! {
            _ = conn.as_mut() => break,
            _ = slot.state.evict.notified(), if !closing => {}
            _ = stop.changed(), if !closing => {}
        }
        // Asked to close: at once when no request is in progress,
        // otherwise after the answer.
        if slot.state.busy.load(Ordering::Acquire) == 0 {
            break;
        }
        conn.as_mut().graceful_shutdown();
        closing = true;
    }
    drop(slot);
}

// ---------------------------------------------------------------------------
// The socket, with hyper's bare parse-error answers replaced.

/// The socket as hyper sees it. hyper answers a request line or header
/// block over its limits itself (414 for a URI over 65,534 bytes, 431 for a
/// head over its buffer or 100 headers) with an empty body; there is no
/// request for the handler. Those are requests that parse as HTTP, so the
/// emulator's promise of an envelope holds: the bare answer is replaced by
/// a `RequestSizeLimitExceeded` envelope (and the connection closes, as
/// hyper closes it). Writes are not vectored, so every answer reaches
/// [`Io`] as one buffer.
struct Io {
    inner: TokioIo<TcpStream>,
    /// Bytes to write before anything else.
    pending: Option<Bytes>,
}

impl Io {
    fn new(stream: TcpStream) -> Self {
        Self {
            inner: TokioIo::new(stream),
            pending: None,
        }
    }

    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(p) = &mut self.pending {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, p))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            p.advance(n);
            if p.is_empty() {
                self.pending = None;
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// Where hyper's own bare 414/431 head starts in `buf`, with its detail. The
/// head is the last thing hyper writes and has no body, so it ends the
/// buffer with `\r\n\r\n`; the emulator's own answers always end with a
/// JSON body, which never holds a raw CR LF.
fn bare_error_head(buf: &[u8]) -> Option<(usize, &'static str)> {
    if !buf.ends_with(b"\r\n\r\n") {
        return None;
    }
    let from = buf.len().saturating_sub(512);
    let at = from + buf[from..].windows(10).rposition(|w| w == b"HTTP/1.1 4")?;
    let rest = &buf[at..];
    let detail = if rest.starts_with(b"HTTP/1.1 414 ") {
        "the request URI may have at most 65534 bytes"
    } else if rest.starts_with(b"HTTP/1.1 431 ") {
        "the request line and headers may have at most 417792 bytes and 100 headers"
    } else {
        return None;
    };
    // Only one head from there to the end.
    let inner_end = rest.len() - 4;
    if rest[..inner_end].windows(4).any(|w| w == b"\r\n\r\n") {
        return None;
    }
    Some((at, detail))
}

fn replacement(detail: &str) -> Bytes {
    let body = serde_json::to_vec(&service::error_answer(
        "RequestSizeLimitExceeded",
        Some(detail),
    ))
    .unwrap_or_default();
    let mut out = BytesMut::with_capacity(body.len() + 128);
    out.extend_from_slice(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            envelope::CONTENT_TYPE,
            body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&body);
    out.freeze()
}

impl hyper::rt::Read for Io {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Io {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        if let Some((at, detail)) = bare_error_head(buf) {
            let mut out = BytesMut::from(&buf[..at]);
            out.extend_from_slice(&replacement(detail));
            this.pending = Some(out.freeze());
            // Whatever is left goes out with the flush.
            if let Poll::Ready(Err(e)) = this.poll_pending(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_only_hypers_bare_heads() {
        let head = b"HTTP/1.1 414 URI Too Long\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(bare_error_head(head).map(|h| h.0), Some(0));
        let mut after = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}".to_vec();
        let at = after.len();
        after.extend_from_slice(head);
        assert_eq!(bare_error_head(&after).map(|h| h.0), Some(at));
        // An answer of ours that quotes a status line is left alone.
        let ours = b"HTTP/1.1 200 OK\r\ncontent-length: 30\r\n\r\n{\"m\":\"HTTP/1.1 414 x\"}";
        assert_eq!(bare_error_head(ours), None);
        assert_eq!(
            bare_error_head(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n"),
            None
        );
        assert!(bare_error_head(b"HTTP/1.1 431 Request Header Fields Too Large\r\n\r\n").is_some());
    }

    #[test]
    fn the_cap_fits_the_open_file_limit() {
        assert_eq!(connection_cap(10), 10);
        if let Some(n) = open_file_limit() {
            assert_eq!(connection_cap(usize::MAX), n - RESERVED_FILES);
        }
    }
}
