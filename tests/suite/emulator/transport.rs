//! The transport against clients that misbehave or are merely unusual:
//! half-closed sockets, slow or silent connections, stalled bodies, long
//! URIs, `Expect: 100-continue`. Raw sockets on loopback.

use std::time::Duration;

use iai_conformance::emulator::{Config, Emulator, Limits};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::{call, code, start, start_with};

fn addr(emu: &Emulator) -> String {
    emu.url().trim_start_matches("http://").to_string()
}

/// Sends `bytes`, half-closes the write side, reads to the end.
async fn exchange_half_closed(addr: &str, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut s = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    s.write_all(bytes)
        .await
        .map_err(|e| format!("write: {e}"))?;
    s.shutdown().await.map_err(|e| format!("shutdown: {e}"))?;
    let mut answer = Vec::new();
    match timeout(Duration::from_secs(20), s.read_to_end(&mut answer)).await {
        Ok(Ok(_)) => Ok(answer),
        Ok(Err(e)) if !answer.is_empty() => Err(format!("read after {} bytes: {e}", answer.len())),
        Ok(Err(e)) => Err(format!("read: {e}")),
        Err(_) => Err("no answer within 20 s".into()),
    }
}

/// The envelope's `Error.Code` in a raw HTTP answer, or "" for a success.
fn raw_code(answer: &[u8]) -> Result<String, String> {
    let text = String::from_utf8_lossy(answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return Err(format!("no complete answer: {text:?}"));
    };
    if !head.starts_with("HTTP/1.1 200 ") || !head.contains("content-type: application/json") {
        return Err(format!("not an envelope answer: {head:?}"));
    }
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("body is not JSON ({e}): {body:?}"))?;
    if v["Response"]["RequestId"].as_str().is_none() {
        return Err(format!("no RequestId: {body}"));
    }
    Ok(v["Response"]["Error"]["Code"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

fn form_post(body_len: usize) -> Vec<u8> {
    let mut bytes = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {body_len}\r\n\r\n"
    )
    .into_bytes();
    bytes.resize(bytes.len() + body_len, b'a');
    bytes
}

fn json_post(body: &str) -> Vec<u8> {
    format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: TC3-HMAC-SHA256 Credential=AKIDx/2025-01-01/iai/tc3_request, SignedHeaders=content-type;host, Signature=00\r\nX-TC-Action: GetGroupList\r\nX-TC-Version: 2020-03-03\r\nX-TC-Timestamp: 1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The probe of the issue: 250 oversized requests and 50 small ones, each
/// followed by `shutdown(Write)`; every one is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_half_close_get_every_answer() {
    let (emu, _) = start().await;
    let addr = addr(&emu);
    let oversized = form_post(1024 * 1024 + 1);
    let small = json_post(&format!(r#"{{"Limit":10,"X":"{}"}}"#, "y".repeat(81)));
    let mut failures = Vec::new();
    let mut jobs = Vec::new();
    for i in 0..300 {
        let (bytes, expected) = if i < 250 {
            (oversized.clone(), "RequestSizeLimitExceeded")
        } else {
            (small.clone(), "AuthFailure.SecretIdNotFound")
        };
        let addr = addr.clone();
        jobs.push(tokio::spawn(async move {
            let answer = exchange_half_closed(&addr, &bytes).await?;
            let got = raw_code(&answer)?;
            if got == expected {
                Ok(())
            } else {
                Err(format!("expected {expected}, got {got:?}"))
            }
        }));
        // At most 16 in flight, like a busy client pool.
        if jobs.len() == 16 {
            for j in jobs.drain(..) {
                if let Err(e) = j.await.unwrap() {
                    failures.push(e);
                }
            }
        }
    }
    for j in jobs {
        if let Err(e) = j.await.unwrap() {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 300 half-closed requests lost their answer: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    emu.shutdown().await;
}

fn fast_limits() -> Limits {
    Limits {
        header_timeout: Duration::from_millis(800),
        body_timeout: Duration::from_millis(500),
        ..Limits::default()
    }
}

/// Whether the server closed the connection within `within`.
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

/// 100 connections that send their headers a line at a time, for ever,
/// are closed once the header timeout is over; the server keeps answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_are_timed_out() {
    let (emu, c) = start_with(Config {
        limits: fast_limits(),
        ..Config::default()
    })
    .await;
    let addr = addr(&emu);
    let mut jobs = Vec::new();
    for _ in 0..100 {
        let addr = addr.clone();
        jobs.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(&addr).await.unwrap();
            s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
                .await
                .unwrap();
            let started = tokio::time::Instant::now();
            loop {
                if s.write_all(b"X-Slow: 1\r\n").await.is_err() {
                    return started.elapsed();
                }
                if closed_within(&mut s, Duration::from_millis(200)).await {
                    return started.elapsed();
                }
                if started.elapsed() > Duration::from_secs(6) {
                    return Duration::MAX;
                }
            }
        }));
    }
    assert_eq!(code(&call(&c, "GetGroupList", json!({})).await), "");
    for j in jobs {
        let held = j.await.unwrap();
        assert!(
            held < Duration::from_secs(6),
            "a slowloris connection was still open after 6 s"
        );
    }
    emu.shutdown().await;
}

/// The header timeout is counted from when the server starts waiting: a
/// silent connection and a keep-alive connection after its answer each stay
/// open for most of it, and are closed soon after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_close_after_the_header_timeout() {
    let (emu, _c) = start_with(Config {
        limits: fast_limits(),
        ..Config::default()
    })
    .await;
    let addr = addr(&emu);
    let silent = TcpStream::connect(&addr).await.unwrap();
    let mut kept = TcpStream::connect(&addr).await.unwrap();
    kept.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut head = [0u8; 4096];
    let n = timeout(Duration::from_secs(5), kept.read(&mut head))
        .await
        .expect("an answer")
        .unwrap();
    assert!(head[..n].starts_with(b"HTTP/1.1 200 "), "{:?}", &head[..n]);
    let mut jobs = Vec::new();
    for mut s in [silent, kept] {
        jobs.push(tokio::spawn(async move {
            // 800 ms of timeout: open at 400 ms, closed by 2 s.
            let early = closed_within(&mut s, Duration::from_millis(400)).await;
            let late = closed_within(&mut s, Duration::from_millis(1600)).await;
            (early, late)
        }));
    }
    for (which, j) in ["silent", "keep-alive"].into_iter().zip(jobs) {
        let (early, late) = j.await.unwrap();
        assert!(
            !early,
            "the {which} connection was closed before its timeout"
        );
        assert!(
            late,
            "the {which} connection was still open 2 s into an 800 ms timeout"
        );
    }
    emu.shutdown().await;
}

