//! Adapters: how a client library is made to call the fake server.
//!
//! The protocol (README, "Testing your own client"): the harness runs a
//! command, writes one JSON object on its stdin and reads one JSON object
//! from its stdout:
//!
//! ```text
//! in:  {"endpoint": "http://127.0.0.1:PORT", "credentials": {"secret_id": "...", "secret_key": "..."},
//!       "region": "ap-guangzhou", "action": "DeletePerson", "version": "2020-03-03",
//!       "params": {...}, "timeout": 10.0, "max_attempts": 1}
//! out: {"ok": {...the Response fields, RequestId included...}}
//!   or {"error": {"code": "...", "message": "...", "request_id": "...", "kind": "api|http|parse|transport"}}
//! ```
//!
//! `rust` runs our own client in-process; `python-sdk` runs the official
//! Python SDK through `adapters/python_sdk.py`; `command:<cmd>` runs any
//! command through `sh -c`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::io::AsyncWriteExt;

use super::retry::Failure;
use crate::case::TargetKind;
use crate::check::{ErrorKind, Returned, ReturnedError};
use crate::client::{CallOptions, Client, ClientError};
use crate::envelope::{self, Said};
use crate::sign::Credentials;
use crate::wire::Style;

/// The Python adapter, embedded so that the binary works from anywhere.
pub(crate) const PYTHON_SDK_ADAPTER: &str = include_str!("../../adapters/python_sdk.py");

/// A client under test.
#[derive(Clone, Debug)]
pub enum Adapter {
    /// Our own client, in-process.
    Rust,
    /// The official Python SDK.
    PythonSdk {
        /// The interpreter that has the SDK.
        python: PathBuf,
        /// Where the interpreter was found.
        source: PythonSource,
    },
    /// Any command speaking the adapter protocol.
    Command(String),
}

#[derive(Debug, thiserror::Error)]
/// Why a `client:` target cannot be used.
pub enum AdapterError {
    #[error(
        "unknown client adapter {0:?}: expected client:rust, client:python-sdk or client:command:<cmd>"
    )]
    /// Not one of the known adapters.
    Unknown(String),
    #[error("client:command: give the command after the colon, e.g. client:command:./my_adapter")]
    /// `client:command:` without a command.
    EmptyCommand,
    #[error("{0}")]
    /// No Python with the official SDK was found.
    NoPythonSdk(String),
    /// The first word of a `client:command:` names nothing `sh` can run.
    #[error(
        "client:command: {0:?} is not a command here (no such file, not executable, or not on PATH)"
    )]
    /// `client:command:` names no command that exists here.
    CommandNotFound(String),
}

impl Adapter {
    /// Parses a `client:<adapter>` target; `None` for any other target.
    pub fn from_spec(spec: &str) -> Option<Result<Self, AdapterError>> {
        let rest = spec.trim().strip_prefix("client:")?;
        Some(match rest {
            "rust" => Ok(Self::Rust),
            "python-sdk" => python_sdk().map(|found| Self::PythonSdk {
                python: found.python,
                source: found.source,
            }),
            _ => match rest.strip_prefix("command:") {
                Some(cmd) if !cmd.trim().is_empty() => {
                    check_command(cmd).map(|()| Self::Command(cmd.to_string()))
                }
                Some(_) => Err(AdapterError::EmptyCommand),
                None => Err(AdapterError::Unknown(rest.to_string())),
            },
        })
    }

    /// The kind of target, as `expect_fail` names it.
    pub fn kind(&self) -> TargetKind {
        match self {
            Self::Rust => TargetKind::ClientRust,
            Self::PythonSdk { .. } => TargetKind::ClientPythonSdk,
            Self::Command(_) => TargetKind::ClientCommand,
        }
    }

    /// `client:rust`, `client:python-sdk`, `client:command:<cmd>`.
    pub fn name(&self) -> String {
        match self {
            Self::Command(cmd) => format!("client:command:{cmd}"),
            other => other.kind().as_str().to_string(),
        }
    }

    /// Which interpreter a `python-sdk` adapter runs, and where it was
    /// found; `None` for the others.
    pub fn note(&self) -> Option<String> {
        match self {
            Self::PythonSdk { python, source } => Some(format!(
                "client:python-sdk: using {} (from {})",
                python.display(),
                source.as_str()
            )),
            _ => None,
        }
    }

    /// Whether each call starts a process (bounds the concurrency).
    pub fn spawns(&self) -> bool {
        !matches!(self, Self::Rust)
    }

