//! `iai-conformance derive PAGE.txt`: a Tencent API page as case data, and
//! what differs from the committed cases.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use iai_conformance::{discover, parse_doc_page};

#[derive(clap::Args)]
pub(crate) struct DeriveArgs {
    /// The page, saved as text (the form of DeletePerson.txt).
    page: PathBuf,
    /// The cases directory to compare with [default: ./cases].
    #[arg(long, default_value = "cases")]
    cases: PathBuf,
}

fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn quote(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

pub(crate) fn run(args: DeriveArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.page)
        .with_context(|| format!("cannot read {}", args.page.display()))?;
    let page = parse_doc_page(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}; is it a saved Tencent API page?",
            args.page.display()
        )
    })?;
    let folder = snake(&page.action);
    println!(
        "# Derived from {} ({} {})",
        args.page.display(),
        page.action,
        page.version.as_deref().unwrap_or("?")
    );
    println!("\n# Parameters");
    for p in &page.params {
        println!(
            "#   {} ({}{}): {}",
            p.name,
            p.ty,
            if p.required { ", required" } else { "" },
            p.description
        );
    }
    println!(
        "# Outputs: {}",
        page.outputs
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (i, ex) in page.examples.iter().enumerate() {
        let has_error = ex.output.contains("\"Error\"");
        println!("\n# --- cases/{folder}/doc_example_{}.toml ---", i + 1);
        println!(
            "description = {}",
            quote(&format!("Example {}: {}", i + 1, ex.title))
        );
        println!(
            "source = {{ kind = \"doc_example\", ref = {} }}",
            quote(&format!(
                "{}, Example{} {}",
                args.page.display(),
                i + 1,
                ex.title
            ))
        );
        println!("# input as printed: {}", ex.input.replace('\n', " "));
        if !has_error
            && (ex.title.to_lowercase().contains("error")
                || ex.description.to_lowercase().contains("error"))
        {
            println!(
                "findings = [{}]",
                quote("the example is titled as an error but its output has no Error object")
            );
        }
        println!("[[step]]\naction = {}", quote(&page.action));
        println!(
            "expect = {}",
            if has_error {
                "{ code = \"...\" }  # from the output's Error.Code"
            } else {
                "{ success = true }"
            }
        );
    }
    println!("\n# --- cases/{folder}/error_codes.toml rows ---");
    for c in &page.error_codes {
        println!(
            "[[row]]\ncode = {}\ntrigger = \"input\"  # input | fault | unreachable\nreason = {}\n",
            quote(&c.code),
            quote(&c.description)
        );
    }
    // What differs from the committed table.
    let documented: BTreeSet<&str> = page.error_codes.iter().map(|c| c.code.as_str()).collect();
    let committed: BTreeSet<String> = match discover(&args.cases) {
        Ok(found) => found
            .cases
            .iter()
            .filter_map(|c| c.row.as_ref())
            .filter(|r| r.action == page.action)
            .map(|r| r.code.clone())
            .collect(),
        Err(e) => anyhow::bail!("--cases: {e}"),
    };
    let added: Vec<&&str> = documented
        .iter()
        .filter(|c| !committed.contains(**c))
        .collect();
    let removed: Vec<&String> = committed
        .iter()
        .filter(|c| !documented.contains(c.as_str()))
        .collect();
    println!("# --- difference with {} ---", args.cases.display());
    println!(
        "# {} codes on the page, {} in the committed table",
        documented.len(),
        committed.len()
    );
    for c in &added {
        println!("# + {c}  (documented, no row)");
    }
    for c in &removed {
        println!("# - {c}  (row, no longer documented)");
    }
    if added.is_empty() && removed.is_empty() {
        println!("# no codes added or removed");
    }
    Ok(if added.is_empty() && removed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
