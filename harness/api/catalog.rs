use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::spec::{Member, Spec, Type};

/// What kind of failure a code reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeKind {
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
    /// The code, e.g. `InvalidParameterValue.PersonIdNotExist`.
    pub code: String,
    /// What kind of failure it reports.
    pub kind: CodeKind,
    /// What the code means, in our own words.
    pub description: String,
    /// A common code, valid for every action of every product.
    #[serde(default)]
    pub common: bool,
    /// In the iai 2020-03-03 error registry.
    #[serde(default)]
    pub iai: bool,
    /// Another code the document gives for the same condition: wherever a
    /// case expects that code, a target may answer this one too (the
    /// emulator answers the expected one). One rule, applied to every case.
    #[serde(default)]
    pub same_as: Option<String>,
}

/// The wire type of a parameter or output field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    /// A string.
    String,
    /// An integer.
    Integer,
    /// A floating-point number.
    Float,
    /// A boolean.
    Boolean,
    /// An array of strings.
    StringArray,
    /// An object.
    Object,
    /// An array of objects.
    ObjectArray,
    /// An array of integers (CreateFace's `RetCode` and `SucIndexes`).
    IntegerArray,
}

/// A documented rule on a parameter's value, checked by the one validator of IDs and names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A PersonId: the documented characters and length.
    PersonId,
    /// A GroupId: the documented characters and length.
    GroupId,
    /// A person's name: the documented characters and length.
    PersonName,
    /// A group's name: the documented characters and length.
    GroupName,
    /// A group's tag: the documented length.
    GroupTag,
    /// A gender: one of the documented values.
    Gender,
    /// A Base64 image: decodable, of a supported format and size.
    Image,
    /// An image URL.
    Url,
    /// A face model version: one of the documented values.
    FaceModelVersion,
    /// A paging offset: not negative.
    Offset,
    /// A paging limit: within the action's documented maximum.
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

/// An input parameter of an action: its wire facts from the generated
/// catalog ([`crate::Spec`]), its rule and maximum from `actions.toml`.
#[derive(Clone, Debug)]
pub struct Param {
    /// The parameter's name, as on the wire.
    pub name: String,
    /// Its wire type.
    pub ty: ParamType,
    /// Whether the action needs it.
    pub required: bool,
    /// The value rule it follows, if any.
    pub rule: Option<Rule>,
    /// The largest value the document allows (`Limit`, the control levels,
    /// `FaceMatchThreshold`).
    pub max: Option<u64>,
    /// An unsigned integer (uint64 in the API description): a negative value
    /// is a type error, not a rule violation.
    pub unsigned: bool,
    /// Members, for `object` and `object_array` parameters.
    pub fields: Vec<Param>,
}

/// An output field of an action's success answer (besides `RequestId`).
#[derive(Clone, Debug)]
pub struct Field {
    /// The field's name, as on the wire.
    pub name: String,
    /// Its wire type.
    pub ty: ParamType,
    /// Present in every success answer (false where the document says it may be null).
    pub always: bool,
}

/// One action of iai 2020-03-03.
#[derive(Clone, Debug)]
pub struct Action {
    /// The action's name, e.g. `DeletePerson`.
    pub name: String,
    /// What it does, in our own words.
    pub summary: String,
    /// Its input parameters.
    pub params: Vec<Param>,
    /// Success fields other than `RequestId`.
    pub outputs: Vec<Field>,
    /// The error codes the action's document lists (a few are also common
    /// codes); every common code is allowed besides these.
    pub documented_codes: Vec<String>,
}