    /// Makes the call; `Err` is a failure of the adapter itself (a crash, a
    /// hang past `deadline`, unreadable output).
    pub(crate) async fn call(
        &self,
        input: &Input<'_>,
        deadline: Duration,
    ) -> Result<Returned, String> {
        match self {
            Self::Rust => Ok(call_rust(input).await),
            Self::PythonSdk { python, .. } => {
                let mut cmd = tokio::process::Command::new(python);
                cmd.arg("-c").arg(PYTHON_SDK_ADAPTER);
                run_process(cmd, input, deadline).await
            }
            Self::Command(line) => {
                let mut cmd = tokio::process::Command::new("sh");
                cmd.arg("-c").arg(line);
                run_process(cmd, input, deadline).await
            }
        }
    }
}

/// A `command:` adapter's first word must name something `sh` can run (a
/// file, a program on PATH, a builtin), so a typo is one configuration
/// error instead of a failure in every case. A first word that is quoted
/// or sets a variable is left to the shell.
fn check_command(cmd: &str) -> Result<(), AdapterError> {
    let Some(word) = cmd.split_whitespace().next() else {
        return Err(AdapterError::EmptyCommand);
    };
    if word.contains(['=', '\'', '"', '$', '`', '(']) {
        return Ok(());
    }
    let found = std::process::Command::new("sh")
        .args(["-c", "command -v -- \"$1\"", "sh", word])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        Ok(())
    } else {
        Err(AdapterError::CommandNotFound(word.to_string()))
    }
}

/// Where the Python with the official SDK was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PythonSource {
    /// `$IAI_PYTHON`.
    Env,
    /// `.venv-sdk/bin/python` in the working directory.
    Venv,
    /// `python3` on `PATH`.
    Path,
}

impl PythonSource {
    /// How the source is named in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Env => "IAI_PYTHON",
            Self::Venv => ".venv-sdk in the working directory",
            Self::Path => "python3 on PATH",
        }
    }
}

/// A Python interpreter that imports the official SDK.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundPython {
    /// The interpreter to run (as found: `python3` when it came from PATH).
    pub python: PathBuf,
    /// Where it was found.
    pub source: PythonSource,
}

/// The module every candidate must import.
const SDK_MODULE: &str = "tencentcloud.iai.v20200303.iai_client";
/// The venv the README tells a user to make, relative to the working directory.
const VENV_PYTHON: &str = ".venv-sdk/bin/python";

/// The interpreter that has the official Python SDK: the first of
/// `$IAI_PYTHON`, `.venv-sdk/bin/python` in the working directory and
/// `python3` on `PATH` that imports it.
pub fn python_sdk() -> Result<FoundPython, AdapterError> {
    find_python(
        std::env::var_os("IAI_PYTHON").filter(|p| !p.is_empty()),
        imports_sdk,
    )
}

