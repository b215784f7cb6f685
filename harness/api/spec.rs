//! The generated part of the catalog: what Tencent's machine-readable API
//! description says about every action, in the project's own form.
//!
//! `generated/iai.json` is written by `iai-conformance derive --tencent DIR`
//! (see [`super::tccli`]) and never edited by hand; the hand-written rules
//! the data cannot express live in `actions.toml` beside it. The file holds
//! facts only: names, types, flags, example values and the official
//! examples; none of Tencent's prose.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The wire type of one value (an array's element type when
/// [`Member::array`] is set).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Type {
    String,
    Integer,
    Float,
    Boolean,
    /// A structure; its members are [`Member::fields`].
    Object,
}

impl std::fmt::Display for Type {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::String => "String",
            Self::Integer => "Integer",
            Self::Float => "Float",
            Self::Boolean => "Boolean",
            Self::Object => "Object",
        })
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One input parameter or output field, with its members when it is an
/// object (inlined: every use of a structure carries its own copy, so a
/// path names everything below it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// The member's name, as on the wire.
    pub name: String,
    #[serde(rename = "type")]
    /// Its type.
    pub ty: Type,
    /// An array of `ty`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub array: bool,
    /// A uint64 integer: never negative.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unsigned: bool,
    /// An input the caller must give (inputs only).
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// An output that may be null or left out (outputs only).
    #[serde(default, skip_serializing_if = "is_false")]
    pub nullable: bool,
    /// Marked disabled in the description.
    #[serde(default, skip_serializing_if = "is_false")]
    pub disabled: bool,
    /// The structure's name, for an object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// The example value the description gives, as written there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    /// The structure's members, for an object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Member>,
}

impl Member {
    /// The member's type as the documents print it: `Array of Integer`,
    /// `GroupInfo`.
    pub fn type_name(&self) -> String {
        let one = match (&self.object, self.ty) {
            (Some(name), Type::Object) => name.clone(),
            _ => self.ty.to_string(),
        };
        if self.array {
            format!("Array of {one}")
        } else {
            one
        }
    }

    /// The field `name` of an object member, if it has one.
    pub fn field(&self, name: &str) -> Option<&Member> {
        self.fields.iter().find(|m| m.name == name)
    }
}

/// Which edition of Tencent's description an example comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Edition {
    /// The Chinese site (`tccli`).
    Cn,
    /// The international site (`tccli-intl-en`).
    En,
}

impl std::fmt::Display for Edition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Cn => "cn",
            Self::En => "en",
        })
    }
}

/// How an example writes its request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// A GET query string, flattened (`Urls.0=...`).
    Query,
    /// A POST with a JSON body.
    Json,
}

/// One official example: the request's parameters and the full answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub edition: Edition,
    /// Its position among the edition's examples of the action, from 1.
    pub number: usize,
    pub style: Style,
    /// The parameters, typed by the action's inputs (a flattened query is
    /// folded back into arrays and objects).
    pub request: Map<String, Value>,
    /// The request as printed, when it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_text: Option<String>,
    /// The whole answer (`{"Response": ...}`); absent when the printed
    /// answer is not JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
    /// The answer as printed, when it is not JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_text: Option<String>,
}

impl Example {
    /// `cn#2`: how reports name the example.
    pub fn label(&self) -> String {
        format!("{}#{}", self.edition, self.number)
    }

    /// The answer's `Error.Code`, for an error example.
    pub fn error_code(&self) -> Option<&str> {
        self.response.as_ref()?["Response"]["Error"]["Code"].as_str()
    }
}

/// One action as the description gives it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    /// The action's name, e.g. `DeletePerson`.
    pub name: String,
    /// `online` or `deprecated`.
    pub status: String,
    /// The editions whose description has the action.
    pub editions: Vec<Edition>,
    /// Its input parameters.
    pub params: Vec<Member>,
    /// Success fields besides `RequestId`.
    pub outputs: Vec<Member>,
    /// Its official examples.
    pub examples: Vec<Example>,
}

impl ActionSpec {
    /// The input parameter `name`, if the action has it.
    pub fn param(&self, name: &str) -> Option<&Member> {
        self.params.iter().find(|m| m.name == name)
    }

    /// The output field `name`, if the action has it.
    pub fn output(&self, name: &str) -> Option<&Member> {
        self.outputs.iter().find(|m| m.name == name)
    }
}

/// A package the data was read from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub package: String,
    pub version: String,
}

/// The whole generated catalog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The API version the catalog describes.
    pub api_version: String,
    /// What it was generated from (informational: a new package version
    /// with the same data is no change).
    pub sources: Vec<Source>,
    /// The service's error-code registry, in the SDK's order.
    pub codes: Vec<String>,
    /// Every action, by name.
    pub actions: Vec<ActionSpec>,
}

impl Spec {
    /// The catalog generated from Tencent's description, built into the
    /// harness.
    pub fn get() -> &'static Spec {
        &SPEC
    }

    /// Reads a generated catalog.
    pub fn parse(text: &str) -> Result<Spec, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The catalog as the committed file holds it: pretty JSON, one
    /// trailing newline. The same spec always renders to the same bytes.
    pub fn render(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a spec serializes");
        text.push('\n');
        text
    }

    /// The action `name`, if the catalog describes it.
    pub fn action(&self, name: &str) -> Option<&ActionSpec> {
        self.actions.iter().find(|a| a.name == name)
    }
}

/// The committed generated file, as text.
pub const GENERATED: &str = include_str!("generated/iai.json");

static SPEC: LazyLock<Spec> = LazyLock::new(|| {
    Spec::parse(GENERATED).unwrap_or_else(|e| panic!("harness/api/generated/iai.json: {e}"))
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_file_is_what_rendering_writes() {
        assert_eq!(Spec::get().render(), GENERATED);
    }

    #[test]
    fn holds_all_thirty_five_actions_sorted_by_name() {
        let names: Vec<&str> = Spec::get()
            .actions
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names.len(), 35);
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }

    #[test]
    fn objects_have_members_and_nothing_else_does() {
        fn walk(action: &str, path: &str, members: &[Member], wrong: &mut Vec<String>) {
            for m in members {
                let path = format!("{path}.{}", m.name);
                let is_object = m.ty == Type::Object;
                if is_object == m.fields.is_empty() || is_object != m.object.is_some() {
                    wrong.push(format!("{action}{path}"));
                }
                walk(action, &path, &m.fields, wrong);
            }
        }
        let mut wrong = Vec::new();
        for a in &Spec::get().actions {
            walk(&a.name, "", &a.params, &mut wrong);
            walk(&a.name, "", &a.outputs, &mut wrong);
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn names_types_as_the_documents_do() {
        let list = Spec::get().action("GetGroupList").unwrap();
        assert_eq!(
            list.output("GroupInfos").unwrap().type_name(),
            "Array of GroupInfo"
        );
        assert_eq!(list.param("Limit").unwrap().type_name(), "Integer");
    }
}
