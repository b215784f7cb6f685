use std::process::ExitCode;

#[derive(clap::Args)]
pub(crate) struct RunArgs {}

pub(crate) fn run(_args: RunArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`run` is not available in this build yet")
}
