//! The `iai-conformance` command: thin wrappers over the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

/// The harness and the emulator allocate small strings and maps per
/// request on every worker thread at once; glibc's arenas serialize those
/// on a lock (a third of a suite run's CPU went to malloc and its futex).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "iai-conformance", version, about = "Conformance harness for the Tencent Cloud IAI API", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Sign a request and print every stage (TC3-HMAC-SHA256 or v1).
    Sign(cli::sign::SignArgs),
    /// Serve the reference emulator: a fake IAI on loopback.
    Serve(cli::serve::ServeArgs),
    /// Run the conformance cases against a target.
    Run(cli::run::RunArgs),
    /// Generate the catalog from Tencent's packages, or print a saved API page as case data.
    Derive(cli::derive::DeriveArgs),
    /// Write a PNG the emulator sees as given faces (`--identity alice --faces 2`).
    Face(cli::face::FaceArgs),
    /// Delete what interrupted live runs left behind (`ct-` IDs older than a limit), nothing else.
    Sweep(cli::sweep::SweepArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sign(args) => cli::sign::run(args),
        Command::Serve(args) => cli::serve::run(args),
        Command::Run(args) => cli::run::run(args),
        Command::Derive(args) => cli::derive::run(args),
        Command::Sweep(args) => cli::sweep::run(args),
        Command::Face(args) => cli::face::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
