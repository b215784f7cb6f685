//! One function per emulated action: value rules (through
//! [`crate::api::validate`]), then the state change under the lock.
//!
//! Parameters arrive shape-checked ([`super::params`]): a required
//! parameter is present and every value has its documented JSON type.

use std::sync::Mutex;

use base64::Engine as _;

use crate::api::validate::{self, IdKind, NameKind};

use super::faces::{self, Image};
use super::params::Params;
use super::state::{self, MAX_GROUP_DESCRIPTIONS, NewFace, Outcome, Reject, State};

/// The actions that change a person, serialized per PersonId: a second
/// one while the first runs answers `FailedOperation.ConflictOperation`.
pub(crate) const PERSON_WRITES: &[&str] = &[
    "CreatePerson",
    "DeletePerson",
    "DeletePersonFromGroup",
    "ModifyPersonBaseInfo",
    "ModifyPersonGroupInfo",
    "CopyPerson",
    "CreateFace",
    "DeleteFace",
];

/// Largest Base64 image, in bytes of Base64 text.
pub(crate) const MAX_IMAGE_BASE64: usize = 5 * 1024 * 1024;
/// Most images per CreateFace call.
pub(crate) const MAX_FACES_PER_CALL: usize = 4;

pub(super) fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    // A panic under the lock cannot leave a half-done action (each action
    // validates before it mutates), so a poisoned lock is still usable.
    let mut guard = state.lock().unwrap_or_else(|e| e.into_inner());
    // Upgrade jobs whose time is up take effect before anything reads the library.
    if guard.jobs.pending > 0 {
        guard.settle(now_ms());
    }
    guard
}

pub(super) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

pub(super) fn id(kind: IdKind, value: Option<&str>) -> Result<&str, Reject> {
    let value = value.unwrap_or_default();
    validate::check_id(kind, value).map_err(Reject::new)?;
    Ok(value)
}

fn name(kind: NameKind, value: Option<&str>) -> Result<Option<&str>, Reject> {
    match value {
        Some(v) => validate::check_name(kind, v)
            .map(|()| Some(v))
            .map_err(Reject::new),
        None => Ok(None),
    }
}

fn gender(value: Option<i64>) -> Result<u8, Reject> {
    let g = value.unwrap_or(0);
    validate::check_gender(g).map_err(Reject::new)?;
    Ok(u8::try_from(g).unwrap_or_default())
}

/// The catalog's largest `Limit` for `action` (1000 for the lists, 100 for
/// GetPersonGroupInfo).
fn limit_max(action: &str) -> i64 {
    crate::api::Catalog::get()
        .action(action)
        .and_then(|a| a.param("Limit"))
        .and_then(|l| l.max)
        .and_then(|m| i64::try_from(m).ok())
        .unwrap_or(1000)
}

/// `Offset` and `Limit`: defaults 0 and 10; Limit from 1 to the catalog's maximum.
pub(super) fn page(action: &str, p: &Params<'_>) -> Result<(usize, usize), Reject> {
    let max = limit_max(action);
    let offset = p.int("Offset").unwrap_or(0);
    let limit = p.int("Limit").unwrap_or(10);
    if offset < 0 {
        return Err(Reject::with(
            "InvalidParameter",
            "the value type of parameter `Offset` is not valid",
        ));
    }
    if limit < 0 {
        return Err(Reject::with(
            "InvalidParameter",
            "the value type of parameter `Limit` is not valid",
        ));
    }
    if limit == 0 || limit > max {
        return Err(Reject::with(
            "InvalidParameterValue.LimitExceed",
            format!("Limit must be from 1 to {max}"),
        ));
    }
    Ok((
        usize::try_from(offset).unwrap_or(usize::MAX),
        usize::try_from(limit).unwrap_or(0),
    ))
}

/// Person description values: at most 5, unique indexes, 0 to 60 characters.
fn person_descriptions<'a>(p: &Params<'a>) -> Result<Vec<(u64, &'a str)>, Reject> {
    let pairs = p.pairs(
        "PersonExDescriptionInfos",
        "PersonExDescriptionIndex",
        "PersonExDescription",
    )?;
    if pairs.len() > MAX_GROUP_DESCRIPTIONS {
        return Err("InvalidParameterValue.PersonExDescriptionInfosExceed".into());
    }
    for (i, (index, text)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(j, _)| j == index) {
            return Err("InvalidParameterValue.PersonExDescriptionsNameIdentical".into());
        }
        if text.chars().count() > validate::MAX_DESCRIPTION_VALUE_CHARS {
            return Err("InvalidParameterValue.PersonExDescriptionsNameTooLong".into());
        }
    }
    Ok(pairs)
}