impl Action {
    /// The input parameter `name`, if the action has it.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// What `actions.toml` says about an action: what the generated part
/// cannot.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HandAction {
    name: String,
    summary: String,
    #[serde(default, rename = "param")]
    params: Vec<HandParam>,
    #[serde(default)]
    documented_codes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HandParam {
    name: String,
    #[serde(default)]
    rule: Option<Rule>,
    #[serde(default)]
    max: Option<u64>,
    #[serde(default, rename = "field")]
    fields: Vec<HandParam>,
}

/// The wire type of a generated member, in the hand-written vocabulary.
fn param_type(m: &Member) -> Result<ParamType, String> {
    Ok(match (m.ty, m.array) {
        (Type::String, false) => ParamType::String,
        (Type::Integer, false) => ParamType::Integer,
        (Type::Float, false) => ParamType::Float,
        (Type::Boolean, false) => ParamType::Boolean,
        (Type::Object, false) => ParamType::Object,
        (Type::String, true) => ParamType::StringArray,
        (Type::Integer, true) => ParamType::IntegerArray,
        (Type::Object, true) => ParamType::ObjectArray,
        (Type::Float | Type::Boolean, true) => {
            return Err(format!("{}: {} has no ParamType", m.name, m.type_name()));
        }
    })
}

/// The generated members, each with the hand-written rule naming it; a
/// hand-written entry that names no generated member is an error.
fn params(members: &[Member], hand: &[HandParam], at: &str) -> Result<Vec<Param>, String> {
    if let Some(stray) = hand
        .iter()
        .find(|h| !members.iter().any(|m| m.name == h.name))
    {
        return Err(format!(
            "{at}.{}: no such parameter in generated/iai.json",
            stray.name
        ));
    }
    members
        .iter()
        .map(|m| {
            let h = hand.iter().find(|h| h.name == m.name);
            Ok(Param {
                name: m.name.clone(),
                ty: param_type(m)?,
                required: m.required,
                rule: h.and_then(|h| h.rule),
                max: h.and_then(|h| h.max),
                unsigned: m.unsigned,
                fields: params(
                    &m.fields,
                    h.map_or(&[][..], |h| &h.fields),
                    &format!("{at}.{}", m.name),
                )?,
            })
        })
        .collect()
}

fn merge(hand: HandAction, spec: &Spec) -> Result<Action, String> {
    let Some(generated) = spec.action(&hand.name) else {
        return Err(format!(
            "{}: no such action in generated/iai.json",
            hand.name
        ));
    };
    let outputs = generated
        .outputs
        .iter()
        .map(|m| {
            Ok(Field {
                name: m.name.clone(),
                ty: param_type(m)?,
                always: !m.nullable,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(Action {
        params: params(&generated.params, &hand.params, &hand.name)?,
        outputs,
        name: hand.name,
        summary: hand.summary,
        documented_codes: hand.documented_codes,
    })
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
    actions: Vec<HandAction>,
}

/// The error codes and actions, parsed from the data files.
#[derive(Debug)]
pub struct Catalog {
    codes: Vec<ErrorCode>,
    actions: Vec<Action>,
    /// Positions by code and by action name: the emulator looks an action
    /// up on every request (foldhash: the names are the catalog's own).
    code_at: HashMap<String, usize, foldhash::fast::RandomState>,
    action_at: HashMap<String, usize, foldhash::fast::RandomState>,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let errors: ErrorsFile = toml::from_str(include_str!("errors.toml"))
        .unwrap_or_else(|e| panic!("harness/api/errors.toml: {e}"));
    let actions: ActionsFile = toml::from_str(include_str!("actions.toml"))
        .unwrap_or_else(|e| panic!("harness/api/actions.toml: {e}"));
    let actions: Vec<Action> = actions
        .actions
        .into_iter()
        .map(|a| merge(a, Spec::get()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("harness/api/actions.toml: {e}"));
    let codes: Vec<ErrorCode> = errors.codes;
    // The first of a name wins, as a scan from the start would find it.
    let mut code_at = HashMap::default();
    for (i, c) in codes.iter().enumerate() {
        code_at.entry(c.code.clone()).or_insert(i);
    }
    let mut action_at = HashMap::default();
    for (i, a) in actions.iter().enumerate() {
        action_at.entry(a.name.clone()).or_insert(i);
    }
    Catalog {
        codes,
        actions,
        code_at,
        action_at,
    }
});

impl Catalog {
    /// The catalog built into the harness.
    ///
    /// ```
    /// let catalog = iai_conformance::Catalog::get();
    /// let delete = catalog.action("DeletePerson").expect("a library action");
    /// assert!(delete.param("PersonId").is_some_and(|p| p.required));
    /// // a code documented for DeletePerson, and a common code any action may answer
    /// assert!(catalog.allows("DeletePerson", "InvalidParameterValue.PersonIdNotExist"));
    /// assert!(catalog.allows("DeletePerson", "InternalError"));
    /// ```
    pub fn get() -> &'static Catalog {
        &CATALOG
    }

    /// Every error code: common codes and the iai registry.
    pub fn codes(&self) -> &[ErrorCode] {
        &self.codes
    }

    /// The code `code`, if the catalog has it.
    pub fn code(&self, code: &str) -> Option<&ErrorCode> {
        self.code_at.get(code).map(|&i| &self.codes[i])
    }

    /// Every action the catalog describes.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// The action `name`, if the catalog describes it.
    pub fn action(&self, name: &str) -> Option<&Action> {
        self.action_at.get(name).map(|&i| &self.actions[i])
    }

    /// Whether `code` may answer `action`: one of the action's documented
    /// codes, or a common code.
    pub fn allows(&self, action: &str, code: &str) -> bool {
        self.code(code).is_some_and(|c| c.common)
            || self
                .action(action)
                .is_some_and(|a| a.documented_codes.iter().any(|c| c == code))
    }

    /// The codes that answer the condition `code` names: `code` itself
    /// first, then every code the catalog says is the `same_as` it.
    pub fn same_condition<'a>(&'a self, code: &'a str) -> Vec<&'a str> {
        std::iter::once(code)
            .chain(
                self.codes
                    .iter()
                    .filter(|c| c.same_as.as_deref() == Some(code))
                    .map(|c| c.code.as_str()),
            )
            .collect()
    }

    /// The common codes, valid for every action.
    pub fn common_codes(&self) -> impl Iterator<Item = &ErrorCode> {
        self.codes.iter().filter(|c| c.common)
    }

    /// Every code that may answer `action` (see [`Catalog::allows`]), once
    /// each, in catalog order; for an unknown action, the common codes only.
    pub fn allowed_codes(&self, action: &str) -> impl Iterator<Item = &ErrorCode> {
        self.codes
            .iter()
            .filter(move |c| self.allows(action, &c.code))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    fn catalog() -> &'static Catalog {
        Catalog::get()
    }

    #[test]
    fn no_code_is_listed_twice() {
        let mut seen = BTreeSet::new();
        let twice: Vec<_> = catalog()
            .codes()
            .iter()
            .filter(|c| !seen.insert(c.code.as_str()))
            .map(|c| c.code.as_str())
            .collect();
        assert!(twice.is_empty(), "listed twice in errors.toml: {twice:?}");
    }

    #[test]
    fn no_action_is_listed_twice_nor_lists_a_code_twice() {
        let mut names = BTreeSet::new();
        for action in catalog().actions() {
            assert!(names.insert(&action.name), "{} listed twice", action.name);
            let mut seen = BTreeSet::new();
            let twice: Vec<_> = action
                .documented_codes
                .iter()
                .filter(|c| !seen.insert(c.as_str()))
                .collect();
            assert!(twice.is_empty(), "{} lists {twice:?} twice", action.name);
        }
    }

    #[test]
    fn every_documented_code_is_in_the_catalog() {
        let missing: Vec<String> = catalog()
            .actions()
            .iter()
            .flat_map(|a| {
                a.documented_codes
                    .iter()
                    .filter(|c| catalog().code(c).is_none())
                    .map(move |c| format!("{}: {c}", a.name))
            })
            .collect();
        assert!(missing.is_empty(), "not in errors.toml: {missing:#?}");
    }

    #[test]
    fn every_auth_failure_code_has_kind_auth() {
        let wrong: Vec<_> = catalog()
            .codes()
            .iter()
            .filter(|c| c.code.starts_with("AuthFailure") && c.kind != CodeKind::Auth)
            .map(|c| (&c.code, c.kind))
            .collect();
        assert!(
            wrong.is_empty(),
            "AuthFailure codes of another kind: {wrong:?}"
        );
    }

    #[test]
    fn account_states_are_billing_and_rate_limits_are_limits() {
        for code in catalog().codes() {
            let c = code.code.as_str();
            if c.starts_with("ResourceUnavailable.") || c.starts_with("ResourcesSoldOut.") {
                assert_eq!(code.kind, CodeKind::Billing, "{c}");
            }
            if c.starts_with("RequestLimitExceeded") || c.starts_with("LimitExceeded") {
                assert_eq!(code.kind, CodeKind::Limit, "{c}");
            }
        }
    }

    #[test]
    fn counts_match_the_sources() {
        let codes = catalog().codes();
        let common = codes.iter().filter(|c| c.common).count();
        let iai = codes.iter().filter(|c| c.iai).count();
        let both = codes.iter().filter(|c| c.common && c.iai).count();
        // 38 common codes (the IAI error-code page, cloud.tencent.com/document/api/867/45021);
        // 98 registered (tencentcloud/iai/v20200303/errorcodes.py of the Python SDK).
        assert_eq!((common, iai, both), (38, 98, 5));
        assert_eq!(catalog().common_codes().count(), 38);

        let per_action: BTreeMap<&str, usize> = catalog()
            .actions()
            .iter()
            .map(|a| (a.name.as_str(), a.documented_codes.len()))
            .collect();
        // the per-action lists of the CN Go SDK (tencentcloud/iai/v20200303/client.go).
        let expected = BTreeMap::from([
            ("CopyPerson", 68),
            ("CreateFace", 73),
            ("CreateGroup", 69),
            ("CreatePerson", 74),
            ("DeleteFace", 67),
            ("DeleteGroup", 66),
            ("DeletePerson", 67),
            ("DeletePersonFromGroup", 67),
            ("GetGroupInfo", 10),
            ("GetGroupList", 66),
            ("GetPersonBaseInfo", 66),
            ("GetPersonGroupInfo", 66),
            ("GetPersonList", 66),
            ("GetPersonListNum", 66),
            ("ModifyGroup", 65),
            ("ModifyPersonBaseInfo", 66),
            ("ModifyPersonGroupInfo", 65),
            ("SearchFaces", 73),
            ("SearchFacesReturnsByGroup", 73),
            ("SearchPersons", 41),
            ("SearchPersonsReturnsByGroup", 39),
            ("VerifyFace", 71),
            ("VerifyPerson", 33),
            ("UpgradeGroupFaceModelVersion", 11),
            ("RevertGroupFaceModelVersion", 10),
            ("GetUpgradeGroupFaceModelVersionJobList", 8),
            ("GetUpgradeGroupFaceModelVersionResult", 9),
            ("CompareFace", 75),
            ("DetectFace", 74),
            ("DetectFaceAttributes", 30),
            ("AnalyzeFace", 71),
            // 26 in §2; the stored Go client lists 25 (actions.toml).
            ("AnalyzeDenseLandmarks", 25),
            ("CompareMaskFace", 73),
            ("DetectFaceSimilarity", 80),
            ("DetectLiveFaceAccurate", 73),
        ]);
        assert_eq!(per_action, expected);
    }

    #[test]
    fn every_code_is_common_registered_or_documented() {
        let documented: BTreeSet<&str> = catalog()
            .actions()
            .iter()
            .flat_map(|a| a.documented_codes.iter().map(String::as_str))
            .collect();
        // The one exception, kept on purpose: see errors.toml.
        let example_only = ["ResourceNotFound.ErrorPersonNotExisted"];
        let stray: Vec<_> = catalog()
            .codes()
            .iter()
            .filter(|c| !c.common && !c.iai && !documented.contains(c.code.as_str()))
            .map(|c| c.code.as_str())
            .filter(|c| !example_only.contains(c))
            .collect();
        assert!(stray.is_empty(), "codes with no source: {stray:?}");
    }

    #[test]
    fn descriptions_and_summaries_are_short_lower_case_sentences() {
        let texts = catalog()
            .codes()
            .iter()
            .map(|c| (&c.code, &c.description))
            .chain(catalog().actions().iter().map(|a| (&a.name, &a.summary)));
        for (name, text) in texts {
            assert!(!text.is_empty() && text.len() <= 100, "{name}: {text:?}");
            assert_eq!(*text, text.to_lowercase(), "{name}");
            assert!(!text.ends_with('.'), "{name}: {text:?}");
        }
    }

    #[test]
    fn allows_a_common_code_for_any_action() {
        assert!(catalog().allows("DeletePerson", "AuthFailure.SignatureFailure"));
        assert!(catalog().allows("GetGroupInfo", "RequestLimitExceeded"));
    }

    #[test]
    fn allows_a_code_the_action_documents() {
        assert!(catalog().allows("DeletePerson", "InvalidParameterValue.PersonIdNotExist"));
        assert!(catalog().allows("CopyPerson", "FailedOperation.AcrossVersionsError"));
    }

    #[test]
    fn rejects_a_code_the_action_does_not_document() {
        assert!(!catalog().allows("DeletePerson", "FailedOperation.AcrossVersionsError"));
        assert!(!catalog().allows("GetGroupInfo", "InvalidParameterValue.PersonIdNotExist"));
        assert!(!catalog().allows("DeletePerson", "ResourceNotFound.ErrorPersonNotExisted"));
    }

    #[test]
    fn rejects_an_unknown_code() {
        assert!(!catalog().allows("DeletePerson", "InvalidParameterValue.NoSuchThing"));
        assert!(!catalog().allows("NoSuchAction", "InvalidParameterValue.PersonIdNotExist"));
    }

    #[test]
    fn allowed_codes_are_the_documented_plus_the_common_ones() {
        let allowed: BTreeSet<&str> = catalog()
            .allowed_codes("DeletePerson")
            .map(|c| c.code.as_str())
            .collect();
        let action = catalog().action("DeletePerson").unwrap();
        let mut expected: BTreeSet<&str> =
            action.documented_codes.iter().map(String::as_str).collect();
        expected.extend(catalog().common_codes().map(|c| c.code.as_str()));
        assert_eq!(allowed, expected);
        // InternalError is both documented and common, counted once.
        assert_eq!(allowed.len(), 67 + 38 - 1);
    }

    #[test]
    fn delete_person_takes_only_a_person_id_and_answers_only_a_request_id() {
        let action = catalog().action("DeletePerson").unwrap();
        assert_eq!(action.params.len(), 1);
        let person_id = action.param("PersonId").unwrap();
        assert_eq!(person_id.ty, ParamType::String);
        assert!(person_id.required);
        assert_eq!(person_id.rule, Some(Rule::PersonId));
        assert!(person_id.fields.is_empty());
        assert!(action.outputs.is_empty());
    }

    #[test]
    fn the_library_search_and_upgrade_actions_are_present() {
        let names: Vec<&str> = catalog()
            .actions()
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "CreateGroup",
                "DeleteGroup",
                "GetGroupList",
                "GetGroupInfo",
                "ModifyGroup",
                "CreatePerson",
                "DeletePerson",
                "DeletePersonFromGroup",
                "GetPersonList",
                "GetPersonListNum",
                "GetPersonBaseInfo",
                "GetPersonGroupInfo",
                "ModifyPersonBaseInfo",
                "ModifyPersonGroupInfo",
                "CopyPerson",
                "CreateFace",
                "DeleteFace",
                "SearchFaces",
                "SearchFacesReturnsByGroup",
                "SearchPersons",
                "SearchPersonsReturnsByGroup",
                "VerifyFace",
                "VerifyPerson",
                "UpgradeGroupFaceModelVersion",
                "RevertGroupFaceModelVersion",
                "GetUpgradeGroupFaceModelVersionJobList",
                "GetUpgradeGroupFaceModelVersionResult",
                "CompareFace",
                "DetectFace",
                "DetectFaceAttributes",
                "AnalyzeFace",
                "AnalyzeDenseLandmarks",
                "CompareMaskFace",
                "DetectFaceSimilarity",
                "DetectLiveFaceAccurate",
            ]
        );
    }

    #[test]
    fn the_iai_flag_marks_exactly_the_generated_registry() {
        let flagged: BTreeSet<&str> = catalog()
            .codes()
            .iter()
            .filter(|c| c.iai)
            .map(|c| c.code.as_str())
            .collect();
        let registry: BTreeSet<&str> = Spec::get().codes.iter().map(String::as_str).collect();
        assert_eq!(flagged, registry);
    }

    fn hand(text: &str) -> HandAction {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn a_hand_written_rule_for_a_parameter_the_data_lacks_is_refused() {
        let stray = hand(
            "name = \"DeletePerson\"\nsummary = \"s\"\n[[param]]\nname = \"PersonID\"\nrule = \"person_id\"\n",
        );
        assert_eq!(
            merge(stray, Spec::get()).unwrap_err(),
            "DeletePerson.PersonID: no such parameter in generated/iai.json"
        );
        let unknown = hand("name = \"DeletePeople\"\nsummary = \"s\"\n");
        assert!(
            merge(unknown, Spec::get())
                .unwrap_err()
                .contains("no such action")
        );
    }

    #[test]
    fn types_flags_members_and_outputs_come_from_the_generated_part() {
        let base = hand("name = \"GetGroupList\"\nsummary = \"s\"\n");
        let list = merge(base, Spec::get()).unwrap();
        let limit = list.param("Limit").unwrap();
        assert!(limit.unsigned && !limit.required && limit.max.is_none());
        let outputs: Vec<_> = list
            .outputs
            .iter()
            .map(|f| (f.name.as_str(), f.ty, f.always))
            .collect();
        assert_eq!(
            outputs,
            [
                ("GroupInfos", ParamType::ObjectArray, true),
                ("GroupNum", ParamType::Integer, false)
            ]
        );
        let create = catalog().action("CreatePerson").unwrap();
        let rules: Vec<_> = create
            .params
            .iter()
            .map(|p| (p.name.as_str(), p.rule, p.max))
            .collect();
        assert_eq!(rules[0], ("GroupId", Some(Rule::GroupId), None));
        assert_eq!(rules[9], ("NeedRotateDetection", None, Some(1)));
    }

    #[test]
    fn page_sizes_follow_the_documented_maxima() {
        let limit = |action: &str| {
            catalog()
                .action(action)
                .unwrap()
                .param("Limit")
                .unwrap()
                .max
        };
        assert_eq!(limit("GetGroupList"), Some(1000));
        assert_eq!(limit("GetPersonList"), Some(1000));
        assert_eq!(limit("GetPersonGroupInfo"), Some(100));
    }

    #[test]
    fn object_inputs_describe_their_members() {
        let infos = catalog()
            .action("ModifyPersonGroupInfo")
            .unwrap()
            .param("PersonExDescriptionInfos")
            .unwrap();
        assert_eq!(infos.ty, ParamType::ObjectArray);
        let members: Vec<_> = infos
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.ty))
            .collect();
        assert_eq!(
            members,
            [
                ("PersonExDescriptionIndex", ParamType::Integer),
                ("PersonExDescription", ParamType::String),
            ]
        );
        for action in catalog().actions() {
            for param in &action.params {
                let is_object = matches!(param.ty, ParamType::Object | ParamType::ObjectArray);
                assert_eq!(
                    is_object,
                    !param.fields.is_empty(),
                    "{}.{}",
                    action.name,
                    param.name
                );
            }
        }
    }
}
