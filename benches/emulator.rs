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
//! After the load phases: RSS over `BENCH_RSS_REQUESTS` requests, then
//! SearchPersons and DeletePerson latency with 1,000 and `BENCH_PERSONS`
//! persons in a group, in alternating rounds (`BENCH_DELETE_ROUNDS`).
//!
//! The emulator runs as the `serve` process (release build), so its RSS is
//! its own; the wiremock anchor and the floor are this benchmark started
//! again as servers (`BENCH_ROLE`), each a process of its own on a
//! two-thread runtime, so that all three targets stand alike beside the
//! load generator.

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

/// CPU time a process has run, all its threads, ns (`schedstat`).
fn cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
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
        // SIGTERM first, so that a profiler wrapping it writes its output.
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        std::thread::sleep(Duration::from_millis(500));
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `program args`, with `role` in `BENCH_ROLE`, and reads its URL
/// from the first line it prints. A reference's standard input is a pipe
/// from this process, so that it ends when this process does, however.
fn spawn(words: &[String], args: &[&str], role: &str) -> Served {
    let mut child = Command::new(&words[0])
        .args(&words[1..])
        .args(args)
        .env("BENCH_ROLE", role)
        .stdin(if role.is_empty() {
            Stdio::inherit()
        } else {
            Stdio::piped()
        })
        .stdout(Stdio::piped())
        .spawn()
        .expect("the server starts");
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

/// Starts `serve` (release build); `BENCH_SERVE_WRAPPER` names a program
/// to start it under (a profiler, say `valgrind --tool=callgrind`).
fn serve() -> Served {
    let wrapper = std::env::var("BENCH_SERVE_WRAPPER").unwrap_or_default();
    let mut words: Vec<String> = wrapper.split_whitespace().map(str::to_string).collect();
    words.push(env!("CARGO_BIN_EXE_iai-conformance").to_string());
    spawn(&words, &["serve", "--credential", "AKIDbench:benchkey"], "")
}

/// Starts this benchmark again as a reference server (`BENCH_ROLE`
/// `floor` or `wiremock`): a process of its own, as `serve` is, so that
/// the three targets share the machine alike.
fn reference(role: &str) -> Served {
    let me = std::env::current_exe().expect("the benchmark's path");
    spawn(&[me.to_string_lossy().into_owned()], &[], role)
}

/// The reference server of `role`, on a two-thread runtime (as many as
/// `serve` has on this machine's two cores), until it is killed or its
/// standard input ends (the benchmark is gone).
fn run_reference(role: &str) {
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let (url, _mock) = match role {
            "floor" => (bare_hyper().await, None),
            _ => {
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
                (server.uri(), Some(server))
            }
        };
        println!("{role} listening on {url}");
        std::future::pending::<()>().await;
    });
}

#[derive(Default)]
struct Report {
    requests: u64,
    errors: u64,
    elapsed: Duration,
    latencies_us: Vec<u32>,
    /// The server's CPU time over the requests, ns (0: not measured).
    server_cpu_ns: u64,
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
        self.server_cpu_ns += other.server_cpu_ns;
    }

    fn line(&mut self, name: &str) -> String {
        let cpu = if self.server_cpu_ns > 0 && self.requests > 0 {
            format!(
                "   server CPU {:.2} us/request",
                self.server_cpu_ns as f64 / 1000.0 / self.requests as f64
            )
        } else {
            String::new()
        };
        format!(
            "{name:<34} {:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   ({} requests, {} errors){cpu}",
            self.rps(),
            self.pct(0.5),
            self.pct(0.99),
            self.requests,
            self.errors
        )
    }
}