/// Checks one Base64 image: `Ok(Some(image))` for a decodable JPEG, PNG
/// or BMP ([`faces::analyze`]), `Ok(None)` for anything else.
pub(super) fn image(value: &str) -> Result<Option<Image>, Reject> {
    if value.is_empty() {
        return Err("InvalidParameterValue.ImageEmpty".into());
    }
    if value.len() > MAX_IMAGE_BASE64 {
        return Err("FailedOperation.ImageSizeExceed".into());
    }
    let engine = base64::engine::general_purpose::STANDARD;
    Ok(engine
        .decode(value.trim())
        .ok()
        .and_then(|bytes| faces::analyze(&bytes).ok()))
}

/// A well-formed http(s) URL with a host. Not fetched.
pub(super) fn url(value: &str) -> Result<(), Reject> {
    let rest = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"))
        .ok_or(Reject::new("InvalidParameterValue.UrlIllegal"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:[]@_%".contains(c));
    if !host_ok || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("InvalidParameterValue.UrlIllegal".into());
    }
    Ok(())
}

/// The images of CreatePerson (`Url` or `Image`) or CreateFace (`Urls` or
/// `Images`): Urls win when both are given, as documented.
fn images(
    urls: Option<Vec<&str>>,
    images: Option<Vec<&str>>,
) -> Result<Vec<Option<Image>>, Reject> {
    if let Some(urls) = urls.filter(|u| !u.is_empty()) {
        if urls.len() > MAX_FACES_PER_CALL {
            return Err("InvalidParameterValue.UploadFaceNumExceed".into());
        }
        for u in &urls {
            url(u)?;
        }
        return Ok(urls.iter().map(|u| Some(faces::from_url(u))).collect());
    }
    let images = images.unwrap_or_default();
    if images.is_empty() {
        return Err("InvalidParameterValue.ImageEmpty".into());
    }
    if images.len() > MAX_FACES_PER_CALL {
        return Err("InvalidParameterValue.UploadFaceNumExceed".into());
    }
    images.iter().map(|i| image(i)).collect()
}

pub(super) fn control_level(
    p: &Params<'_>,
    name: &str,
    max: i64,
    code: &'static str,
) -> Result<(), Reject> {
    match p.int(name) {
        Some(v) if v < 0 => Err(Reject::with(
            "InvalidParameter",
            format!("the value type of parameter `{name}` is not valid"),
        )),
        Some(v) if v > max => Err(code.into()),
        _ => Ok(()),
    }
}

/// Runs an action of the catalog. `None` when the emulator does not
/// implement it (none today: `every_catalog_action_is_implemented`).
pub(crate) fn run(action: &str, p: &Params<'_>, st: &Mutex<State>) -> Option<Outcome> {
    Some(match action {
        "CreateGroup" => create_group(p, st),
        "DeleteGroup" => id(IdKind::Group, p.str("GroupId")).and_then(|g| lock(st).delete_group(g)),
        "GetGroupList" => page(action, p).and_then(|(o, l)| lock(st).group_list(o, l)),
        "GetGroupInfo" => {
            id(IdKind::Group, p.str("GroupId")).and_then(|g| lock(st).group_info_of(g))
        }
        "ModifyGroup" => modify_group(p, st),
        "CreatePerson" => create_person(p, st),
        "DeletePerson" => {
            id(IdKind::Person, p.str("PersonId")).and_then(|i| lock(st).delete_person(i))
        }
        "DeletePersonFromGroup" => (|| {
            let person = id(IdKind::Person, p.str("PersonId"))?;
            let group = id(IdKind::Group, p.str("GroupId"))?;
            lock(st).delete_person_from_group(person, group)
        })(),
        "GetPersonList" => (|| {
            let group = id(IdKind::Group, p.str("GroupId"))?;
            let (o, l) = page(action, p)?;
            lock(st).person_list(group, o, l)
        })(),
        "GetPersonListNum" => {
            id(IdKind::Group, p.str("GroupId")).and_then(|g| lock(st).person_list_num(g))
        }
        "GetPersonBaseInfo" => {
            id(IdKind::Person, p.str("PersonId")).and_then(|i| lock(st).person_base_info(i))
        }
        "GetPersonGroupInfo" => (|| {
            let person = id(IdKind::Person, p.str("PersonId"))?;
            let (o, l) = page(action, p)?;
            lock(st).person_group_info(person, o, l)
        })(),
        "ModifyPersonBaseInfo" => (|| {
            let person = id(IdKind::Person, p.str("PersonId"))?;
            let new_name = name(NameKind::PersonName, p.str("PersonName"))?;
            let new_gender = match p.int("Gender") {
                Some(g) => Some(gender(Some(g))?),
                None => None,
            };
            lock(st).modify_person_base_info(person, new_name, new_gender)
        })(),
        "ModifyPersonGroupInfo" => (|| {
            let group = id(IdKind::Group, p.str("GroupId"))?;
            let person = id(IdKind::Person, p.str("PersonId"))?;
            let descriptions = person_descriptions(p)?;
            lock(st).modify_person_group_info(group, person, &descriptions)
        })(),
        "CopyPerson" => (|| {
            let person = id(IdKind::Person, p.str("PersonId"))?;
            let groups = p.strs("GroupIds").unwrap_or_default();
            if groups.len() > state::MAX_GROUPS_PER_PERSON {
                return Err("InvalidParameterValue.GroupIdsExceed".into());
            }
            for g in &groups {
                id(IdKind::Group, Some(g))?;
            }
            lock(st).copy_person(person, &groups)
        })(),
        "CreateFace" => (|| {
            let person = id(IdKind::Person, p.str("PersonId"))?;
            if let Some(t) = p.float("FaceMatchThreshold")
                && !(0.0..=100.0).contains(&t)
            {
                return Err("InvalidParameterValue.FaceMatchThresholdIllegal".into());
            }
            control_level(
                p,
                "QualityControl",
                4,
                "InvalidParameterValue.QualityControlIllegal",
            )?;
            let level = p.int("QualityControl").unwrap_or(0);
            let given = images(p.strs("Urls"), p.strs("Images"))?;
            // Images that all decode and none shows a face: the document's
            // NoFaceInPhoto (RetCode -1101 each), not a decoding failure.
            if given
                .iter()
                .all(|i| i.as_ref().is_some_and(|i| i.faces.is_empty()))
            {
                return Err("InvalidParameterValue.NoFaceInPhoto".into());
            }
            // An image with no face, or below the quality asked for, is not added.
            let decoded: Vec<Option<NewFace>> =
                given.iter().map(|i| largest(i.as_ref()?, level)).collect();
            lock(st).create_face(person, &decoded)
        })(),
        "SearchFaces"
        | "SearchFacesReturnsByGroup"
        | "SearchPersons"
        | "SearchPersonsReturnsByGroup" => super::recognition::search(action, p, st),
        "VerifyFace" | "VerifyPerson" => super::recognition::verify(action, p, st),
        "UpgradeGroupFaceModelVersion"
        | "RevertGroupFaceModelVersion"
        | "GetUpgradeGroupFaceModelVersionJobList"
        | "GetUpgradeGroupFaceModelVersionResult" => super::recognition::job(action, p, st),
        "CompareFace" => super::recognition::compare(p),
        "DeleteFace" => (|| {
            let person = id(IdKind::Person, p.str("PersonId"))?;
            let face_ids = p.strs("FaceIds").unwrap_or_default();
            lock(st).delete_face(person, &face_ids)
        })(),
        _ => return super::detection::run(action, p),
    })
}

fn create_group(p: &Params<'_>, st: &Mutex<State>) -> Outcome {
    let group_name = name(NameKind::GroupName, p.str("GroupName"))?.unwrap_or_default();
    let group = id(IdKind::Group, p.str("GroupId"))?;
    let descriptions = p.strs("GroupExDescriptions").unwrap_or_default();
    if descriptions.len() > MAX_GROUP_DESCRIPTIONS {
        return Err("InvalidParameterValue.GroupExDescriptionsExceed".into());
    }
    for (i, d) in descriptions.iter().enumerate() {
        validate::check_name(NameKind::GroupDescriptionName, d).map_err(Reject::new)?;
        if descriptions[..i].contains(d) {
            return Err("InvalidParameterValue.GroupExDescriptionsNameIdentical".into());
        }
    }
    let tag = name(NameKind::GroupTag, p.str("Tag"))?.unwrap_or_default();
    let version = state::model_version(p.str("FaceModelVersion"))
        .ok_or(Reject::new("InvalidParameterValue.FaceModelVersionIllegal"))?;
    lock(st).create_group(group, group_name, &descriptions, tag, version, now_ms())
}

fn modify_group(p: &Params<'_>, st: &Mutex<State>) -> Outcome {
    let group = id(IdKind::Group, p.str("GroupId"))?;
    let new_name = name(NameKind::GroupName, p.str("GroupName"))?;
    let tag = name(NameKind::GroupTag, p.str("Tag"))?;
    let infos = p.pairs(
        "GroupExDescriptionInfos",
        "GroupExDescriptionIndex",
        "GroupExDescription",
    )?;
    if infos.len() > MAX_GROUP_DESCRIPTIONS {
        return Err("InvalidParameterValue.GroupExDescriptionsExceed".into());
    }
    for (i, (index, text)) in infos.iter().enumerate() {
        validate::check_name(NameKind::GroupDescriptionName, text).map_err(Reject::new)?;
        if infos[..i].iter().any(|(j, t)| j == index || t == text) {
            return Err("InvalidParameterValue.GroupExDescriptionsNameIdentical".into());
        }
    }
    lock(st).modify_group(group, new_name, &infos, tag, now_ms())
}

fn create_person(p: &Params<'_>, st: &Mutex<State>) -> Outcome {
    let group = id(IdKind::Group, p.str("GroupId"))?;
    let person_name = name(NameKind::PersonName, p.str("PersonName"))?.unwrap_or_default();
    let person = id(IdKind::Person, p.str("PersonId"))?;
    let g = gender(p.int("Gender"))?;
    let descriptions = person_descriptions(p)?;
    control_level(
        p,
        "QualityControl",
        4,
        "InvalidParameterValue.QualityControlIllegal",
    )?;
    control_level(
        p,
        "UniquePersonControl",
        4,
        "InvalidParameterValue.UniquePersonControlIllegal",
    )?;
    let decoded = images(
        p.str("Url").filter(|u| !u.is_empty()).map(|u| vec![u]),
        p.str("Image").map(|i| vec![i]),
    )?;
    let Some(Some(img)) = decoded.first() else {
        return Err("FailedOperation.ImageDecodeFailed".into());
    };
    let face = img
        .faces
        .first()
        .ok_or(Reject::new("InvalidParameterValue.NoFaceInPhoto"))?;
    if !quality_ok(face, p.int("QualityControl").unwrap_or(0)) {
        return Err("FailedOperation.FaceQualityNotQualified".into());
    }
    let seen = NewFace {
        identity: face.identity,
        rect: face.rect,
    };
    lock(st).create_person(group, person, person_name, g, &descriptions, seen, now_ms())
}

/// The lowest face quality each `QualityControl` level accepts (0 accepts all).
pub(super) const QUALITY_FLOOR: [u32; 5] = [0, 40, 60, 75, 90];

/// Whether a face meets a `QualityControl` level.
pub(super) fn quality_ok(face: &faces::Face, level: i64) -> bool {
    let floor = usize::try_from(level)
        .ok()
        .and_then(|l| QUALITY_FLOOR.get(l))
        .copied()
        .unwrap_or(0);
    face.quality >= floor
}

/// The largest face of an image, if it shows one that meets `level`.
fn largest(img: &Image, level: i64) -> Option<NewFace> {
    let face = img.faces.first().filter(|f| quality_ok(f, level))?;
    Some(NewFace {
        identity: face.identity,
        rect: face.rect,
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn every_paged_action_has_a_limit_maximum_in_the_catalog() {
        for action in crate::api::Catalog::get().actions() {
            if let Some(limit) = action.param("Limit") {
                assert!(
                    limit.max.is_some(),
                    "{}.Limit has no max in actions.toml",
                    action.name
                );
            }
        }
        assert_eq!(super::limit_max("GetPersonGroupInfo"), 100);
        assert_eq!(super::limit_max("GetGroupList"), 1000);
    }

    use super::*;

    /// The catalog says which actions exist; each one is implemented (an
    /// action missing from [`run`] would answer `UnsupportedOperation`).
    #[test]
    fn every_catalog_action_is_implemented() {
        let st = Mutex::new(State::new());
        let empty = serde_json::Map::new();
        let missing: Vec<&str> = crate::api::Catalog::get()
            .actions()
            .iter()
            .map(|a| a.name.as_str())
            .filter(|name| run(name, &Params(&empty), &st).is_none())
            .collect();
        assert!(missing.is_empty(), "not implemented: {missing:?}");
        assert!(run("NoSuchAction", &Params(&empty), &st).is_none());
        assert_eq!(crate::api::Catalog::get().actions().len(), 35);
    }

    #[test]
    fn recognises_image_formats_by_their_magic() {
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        assert!(
            image(&b64(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]))
                .unwrap()
                .is_some()
        );
        assert!(image(&b64(b"\x89PNG\r\n\x1a\n....")).unwrap().is_some());
        assert_eq!(image(&b64(b"GIF89a......")), Ok(None));
        assert_eq!(image("@@not base64@@"), Ok(None));
        assert_eq!(
            image("").unwrap_err().code,
            "InvalidParameterValue.ImageEmpty"
        );
        let huge = "A".repeat(MAX_IMAGE_BASE64 + 4);
        assert_eq!(
            image(&huge).unwrap_err().code,
            "FailedOperation.ImageSizeExceed"
        );
    }

    #[test]
    fn accepts_only_http_urls_with_a_host() {
        assert!(url("http://test.image.myqcloud.com/testA.jpg").is_ok());
        assert!(url("https://127.0.0.1:8080/a.png?x=1").is_ok());
        for bad in ["ftp://x/a.jpg", "http://", "http:///a", "http://a b/c", "x"] {
            assert_eq!(
                url(bad).unwrap_err().code,
                "InvalidParameterValue.UrlIllegal",
                "{bad}"
            );
        }
    }
}
