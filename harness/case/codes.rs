//! The documented error-code tables of every action, generated: the
//! catalog's `documented_codes` of each action crossed with one recipe per
//! code (`cases/codes/recipes.toml`), plus the accepted rows at the exact
//! boundaries of every limit a recipe names.
//!
//! A recipe says once how its code is provoked:
//!
//! - `trigger = "input"` with `set`: the parameters (and values) that yield
//!   it. The row applies to an action that has at least one of them (and,
//!   with `actions`, is one of those); otherwise the row is `unreachable`
//!   with a generated reason naming what the action lacks and the code's
//!   home actions. Each row sends the action's valid baseline (`[[base]]`,
//!   its setup world) with the recipe's values on top.
//! - `trigger = "fault"`: injected through the emulator's control API.
//! - `trigger = "unreachable"`: listed with the recipe's reason, never run.
//!
//! Cases are named `<action>::error_codes::<Code>` and
//! `<action>::boundary::<name>`; an action with a hand-written table
//! (`hand_written`) is left to it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::schema::{
    Call, CaseFile, Credential, Expect, Fault, Source, SourceKind, Tamper, TargetKind,
};
use super::{Case, RowInfo, Trigger};
use crate::api::{Action, Catalog};
use crate::wire::{SignedHeaderSet, Style};

/// The recipe file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecipeFile {
    /// Named Base64 images; a string `{{image:NAME}}` in any value becomes one.
    #[serde(default)]
    images: BTreeMap<String, String>,
    /// Named setups (`world`s) a baseline builds on.
    #[serde(default)]
    worlds: BTreeMap<String, Vec<Call>>,
    /// Clean-up calls; each runs after a row whose calls name its `id`.
    #[serde(default)]
    teardown: Vec<Teardown>,
    /// Actions whose error-code table is hand-written: `action → file`.
    #[serde(default)]
    hand_written: BTreeMap<String, String>,
    /// Actions the emulator does not implement yet: their rows run live only.
    #[serde(default)]
    pending: Vec<String>,
    #[serde(rename = "base")]
    bases: Vec<Base>,
    #[serde(rename = "recipe")]
    recipes: Vec<Recipe>,
    /// Corrections of single generated rows, by case name.
    #[serde(default, rename = "override")]
    overrides: Vec<Override>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Teardown {
    /// The ID whose presence in a row's calls asks for this clean-up.
    id: String,
    call: Call,
}

/// An action's valid baseline request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Base {
    action: String,
    #[serde(default)]
    world: Option<String>,
    /// Setup calls after the world's.
    #[serde(default)]
    setup: Vec<Call>,
    #[serde(default)]
    params: Map<String, Value>,
    /// Parameters that name what the call creates (a `lookup` recipe does not apply to them).
    #[serde(default)]
    creates: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Recipe {
    code: String,
    trigger: Trigger,
    reason: String,
    /// Input: the parameters that yield the code, with their values.
    #[serde(default)]
    set: Map<String, Value>,
    /// Input: only these actions (a condition of their state); else every action with a `set` parameter.
    #[serde(default)]
    actions: Option<Vec<String>>,
    /// Fault: only actions with one of these parameters can meet the condition.
    #[serde(default)]
    needs: Vec<String>,
    /// Input: the parameter names something that must exist; not for an action that creates it.
    #[serde(default)]
    lookup: Option<String>,
    /// Input: setup calls after the baseline's.
    #[serde(default)]
    setup: Vec<Call>,
    #[serde(default)]
    tamper: Option<Tamper>,
    #[serde(default)]
    expect: Option<Expect>,
    /// Where the recipe does not apply, inject the code instead of listing it unreachable.
    #[serde(default)]
    else_fault: Option<String>,
    /// Values at the exact limit, accepted.
    #[serde(default)]
    accept: Vec<Boundary>,
    #[serde(default)]
    findings: Vec<String>,
}

