use std::sync::LazyLock;

use serde::Deserialize;

/// What kind of failure a code reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    /// Authentication and authorization (`AuthFailure.*`).
    Auth,
    /// The request or one of its parameters is wrong.
    Parameter,
    /// A resource is missing, busy, or in the wrong state.
    Resource,
    /// A quota or rate limit.
    Limit,
    /// The account's billing state.
    Billing,
    /// The service failed.
    Server,
}

/// One error code, spelled exactly as Tencent spells it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorCode {
    pub code: String,
    pub kind: ErrorKind,
    /// What the code means, in our own words.
    pub description: String,
    /// A common code, valid for every action of every product.
    #[serde(default)]
    pub common: bool,
    /// In the iai 2020-03-03 error registry.
    #[serde(default)]
    pub iai: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    String,
    Integer,
    Float,
    Boolean,
    StringArray,
    Object,
    ObjectArray,
}

/// A documented rule on a parameter's value, checked by [`super::validate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    PersonId,
    GroupId,
    PersonName,
    GroupName,
    GroupTag,
    Gender,
    Image,
    Url,
    FaceModelVersion,
    Offset,
    Limit,
    /// Group description-field names (`GroupExDescriptions`).
    GroupExDescriptions,
    /// Person description key-values (`PersonExDescriptionInfos`).
    PersonExDescriptionInfos,
    /// Face IDs (`FaceIds`).
    FaceIds,
    /// Group ID lists (`GroupIds`).
    GroupIds,
}

/// An input parameter of an action.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ParamType,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub rule: Option<Rule>,
    /// Members, for `object` and `object_array` parameters.
    #[serde(default, rename = "field")]
    pub fields: Vec<Param>,
}

/// An output field of an action's success answer (besides `RequestId`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ParamType,
    /// Present in every success answer (false where the document says it may be null).
    #[serde(default = "yes")]
    pub always: bool,
}

fn yes() -> bool {
    true
}

/// One action of iai 2020-03-03.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub name: String,
    /// What it does, in our own words.
    pub summary: String,
    #[serde(default, rename = "param")]
    pub params: Vec<Param>,
    /// Success fields other than `RequestId`.
    #[serde(default, rename = "output")]
    pub outputs: Vec<Field>,
    /// The error codes the action's document lists (besides the common codes).
    #[serde(default)]
    pub documented_codes: Vec<String>,
}

impl Action {
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorsFile {
    #[serde(rename = "code")]
    codes: Vec<ErrorCode>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionsFile {
    #[serde(rename = "action")]
    actions: Vec<Action>,
}

/// The error codes and actions, parsed from the data files.
#[derive(Debug)]
pub struct Catalog {
    codes: Vec<ErrorCode>,
    actions: Vec<Action>,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let errors: ErrorsFile = toml::from_str(include_str!("errors.toml"))
        .unwrap_or_else(|e| panic!("harness/api/errors.toml: {e}"));
    let actions: ActionsFile = toml::from_str(include_str!("actions.toml"))
        .unwrap_or_else(|e| panic!("harness/api/actions.toml: {e}"));
    Catalog {
        codes: errors.codes,
        actions: actions.actions,
    }
});

impl Catalog {
    /// The catalog built into the harness.
    pub fn get() -> &'static Catalog {
        &CATALOG
    }

    pub fn codes(&self) -> &[ErrorCode] {
        &self.codes
    }

    pub fn code(&self, code: &str) -> Option<&ErrorCode> {
        self.codes.iter().find(|c| c.code == code)
    }

    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    pub fn action(&self, name: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.name == name)
    }

    /// Whether `code` may answer `action`: one of the action's documented
    /// codes, or a common code.
    pub fn allows(&self, action: &str, code: &str) -> bool {
        self.code(code).is_some_and(|c| c.common)
            || self
                .action(action)
                .is_some_and(|a| a.documented_codes.iter().any(|c| c == code))
    }
}
