//! `iai-conformance face`: writes a PNG whose faces the emulator reads.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use iai_conformance::emulator::faces;

#[derive(Args)]
pub(crate) struct FaceArgs {
    /// Who is in the image (comma-separated names for several faces).
    #[arg(long)]
    identity: String,
    /// How many faces the image holds (0 = no face).
    #[arg(long, default_value_t = 1)]
    faces: usize,
    /// Where to write the PNG.
    #[arg(long)]
    out: PathBuf,
    /// Width in pixels.
    #[arg(long, default_value_t = 8)]
    width: u32,
    /// Height in pixels.
    #[arg(long, default_value_t = 8)]
    height: u32,
}

pub(crate) fn run(args: FaceArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.faces <= faces::MAX_FACES,
        "--faces must be 0 to {}",
        faces::MAX_FACES
    );
    anyhow::ensure!(
        args.width > 0 && args.height > 0 && args.width <= 4000 && args.height <= 4000,
        "--width and --height must be 1 to 4000"
    );
    let png = faces::make_png(&args.identity, args.faces, args.width, args.height)
        .context("encoding the png")?;
    std::fs::write(&args.out, png).with_context(|| format!("writing {}", args.out.display()))?;
    Ok(ExitCode::SUCCESS)
}
