//! Load generator for the emulator, with two references measured in the
//! same run on the same signed requests: a wiremock-rs anchor answering a
//! fixed envelope, and the transport floor, a bare hyper server answering a
//! fixed envelope with no routing or parsing (it only reads the body).
//! Every request is signed for real (TC3, POST JSON) over keep-alive
//! loopback connections.
//!
//! ```text
//! cargo bench --bench emulator
//! BENCH_SECONDS=10 BENCH_RSS_REQUESTS=1000000 BENCH_PERSONS=1000000 cargo bench --bench emulator
//! ```
//!
//! The emulator runs as the `serve` process (release build), so its RSS is
//! its own; the wiremock anchor and the floor run in this process, each on
//! its own two-thread runtime.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use iai_conformance::sign::Credentials;
use iai_conformance::{CallOptions, Client, Style, now};
use serde_json::{Map, Value, json};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The fixed envelope both references answer.
const FIXED: &str = r#"{"Response":{"PersonName":"x","Gender":0,"FaceIds":[],"RequestId":"6faa05d0-287b-464e-8755-cf3e8d0c703d"}}"#;

/// The transport floor: hyper's HTTP/1.1 server with keep-alive, reading
/// each body and answering [`FIXED`]; no routing, no parsing, no state.
async fn bare_hyper() -> String {
    use http_body_util::{BodyExt, Full};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    |request: hyper::Request<hyper::body::Incoming>| async move {
                        let _ = request.into_body().collect().await;
                        let mut response = hyper::Response::new(Full::new(
                            bytes::Bytes::from_static(FIXED.as_bytes()),
                        ));
                        response.headers_mut().insert(
                            http::header::CONTENT_TYPE,
                            http::HeaderValue::from_static("application/json"),
                        );
                        Ok::<_, std::convert::Infallible>(response)
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    url
}

struct Served(Child, String);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve() -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iai-conformance"))
        .args(["serve", "--credential", "AKIDbench:benchkey"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("startup line");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("a URL")
        .to_string();
    Served(child, url)
}

#[derive(Default)]
struct Report {
    requests: u64,
    errors: u64,
    elapsed: Duration,
    latencies_us: Vec<u32>,
}

impl Report {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn pct(&mut self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        self.latencies_us.sort_unstable();
        let i = ((self.latencies_us.len() - 1) as f64 * p).round() as usize;
        f64::from(self.latencies_us[i]) / 1000.0
    }

    /// Adds another phase's requests (its time adds up too).
    fn absorb(&mut self, other: Report) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        self.latencies_us.extend(other.latencies_us);
    }

    fn line(&mut self, name: &str) -> String {
        format!(
            "{name:<34} {:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   ({} requests, {} errors)",
            self.rps(),
            self.pct(0.5),
            self.pct(0.99),
            self.requests,
            self.errors
        )
    }
}

/// What one worker does per iteration: a list of (action, params).
type Plan = Arc<dyn Fn(usize, u64) -> Vec<(&'static str, Value)> + Send + Sync>;

/// Runs `workers` loops against `url` until `deadline` or `max_requests`.
async fn load(
    url: &str,
    creds: &Credentials,
    workers: usize,
    seconds: u64,
    max_requests: u64,
    plan: Plan,
) -> Report {
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for w in 0..workers {
        let client = Client::new(url, creds.clone(), Some("ap-guangzhou".into())).expect("client");
        let plan = Arc::clone(&plan);
        let done = Arc::clone(&done);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let mut n = 0u64;
            while Instant::now() < deadline && done.load(Ordering::Relaxed) < max_requests {
                for (action, params) in plan(w, n) {
                    let t = Instant::now();
                    let ok = match client
                        .call(
                            action,
                            &obj(params),
                            &CallOptions::new(Style::Tc3PostJson, now()),
                        )
                        .await
                    {
                        Ok(x) => x.status == 200 && !x.body.windows(8).any(|b| b == b"\"Error\":"),
                        Err(_) => false,
                    };
                    lat.push(t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                    if !ok {
                        errors += 1;
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
                n += 1;
            }
            (lat, errors)
        }));
    }
    let mut report = Report::default();
    for t in tasks {
        if let Ok((lat, errors)) = t.await {
            report.requests += lat.len() as u64;
            report.errors += errors;
            report.latencies_us.extend(lat);
        }
    }
    report.elapsed = started.elapsed();
    report
}

async fn control(url: &str, path: &str, body: Value) -> Value {
    let http = reqwest::Client::builder().no_proxy().build().expect("http");
    http.post(format!("{url}{path}"))
        .body(body.to_string())
        .send()
        .await
        .expect("control call")
        .json()
        .await
        .unwrap_or(Value::Null)
}

/// p50 of `n` sequential DeletePerson calls on seeded persons.
async fn delete_latency(url: &str, creds: &Credentials, prefix: &str, n: u64) -> Report {
    let client = Client::new(url, creds.clone(), None).expect("client");
    let mut r = Report::default();
    let started = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        let ok = client
            .call(
                "DeletePerson",
                &obj(json!({"PersonId": format!("{prefix}{i}")})),
                &CallOptions::new(Style::Tc3PostJson, now()),
            )
            .await
            .is_ok_and(|x| !x.body.windows(8).any(|b| b == b"\"Error\":"));
        r.latencies_us.push(t.elapsed().as_micros() as u32);
        r.requests += 1;
        if !ok {
            r.errors += 1;
        }
    }
    r.elapsed = started.elapsed();
    r
}

fn main() {
    let seconds = env_u64("BENCH_SECONDS", 5);
    let workers = env_u64("BENCH_CONCURRENCY", 16) as usize;
    let rss_requests = env_u64("BENCH_RSS_REQUESTS", 200_000);
    let persons = env_u64("BENCH_PERSONS", 1_000_000);
    let creds = Credentials::new("AKIDbench", "benchkey");
    println!(
        "emulator benchmark: {workers} keep-alive connections, {seconds} s per phase, TC3-signed POST JSON"
    );

    // The anchor: wiremock-rs answering a fixed envelope, on its own runtime.
    let wm_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let mock = wm_rt.block_on(async {
        let server = wiremock::MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        wiremock::Mock::given(wiremock::matchers::any())
            .respond_with(
                wiremock::ResponseTemplate::new(200)
                    .insert_header("Content-Type", "application/json")
                    .set_body_raw(FIXED, "application/json"),
            )
            .mount(&server)
            .await;
        server
    });
    // The floor, on its own runtime too.
    let floor_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let floor_url = floor_rt.block_on(bare_hyper());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let served = serve();
    let url = served.1.clone();
    let pid = served.0.id();

    rt.block_on(async {
        let get_plan: Plan = Arc::new(|_, _| vec![("GetPersonBaseInfo", json!({"PersonId": "bench-p"}))]);
        let mut anchor = load(&mock.uri(), &creds, workers, seconds, u64::MAX, Arc::clone(&get_plan)).await;
        println!("{}", anchor.line("anchor: wiremock-rs, Get plan"));
        let mut floor = load(&floor_url, &creds, workers, seconds, u64::MAX, Arc::clone(&get_plan)).await;
        println!("{}", floor.line("floor: bare hyper, Get plan"));

        control(&url, "/__emulator/seed", json!({"group_id": "bench-g", "prefix": "bench-p", "count": 0})).await;
        let client = Client::new(&url, creds.clone(), None).expect("client");
        let _ = client
            .call("CreatePerson", &obj(json!({"GroupId": "bench-g", "PersonId": "bench-p", "PersonName": "B", "Url": "http://x.example/a.jpg"})), &CallOptions::new(Style::Tc3PostJson, now()))
            .await;
        let rss0 = rss_kib(pid);
        let mut get = load(&url, &creds, workers, seconds, u64::MAX, get_plan).await;
        println!("{}", get.line("emulator GetPersonBaseInfo"));
        let cycle: Plan = Arc::new(|w, n| {
            let id = format!("cyc-{w}-{}", n % 64);
            vec![
                ("CreatePerson", json!({"GroupId": "bench-g", "PersonId": id, "PersonName": "C", "Url": "http://x.example/a.jpg"})),
                ("DeletePerson", json!({"PersonId": id})),
            ]
        });
        // The anchor again, with the same requests as the cycle (bigger
        // bodies to sign and send), so both sides do the same client work.
        let mut anchor_cycle = load(&mock.uri(), &creds, workers, seconds, u64::MAX, Arc::clone(&cycle)).await;
        println!("{}", anchor_cycle.line("anchor: wiremock-rs, cycle plan"));
        let mut floor_cycle = load(&floor_url, &creds, workers, seconds, u64::MAX, Arc::clone(&cycle)).await;
        println!("{}", floor_cycle.line("floor: bare hyper, cycle plan"));
        let mut cyc = load(&url, &creds, workers, seconds, u64::MAX, Arc::clone(&cycle)).await;
        println!("{}", cyc.line("emulator CreatePerson+DeletePerson"));
        println!(
            "throughput vs anchor (same requests): GetPersonBaseInfo {:.2}x, CreatePerson+DeletePerson {:.2}x",
            get.rps() / anchor.rps(),
            cyc.rps() / anchor_cycle.rps()
        );
        println!(
            "throughput vs transport floor (bare hyper, same requests): GetPersonBaseInfo {:.2}x, CreatePerson+DeletePerson {:.2}x",
            get.rps() / floor.rps(),
            cyc.rps() / floor_cycle.rps()
        );

        // RSS across many requests of the cycle.
        let before = rss_kib(pid);
        let mut long = load(&url, &creds, workers, 3600, rss_requests, cycle).await;
        let after = rss_kib(pid);
        println!("{}", long.line("emulator cycle, RSS run"));
        println!(
            "server RSS: {:.1} MB at start, {:.1} MB before and {:.1} MB after {} requests (growth {:+.1} MB)",
            rss0 as f64 / 1024.0,
            before as f64 / 1024.0,
            after as f64 / 1024.0,
            long.requests,
            (after as f64 - before as f64) / 1024.0
        );

        // DeletePerson latency with a thousand, then a million persons, in
        // alternating rounds so that the machine's noise hits both alike.
        let rounds = env_u64("BENCH_DELETE_ROUNDS", 3);
        let (mut small, mut big) = (Report::default(), Report::default());
        for round in 0..rounds {
            control(&url, "/__emulator/reset", json!({})).await;
            control(&url, "/__emulator/seed", json!({"group_id": "small", "prefix": "s-", "count": 1000})).await;
            small.absorb(delete_latency(&url, &creds, "s-", 300).await);
            let t = Instant::now();
            control(&url, "/__emulator/seed", json!({"group_id": "big", "prefix": "b-", "count": persons})).await;
            if round == 0 {
                let rss_big = rss_kib(pid);
                println!("seeded {persons} persons in {:.1} s; server RSS {:.1} MB", t.elapsed().as_secs_f64(), rss_big as f64 / 1024.0);
            }
            big.absorb(delete_latency(&url, &creds, "b-", 300).await);
        }
        println!("{}", small.line(&format!("DeletePerson, 1,000 persons ({rounds} rounds)")));
        println!("{}", big.line(&format!("DeletePerson, {persons} persons ({rounds} rounds)")));
        println!("DeletePerson p50 ratio (large/small library): {:.2}", big.pct(0.5) / small.pct(0.5).max(0.001));
    });
    drop(served);
    wm_rt.block_on(async move { drop(mock) });
    drop(floor_rt);
}
