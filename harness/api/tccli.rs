//! Reads Tencent's machine-readable description of iai 2020-03-03 and
//! turns it into the project's generated catalog ([`super::spec::Spec`]).
//!
//! The sources are Python packages, read as zip files (a wheel) or as
//! folders they were unpacked into, never installed:
//!
//! - `tccli` (the Chinese site) and `tccli-intl-en` (the international
//!   site) ship `tccli/services/iai/v20200303/api.json` (actions, request
//!   and response structures with their members) and `examples.json` (each
//!   action's official examples);
//! - `tencentcloud-sdk-python-iai` ships
//!   `tencentcloud/iai/v20200303/errorcodes.py`, the error-code registry.
//!
//! Only facts are carried over: names, types, flags, example values and the
//! examples themselves. The descriptions' prose stays behind.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use super::spec::{ActionSpec, Edition, Example, Member, Source, Spec, Style, Type};

const API_JSON: &str = "tccli/services/iai/v20200303/api.json";
const EXAMPLES_JSON: &str = "tccli/services/iai/v20200303/examples.json";
const ERRORCODES_PY: &str = "tencentcloud/iai/v20200303/errorcodes.py";

/// The distribution names, as wheel and dist-info names spell them.
const TCCLI: &str = "tccli";
const TCCLI_INTL: &str = "tccli_intl_en";
const SDK_IAI: &str = "tencentcloud_sdk_python_iai";
const SDK_ALL: &str = "tencentcloud_sdk_python";

/// Why the description could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DeriveError {
    /// A file or folder cannot be read.
    #[error("cannot read {path}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A wheel is not a readable zip.
    #[error("{path} is not a readable wheel")]
    Zip {
        /// The wheel.
        path: PathBuf,
        /// Why.
        #[source]
        source: zip::result::ZipError,
    },
    /// A package lacks a file it must hold.
    #[error("{path} has no {inner}")]
    MissingFile {
        /// The package.
        path: PathBuf,
        /// The file inside it.
        inner: String,
    },
    /// A description file is not the JSON it should be.
    #[error("{file} is not the expected JSON")]
    Json {
        /// The file.
        file: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A package is not where it was looked for.
    #[error("no {package} package in {path} (a wheel, or a folder unpacked from one)")]
    MissingPackage {
        /// The package's name.
        package: String,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// Two versions of one package, where one is needed.
    #[error("two {package} packages in {path}: {first} and {second}; keep one")]
    TwoPackages {
        /// The package's name.
        package: String,
        /// Where they are.
        path: PathBuf,
        /// One.
        first: String,
        /// The other.
        second: String,
    },
    /// A member's type is not one the catalog knows.
    #[error("{object}.{member}: unknown type {ty:?} of {element:?}")]
    UnknownType {
        /// The structure.
        object: String,
        /// The member.
        member: String,
        /// Its type.
        ty: String,
        /// Its element type.
        element: String,
    },
    /// An action names a structure the description lacks.
    #[error("{action}: no structure named {object:?}")]
    MissingObject {
        /// The action.
        action: String,
        /// The structure.
        object: String,
    },
    /// A structure contains itself.
    #[error("structure {object} contains itself")]
    Recursive {
        /// The structure.
        object: String,
    },
}

/// One package, as a wheel or an unpacked folder.
#[derive(Debug)]
pub struct Package {
    /// The distribution name (`tccli_intl_en`).
    pub name: String,
    /// Its version.
    pub version: String,
    location: Location,
}

#[derive(Debug)]
enum Location {
    Wheel(PathBuf),
    Folder(PathBuf),
}

impl Package {
    /// The package in a wheel file named as wheels are
    /// (`tccli-3.1.189.1-py2.py3-none-any.whl`).
    pub fn wheel(path: &Path) -> Option<Package> {
        let file = path.file_name()?.to_str()?;
        let stem = file.strip_suffix(".whl")?;
        let mut parts = stem.split('-');
        let name = parts.next()?.to_string();
        let version = parts.next()?.to_string();
        Some(Package {
            name,
            version,
            location: Location::Wheel(path.to_path_buf()),
        })
    }

    /// The package unpacked into `dir`, named by its `*.dist-info` folder.
    pub fn folder(dir: &Path) -> Option<Package> {
        let entries = std::fs::read_dir(dir).ok()?;
        let mut infos: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|n| n.strip_suffix(".dist-info").map(str::to_string))
            .collect();
        infos.sort();
        let info = infos.first()?;
        let (name, version) = info.split_once('-')?;
        Some(Package {
            name: name.to_string(),
            version: version.to_string(),
            location: Location::Folder(dir.to_path_buf()),
        })
    }

    /// Where the package is.
    pub fn path(&self) -> &Path {
        match &self.location {
            Location::Wheel(p) | Location::Folder(p) => p,
        }
    }

    /// The package's name as its registry spells it (`tccli-intl-en`).
    pub fn display_name(&self) -> String {
        self.name.replace('_', "-")
    }

    /// The text of `inner`, a path inside the package.
    pub fn read(&self, inner: &str) -> Result<String, DeriveError> {
        match &self.location {
            Location::Folder(dir) => {
                let path = dir.join(inner);
                if !path.exists() {
                    return Err(DeriveError::MissingFile {
                        path: dir.clone(),
                        inner: inner.to_string(),
                    });
                }
                std::fs::read_to_string(&path).map_err(|source| DeriveError::Io { path, source })
            }
            Location::Wheel(path) => {
                let io = |source| DeriveError::Io {
                    path: path.clone(),
                    source,
                };
                let file = std::fs::File::open(path).map_err(io)?;
                let zip = |source| DeriveError::Zip {
                    path: path.clone(),
                    source,
                };
                let mut archive = zip::ZipArchive::new(file).map_err(zip)?;
                let mut entry = match archive.by_name(inner) {
                    Ok(entry) => entry,
                    Err(zip::result::ZipError::FileNotFound) => {
                        return Err(DeriveError::MissingFile {
                            path: path.clone(),
                            inner: inner.to_string(),
                        });
                    }
                    Err(e) => return Err(zip(e)),
                };
                let mut text = String::new();
                entry.read_to_string(&mut text).map_err(io)?;
                Ok(text)
            }
        }
    }
}