/// Whether `python` runs and imports the SDK.
fn imports_sdk(python: &std::path::Path) -> bool {
    std::process::Command::new(python)
        .args(["-c", &format!("import {SDK_MODULE}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The search, with the environment and the import check given (for tests).
fn find_python(
    env: Option<std::ffi::OsString>,
    imports: impl Fn(&std::path::Path) -> bool,
) -> Result<FoundPython, AdapterError> {
    let mut tried = Vec::new();
    let candidates = [
        env.map(|p| (PathBuf::from(p), PythonSource::Env)),
        Some((PathBuf::from(VENV_PYTHON), PythonSource::Venv)),
        Some((PathBuf::from("python3"), PythonSource::Path)),
    ];
    for (python, source) in candidates.into_iter().flatten() {
        if imports(&python) {
            return Ok(FoundPython { python, source });
        }
        tried.push(match source {
            // The user's own setting: naming it is no leak.
            PythonSource::Env => format!("IAI_PYTHON={}", python.display()),
            PythonSource::Venv => format!("./{VENV_PYTHON}"),
            PythonSource::Path => "python3 on PATH".to_string(),
        });
    }
    Err(AdapterError::NoPythonSdk(format!(
        "no Python imports the official SDK ({SDK_MODULE}); tried {}: set IAI_PYTHON to a \
         Python that has it, or run `python3 -m venv .venv-sdk && .venv-sdk/bin/pip install \
         tencentcloud-sdk-python-iai` here",
        tried.join(", ")
    )))
}

/// What the adapter is asked to do (written on its stdin).
#[derive(serde::Serialize)]
pub(crate) struct Input<'a> {
    pub(crate) endpoint: &'a str,
    pub(crate) credentials: InputCredentials<'a>,
    pub(crate) region: &'a str,
    pub(crate) action: &'a str,
    pub(crate) version: &'a str,
    pub(crate) params: &'a Map<String, Value>,
    /// Seconds.
    pub(crate) timeout: f64,
    pub(crate) max_attempts: u32,
}

#[derive(serde::Serialize)]
pub(crate) struct InputCredentials<'a> {
    pub(crate) secret_id: &'a str,
    pub(crate) secret_key: &'a str,
}

/// Our own client: the same `Client` the URL target uses, with this error
/// mapping (after the Go SDK's): an `Error` envelope is an API error
/// whatever the status and Content-Type; no envelope is `http` on a
/// non-200 status, `parse` otherwise; no answer is `transport`.
async fn call_rust(input: &Input<'_>) -> Returned {
    let credentials = Credentials::new(input.credentials.secret_id, input.credentials.secret_key);
    let region = Some(input.region.to_string()).filter(|r| !r.is_empty());
    let timeout = Duration::from_secs_f64(input.timeout.max(0.001));
    let client = match Client::new(input.endpoint, credentials, region)
        .and_then(|c| c.with_timeout(timeout))
    {
        Ok(client) => client,
        Err(e) => {
            return Returned::error(
                "ClientError.InvalidEndpoint",
                e.to_string(),
                None,
                ErrorKind::Transport,
            );
        }
    };
    // Sent again while max_attempts allows, each attempt signed anew, when
    // the retry policy allows it for this action's class (`retry.rs`).
    let class = super::retry::class(input.action);
    let mut attempt = 1;
    loop {
        let mut options = CallOptions::new(Style::Tc3PostJson, crate::wire::now());
        options.version = input.version.to_string();
        let (returned, failure) = match client.call(input.action, input.params, &options).await {
            Ok(exchange) => {
                let returned = read_answer(exchange.status, &exchange.body);
                let failure = match &returned {
                    Returned::Ok(_) => None,
                    Returned::Error(e) if e.kind == Some(ErrorKind::Api) => {
                        Some(if e.code.starts_with("RequestLimitExceeded") {
                            Failure::Throttled
                        } else {
                            Failure::Refused
                        })
                    }
                    Returned::Error(_) if exchange.status >= 500 => Some(Failure::Gateway),
                    Returned::Error(_) => None,
                };
                (returned, failure)
            }
            Err(ClientError::Transport(e)) => (
                Returned::error(
                    "ClientError.NetworkError",
                    e.to_string(),
                    None,
                    ErrorKind::Transport,
                ),
                Some(Failure::NoAnswer),
            ),
            Err(e) => {
                return Returned::error(
                    "ClientError.SignError",
                    e.to_string(),
                    None,
                    ErrorKind::Transport,
                );
            }
        };
        let again = failure.is_some_and(|f| super::retry::may_retry(class, f));
        if !again || attempt >= input.max_attempts {
            return returned;
        }
        attempt += 1;
    }
}

/// Reads an answer the way our client maps it.
pub(crate) fn read_answer(status: u16, body: &[u8]) -> Returned {
    let no_envelope = |why: String| {
        if status == 200 {
            Returned::error("ClientError.ParseJsonError", why, None, ErrorKind::Parse)
        } else {
            Returned::error(
                "ClientError.HttpStatusCodeError",
                format!("HTTP {status}: {why}"),
                None,
                ErrorKind::Http,
            )
        }
    };
    let reading = envelope::read_bytes(body);
    match reading.said {
        Said::Success(response) => Returned::Ok(response),
        Said::Error { code, message } => Returned::Error(ReturnedError {
            code,
            message: Some(message.unwrap_or_default()),
            request_id: reading.request_id,
            kind: Some(ErrorKind::Api),
        }),
        Said::ErrorWithoutCode => no_envelope("Response.Error has no Code".into()),
        Said::NoEnvelope(why) => no_envelope(why),
    }
}

/// Runs an adapter process: input on stdin, one JSON object on stdout.
async fn run_process(
    mut cmd: tokio::process::Command,
    input: &Input<'_>,
    deadline: Duration,
) -> Result<Returned, String> {
    let payload = serde_json::to_vec(input).expect("the input serializes");
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy");
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start the adapter: {e}"))?;
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("piped");
    let writer = tokio::spawn(async move {
        // An adapter that exits without reading is judged by its output.
        let _ = stdin.write_all(&payload).await;
        let _ = stdin.shutdown().await;
    });
    let output = match tokio::time::timeout(deadline, child.wait_with_output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => return Err(format!("cannot read the adapter's output: {e}")),
        Err(_) => {
            if let Some(pid) = pid {
                // The adapter's whole process group: `sh -c` may have children.
                let _ = tokio::process::Command::new("kill")
                    .args(["-KILL", "--", &format!("-{pid}")])
                    .stderr(Stdio::null())
                    .status()
                    .await;
            }
            return Err(format!(
                "the adapter did not answer within {:.1} s (killed)",
                deadline.as_secs_f64()
            ));
        }
    };
    let _ = writer.await;
    let stderr = tail(&output.stderr);
    if !output.status.success() {
        return Err(format!(
            "the adapter exited with {}{}",
            output.status,
            if stderr.is_empty() {
                String::new()
            } else {
                format!("; stderr: {stderr}")
            }
        ));
    }
    serde_json::from_slice::<Returned>(&output.stdout).map_err(|e| {
        format!(
            "the adapter's stdout is not one JSON object {{\"ok\": {{...}}}} or {{\"error\": {{\"code\", ...}}}} ({e}): {:?}{}",
            tail(&output.stdout),
            if stderr.is_empty() {
                String::new()
            } else {
                format!("; stderr: {stderr}")
            }
        )
    })
}

/// The last 400 characters of an output, for a failure message.
fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let start = text.char_indices().rev().nth(399).map_or(0, |(i, _)| i);
    text[start..].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_is_looked_for_in_order_and_the_refusal_names_no_build_folder() {
        let only =
            |wanted: &'static str| move |p: &std::path::Path| p == std::path::Path::new(wanted);
        let found = find_python(
            Some("/opt/py/bin/python".into()),
            only("/opt/py/bin/python"),
        )
        .unwrap();
        assert_eq!(found.source, PythonSource::Env);
        // a set IAI_PYTHON without the SDK falls through to the venv, then PATH
        let found = find_python(Some("/opt/py/bin/python".into()), only(VENV_PYTHON)).unwrap();
        assert_eq!(found.source, PythonSource::Venv);
        let found = find_python(None, only("python3")).unwrap();
        assert_eq!(
            (found.source, found.python),
            (PythonSource::Path, PathBuf::from("python3"))
        );
        let err = find_python(None, |_| false).unwrap_err().to_string();
        assert!(
            err.contains("./.venv-sdk/bin/python") && err.contains("python3 on PATH"),
            "{err}"
        );
        assert!(!err.contains(env!("CARGO_MANIFEST_DIR")), "{err}");
        let err = find_python(Some("/opt/py".into()), |_| false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("IAI_PYTHON=/opt/py"), "{err}");
    }

    #[test]
    fn parses_the_client_targets() {
        assert!(Adapter::from_spec("emulator").is_none());
        assert!(matches!(
            Adapter::from_spec("client:rust"),
            Some(Ok(Adapter::Rust))
        ));
        assert!(matches!(
            Adapter::from_spec("client:command:sh ./a b"),
            Some(Ok(Adapter::Command(c))) if c == "sh ./a b"
        ));
        assert!(matches!(
            Adapter::from_spec("client:command:/nonexistent/adapter --flag"),
            Some(Err(AdapterError::CommandNotFound(w))) if w == "/nonexistent/adapter"
        ));
        assert!(matches!(
            Adapter::from_spec("client:command:no-such-adapter-xyz"),
            Some(Err(AdapterError::CommandNotFound(_)))
        ));
        // builtins and variable assignments are the shell's business
        assert!(matches!(
            Adapter::from_spec("client:command:cd / && ./x"),
            Some(Ok(_))
        ));
        assert!(matches!(
            Adapter::from_spec("client:command:A=1 ./x"),
            Some(Ok(_))
        ));
        assert!(matches!(
            Adapter::from_spec("client:command:"),
            Some(Err(AdapterError::EmptyCommand))
        ));
        assert!(matches!(
            Adapter::from_spec("client:java"),
            Some(Err(AdapterError::Unknown(_)))
        ));
    }

    #[test]
    fn our_client_reads_an_envelope_whatever_the_status() {
        let body =
            br#"{"Response":{"Error":{"Code":"InternalError","Message":"m"},"RequestId":"r"}}"#;
        let Returned::Error(e) = read_answer(500, body) else {
            panic!()
        };
        assert_eq!(e.code, "InternalError");
        assert_eq!(e.request_id.as_deref(), Some("r"));
        let Returned::Error(e) = read_answer(200, b"<html>") else {
            panic!()
        };
        assert_eq!(e.kind, Some(ErrorKind::Parse));
    }
}