/// More silent connections than the cap: new connections push the oldest
/// idle ones out, so a normal request is still answered at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_do_not_lock_out_a_request() {
    let (emu, c) = start_with(Config {
        limits: Limits {
            max_connections: 64,
            ..Limits::default()
        },
        ..Config::default()
    })
    .await;
    let addr = addr(&emu);
    let mut silent = Vec::new();
    for _ in 0..150 {
        silent.push(TcpStream::connect(&addr).await.unwrap());
    }
    let answered = timeout(Duration::from_secs(5), call(&c, "GetGroupList", json!({})))
        .await
        .expect("a normal request is answered within 5 s");
    assert_eq!(code(&answered), "");
    // The oldest silent connections were closed to make room.
    let mut closed = 0;
    for s in silent.iter_mut().take(50) {
        if closed_within(s, Duration::from_millis(50)).await {
            closed += 1;
        }
    }
    assert!(closed > 0, "no silent connection was closed at the cap");
    drop(silent);
    emu.shutdown().await;
}

/// A body that stops short of its Content-Length is not "too large": it
/// is answered `InvalidParameter` (it stopped) once the body timeout is
/// over, and the connection is closed.
#[tokio::test]
async fn a_stalled_body_is_timed_out_not_too_large() {
    let (emu, _) = start_with(Config {
        limits: fast_limits(),
        ..Config::default()
    })
    .await;
    let mut s = TcpStream::connect(addr(&emu)).await.unwrap();
    let mut bytes = form_post(1000);
    bytes.truncate(bytes.len() - 990);
    s.write_all(&bytes).await.unwrap();
    let mut answer = Vec::new();
    timeout(Duration::from_secs(5), s.read_to_end(&mut answer))
        .await
        .expect("answered and closed within 5 s")
        .unwrap();
    let text = String::from_utf8_lossy(&answer);
    assert_eq!(raw_code(&answer).unwrap(), "InvalidParameter", "{text}");
    assert!(text.contains("stopped after 10 of 1000 bytes"), "{text}");
    assert!(text.contains("connection: close"), "{text}");
    emu.shutdown().await;
}

/// A URI over hyper's 65,534-byte limit gets an envelope, not a bare 414.
#[tokio::test]
async fn a_very_long_uri_gets_an_envelope() {
    let (emu, c) = start().await;
    for len in [65_636, 70_000, 200_000] {
        let request = format!("GET /?a={} HTTP/1.1\r\nHost: x\r\n\r\n", "b".repeat(len));
        let answer = exchange_half_closed(&addr(&emu), request.as_bytes())
            .await
            .unwrap();
        assert_eq!(
            raw_code(&answer).unwrap(),
            "RequestSizeLimitExceeded",
            "URI of {len} bytes"
        );
    }
    assert_eq!(code(&call(&c, "GetGroupList", json!({})).await), "");
    emu.shutdown().await;
}