/// The packages found at one place: a folder holding wheels and unpacked
/// packages, or a single `tccli` wheel.
#[derive(Debug)]
pub struct Packages {
    /// `tccli`, the Chinese description.
    pub cn: Package,
    /// `tccli-intl-en`, the English description, if found.
    pub en: Option<Package>,
    /// The iai Python SDK (its error registry), if found.
    pub sdk: Option<Package>,
}

impl Packages {
    /// Finds the packages at `path`: a folder of wheels and unpacked
    /// packages, or a single `tccli` wheel.
    pub fn find(path: &Path) -> Result<Packages, DeriveError> {
        let io = |source| DeriveError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut found: Vec<Package> = Vec::new();
        if path.is_file() {
            found.extend(Package::wheel(path));
        } else if let Some(p) = Package::folder(path) {
            found.push(p);
        } else {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(io)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            for entry in entries {
                let package = if entry.is_dir() {
                    Package::folder(&entry)
                } else {
                    Package::wheel(&entry)
                };
                found.extend(package);
            }
        }
        let mut take = |names: &[&str]| -> Result<Option<Package>, DeriveError> {
            let mut matching = Vec::new();
            let mut i = 0;
            while i < found.len() {
                if names.contains(&found[i].name.as_str()) {
                    matching.push(found.remove(i));
                } else {
                    i += 1;
                }
            }
            // The one-service SDK package is preferred over the whole SDK.
            matching.sort_by_key(|p| names.iter().position(|n| *n == p.name));
            match matching.as_slice() {
                [first, second, ..] if first.name == second.name => Err(DeriveError::TwoPackages {
                    package: first.display_name(),
                    path: path.to_path_buf(),
                    first: first.path().display().to_string(),
                    second: second.path().display().to_string(),
                }),
                _ => Ok(matching.into_iter().next()),
            }
        };
        let cn = take(&[TCCLI])?.ok_or_else(|| DeriveError::MissingPackage {
            package: TCCLI.to_string(),
            path: path.to_path_buf(),
        })?;
        let en = take(&[TCCLI_INTL])?;
        let sdk = take(&[SDK_IAI, SDK_ALL])?;
        Ok(Packages { cn, en, sdk })
    }