/// One boundary row: a value at the limit the recipe's code guards.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Boundary {
    /// The row's name after `<action>::boundary::`.
    name: String,
    set: Map<String, Value>,
    /// What accepting the value answers where the parameter names something
    /// that must exist (no such ID): this code; else (or where the action
    /// creates it) success.
    #[serde(default)]
    lookup: Option<String>,
    #[serde(default)]
    expect: Option<Expect>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Override {
    case: String,
    expect: Expect,
    reason: String,
    #[serde(default)]
    findings: Vec<String>,
}

/// The generated tables of `text` (a recipe file), for `catalog`'s actions.
pub(crate) fn expand(text: &str, file: &Path, catalog: &Catalog) -> Result<Vec<Case>, String> {
    let recipes: RecipeFile = toml::from_str(text).map_err(|e| e.to_string())?;
    expand_file(&recipes, file, catalog)
}

fn expand_file(recipes: &RecipeFile, file: &Path, catalog: &Catalog) -> Result<Vec<Case>, String> {
    recipes.check(catalog)?;
    let mut out = Vec::new();
    for action in catalog.actions() {
        if recipes.hand_written.contains_key(&action.name) {
            continue;
        }
        let base = recipes
            .bases
            .iter()
            .find(|b| b.action == action.name)
            .ok_or_else(|| format!("base: {} has no [[base]] (its valid request)", action.name))?;
        for code in &action.documented_codes {
            let recipe = recipes
                .recipes
                .iter()
                .find(|r| &r.code == code)
                .ok_or_else(|| {
                    format!("recipe: {code} (documented for {}) has none", action.name)
                })?;
            out.push(recipes.row(catalog, action, base, recipe, file)?);
            if recipes.applies(action, base, recipe).is_ok() {
                for b in &recipe.accept {
                    if let Some(case) = recipes.boundary(action, base, recipe, b, file)? {
                        out.push(case);
                    }
                }
            }
        }
    }
    let mut unused: BTreeSet<&str> = recipes.overrides.iter().map(|o| o.case.as_str()).collect();
    for case in &mut out {
        if let Some(o) = recipes.overrides.iter().find(|o| o.case == case.name) {
            unused.remove(o.case.as_str());
            let step = case.spec.steps.last_mut().expect("one step");
            step.expect = Some(o.expect.clone());
            case.spec.description = format!("{} ({})", case.spec.description, o.reason);
            case.spec.findings.extend(o.findings.iter().cloned());
        }
    }
    if let Some(stray) = unused.first() {
        return Err(format!("override: no generated case is named {stray}"));
    }
    for case in &out {
        case.spec
            .validate()
            .map_err(|e| format!("{}: {e}", case.name))?;
    }
    Ok(out)
}