/// What one worker does per iteration: a list of (action, params). Plans
/// repeat every [`PLAN_PERIOD`] iterations.
type Plan = Arc<dyn Fn(usize, u64) -> Vec<(&'static str, Value)> + Send + Sync>;

/// Iterations after which a plan repeats itself.
const PLAN_PERIOD: u64 = 64;

/// One signed request, ready to send again and again.
#[derive(Clone)]
struct Ready {
    uri: http::Uri,
    headers: http::HeaderMap,
    body: bytes::Bytes,
}

/// Signs (for real, at the current time) every request worker `w` sends in
/// one period of `plan`, for the server at `url` (its Host is signed).
fn sign_plan(url: &str, creds: &Credentials, w: usize, plan: &Plan) -> Vec<Ready> {
    let client = Client::new(url, creds.clone(), Some("ap-guangzhou".into())).expect("client");
    let options = CallOptions::new(Style::Tc3PostJson, now());
    (0..PLAN_PERIOD)
        .flat_map(|n| plan(w, n))
        .map(|(action, params)| {
            let p = client
                .prepare(action, &obj(params), &options)
                .expect("prepare");
            let mut headers = http::HeaderMap::new();
            for (k, v) in &p.headers {
                headers.append(
                    http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                    http::HeaderValue::from_str(v).expect("value"),
                );
            }
            Ready {
                uri: p.target.parse().expect("target"),
                headers,
                body: bytes::Bytes::from(p.body),
            }
        })
        .collect()
}

/// Runs `workers` keep-alive connections against `url` for `seconds` (or
/// until `max_requests`), each sending its signed requests in turn with a
/// bare hyper client: the load generator signs in advance (well inside the
/// signature's five minutes) so that its own cost per request is small and
/// the servers' differences show.
async fn load(
    url: &str,
    creds: &Credentials,
    workers: usize,
    seconds: f64,
    max_requests: u64,
    plan: Plan,
) -> Report {
    use http_body_util::{BodyExt, Full};
    let addr = url.trim_start_matches("http://").to_string();
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    let signed: Vec<Vec<Ready>> = (0..workers)
        .map(|w| sign_plan(url, creds, w, &plan))
        .collect();
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    for (w, mut requests) in signed.into_iter().enumerate() {
        let done = Arc::clone(&done);
        let addr = addr.clone();
        let (url, creds, plan) = (url.to_string(), creds.clone(), Arc::clone(&plan));
        tasks.push(tokio::spawn(async move {
            let mut signed_at = Instant::now();
            let stream = tokio::net::TcpStream::connect(&addr)
                .await
                .expect("connect");
            let _ = stream.set_nodelay(true);
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .expect("handshake");
            tokio::spawn(conn);
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let mut i = 0usize;
            // Stops only between iterations of the plan, so that no
            // CreatePerson is left without its DeletePerson.
            let per_iteration = (requests.len() / PLAN_PERIOD as usize).max(1);
            while !i.is_multiple_of(per_iteration)
                || (Instant::now() < deadline && done.load(Ordering::Relaxed) < max_requests)
            {
                // A long run signs again well before the five minutes are up.
                if signed_at.elapsed() > Duration::from_secs(120) {
                    requests = sign_plan(&url, &creds, w, &plan);
                    signed_at = Instant::now();
                }
                let r = &requests[i % requests.len()];
                i += 1;
                let mut request = hyper::Request::new(Full::new(r.body.clone()));
                *request.method_mut() = http::Method::POST;
                *request.uri_mut() = r.uri.clone();
                *request.headers_mut() = r.headers.clone();
                let t = Instant::now();
                let ok = match sender.send_request(request).await {
                    Ok(response) => {
                        let status = response.status();
                        match response.into_body().collect().await {
                            Ok(body) => {
                                let body = body.to_bytes();
                                let ok =
                                    status == 200 && !body.windows(8).any(|b| b == b"\"Error\":");
                                if !ok && errors == 0 && std::env::var_os("BENCH_VERBOSE").is_some()
                                {
                                    eprintln!(
                                        "first error: {status} {}",
                                        String::from_utf8_lossy(&body)
                                    );
                                }
                                ok
                            }
                            Err(_) => false,
                        }
                    }
                    Err(_) => false,
                };
                lat.push(t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                if !ok {
                    errors += 1;
                    if sender.ready().await.is_err() {
                        break;
                    }
                }
                done.fetch_add(1, Ordering::Relaxed);
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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// The three servers on one plan, interleaved: `rounds` rounds of
/// (wiremock, floor, emulator), `seconds` each, so that the machine's
/// noise hits all three alike. Per target: the sum of its rounds (for
/// latencies) and the median round throughput; per pair: the median of
/// the rounds' throughput ratios.
struct Compared {
    anchor: Report,
    floor: Report,
    emulator: Report,
    rps: [f64; 3],
    vs_anchor: f64,
    vs_floor: f64,
}

async fn compare(
    urls: [&str; 3],
    pids: [u32; 3],
    creds: &Credentials,
    workers: usize,
    rounds: u64,
    seconds: f64,
    plan: &Plan,
) -> Compared {
    let mut reports: [Report; 3] = Default::default();
    let mut rps: [Vec<f64>; 3] = Default::default();
    let (mut vs_anchor, mut vs_floor) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let mut round = [0.0; 3];
        for (k, url) in urls.iter().enumerate() {
            let cpu = cpu_ns(pids[k]);
            let mut r = load(url, creds, workers, seconds, u64::MAX, Arc::clone(plan)).await;
            r.server_cpu_ns = cpu_ns(pids[k]).saturating_sub(cpu);
            round[k] = r.rps();
            rps[k].push(r.rps());
            reports[k].absorb(r);
        }
        vs_anchor.push(round[2] / round[0]);
        vs_floor.push(round[2] / round[1]);
    }
    let [anchor, floor, emulator] = reports;
    let [a, f, e] = rps;
    Compared {
        anchor,
        floor,
        emulator,
        rps: [median(a), median(f), median(e)],
        vs_anchor: median(vs_anchor),
        vs_floor: median(vs_floor),
    }
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

/// p50 of `n` sequential SearchPersons calls in `group`, each probe a PNG
/// whose face is one of the seeded persons (`{prefix}{k}`, k from 500 on,
/// never deleted by [`delete_latency`]), so that the right person ranks
/// first. The images are made before the clock starts.
async fn search_latency(
    url: &str,
    creds: &Credentials,
    group: &str,
    prefix: &str,
    n: u64,
) -> Report {
    use base64::Engine as _;
    let probes: Vec<(String, String)> = (500..516)
        .map(|k| {
            let who = format!("{prefix}{k}");
            let png = iai_conformance::emulator::faces::make_png(&who, 1, 32, 32).expect("png");
            (who, base64::engine::general_purpose::STANDARD.encode(png))
        })
        .collect();
    let client = Client::new(url, creds.clone(), None).expect("client");
    let mut r = Report::default();
    let started = Instant::now();
    for i in 0..n {
        let (who, image) = &probes[i as usize % probes.len()];
        let t = Instant::now();
        let ok = client
            .call(
                "SearchPersons",
                &obj(json!({"GroupIds": [group], "Image": image, "MaxPersonNum": 5, "NeedPersonInfo": 1})),
                &CallOptions::new(Style::Tc3PostJson, now()),
            )
            .await
            .is_ok_and(|x| {
                let v: Value = serde_json::from_slice(&x.body).unwrap_or(Value::Null);
                v["Response"]["Results"][0]["Candidates"][0]["PersonId"].as_str() == Some(who.as_str())
            });
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
    if let Ok(role) = std::env::var("BENCH_ROLE")
        && !role.is_empty()
    {
        return run_reference(&role);
    }
    let seconds = env_u64("BENCH_SECONDS", 5);
    let rounds = env_u64("BENCH_ROUNDS", 5).max(1);
    let workers = env_u64("BENCH_CONCURRENCY", 16) as usize;
    let rss_requests = env_u64("BENCH_RSS_REQUESTS", 200_000);
    let persons = env_u64("BENCH_PERSONS", 1_000_000);
    let creds = Credentials::new("AKIDbench", "benchkey");
    println!(
        "emulator benchmark: {workers} keep-alive connections, {seconds} s per target and plan in {rounds} interleaved rounds, TC3-signed POST JSON"
    );

    // The anchor, wiremock-rs answering a fixed envelope, and the floor:
    // each a process of its own.
    let mock = reference("wiremock");
    let floor = reference("floor");
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
        control(&url, "/__emulator/seed", json!({"group_id": "bench-g", "prefix": "bench-p", "count": 0})).await;
        let client = Client::new(&url, creds.clone(), None).expect("client");
        let _ = client
            .call("CreatePerson", &obj(json!({"GroupId": "bench-g", "PersonId": "bench-p", "PersonName": "B", "Url": "http://x.example/a.jpg"})), &CallOptions::new(Style::Tc3PostJson, now()))
            .await;
        let rss0 = rss_kib(pid);
        let cycle: Plan = Arc::new(|w, n| {
            let id = format!("cyc-{w}-{}", n % PLAN_PERIOD);
            vec![
                ("CreatePerson", json!({"GroupId": "bench-g", "PersonId": id, "PersonName": "C", "Url": "http://x.example/a.jpg"})),
                ("DeletePerson", json!({"PersonId": id})),
            ]
        });
        let urls = [mock.1.as_str(), floor.1.as_str(), url.as_str()];
        let pids = [mock.0.id(), floor.0.id(), pid];
        let per = seconds as f64 / rounds as f64;
        let mut get = compare(urls, pids, &creds, workers, rounds, per, &get_plan).await;
        let mut cyc = compare(urls, pids, &creds, workers, rounds, per, &cycle).await;
        for (c, plan) in [(&mut get, "Get plan"), (&mut cyc, "cycle plan")] {
            println!("{}   median round {:.0} req/s", c.anchor.line(&format!("anchor: wiremock-rs, {plan}")), c.rps[0]);
            println!("{}   median round {:.0} req/s", c.floor.line(&format!("floor: bare hyper, {plan}")), c.rps[1]);
            println!("{}   median round {:.0} req/s", c.emulator.line(&format!("emulator, {plan}")), c.rps[2]);
        }
        println!(
            "throughput vs anchor (same requests): GetPersonBaseInfo {:.2}x, CreatePerson+DeletePerson {:.2}x",
            get.vs_anchor, cyc.vs_anchor
        );
        println!(
            "throughput vs transport floor (bare hyper, same requests): GetPersonBaseInfo {:.2}x, CreatePerson+DeletePerson {:.2}x",
            get.vs_floor, cyc.vs_floor
        );

        if std::env::var_os("BENCH_LOAD_ONLY").is_some() {
            return;
        }
        // RSS across many requests of the cycle.
        let before = rss_kib(pid);
        let mut long = load(&url, &creds, workers, 3600.0, rss_requests, cycle).await;
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
        let (mut search_small, mut search_big) = (Report::default(), Report::default());
        for round in 0..rounds {
            control(&url, "/__emulator/reset", json!({})).await;
            control(&url, "/__emulator/seed", json!({"group_id": "small", "prefix": "s-", "count": 1000})).await;
            search_small.absorb(search_latency(&url, &creds, "small", "s-", 300).await);
            small.absorb(delete_latency(&url, &creds, "s-", 300).await);
            let t = Instant::now();
            control(&url, "/__emulator/seed", json!({"group_id": "big", "prefix": "b-", "count": persons})).await;
            if round == 0 {
                let rss_big = rss_kib(pid);
                println!("seeded {persons} persons in {:.1} s; server RSS {:.1} MB", t.elapsed().as_secs_f64(), rss_big as f64 / 1024.0);
            }
            search_big.absorb(search_latency(&url, &creds, "big", "b-", 300).await);
            big.absorb(delete_latency(&url, &creds, "b-", 300).await);
        }
        println!("{}", search_small.line(&format!("SearchPersons, 1,000 persons ({rounds} rounds)")));
        println!("{}", search_big.line(&format!("SearchPersons, {persons} persons ({rounds} rounds)")));
        println!(
            "SearchPersons p50 ratio (large/small group): {:.2}",
            search_big.pct(0.5) / search_small.pct(0.5).max(0.001)
        );
        println!("{}", small.line(&format!("DeletePerson, 1,000 persons ({rounds} rounds)")));
        println!("{}", big.line(&format!("DeletePerson, {persons} persons ({rounds} rounds)")));
        println!("DeletePerson p50 ratio (large/small library): {:.2}", big.pct(0.5) / small.pct(0.5).max(0.001));
    });
    drop(served);
    drop(floor);
    drop(mock);
}
