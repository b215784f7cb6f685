//! The protocol edges: methods, sizes, raw bytes.

use std::io::{Read, Write};
use std::time::Duration;

use iai_conformance::{CallOptions, Style, now};
use serde_json::json;

use super::{call, checked, code, obj, start};

#[tokio::test]
async fn refuses_other_methods_and_content_types() {
    let (emu, c) = start().await;
    let mut p = c
        .prepare(
            "DeletePerson",
            &obj(json!({"PersonId": "p"})),
            &CallOptions::new(Style::Tc3PostJson, now()),
        )
        .unwrap();
    p.method = "PUT".into();
    assert_eq!(
        code(&checked(&c.send(p.clone()).await.unwrap())),
        "UnsupportedProtocol"
    );
    p.method = "POST".into();
    p.set_header("Content-Type", "text/xml");
    assert_eq!(
        code(&checked(&c.send(p).await.unwrap())),
        "UnsupportedProtocol"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn answers_oversized_requests_without_reading_them() {
    let (emu, c) = start().await;
    let big_query = "a".repeat(33 * 1024);
    let mut p = c
        .prepare(
            "GetGroupList",
            &obj(json!({})),
            &CallOptions::new(Style::Tc3Get, now()),
        )
        .unwrap();
    p.target = format!("/?X={big_query}");
    assert_eq!(
        code(&checked(&c.send(p).await.unwrap())),
        "RequestSizeLimitExceeded"
    );
    let mut p = c
        .prepare(
            "DeletePerson",
            &obj(json!({"PersonId": "p"})),
            &CallOptions::new(Style::V1PostForm, now()),
        )
        .unwrap();
    p.body = vec![b'a'; 1024 * 1024 + 1];
    assert_eq!(
        code(&checked(&c.send(p).await.unwrap())),
        "RequestSizeLimitExceeded"
    );
    let big_image = "A".repeat(10 * 1024 * 1024 + 10);
    let x = c
        .call(
            "CreatePerson",
            &obj(json!({"GroupId": "g", "PersonId": "p", "PersonName": "P", "Image": big_image})),
            &CallOptions::new(Style::Tc3PostJson, now()),
        )
        .await
        .unwrap();
    assert_eq!(code(&checked(&x)), "RequestSizeLimitExceeded");
    // Over 5 MB of Base64 but under 10 MB of body: the image rule answers.
    let image = "A".repeat(6 * 1024 * 1024);
    let x = c
        .call(
            "CreatePerson",
            &obj(json!({"GroupId": "g", "PersonId": "p", "PersonName": "P", "Image": image})),
            &CallOptions::new(Style::Tc3PostJson, now()),
        )
        .await
        .unwrap();
    assert_eq!(code(&checked(&x)), "FailedOperation.ImageSizeExceed");
    emu.shutdown().await;
}

/// Raw bytes on a socket: the server answers with something or closes,
/// and keeps serving afterwards.
#[tokio::test]
async fn survives_garbage_and_clients_that_leave() {
    let (emu, c) = start().await;
    let addr = emu.url().trim_start_matches("http://").to_string();
    let garbage: Vec<Vec<u8>> = vec![
        b"\x00\xff\xfe garbage\r\n\r\n".to_vec(),
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"Person".to_vec(),
        format!("GET /?{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(200_000)).into_bytes(),
        format!("POST / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "b".repeat(500_000)).into_bytes(),
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: TC3-HMAC-SHA256 \xff\xfe\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
    ];
    let handles: Vec<_> = garbage
        .into_iter()
        .map(|bytes| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                let mut s = std::net::TcpStream::connect(&addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                let _ = s.write_all(&bytes);
                let mut buf = Vec::new();
                let _ = s.take(1 << 20).read_to_end(&mut buf);
                buf
            })
        })
        .collect();
    for h in handles {
        let answer = h.join().unwrap();
        let text = String::from_utf8_lossy(&answer);
        // Either nothing (closed), hyper's bare parse-error status, or our envelope.
        if text.starts_with("HTTP/1.1 200") {
            assert!(text.contains("content-type: application/json"), "{text}");
            assert!(text.contains("\"RequestId\""), "{text}");
        }
    }
    assert_eq!(code(&call(&c, "GetGroupList", json!({})).await), "");
    emu.shutdown().await;
}