/// `CreateGroup` → `create_group`.
pub(crate) fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn list(names: &[&str]) -> String {
    match names {
        [] => "none".into(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// `"{{max}}"` and `"{{max+1}}"` become the catalog's maximum of the
/// parameter (`Limit` is 1000 for one action, 100 for another); any other
/// value is itself.
fn at_limit(action: &Action, key: &str, value: &Value) -> Result<Value, String> {
    let plus = match value.as_str() {
        Some("{{max}}") => 0,
        Some("{{max+1}}") => 1,
        _ => return Ok(value.clone()),
    };
    let max = action
        .param(key)
        .and_then(|p| p.max)
        .ok_or_else(|| format!("{}.{key} has no max in actions.toml", action.name))?;
    Ok(Value::from(max + plus))
}

impl RecipeFile {
    fn check(&self, catalog: &Catalog) -> Result<(), String> {
        let mut seen = BTreeSet::new();
        for r in &self.recipes {
            if !seen.insert(&r.code) {
                return Err(format!("recipe: {} has two recipes", r.code));
            }
            if catalog.code(&r.code).is_none() {
                return Err(format!("recipe: {} is not in errors.toml", r.code));
            }
            if r.reason.trim().is_empty() {
                return Err(format!("recipe {}: say how, or why not", r.code));
            }
            let input = r.trigger == Trigger::Input;
            if input && r.set.is_empty() && r.tamper.is_none() {
                return Err(format!(
                    "recipe {}: an input recipe sets a parameter or tampers",
                    r.code
                ));
            }
            if !input && (!r.set.is_empty() || !r.accept.is_empty() || r.lookup.is_some()) {
                return Err(format!(
                    "recipe {}: set, accept and lookup are for input recipes",
                    r.code
                ));
            }
            if input && !r.needs.is_empty() {
                return Err(format!(
                    "recipe {}: an input recipe's parameters are its `set`",
                    r.code
                ));
            }
        }
        for b in &self.bases {
            let Some(action) = catalog.action(&b.action) else {
                return Err(format!("base: {} is not in the catalog", b.action));
            };
            for key in b.params.keys().chain(&b.creates) {
                if action.param(key).is_none() {
                    return Err(format!(
                        "base {}: {} has no parameter {key}",
                        b.action, b.action
                    ));
                }
            }
            if let Some(w) = &b.world
                && !self.worlds.contains_key(w)
            {
                return Err(format!("base {}: no world {w:?}", b.action));
            }
        }
        Ok(())
    }

    /// Whether `recipe` is provoked through `action`; else why not.
    fn applies(&self, action: &Action, base: &Base, recipe: &Recipe) -> Result<(), String> {
        let wanted: Vec<&str> = if recipe.trigger == Trigger::Input {
            recipe.set.keys().map(String::as_str).collect()
        } else {
            recipe.needs.iter().map(String::as_str).collect()
        };
        if !wanted.is_empty() && !wanted.iter().any(|k| action.param(k).is_some()) {
            return Err(format!("{} takes no {}", action.name, list(&wanted)));
        }
        if let Some(only) = &recipe.actions
            && !only.contains(&action.name)
        {
            return Err(format!(
                "the condition arises only in {} (a state of theirs this action does not reach)",
                list(&only.iter().map(String::as_str).collect::<Vec<_>>())
            ));
        }
        if let Some(p) = &recipe.lookup
            && base.creates.contains(p)
        {
            return Err(format!("{} creates the {p} it is given", action.name));
        }
        Ok(())
    }

    /// The actions through which `recipe` is provoked (its "home").
    fn homes<'a>(&self, catalog: &'a Catalog, recipe: &Recipe) -> Vec<&'a str> {
        catalog
            .actions()
            .iter()
            .filter(|a| a.documented_codes.contains(&recipe.code))
            .filter(|a| {
                self.bases
                    .iter()
                    .find(|b| b.action == a.name)
                    .is_some_and(|b| self.applies(a, b, recipe).is_ok())
                    || self.hand_written.contains_key(&a.name)
                        && recipe.set.keys().any(|k| a.param(k).is_some())
            })
            .map(|a| a.name.as_str())
            .collect()
    }

    fn image(&self, value: &Value) -> Result<(Value, bool), String> {
        Ok(match value {
            Value::String(s) if s.starts_with("{{image:") && s.ends_with("}}") => {
                let name = &s["{{image:".len()..s.len() - 2];
                let img = self
                    .images
                    .get(name)
                    .ok_or_else(|| format!("no image {name:?}"))?;
                (Value::String(img.clone()), true)
            }
            Value::Array(items) => {
                let mut synthetic = false;
                let mut out = Vec::with_capacity(items.len());
                for v in items {
                    let (v, s) = self.image(v)?;
                    synthetic |= s;
                    out.push(v);
                }
                (Value::Array(out), synthetic)
            }
            Value::Object(map) => {
                let mut synthetic = false;
                let mut out = Map::new();
                for (k, v) in map {
                    let (v, s) = self.image(v)?;
                    synthetic |= s;
                    out.insert(k.clone(), v);
                }
                (Value::Object(out), synthetic)
            }
            other => (other.clone(), false),
        })
    }

    /// Resolves images in `calls`; true when one holds a synthetic image.
    fn resolve(&self, calls: &mut [Call]) -> Result<bool, String> {
        let mut synthetic = false;
        for c in calls {
            let (v, s) = self.image(&Value::Object(std::mem::take(&mut c.params)))?;
            synthetic |= s;
            if let Value::Object(map) = v {
                c.params = map;
            }
        }
        Ok(synthetic)
    }

    /// The baseline setup of `base` and the row's step params.
    fn setup_of(&self, base: &Base, extra: &[Call]) -> Vec<Call> {
        let mut setup: Vec<Call> = base
            .world
            .as_ref()
            .and_then(|w| self.worlds.get(w))
            .cloned()
            .unwrap_or_default();
        setup.extend(base.setup.iter().cloned());
        setup.extend(extra.iter().cloned());
        setup
    }

    /// A case of `action` with `setup` and one step; images resolved,
    /// teardown added, targets narrowed where a synthetic image is sent.
    #[allow(clippy::too_many_arguments)]
    fn case(
        &self,
        name: String,
        file: &Path,
        description: String,
        source: Source,
        mut setup: Vec<Call>,
        mut step: Call,
        findings: Vec<String>,
        row: Option<RowInfo>,
    ) -> Result<Case, String> {
        let synthetic =
            self.resolve(&mut setup)? | self.resolve(std::slice::from_mut(&mut step))?;
        let pending = self.pending.contains(&step.action);
        let targets = if pending {
            vec![TargetKind::Live]
        } else if synthetic || step.fault.is_some() {
            // Synthetic faces mean nothing to a real service; faults need the control API.
            vec![TargetKind::Emulator, TargetKind::Serve]
        } else {
            vec![TargetKind::Emulator, TargetKind::Serve, TargetKind::Live]
        };
        let text = serde_json::to_string(&(&setup, &step.params)).unwrap_or_default();
        let teardown = self
            .teardown
            .iter()
            .filter(|t| text.contains(&t.id))
            .map(|t| t.call.clone())
            .collect();
        let mut findings = findings;
        if pending {
            findings.push(format!(
                "{}: the emulator does not implement it yet; the row runs against live targets only",
                step.action
            ));
        }
        Ok(Case {
            name,
            file: file.to_path_buf(),
            spec: CaseFile {
                description,
                source,
                findings,
                targets: Some(targets),
                snapshot: false,
                expect_fail: Vec::new(),
                setup,
                steps: vec![step],
                teardown,
                reply: None,
            },
            row,
        })
    }

    fn step(action: &Action, params: Map<String, Value>, expect: Expect) -> Call {
        Call {
            action: action.name.clone(),
            params,
            style: Style::Tc3PostJson,
            signed_headers: SignedHeaderSet::default(),
            v1_method: None,
            credentials: Credential::default(),
            clock_skew: 0,
            pin_clock: false,
            version: None,
            tamper: None,
            fault: None,
            expect: Some(expect),
            capture: Default::default(),
        }
    }

    fn row(
        &self,
        catalog: &Catalog,
        action: &Action,
        base: &Base,
        recipe: &Recipe,
        file: &Path,
    ) -> Result<Case, String> {
        let name = format!("{}::error_codes::{}", snake(&action.name), recipe.code);
        let source = Source {
            kind: SourceKind::ErrorCode,
            reference: format!(
                "the CN Go SDK's client.go ({}'s error codes), row {}",
                action.name, recipe.code
            ),
        };
        let code_expect = || {
            recipe.expect.clone().unwrap_or(Expect {
                code: Some(recipe.code.clone()),
                ..Expect::default()
            })
        };
        let (trigger, reason) = match recipe.trigger {
            Trigger::Input => match self.applies(action, base, recipe) {
                Ok(()) => (Trigger::Input, recipe.reason.clone()),
                Err(why) => match &recipe.else_fault {
                    Some(fault_reason) => (Trigger::Fault, format!("{why}: {fault_reason}")),
                    None => {
                        let homes = self.homes(catalog, recipe);
                        let home = if homes.is_empty() {
                            "no action reaches it by input".to_string()
                        } else {
                            format!("reached by input in {}", list(&homes))
                        };
                        (
                            Trigger::Unreachable,
                            format!("{why}; a family-wide entry ({home})"),
                        )
                    }
                },
            },
            Trigger::Fault => match self.applies(action, base, recipe) {
                Ok(()) => (Trigger::Fault, recipe.reason.clone()),
                Err(why) => (
                    Trigger::Unreachable,
                    format!("{why}; a family-wide entry ({})", recipe.reason),
                ),
            },
            Trigger::Unreachable => (Trigger::Unreachable, recipe.reason.clone()),
        };
        let info = RowInfo {
            action: action.name.clone(),
            code: recipe.code.clone(),
            trigger,
            reason: reason.clone(),
        };
        let description = format!(
            "{} error-code table ({}): {reason}",
            action.name, recipe.code
        );
        let mut params = base.params.clone();
        let (setup, step) = match trigger {
            Trigger::Input => {
                for (k, v) in &recipe.set {
                    if action.param(k).is_some() {
                        params.insert(k.clone(), at_limit(action, k, v)?);
                    }
                }
                let mut step = Self::step(action, params, code_expect());
                step.tamper = recipe.tamper.clone();
                (self.setup_of(base, &recipe.setup), step)
            }
            Trigger::Fault => {
                let mut step = Self::step(action, params, code_expect());
                step.fault = Some(Fault {
                    code: recipe.code.clone(),
                    message: None,
                    latency_ms: None,
                });
                (Vec::new(), step)
            }
            Trigger::Unreachable => (Vec::new(), Self::step(action, params, code_expect())),
        };
        self.case(
            name,
            file,
            description,
            source,
            setup,
            step,
            recipe.findings.clone(),
            Some(info),
        )
    }

    fn boundary(
        &self,
        action: &Action,
        base: &Base,
        recipe: &Recipe,
        b: &Boundary,
        file: &Path,
    ) -> Result<Option<Case>, String> {
        let present: Vec<&String> = b.set.keys().filter(|k| action.param(k).is_some()).collect();
        if present.is_empty() {
            return Ok(None);
        }
        let mut params = base.params.clone();
        for k in &present {
            params.insert((*k).clone(), at_limit(action, k, &b.set[k.as_str()])?);
        }
        let creates = present.iter().any(|k| base.creates.contains(k));
        let expect = match (&b.expect, &b.lookup) {
            (Some(e), _) => e.clone(),
            (None, Some(code)) if !creates => Expect {
                code: Some(code.clone()),
                ..Expect::default()
            },
            _ => Expect::success(),
        };
        let what = if expect.is_success() {
            "accepted".to_string()
        } else {
            format!(
                "accepted (then {})",
                expect.codes().collect::<Vec<_>>().join(", ")
            )
        };
        let name = format!("{}::boundary::{}", snake(&action.name), b.name);
        let description = format!(
            "{} at the exact limit of {}: {} is {what}",
            action.name,
            recipe.code,
            present
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let source = Source {
            kind: SourceKind::DocRule,
            reference: format!(
                "tccli api.json (the parameter's documented limit), the limit of {}",
                recipe.code
            ),
        };
        let step = Self::step(action, params, expect);
        self.case(
            name,
            file,
            description,
            source,
            self.setup_of(base, &[]),
            step,
            Vec::new(),
            None,
        )
        .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECIPES: &str = include_str!("../../cases/codes/recipes.toml");

    fn generated() -> Vec<Case> {
        expand(RECIPES, Path::new("codes/recipes.toml"), Catalog::get()).unwrap()
    }

    #[test]
    fn snake_names() {
        assert_eq!(snake("CreateGroup"), "create_group");
        assert_eq!(
            snake("GetUpgradeGroupFaceModelVersionJobList"),
            "get_upgrade_group_face_model_version_job_list"
        );
    }

    /// Every documented code of every catalog action (but the hand-written
    /// ones) has exactly one row, named after the action and the code.
    #[test]
    fn one_row_per_documented_code() {
        let cases = generated();
        let rows: BTreeSet<(String, String)> = cases
            .iter()
            .filter_map(|c| c.row.as_ref())
            .map(|r| (r.action.clone(), r.code.clone()))
            .collect();
        let mut expected = BTreeSet::new();
        for a in Catalog::get().actions() {
            if a.name == "DeletePerson" {
                continue;
            }
            for c in &a.documented_codes {
                expected.insert((a.name.clone(), c.clone()));
            }
        }
        assert_eq!(rows, expected);
        let names: BTreeSet<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names.len(), cases.len(), "two cases share a name");
        assert!(
            names.contains("create_person::error_codes::InvalidParameterValue.PersonIdTooLong")
        );
        assert!(names.contains("create_person::boundary::PersonId_64_bytes"));
    }

    /// An input recipe applies where the action has its parameter; elsewhere
    /// the reason names the parameter and the code's home actions.
    #[test]
    fn unreachable_rows_name_what_is_missing_and_where_the_code_lives() {
        let cases = generated();
        let row = |name: &str| {
            cases
                .iter()
                .find(|c| c.name == name)
                .and_then(|c| c.row.clone())
                .unwrap_or_else(|| panic!("{name}"))
        };
        let r = row("get_group_list::error_codes::InvalidParameterValue.PersonIdTooLong");
        assert_eq!(r.trigger, Trigger::Unreachable);
        assert!(
            r.reason.contains("GetGroupList takes no PersonId"),
            "{}",
            r.reason
        );
        assert!(r.reason.contains("CreatePerson"), "{}", r.reason);
        let r = row("create_group::error_codes::InvalidParameterValue.GroupIdTooLong");
        assert_eq!(r.trigger, Trigger::Input);
        let r = row("create_person::error_codes::InvalidParameterValue.PersonIdNotExist");
        assert_eq!(r.trigger, Trigger::Unreachable);
        assert!(r.reason.contains("creates the PersonId"), "{}", r.reason);
    }

    /// The recipes agree with DeletePerson's hand-written table: the same
    /// codes are input, fault and unreachable.
    #[test]
    fn recipes_agree_with_the_hand_written_delete_person_table() {
        let mut file: RecipeFile = toml::from_str(RECIPES).unwrap();
        file.hand_written.clear();
        let text = include_str!("../../cases/delete_person/error_codes.toml");
        let hand = super::super::parse(
            text,
            "delete_person::error_codes",
            Path::new("delete_person/error_codes.toml"),
        )
        .unwrap();
        let catalog = Catalog::get();
        let action = catalog.action("DeletePerson").unwrap();
        let base = file
            .bases
            .iter()
            .find(|b| b.action == "DeletePerson")
            .unwrap();
        let mut differ = Vec::new();
        for case in hand {
            let h = case.row.unwrap();
            let recipe = file.recipes.iter().find(|r| r.code == h.code).unwrap();
            let g = file
                .row(catalog, action, base, recipe, Path::new("x"))
                .unwrap()
                .row
                .unwrap();
            if g.trigger != h.trigger {
                differ.push(format!(
                    "{}: {:?} by hand, {:?} generated",
                    h.code, h.trigger, g.trigger
                ));
            }
        }
        assert!(differ.is_empty(), "{differ:#?}");
    }

    #[test]
    fn a_documented_code_without_a_recipe_is_refused() {
        let mut file: RecipeFile = toml::from_str(RECIPES).unwrap();
        file.recipes.retain(|r| r.code != "InternalError");
        let err = expand_file(&file, Path::new("x"), Catalog::get()).unwrap_err();
        assert!(
            err.starts_with("recipe: InternalError (documented for"),
            "{err}"
        );
    }

    #[test]
    fn an_override_must_name_a_generated_case() {
        let text = format!(
            "{RECIPES}\n[[override]]\ncase = \"no_such::error_codes::X\"\nexpect = {{ success = true }}\nreason = \"r\"\n"
        );
        let err = expand(&text, Path::new("x"), Catalog::get()).unwrap_err();
        assert!(err.contains("no_such::error_codes::X"), "{err}");
    }
}