    /// What is missing for a complete catalog (both editions and the
    /// registry), by package name.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.en.is_none() {
            out.push("tccli-intl-en");
        }
        if self.sdk.is_none() {
            out.push("tencentcloud-sdk-python-iai");
        }
        out
    }

    /// Reads the packages and builds the catalog.
    pub fn derive(&self) -> Result<Spec, DeriveError> {
        let cn = Description::read(&self.cn)?;
        let en = self.en.as_ref().map(Description::read).transpose()?;
        let codes = match &self.sdk {
            Some(sdk) => registry(&sdk.read(ERRORCODES_PY)?),
            None => Vec::new(),
        };
        let mut sources = vec![source(&self.cn)];
        sources.extend(self.en.iter().map(source));
        sources.extend(self.sdk.iter().map(source));
        build(&cn, en.as_ref(), codes, sources)
    }
}

fn source(p: &Package) -> Source {
    Source {
        package: p.display_name(),
        version: p.version.clone(),
    }
}

/// The codes `errorcodes.py` defines (`NAME = 'Code'`), in its order.
pub(crate) fn registry(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(" = ")?;
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            {
                return None;
            }
            let code = value.trim().strip_prefix('\'')?.strip_suffix('\'')?;
            Some(code.to_string())
        })
        .collect()
}

#[derive(Debug, Deserialize)]
struct RawApi {
    actions: BTreeMap<String, RawAction>,
    objects: BTreeMap<String, RawObject>,
    metadata: RawMetadata,
}

#[derive(Debug, Deserialize)]
struct RawMetadata {
    #[serde(rename = "apiVersion")]
    api_version: String,
}

#[derive(Debug, Deserialize)]
struct RawAction {
    input: String,
    output: String,
    status: String,
}

#[derive(Debug, Deserialize)]
struct RawObject {
    members: Vec<RawMember>,
}

#[derive(Debug, Deserialize)]
struct RawMember {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    member: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    value_allowed_null: bool,
    #[serde(default)]
    disabled: bool,
    #[serde(default)]
    example: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct RawExamples {
    actions: BTreeMap<String, Vec<RawExample>>,
}

#[derive(Debug, Deserialize)]
struct RawExample {
    input: String,
    output: String,
}

/// One edition's `api.json` and `examples.json`, parsed.
#[derive(Debug)]
pub(crate) struct Description {
    api: RawApi,
    examples: RawExamples,
}

impl Description {
    pub(crate) fn read(package: &Package) -> Result<Description, DeriveError> {
        fn parse<T: serde::de::DeserializeOwned>(
            package: &Package,
            inner: &str,
        ) -> Result<T, DeriveError> {
            serde_json::from_str(&package.read(inner)?).map_err(|source| DeriveError::Json {
                file: format!("{}:{inner}", package.display_name()),
                source,
            })
        }
        Ok(Description {
            api: parse(package, API_JSON)?,
            examples: parse(package, EXAMPLES_JSON)?,
        })
    }

