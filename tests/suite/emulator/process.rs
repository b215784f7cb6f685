//! `serve` as a real process: its startup line, the official Python SDK
//! against it, and a clean stop on SIGTERM.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

struct Served {
    child: Child,
    url: String,
    secret_id: String,
    secret_key: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(extra: &[&str]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iai-conformance"))
        .arg("serve")
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("serve starts");
    let (line, url) = crate::common::startup_line(&mut child);
    let word = |prefix: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(prefix))
            .unwrap_or_default()
            .to_string()
    };
    Served {
        secret_id: word("secret-id="),
        secret_key: word("secret-key="),
        url,
        child,
    }
}

/// A Python with the official SDK, found as `client:python-sdk` finds it
/// (`$IAI_PYTHON`, `.venv-sdk/` here, `python3` on PATH).
fn python() -> Result<PathBuf, String> {
    iai_conformance::python_sdk()
        .map(|found| found.python)
        .map_err(|e| e.to_string())
}

#[test]
fn the_official_python_sdk_drives_serve() {
    let python = match python() {
        Ok(python) => python,
        Err(why) => {
            // Written to stderr directly: libtest captures eprintln! of a passing
            // test, and this line must be seen.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIP emulator::process::the_official_python_sdk_drives_serve: {why}"
            );
            return;
        }
    };
    let served = serve(&[]);
    assert!(served.secret_id.starts_with("AKID") && !served.secret_key.is_empty());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/sdk_flow.py");
    let out = Command::new(python)
        .arg(script)
        .arg(served.url.trim_start_matches("http://"))
        .arg(&served.secret_id)
        .arg(&served.secret_key)
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("PASS"),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn serve_takes_credentials_and_stops_on_sigterm() {
    let mut served = serve(&[
        "--credential",
        "AKIDfixed:fixedkey",
        "--rate-limit",
        "100/s",
        "--fault",
        "latency=1ms,action=GetGroupList",
    ]);
    assert_eq!(served.secret_id, "AKIDfixed");
    assert!(served.secret_key.is_empty(), "a given key is never printed");
    let pid = served.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = served.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

/// `serve` on an address that is not loopback: refused unless the user
/// opts in with `--allow-remote` and a control token, which the control API
/// then requires.
#[test]
fn serve_refuses_a_public_address_without_an_opt_in() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iai-conformance"))
        .args(["serve", "--listen", "0.0.0.0:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve --listen 0.0.0.0:0 started without an opt-in");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--allow-remote"), "{stderr}");

    let token = "a-control-token-of-32-characters";
    let served = serve(&[
        "--listen",
        "0.0.0.0:0",
        "--allow-remote",
        "--control-token",
        token,
    ]);
    let port = served.url.rsplit(':').next().unwrap().to_string();
    let base = format!("http://127.0.0.1:{port}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let state = |auth: Option<&str>| {
            let mut rb = http.get(format!("{base}/__emulator/state"));
            if let Some(a) = auth {
                rb = rb.header("Authorization", a);
            }
            rb.send()
        };
        assert_eq!(state(None).await.unwrap().status(), 401);
        assert_eq!(
            state(Some("Bearer not-the-token-at-all-no"))
                .await
                .unwrap()
                .status(),
            401
        );
        assert_eq!(
            state(Some(&format!("Bearer {token}")))
                .await
                .unwrap()
                .status(),
            200
        );
        // The challenge needs no token (it proves the key, reveals nothing).
        let challenge = http
            .get(format!(
                "{base}/__emulator/challenge?secret_id={}&nonce=0123456789abcdef",
                served.secret_id
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(challenge.status(), 200);
    });
    // The token is never printed.
    drop(served);
}

/// `serve --explain` prints one `explain {json}` line per request on
/// standard error, with no key; `--credential ID:KEY@ACCOUNT` groups
/// credentials into one account.
#[test]
fn serve_explains_each_request_and_groups_credentials() {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_iai-conformance"))
        .args([
            "serve",
            "--explain",
            "--credential",
            "AKIDexplainA:key-of-a@team",
            "--credential",
            "AKIDexplainB:key-of-b@team",
            "--credential",
            "AKIDexplainC:key-of-c",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let (_, url) = crate::common::startup_line(&mut child);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (request_id, accounts) = runtime.block_on(async {
        use iai_conformance::sign::Credentials;
        use iai_conformance::{CallOptions, Client, Style, now};
        let params = serde_json::json!({ "GroupId": "g", "GroupName": "G" });
        let call = |id: &str, key: &str| {
            let client = Client::new(&url, Credentials::new(id, key), None).unwrap();
            let params = params.clone();
            async move {
                let x = client
                    .call(
                        "CreateGroup",
                        params.as_object().unwrap(),
                        &CallOptions::new(Style::Tc3PostJson, now()),
                    )
                    .await
                    .unwrap();
                serde_json::from_slice::<serde_json::Value>(&x.body).unwrap()
            }
        };
        let first = call("AKIDexplainA", "key-of-a").await;
        let again = call("AKIDexplainB", "key-of-b").await;
        let other = call("AKIDexplainC", "key-of-c").await;
        assert_eq!(
            again["Response"]["Error"]["Code"], "InvalidParameterValue.GroupIdAlreadyExist",
            "B shares A's account"
        );
        assert!(
            other["Response"]["Error"].is_null(),
            "C is an account of its own: {other}"
        );
        let accounts: serde_json::Value = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(format!("{url}/__emulator/accounts"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            first["Response"]["RequestId"].as_str().unwrap().to_string(),
            accounts,
        )
    });
    assert_eq!(accounts["accounts"][0]["account"], "team");
    assert_eq!(accounts["accounts"][1]["account"], "AKIDexplainC");
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    child.wait().unwrap();
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("explain "))
        .collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    let first: serde_json::Value =
        serde_json::from_str(lines[0].trim_start_matches("explain ")).unwrap();
    assert_eq!(
        (
            first["request_id"].as_str(),
            first["stage"].as_str(),
            first["account"].as_str()
        ),
        (Some(request_id.as_str()), Some("success"), Some("team"))
    );
    assert!(!stderr.contains("key-of-"), "no key on standard error");
}
