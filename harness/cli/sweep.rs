//! `iai-conformance sweep`: delete what killed runs left on a live account.

use std::process::ExitCode;

use anyhow::{Context, bail};

use iai_conformance::{Client, Limits, Target, now, sweep};

#[derive(clap::Args)]
pub(crate) struct SweepArgs {
    /// Delete run leftovers older than this: `30m`, `2h`, `90s`, `0s`.
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    older_than: i64,
    /// List what would be deleted; delete nothing.
    #[arg(long)]
    dry_run: bool,
    /// `live` (IAI_ENDPOINT, else https://iai.tencentcloudapi.com) or a URL;
    /// credentials as for `run`.
    #[arg(long, env = "IAI_TARGET", default_value = "live")]
    target: String,
    /// Requests per second.
    #[arg(long, value_name = "N", default_value_t = 5.0)]
    rate: f64,
}

/// `30m` → 1800. Units: s, m, h, d; a bare number is seconds.
fn parse_age(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (number, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: i64 = number
        .parse()
        .map_err(|_| format!("expected an age like 30m, 2h or 0s, got {s:?}"))?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("unknown unit {unit:?} in {s:?}; use s, m, h or d")),
    };
    Ok(n * scale)
}

pub(crate) fn run(args: SweepArgs) -> anyhow::Result<ExitCode> {
    let target = Target::from_spec(&args.target, |k| std::env::var(k).ok())
        .context("--target (or IAI_TARGET)")?;
    let Target::Url {
        url,
        credentials,
        region,
        ..
    } = target
    else {
        bail!("--target {}: sweep needs `live` or a URL", args.target);
    };
    let client = Client::new(&url, credentials, region).context("--target")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let limits = Limits {
        rate: args.rate,
        ..Limits::default()
    };
    let swept = runtime
        .block_on(sweep(&client, now(), args.older_than, args.dry_run, limits))
        .with_context(|| format!("sweeping {url}"))?;
    let verb = if args.dry_run {
        "would delete"
    } else {
        "deleted"
    };
    for (kind, id) in &swept.deleted {
        println!("{verb} {kind:?} {id}");
    }
    for (id, why) in &swept.kept {
        println!("kept {id}: {why}");
    }
    for (id, why) in &swept.failed {
        eprintln!("failed {id}: {why}");
    }
    println!(
        "sweep of {url}: {} {verb}, {} kept, {} failed",
        swept.deleted.len(),
        swept.kept.len(),
        swept.failed.len()
    );
    Ok(if swept.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::parse_age;

    #[test]
    fn reads_ages() {
        assert_eq!(parse_age("30m"), Ok(1800));
        assert_eq!(parse_age("0s"), Ok(0));
        assert_eq!(parse_age("90"), Ok(90));
        assert!(parse_age("3w").is_err());
        assert!(parse_age("m").is_err());
    }
}