/// `Expect: 100-continue` with a declared length over the limit is refused
/// before the body is sent: no `100 Continue`, the envelope at once.
#[tokio::test]
async fn expect_continue_over_the_limit_is_refused_before_the_body() {
    let (emu, _) = start().await;
    let mut s = TcpStream::connect(addr(&emu)).await.unwrap();
    s.write_all(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: TC3-HMAC-SHA256 x\r\nExpect: 100-continue\r\nContent-Length: 20971520\r\n\r\n",
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    let read = timeout(Duration::from_secs(3), s.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(
        read.is_ok(),
        "no complete answer within 3 s without the body: {text:?}"
    );
    assert!(!text.contains("100 Continue"), "{text}");
    assert_eq!(raw_code(&answer).unwrap(), "RequestSizeLimitExceeded");
    // Within the limit, the server asks for the body and answers it.
    let mut s = TcpStream::connect(addr(&emu)).await.unwrap();
    s.write_all(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
    )
    .await
    .unwrap();
    let mut buf = vec![0u8; 256];
    let n = timeout(Duration::from_secs(3), s.read(&mut buf))
        .await
        .expect("100 Continue")
        .unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 100 Continue"),
        "{:?}",
        String::from_utf8_lossy(&buf[..n])
    );
    s.write_all(b"a=").await.unwrap();
    s.shutdown().await.unwrap();
    let mut answer = Vec::new();
    timeout(Duration::from_secs(3), s.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(raw_code(&answer).unwrap(), "MissingParameter");
    emu.shutdown().await;
}

/// The soft limit on open files of this process, from `/proc/self/limits`.
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// `serve` under `ulimit -n 1024`, 1,100 silent connections, then a normal
/// request: it is answered at once (the cap fits the limit and pushes the
/// oldest idle connections out).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_at_ulimit_1024_answers_past_1100_silent_connections() {
    if open_file_limit().is_none_or(|n| n < 2400) {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIP emulator::transport::serve_at_ulimit_1024_answers_past_1100_silent_connections: this process may not open 2,400 files"
        );
        return;
    }
    use std::process::{Command, Stdio};
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -n 1024 && exec "$0" serve --credential AKIDulimit:ulimitkey"#)
        .arg(env!("CARGO_BIN_EXE_iai-conformance"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let (_, url) = crate::common::startup_line(&mut child);
    let addr = url.trim_start_matches("http://").to_string();
    let mut silent = Vec::new();
    for _ in 0..1100 {
        if let Ok(Ok(s)) = timeout(Duration::from_secs(2), TcpStream::connect(&addr)).await {
            silent.push(s);
        }
    }
    let client = iai_conformance::Client::new(
        &url,
        iai_conformance::sign::Credentials::new("AKIDulimit", "ulimitkey"),
        None,
    )
    .unwrap();
    let answered = timeout(
        Duration::from_secs(5),
        client.call(
            "GetGroupList",
            &super::obj(json!({})),
            &iai_conformance::CallOptions::new(
                iai_conformance::Style::Tc3PostJson,
                iai_conformance::now(),
            ),
        ),
    )
    .await;
    let _ = child.kill();
    let _ = child.wait();
    let x = answered
        .expect("answered within 5 s")
        .expect("the call goes through");
    assert_eq!(code(&super::checked(&x)), "");
    drop(silent);
}

/// The library refuses an address that is not loopback without a control
/// token, and a token that is too short.
#[tokio::test]
async fn a_public_address_needs_a_control_token() {
    use iai_conformance::sign::Secret;
    let refused = Emulator::start(Config::default(), "0.0.0.0:0".parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
    assert!(refused.to_string().contains("control token"), "{refused}");
    let short = Config {
        control_token: Some(Secret::new("short")),
        ..Config::default()
    };
    assert!(
        Emulator::start(short, "127.0.0.1:0".parse().unwrap())
            .await
            .is_err()
    );
    let (emu, c) = start_with(Config {
        control_token: Some(Secret::new("0123456789abcdef-token")),
        ..Config::default()
    })
    .await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let r = http
        .post(format!("{}/__emulator/reset", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = http
        .post(format!("{}/__emulator/reset", emu.url()))
        .header("Authorization", "Bearer 0123456789abcdef-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The emulator's own control client carries the token.
    emu.reset()
        .await
        .expect("the typed control client sends the token");
    // The IAI API itself is unaffected (it is signed).
    assert_eq!(code(&call(&c, "GetGroupList", json!({})).await), "");
    emu.shutdown().await;
}
