use std::process::ExitCode;

#[derive(clap::Args)]
pub(crate) struct DeriveArgs {}

pub(crate) fn run(_args: DeriveArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`derive` is not available in this build yet")
}