    /// Reads the two files' texts directly (for tests and unpacked copies).
    #[cfg(test)]
    pub(crate) fn parse(api_json: &str, examples_json: &str) -> Result<Description, DeriveError> {
        Ok(Description {
            api: serde_json::from_str(api_json).map_err(|source| DeriveError::Json {
                file: API_JSON.to_string(),
                source,
            })?,
            examples: serde_json::from_str(examples_json).map_err(|source| DeriveError::Json {
                file: EXAMPLES_JSON.to_string(),
                source,
            })?,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Input,
    Output,
}

fn members(
    api: &RawApi,
    object: &str,
    side: Side,
    stack: &mut Vec<String>,
) -> Result<Vec<Member>, DeriveError> {
    if stack.iter().any(|o| o == object) {
        return Err(DeriveError::Recursive {
            object: object.to_string(),
        });
    }
    let Some(raw) = api.objects.get(object) else {
        return Err(DeriveError::MissingObject {
            action: stack.first().cloned().unwrap_or_default(),
            object: object.to_string(),
        });
    };
    stack.push(object.to_string());
    let mut out = Vec::new();
    for m in &raw.members {
        if side == Side::Output && stack.len() == 1 && m.name == "RequestId" {
            continue;
        }
        out.push(member(api, object, m, side, stack)?);
    }
    stack.pop();
    Ok(out)
}

fn member(
    api: &RawApi,
    object: &str,
    raw: &RawMember,
    side: Side,
    stack: &mut Vec<String>,
) -> Result<Member, DeriveError> {
    let unknown = || DeriveError::UnknownType {
        object: object.to_string(),
        member: raw.name.clone(),
        ty: raw.ty.clone(),
        element: raw.member.clone(),
    };
    let array = match raw.ty.as_str() {
        "list" => true,
        "string" | "int" | "float" | "bool" | "object" => false,
        _ => return Err(unknown()),
    };
    let (ty, unsigned, structure) = match raw.member.as_str() {
        "string" => (Type::String, false, None),
        "int64" | "int32" | "int" => (Type::Integer, false, None),
        "uint64" | "uint32" => (Type::Integer, true, None),
        "float" | "double" => (Type::Float, false, None),
        "bool" => (Type::Boolean, false, None),
        name if api.objects.contains_key(name) => (Type::Object, false, Some(name.to_string())),
        _ => return Err(unknown()),
    };
    let fields = match &structure {
        Some(name) => members(api, name, side, stack)?,
        None => Vec::new(),
    };
    // "无" ("none") and "" are the description's way of giving no example.
    let example = raw.example.as_ref().and_then(|v| match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() || s == "无" => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    });
    Ok(Member {
        name: raw.name.clone(),
        ty,
        array,
        unsigned,
        required: side == Side::Input && raw.required,
        nullable: side == Side::Output && raw.value_allowed_null,
        disabled: raw.disabled,
        object: structure,
        example,
        fields,
    })
}

/// Builds the catalog from the Chinese description (the primary one: it
/// has every action), the international one and the error registry.
pub(crate) fn build(
    cn: &Description,
    en: Option<&Description>,
    codes: Vec<String>,
    sources: Vec<Source>,
) -> Result<Spec, DeriveError> {
    let editions: Vec<(Edition, &Description)> = std::iter::once((Edition::Cn, cn))
        .chain(en.map(|d| (Edition::En, d)))
        .collect();
    let names: BTreeSet<&String> = editions
        .iter()
        .flat_map(|(_, d)| d.api.actions.keys())
        .collect();
    let mut actions = Vec::new();
    for name in names {
        // The first edition that has the action describes it.
        let (_, primary) = editions
            .iter()
            .find(|(_, d)| d.api.actions.contains_key(name))
            .expect("the name came from an edition");
        let raw = &primary.api.actions[name];
        let mut stack = vec![];
        let params = members(&primary.api, &raw.input, Side::Input, &mut stack)
            .map_err(|e| with_action(e, name))?;
        let outputs = members(&primary.api, &raw.output, Side::Output, &mut stack)
            .map_err(|e| with_action(e, name))?;
        let mut spec = ActionSpec {
            name: name.clone(),
            status: raw.status.clone(),
            editions: editions
                .iter()
                .filter(|(_, d)| d.api.actions.contains_key(name))
                .map(|(e, _)| *e)
                .collect(),
            params,
            outputs,
            examples: Vec::new(),
        };
        for (edition, description) in &editions {
            let printed = description.examples.actions.get(name);
            for (i, raw) in printed.into_iter().flatten().enumerate() {
                let example = example(&spec.params, *edition, i + 1, raw);
                spec.examples.push(example);
            }
        }
        actions.push(spec);
    }
    Ok(Spec {
        api_version: cn.api.metadata.api_version.clone(),
        sources,
        codes,
        actions,
    })
}

fn with_action(e: DeriveError, action: &str) -> DeriveError {
    match e {
        DeriveError::MissingObject { object, .. } => DeriveError::MissingObject {
            action: action.to_string(),
            object,
        },
        other => other,
    }
}

/// The parameters every request carries besides the action's own.
fn is_common(name: &str) -> bool {
    super::V1_COMMON_PARAMS.contains(&name)
}

fn example(params: &[Member], edition: Edition, number: usize, raw: &RawExample) -> Example {
    let input = raw.input.replace("\r\n", "\n");
    let (style, request, request_text) = if input.starts_with("POST") {
        let body = input.split_once("\n\n").map_or("", |(_, b)| b);
        match serde_json::from_str::<Map<String, Value>>(body) {
            Ok(map) => (Style::Json, map, None),
            Err(_) => (Style::Json, Map::new(), Some(input.clone())),
        }
    } else {
        match input.split_once('?') {
            Some((_, query)) => (Style::Query, fold_query(params, query), None),
            None => (Style::Query, Map::new(), Some(input.clone())),
        }
    };
    let (response, response_text) = match serde_json::from_str::<Value>(&raw.output) {
        Ok(v) => (Some(v), None),
        Err(_) => (None, Some(raw.output.replace("\r\n", "\n"))),
    };
    Example {
        edition,
        number,
        style,
        request,
        request_text,
        response,
        response_text,
    }
}

/// Folds a printed query (`&Urls.0=a` on each line) back into typed JSON.
fn fold_query(params: &[Member], query: &str) -> Map<String, Value> {
    let mut root = Value::Object(Map::new());
    for line in query.lines() {
        let pair = line.trim().trim_start_matches('&');
        if pair.is_empty() || pair.starts_with('<') {
            continue;
        }
        let (key, text) = pair.split_once('=').unwrap_or((pair, ""));
        let segments: Vec<&str> = key.split('.').collect();
        if segments.len() == 1 && is_common(key) {
            continue;
        }
        let leaf = typed(member_at(params, &segments), text);
        insert(&mut root, &segments, leaf);
    }
    match root {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The member a flattened key names (`PersonExDescriptionInfos.0.PersonExDescription`).
fn member_at<'a>(params: &'a [Member], segments: &[&str]) -> Option<&'a Member> {
    let mut level = params;
    let mut found = None;
    for seg in segments.iter().filter(|s| s.parse::<usize>().is_err()) {
        let m = level.iter().find(|m| m.name == *seg)?;
        level = &m.fields;
        found = Some(m);
    }
    found
}

fn typed(member: Option<&Member>, text: &str) -> Value {
    let ty = member.map(|m| m.ty);
    let parsed = match ty {
        Some(Type::Integer) => text
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| text.parse::<u64>().map(Value::from))
            .ok(),
        Some(Type::Float) => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
        Some(Type::Boolean) => match text {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::String(text.to_string()))
}

fn insert(slot: &mut Value, segments: &[&str], leaf: Value) {
    let Some((seg, rest)) = segments.split_first() else {
        *slot = leaf;
        return;
    };
    if let Ok(i) = seg.parse::<usize>() {
        if !slot.is_array() {
            *slot = Value::Array(Vec::new());
        }
        let items = slot.as_array_mut().expect("made an array");
        while items.len() <= i {
            items.push(Value::Null);
        }
        insert(&mut items[i], rest, leaf);
    } else {
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let map = slot.as_object_mut().expect("made an object");
        insert(
            map.entry(seg.to_string()).or_insert(Value::Null),
            rest,
            leaf,
        );
    }
}

/// One difference between two catalogs, as a line a reviewer reads:
/// `+ field GetGroupList.GroupInfos[].UpdateTimestamp (Integer, unsigned)`.
pub fn changes(committed: &Spec, fresh: &Spec) -> Vec<String> {
    let mut out = Vec::new();
    if committed.api_version != fresh.api_version {
        out.push(format!(
            "~ api_version: {} -> {}",
            committed.api_version, fresh.api_version
        ));
    }
    let old: BTreeSet<&str> = committed.codes.iter().map(String::as_str).collect();
    let new: BTreeSet<&str> = fresh.codes.iter().map(String::as_str).collect();
    out.extend(new.difference(&old).map(|c| format!("+ code {c}")));
    out.extend(old.difference(&new).map(|c| format!("- code {c}")));
    if old == new && committed.codes != fresh.codes {
        out.push("~ codes: the same codes in another order".to_string());
    }
    let facts = |spec: &Spec| -> BTreeMap<String, String> {
        let mut map = BTreeMap::new();
        for a in &spec.actions {
            map.insert(
                format!("action {}", a.name),
                format!(
                    "{}, in {}",
                    a.status,
                    a.editions
                        .iter()
                        .map(Edition::to_string)
                        .collect::<Vec<_>>()
                        .join("+")
                ),
            );
            flatten(&format!("param {}", a.name), &a.params, &mut map);
            flatten(&format!("field {}", a.name), &a.outputs, &mut map);
            for ex in &a.examples {
                let text = serde_json::to_string(ex).expect("an example serializes");
                map.insert(format!("example {} {}", a.name, ex.label()), text);
            }
        }
        map
    };
    let (old, new) = (facts(committed), facts(fresh));
    for (key, value) in &new {
        match old.get(key) {
            None if key.starts_with("example") => out.push(format!("+ {key}")),
            None => out.push(format!("+ {key} ({value})")),
            Some(before) if before != value && key.starts_with("example") => {
                out.push(format!("~ {key}: request or response changed"));
            }
            Some(before) if before != value => out.push(format!("~ {key}: {before} -> {value}")),
            Some(_) => {}
        }
    }
    for key in old.keys().filter(|k| !new.contains_key(*k)) {
        out.push(format!("- {key}"));
    }
    out
}

fn flatten(prefix: &str, members: &[Member], out: &mut BTreeMap<String, String>) {
    for m in members {
        let path = format!("{prefix}.{}", m.name);
        let mut facts = vec![m.type_name()];
        for (flag, on) in [
            ("unsigned", m.unsigned),
            ("required", m.required),
            ("nullable", m.nullable),
            ("disabled", m.disabled),
        ] {
            if on {
                facts.push(flag.to_string());
            }
        }
        if let Some(example) = &m.example {
            facts.push(format!("example {example:?}"));
        }
        out.insert(path.clone(), facts.join(", "));
        let below = if m.array { format!("{path}[]") } else { path };
        flatten(&below, &m.fields, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn api() -> String {
        json!({
            "metadata": {"apiVersion": "2020-03-03"},
            "actions": {
                "GetThing": {"input": "GetThingRequest", "output": "GetThingResponse", "status": "online", "name": "x", "document": "y"}
            },
            "objects": {
                "GetThingRequest": {"members": [
                    {"name": "Ids", "type": "list", "member": "string", "required": true, "example": "[\"a\"]", "document": "prose"},
                    {"name": "Infos", "type": "list", "member": "Info", "required": false, "document": "prose"},
                    {"name": "Limit", "type": "int", "member": "uint64", "required": false, "document": "prose"}
                ], "type": "object"},
                "Info": {"members": [
                    {"name": "Index", "type": "int", "member": "uint64", "required": true, "value_allowed_null": true},
                    {"name": "Text", "type": "string", "member": "string", "required": true}
                ], "type": "object"},
                "GetThingResponse": {"members": [
                    {"name": "Thing", "type": "object", "member": "Info", "value_allowed_null": false},
                    {"name": "Score", "type": "float", "member": "float", "value_allowed_null": true},
                    {"name": "RequestId", "type": "string", "member": "string"}
                ], "type": "object"}
            }
        })
        .to_string()
    }

    fn examples() -> String {
        json!({"actions": {"GetThing": [
            {"title": "t", "document": "", "input": "https://iai.tencentcloudapi.com/?Action=GetThing\r\n&Ids.0=a&b\r\n&Infos.1.Index=3\r\n&Infos.1.Text=x\r\n&Limit=20\r\n&<公共请求参数>",
             "output": "{\"Response\": {\"Thing\": {\"Index\": 1, \"Text\": \"t\"}, \"RequestId\": \"r\"}}"},
            {"title": "t", "document": "", "input": "POST / HTTP/1.1\nHost: iai.tencentcloudapi.com\n\n{\"Limit\": 1}",
             "output": "{\"Response\": {\"Tag\": \"a\" \"B\": 1}}"}
        ]}})
        .to_string()
    }

    fn spec() -> Spec {
        let d = Description::parse(&api(), &examples()).unwrap();
        build(&d, None, vec!["A.B".into()], vec![]).unwrap()
    }

    #[test]
    fn carries_types_flags_and_nesting_but_no_prose() {
        let spec = spec();
        let action = spec.action("GetThing").unwrap();
        let ids = action.param("Ids").unwrap();
        assert!(ids.array && ids.required && ids.ty == Type::String);
        assert_eq!(ids.example.as_deref(), Some("[\"a\"]"));
        let infos = action.param("Infos").unwrap();
        assert_eq!(infos.type_name(), "Array of Info");
        let index = infos.field("Index").unwrap();
        // An input member is never "nullable"; an output's never "required".
        assert!(index.unsigned && index.required && !index.nullable);
        let thing = action.output("Thing").unwrap();
        assert!(!thing.nullable && thing.field("Index").unwrap().nullable);
        assert!(!thing.field("Index").unwrap().required);
        assert!(action.output("RequestId").is_none());
        assert!(!spec.render().contains("prose"));
    }

    #[test]
    fn folds_a_printed_query_into_typed_json() {
        let spec = spec();
        let ex = &spec.action("GetThing").unwrap().examples[0];
        assert_eq!(ex.style, Style::Query);
        assert_eq!(
            Value::Object(ex.request.clone()),
            json!({"Ids": ["a&b"], "Infos": [null, {"Index": 3, "Text": "x"}], "Limit": 20})
        );
        assert_eq!(
            ex.response.as_ref().unwrap()["Response"]["Thing"]["Index"],
            1
        );
    }

    #[test]
    fn keeps_an_answer_that_is_not_json_as_text() {
        let spec = spec();
        let ex = &spec.action("GetThing").unwrap().examples[1];
        assert_eq!((ex.style, ex.label()), (Style::Json, "cn#2".to_string()));
        assert_eq!(Value::Object(ex.request.clone()), json!({"Limit": 1}));
        assert!(ex.response.is_none() && ex.response_text.is_some());
    }

    #[test]
    fn refuses_a_type_it_does_not_know() {
        let text = api().replace("\"member\": \"float\"", "\"member\": \"decimal\"");
        let text = text.replace("\"member\":\"float\"", "\"member\":\"decimal\"");
        let d = Description::parse(&text, &examples()).unwrap();
        let e = build(&d, None, vec![], vec![]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "GetThingResponse.Score: unknown type \"float\" of \"decimal\""
        );
    }

    #[test]
    fn reads_the_registry_of_codes() {
        let text = "# comment\nAUTHFAILURE = 'AuthFailure'\n\n# x\nFAILEDOPERATION_X = 'FailedOperation.X'\nnot_a_code = 'y'\n";
        assert_eq!(registry(text), ["AuthFailure", "FailedOperation.X"]);
    }

    /// A folder holding a wheel per edition and an unpacked SDK package.
    fn packages_folder() -> PathBuf {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("iai-tccli-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["tccli-3.1.1.1", "tccli_intl_en-3.1.2.1"] {
            let file =
                std::fs::File::create(dir.join(format!("{name}-py2.py3-none-any.whl"))).unwrap();
            let mut zip = zip::ZipWriter::new(file);
            let stored = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            for (inner, text) in [(API_JSON, api()), (EXAMPLES_JSON, examples())] {
                zip.start_file(inner, stored).unwrap();
                zip.write_all(text.as_bytes()).unwrap();
            }
            zip.finish().unwrap();
        }
        let sdk = dir.join("sdk");
        std::fs::create_dir_all(sdk.join("tencentcloud_sdk_python_iai-3.1.3.dist-info")).unwrap();
        std::fs::create_dir_all(sdk.join("tencentcloud/iai/v20200303")).unwrap();
        std::fs::write(
            sdk.join(ERRORCODES_PY),
            "# x\nINTERNALERROR = 'InternalError'\n",
        )
        .unwrap();
        dir
    }

    #[test]
    fn reads_wheels_and_unpacked_folders_alike() {
        let dir = packages_folder();
        let packages = Packages::find(&dir).unwrap();
        assert!(packages.missing().is_empty());
        let spec = packages.derive().unwrap();
        let sources: Vec<String> = spec
            .sources
            .iter()
            .map(|s| format!("{} {}", s.package, s.version))
            .collect();
        assert_eq!(
            sources,
            [
                "tccli 3.1.1.1",
                "tccli-intl-en 3.1.2.1",
                "tencentcloud-sdk-python-iai 3.1.3"
            ]
        );
        assert_eq!(spec.codes, ["InternalError"]);
        let action = spec.action("GetThing").unwrap();
        assert_eq!(action.editions, [Edition::Cn, Edition::En]);
        let labels: Vec<String> = action.examples.iter().map(Example::label).collect();
        assert_eq!(labels, ["cn#1", "cn#2", "en#1", "en#2"]);
        // Two versions of one package: which one is meant is not guessed.
        std::fs::copy(
            dir.join("tccli-3.1.1.1-py2.py3-none-any.whl"),
            dir.join("tccli-3.1.9.1-py2.py3-none-any.whl"),
        )
        .unwrap();
        let e = Packages::find(&dir).unwrap_err();
        assert!(e.to_string().starts_with("two tccli packages in"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn names_every_added_removed_and_changed_thing() {
        let committed = spec();
        let mut fresh = committed.clone();
        let action = &mut fresh.actions[0];
        action.params.retain(|p| p.name != "Limit");
        action.outputs[0].fields[0].nullable = false;
        action.outputs.push(Member {
            name: "New".into(),
            ty: Type::Boolean,
            array: false,
            unsigned: false,
            required: false,
            nullable: true,
            disabled: false,
            object: None,
            example: None,
            fields: vec![],
        });
        action.examples[0].request.insert("Limit".into(), json!(21));
        fresh.codes.push("C.D".into());
        let mut other = fresh.actions[0].clone();
        other.name = "GetOther".into();
        fresh.actions.push(other);
        let changes = changes(&committed, &fresh);
        for line in [
            "+ code C.D",
            "+ action GetOther (online, in cn)",
            "- param GetThing.Limit",
            "~ field GetThing.Thing.Index: Integer, unsigned, nullable -> Integer, unsigned",
            "+ field GetThing.New (Boolean, nullable)",
            "~ example GetThing cn#1: request or response changed",
        ] {
            assert!(
                changes.iter().any(|c| c == line),
                "{line} not in {changes:#?}"
            );
        }
        assert!(super::changes(&committed, &committed).is_empty());
    }
}
