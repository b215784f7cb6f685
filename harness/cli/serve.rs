//! `iai-conformance serve`: the emulator as a process.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;

use iai_conformance::emulator::{
    Config, Emulator, FaultSpec, MAX_ACCOUNT_NAME, MIN_CONTROL_TOKEN, Quirk, valid_account_name,
};
use iai_conformance::sign::{Credentials, Secret};

#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on; port 0 picks a free port. An address that is
    /// not loopback needs `--allow-remote` and `--control-token`.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Allow `--listen` on an address that is not loopback (reachable from
    /// the network); requires `--control-token`.
    #[arg(long, requires = "control_token")]
    allow_remote: bool,
    /// A token of at least 16 characters that every control API request
    /// (`/__emulator/*`, but the challenge) must carry as
    /// `Authorization: Bearer TOKEN`. Never printed.
    #[arg(
        long,
        env = "IAI_EMULATOR_CONTROL_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    control_token: Option<String>,
    /// An accepted credential, `ID:KEY` or `ID:KEY:TOKEN`, optionally
    /// `@ACCOUNT` at the end; repeatable. Each credential is an account of
    /// its own (library, faults, status, rate limit) unless several name the
    /// same ACCOUNT. Without one, a pair is generated and printed once at startup.
    #[arg(long = "credential", value_name = "ID:KEY[:TOKEN][@ACCOUNT]", value_parser = parse_credential)]
    credentials: Vec<(Credentials, Option<String>)>,
    /// Print one line per request on standard error: `explain {json}` with
    /// the stage, rule, code and detail that produced the answer (the same
    /// facts as `GET /__emulator/explain/<RequestId>`; never a secret).
    #[arg(long)]
    explain: bool,
    /// A fault in force from the start (see harness/emulator/README.md), e.g.
    /// `code=FailedOperation.ServerError,action=DeletePerson,count=1`; repeatable.
    #[arg(long = "fault", value_name = "SPEC", value_parser = parse_fault)]
    faults: Vec<FaultSpec>,
    /// Rate limit, e.g. `50/s` or `50`: requests beyond it answer RequestLimitExceeded.
    #[arg(long, value_name = "N/s", value_parser = parse_rate)]
    rate_limit: Option<u32>,
    /// A deliberate defect, to prove a suite catches it (harness/emulator/README.md
    /// lists them, e.g. `window-600s`); repeatable. Never for ordinary use.
    #[arg(long = "quirk", value_name = "NAME", value_parser = Quirk::parse)]
    quirks: Vec<Quirk>,
}

/// `ID:KEY[:TOKEN][@ACCOUNT]`: the account is what follows the last `@`,
/// when that is a valid account name (a key or token holding `@` then needs
/// an explicit `@ACCOUNT`).
fn parse_credential(s: &str) -> Result<(Credentials, Option<String>), String> {
    match s.rsplit_once('@') {
        Some((creds, account)) if valid_account_name(account) => {
            Ok((Credentials::parse(creds)?, Some(account.to_string())))
        }
        Some((_, account)) if !account.contains(':') => Err(format!(
            "the account after '@' must be 1 to {MAX_ACCOUNT_NAME} ASCII letters, digits, '_', '-' or '.'"
        )),
        _ => Ok((Credentials::parse(s)?, None)),
    }
}

fn parse_fault(s: &str) -> Result<FaultSpec, String> {
    FaultSpec::parse(s).map_err(|e| e.to_string())
}

fn parse_rate(s: &str) -> Result<u32, String> {
    let n = s.trim().strip_suffix("/s").unwrap_or(s.trim());
    n.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
        format!("expected a positive number of requests per second like 50/s, got {s:?}")
    })
}

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    if !args.listen.ip().is_loopback() && !args.allow_remote {
        anyhow::bail!(
            "refusing to listen on {}: it is not a loopback address, so the emulator and its \
             control API would be reachable from the network; pass --allow-remote with \
             --control-token TOKEN (or IAI_EMULATOR_CONTROL_TOKEN) to protect the control API",
            args.listen
        );
    }
    if let Some(token) = &args.control_token
        && token.len() < MIN_CONTROL_TOKEN
    {
        anyhow::bail!("--control-token must have at least {MIN_CONTROL_TOKEN} characters");
    }
    let generated = args.credentials.is_empty();
    let accounts = args
        .credentials
        .iter()
        .filter_map(|(c, a)| Some((c.secret_id.clone(), a.clone()?)))
        .collect();
    let config = Config {
        credentials: if generated {
            vec![Credentials::generate()]
        } else {
            args.credentials.into_iter().map(|(c, _)| c).collect()
        },
        accounts,
        explain_log: args.explain,
        faults: args.faults,
        rate_limit: args.rate_limit,
        quirks: args.quirks,
        control_token: args.control_token.map(Secret::new),
        ..Config::default()
    };
    let config_quirks: Vec<&str> = config.quirks.iter().map(|q| q.name()).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let emulator = Emulator::start(config, args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        // Registered before the startup line, so that a signal sent as soon
        // as the line is read stops the server cleanly instead of killing it.
        let stop = StopSignals::register().context("cannot listen for Ctrl-C and SIGTERM")?;
        if !config_quirks.is_empty() {
            eprintln!(
                "warning: deliberately wrong (quirks {}): for proving a suite, not for use",
                config_quirks.join(", ")
            );
        }
        let creds = emulator.credentials();
        if generated {
            // The one place a secret is printed: a generated pair is useless
            // unless its user learns it.
            println!(
                "iai-conformance emulator listening on {} secret-id={} secret-key={}",
                emulator.url(),
                creds.secret_id,
                creds.secret_key.expose()
            );
        } else {
            println!(
                "iai-conformance emulator listening on {} secret-id={}",
                emulator.url(),
                creds.secret_id
            );
        }
        stop.wait().await;
        emulator.shutdown().await;
        anyhow::Ok(ExitCode::SUCCESS)
    })
}

/// Ctrl-C or SIGTERM, listened for from the moment of registration.
struct StopSignals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn register() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                terminate: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn wait(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = &mut self;
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
