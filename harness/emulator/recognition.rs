//! The actions that read faces: search, verify, and the group face-model
//! upgrade jobs. Value rules first, then the state under its lock.
//!
//! Faces come from [`super::faces`]: an image's faces, largest first, each
//! with an identity; a candidate's score is [`super::faces::score`].

use std::sync::Mutex;

use serde_json::{Map, Value, json};

use crate::api::validate::IdKind;

use super::actions::{control_level, id, image, lock, now_ms, page, quality_ok, url};
use super::faces::{self, Image};
use super::params::Params;
use super::state::{self, Outcome, Reject, State, face_rect};

/// VerifyFace/VerifyPerson's fixed IsMatch threshold (documented: 60).
pub(crate) const MATCH_THRESHOLD: f64 = 60.0;

fn bad(name: &str, rule: &str) -> Reject {
    Reject::with(
        "InvalidParameter.InvalidParameter",
        format!("`{name}` must be {rule}"),
    )
}

/// An integer parameter from 1 to `max`, `default` when absent.
fn count(p: &Params<'_>, name: &str, default: i64, max: i64) -> Result<usize, Reject> {
    let v = p.int(name).unwrap_or(default);
    if !(1..=max).contains(&v) {
        return Err(bad(name, &format!("1 to {max}")));
    }
    Ok(usize::try_from(v).unwrap_or(1))
}

/// The probe image of a search or verify: `Url` wins over `Image`, as
/// documented; Base64 that is not a PNG, JPEG or BMP cannot be decoded.
fn probe(p: &Params<'_>) -> Result<Image, Reject> {
    probe_named(p, "Url", "Image")
}

fn probe_named(p: &Params<'_>, url_name: &str, image_name: &str) -> Result<Image, Reject> {
    if let Some(u) = p.str(url_name).filter(|u| !u.is_empty()) {
        url(u)?;
        return Ok(faces::from_url(u));
    }
    image(p.str(image_name).unwrap_or_default())?
        .ok_or(Reject::new("FailedOperation.ImageDecodeFailed"))
}

/// CompareFace: the largest face of A against the largest face of B,
/// scored by [`faces::score`] (100 for the same identity, under 30 for two).
pub(crate) fn compare(p: &Params<'_>) -> Outcome {
    let version = state::model_version(p.str("FaceModelVersion"))
        .ok_or(Reject::new("InvalidParameterValue.FaceModelVersionIllegal"))?;
    control_level(
        p,
        "QualityControl",
        4,
        "InvalidParameterValue.QualityControlIllegal",
    )?;
    if p.int("FaceMatchingStrategy")
        .is_some_and(|s| !(0..=1).contains(&s))
    {
        return Err(bad("FaceMatchingStrategy", "0 or 1"));
    }
    let level = p.int("QualityControl").unwrap_or(0);
    let a = probe_named(p, "UrlA", "ImageA")?;
    let b = probe_named(p, "UrlB", "ImageB")?;
    let (fa, fb) = (&faces_of(&a, 1)?[0], &faces_of(&b, 1)?[0]);
    if !quality_ok(fa, level) || !quality_ok(fb, level) {
        return Err("FailedOperation.FaceQualityNotQualified".into());
    }
    let mut out = Map::new();
    out.insert(
        "Score".into(),
        json!(faces::score(fa.identity, fb.identity)),
    );
    out.insert("FaceModelVersion".into(), json!(version));
    Ok(out)
}

/// The faces of an image a call looks at: the `max` largest; none is
/// `InvalidParameterValue.NoFaceInPhoto`.
fn faces_of(img: &Image, max: usize) -> Result<&[faces::Face], Reject> {
    if img.faces.is_empty() {
        return Err("InvalidParameterValue.NoFaceInPhoto".into());
    }
    Ok(&img.faces[..img.faces.len().min(max)])
}

