//! `iai-conformance derive --tencent DIR`: the catalog, generated from
//! Tencent's packages, and what changed since the committed one.
//!
//! `iai-conformance derive PAGE.txt`: a Tencent API page as case data, and
//! what differs from the committed cases.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use iai_conformance::{
    ActionSpec, Member, Spec, TencentPackages, catalog_changes, discover, parse_doc_page,
};

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["page", "tencent"])))]
pub(crate) struct DeriveArgs {
    /// The page, saved as text (the form of DeletePerson.txt).
    page: Option<PathBuf>,
    /// The cases directory to compare with [default: ./cases].
    #[arg(long, default_value = "cases")]
    cases: PathBuf,
    /// Generate the catalog from Tencent's packages in this folder: the
    /// tccli and tccli-intl-en wheels and tencentcloud-sdk-python-iai (or
    /// folders unpacked from them), as `.ci/fetch-tencent` downloads them.
    #[arg(long, value_name = "DIR")]
    tencent: Option<PathBuf>,
    /// Where the generated catalog goes.
    #[arg(long, default_value = "harness/api/generated/iai.json")]
    out: PathBuf,
    /// Only compare: print what changed and exit 1 if anything did,
    /// without writing.
    #[arg(long)]
    check: bool,
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

/// Generates the catalog, prints what changed, and writes it unless
/// `--check`.
fn catalog(dir: &Path, out: &Path, check: bool) -> anyhow::Result<ExitCode> {
    let packages = TencentPackages::find(dir)?;
    let missing = packages.missing();
    if !missing.is_empty() {
        let what = format!("no {} in {}", missing.join(" nor "), dir.display());
        if !check {
            anyhow::bail!("{what}: a partial catalog is not written (--check compares it)");
        }
        eprintln!("warning: {what}");
    }
    let fresh = packages.derive()?;
    let rendered = fresh.render();
    let committed = match std::fs::read_to_string(out) {
        Ok(text) => Some(
            Spec::parse(&text).with_context(|| format!("{} is not a catalog", out.display()))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", out.display())),
    };
    let sources: Vec<String> = fresh
        .sources
        .iter()
        .map(|s| format!("{} {}", s.package, s.version))
        .collect();
    let count = |f: fn(&ActionSpec) -> usize| fresh.actions.iter().map(f).sum::<usize>();
    println!(
        "# from {}: {} actions, {} parameters, {} output fields, {} examples, {} codes",
        sources.join(", "),
        fresh.actions.len(),
        count(|a| members(&a.params)),
        count(|a| members(&a.outputs)),
        count(|a| a.examples.len()),
        fresh.codes.len()
    );
    let changes = match &committed {
        Some(old) => catalog_changes(old, &fresh),
        None => vec![format!("+ {} (new file)", out.display())],
    };
    for line in &changes {
        println!("{line}");
    }
    if changes.is_empty() {
        println!("# no action, parameter, field, example or code changed");
    }
    let same_bytes = std::fs::read_to_string(out).is_ok_and(|t| t == rendered);
    if check {
        return Ok(if changes.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if !same_bytes {
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(out, rendered).with_context(|| format!("cannot write {}", out.display()))?;
        println!("# wrote {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Members at every depth.
fn members(list: &[Member]) -> usize {
    list.iter().map(|m| 1 + members(&m.fields)).sum()
}

pub(crate) fn run(args: DeriveArgs) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &args.tencent {
        return catalog(dir, &args.out, args.check);
    }
    let page_path = args
        .page
        .clone()
        .expect("clap requires a page or --tencent");
    let text = std::fs::read_to_string(&page_path)
        .with_context(|| format!("cannot read {}", page_path.display()))?;
    let page = parse_doc_page(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}; is it a saved Tencent API page?",
            page_path.display()
        )
    })?;
    let folder = snake(&page.action);
    println!(
        "# Derived from {} ({} {})",
        page_path.display(),
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
                page_path.display(),
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