/// SearchFaces, SearchFacesReturnsByGroup, SearchPersons, SearchPersonsReturnsByGroup.
pub(crate) fn search(action: &str, p: &Params<'_>, st: &Mutex<State>) -> Outcome {
    let per_face = action.starts_with("SearchFaces");
    let by_group = action.ends_with("ReturnsByGroup");
    let groups = p.strs("GroupIds").unwrap_or_default();
    let max_groups = if by_group { 60 } else { 100 };
    if groups.len() > max_groups {
        return Err("InvalidParameterValue.GroupIdsExceed".into());
    }
    for g in &groups {
        id(IdKind::Group, Some(g))?;
    }
    let limit = if by_group {
        count(p, "MaxPersonNumPerGroup", 5, 10)?
    } else {
        count(p, "MaxPersonNum", 5, 100)?
    };
    // More faces than one search handles: the official SearchFaces example
    // answers MaxFaceNum 11 with this code.
    if p.int("MaxFaceNum")
        .is_some_and(|n| n > faces::MAX_FACES as i64)
    {
        return Err(Reject::with(
            "FailedOperation.SearchFacesExceed",
            format!("MaxFaceNum may be at most {}", faces::MAX_FACES),
        ));
    }
    let max_faces = count(p, "MaxFaceNum", 1, faces::MAX_FACES as i64)?;
    control_level(
        p,
        "QualityControl",
        4,
        "InvalidParameterValue.QualityControlIllegal",
    )?;
    let level = p.int("QualityControl").unwrap_or(0);
    let threshold = p.float("FaceMatchThreshold").unwrap_or(0.0);
    // [0, 100) where the document gives that range (SearchFacesReturnsByGroup
    // and SearchPersons, tccli api.json), else [0, 100].
    let open_range = matches!(action, "SearchFacesReturnsByGroup" | "SearchPersons");
    let in_range = if open_range {
        (0.0..100.0).contains(&threshold)
    } else {
        (0.0..=100.0).contains(&threshold)
    };
    if !in_range {
        return Err("InvalidParameterValue.FaceMatchThresholdIllegal".into());
    }
    let info = p.int("NeedPersonInfo") == Some(1);
    let img = probe(p)?;
    let seen = faces_of(&img, max_faces)?;
    let st = lock(st);
    let (version, persons, face_total) = st.search_groups(&groups)?;
    if !per_face && version != "3.0" {
        return Err("InvalidParameterValue.UnsupportedGroupFaceModelVersion".into());
    }
    let candidates = |groups: &[&str], face: &faces::Face| -> Vec<Value> {
        st.search(groups, face.identity, limit, threshold, per_face)
            .iter()
            .map(|h| st.candidate(h, per_face, info))
            .collect()
    };
    // -1601: below the quality asked for (no candidates); -1604: no
    // candidate reached FaceMatchThreshold.
    let ret_code = |ok: bool, found: bool| match (ok, found) {
        (false, _) => -1601,
        (true, false) => -1604,
        (true, true) => 0,
    };
    let mut out = Map::new();
    if by_group {
        let results: Vec<Value> = seen
            .iter()
            .map(|face| {
                let ok = quality_ok(face, level);
                let per_group: Vec<Value> = groups
                    .iter()
                    .map(|g| {
                        let c = if ok {
                            candidates(&[*g], face)
                        } else {
                            Vec::new()
                        };
                        json!({ "GroupId": g, "Candidates": c })
                    })
                    .collect();
                let found = per_group
                    .iter()
                    .any(|g| g["Candidates"].as_array().is_some_and(|c| !c.is_empty()));
                json!({
                    "FaceRect": face_rect(face.rect),
                    "GroupCandidates": if ok { per_group } else { Vec::new() },
                    "RetCode": ret_code(ok, found),
                })
            })
            .collect();
        out.insert("ResultsReturnsByGroup".into(), Value::Array(results));
    } else {
        let results: Vec<Value> = seen
            .iter()
            .map(|face| {
                let ok = quality_ok(face, level);
                let c = if ok {
                    candidates(&groups, face)
                } else {
                    Vec::new()
                };
                json!({
                    "Candidates": c,
                    "FaceRect": face_rect(face.rect),
                    "RetCode": ret_code(ok, !c.is_empty()),
                })
            })
            .collect();
        out.insert("Results".into(), Value::Array(results));
    }
    if per_face {
        out.insert("FaceNum".into(), json!(face_total));
    } else {
        out.insert("PersonNum".into(), json!(persons));
    }
    out.insert("FaceModelVersion".into(), json!(version));
    Ok(out)
}

/// VerifyFace (each face on its own: the best) and VerifyPerson (the
/// person's faces fused; here also the best, 3.0 persons only).
pub(crate) fn verify(action: &str, p: &Params<'_>, st: &Mutex<State>) -> Outcome {
    let person = id(IdKind::Person, p.str("PersonId"))?;
    control_level(
        p,
        "QualityControl",
        4,
        "InvalidParameterValue.QualityControlIllegal",
    )?;
    let img = probe(p)?;
    let face = &faces_of(&img, 1)?[0];
    if !quality_ok(face, p.int("QualityControl").unwrap_or(0)) {
        return Err("FailedOperation.FaceQualityNotQualified".into());
    }
    let (score, version) = lock(st).verify(person, face.identity)?;
    if action == "VerifyPerson" && version != "3.0" {
        return Err("InvalidParameterValue.UnsupportedGroupFaceModelVersion".into());
    }
    let mut out = Map::new();
    out.insert("Score".into(), json!(score));
    out.insert("IsMatch".into(), json!(score >= MATCH_THRESHOLD));
    out.insert("FaceModelVersion".into(), json!(version));
    Ok(out)
}

/// The group face-model upgrade job actions.
pub(crate) fn job(action: &str, p: &Params<'_>, st: &Mutex<State>) -> Outcome {
    match action {
        "UpgradeGroupFaceModelVersion" => {
            // Its document lists GroupIdIllegal but not GroupIdTooLong.
            let group = id(IdKind::Group, p.str("GroupId")).map_err(|r| {
                if r.code == "InvalidParameterValue.GroupIdTooLong" {
                    Reject::with(
                        "InvalidParameterValue.GroupIdIllegal",
                        "longer than 64 bytes",
                    )
                } else {
                    r
                }
            })?;
            let to = state::model_version(p.str("FaceModelVersion"))
                .ok_or(Reject::new("InvalidParameterValue.FaceModelVersionIllegal"))?;
            lock(st).upgrade_group(group, to, now_ms())
        }
        "GetUpgradeGroupFaceModelVersionJobList" => {
            let (o, l) = page(action, p)?;
            lock(st).upgrade_jobs(o, l)
        }
        "GetUpgradeGroupFaceModelVersionResult" => {
            let job = p.str("JobId").unwrap_or_default();
            lock(st).upgrade_result(job, now_ms())
        }
        _ => {
            let job = p.str("JobId").unwrap_or_default();
            lock(st).revert_group(job)
        }
    }
}
