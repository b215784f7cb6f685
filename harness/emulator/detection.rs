//! The actions that look at an image without the library: detection and
//! attributes (DetectFace, DetectFaceAttributes), landmarks (AnalyzeFace,
//! AnalyzeDenseLandmarks), comparison (CompareMaskFace,
//! DetectFaceSimilarity) and liveness (DetectLiveFaceAccurate).
//!
//! Everything comes from the synthetic faces of [`super::faces`]: boxes,
//! largest first; landmarks on fixed contours inside each box; attributes
//! from hashes, the lasting ones (gender, age, skin, face shape...) of the
//! identity, so that one person looks the same in every image, the passing
//! ones (pose, expression, glasses, hat, mask...) of the face in its image;
//! the quality score is the face's own (the one `QualityControl` reads).
//! No state is read or written.

use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use super::actions::{control_level, image, quality_ok, url};
use super::faces::{self, Face, Format, Image, Rect};
use super::params::Params;
use super::state::{self, Outcome, Reject, face_rect};

/// The actions this module answers ([`run`] dispatches them; its tests
/// loop over them).
#[cfg(test)]
pub(crate) const ACTIONS: &[&str] = &[
    "DetectFace",
    "DetectFaceAttributes",
    "AnalyzeFace",
    "AnalyzeDenseLandmarks",
    "CompareMaskFace",
    "DetectFaceSimilarity",
    "DetectLiveFaceAccurate",
];

/// Most faces DetectFace and DetectFaceAttributes process (`MaxFaceNum`).
pub(crate) const MAX_FACE_NUM: i64 = 120;
/// Faces that get real attributes; later ones get zeros, as documented.
pub(crate) const ATTRIBUTE_FACES: usize = 5;
/// Faces that get a real quality; later ones get zeros, as documented.
pub(crate) const QUALITY_FACES: usize = 30;
/// Most faces AnalyzeFace and AnalyzeDenseLandmarks describe in mode 0.
pub(crate) const SHAPE_FACES: usize = 10;
/// Most faces AnalyzeDenseLandmarks describes in mode 0.
pub(crate) const DENSE_FACES: usize = 5;
/// The smallest `MinFaceSize`: the document says "only 34 and 20" (只支持设置34
///和20), yet Tencent's own DetectFace examples send 40 and succeed; the
/// emulator takes any value from 20 up as the minimum, as the examples show.
pub(crate) const MIN_FACE_SIZE: i64 = 20;
/// Shortest side an image may have.
pub(crate) const MIN_SHORT_SIDE: u32 = 64;
/// Longest side of a JPEG, and of any other format.
pub(crate) const MAX_LONG_SIDE: (u32, u32) = (4000, 2000);
/// Smallest face (each side) DetectLiveFaceAccurate accepts.
pub(crate) const LIVE_FACE_SIDE: u32 = 100;
/// A face quality below this reads as a recapture to the liveness check.
pub(crate) const LIVE_QUALITY: u32 = 60;

/// AnalyzeFace's points per part (90 in all, as documented).
const SHAPE_POINTS: [(&str, usize); 9] = [
    ("FaceProfile", 21),
    ("LeftEye", 8),
    ("RightEye", 8),
    ("LeftEyeBrow", 8),
    ("RightEyeBrow", 8),
    ("Mouth", 22),
    ("Nose", 13),
    ("LeftPupil", 1),
    ("RightPupil", 1),
];

/// AnalyzeDenseLandmarks' points per part: the document gives only the
/// total ("up to 888"); the split is the emulator's.
const DENSE_POINTS: [(&str, usize); 14] = [
    ("LeftEye", 64),
    ("RightEye", 64),
    ("LeftEyeBrow", 64),
    ("RightEyeBrow", 64),
    ("MouthOutside", 64),
    ("MouthInside", 64),
    ("Nose", 64),
    ("LeftPupil", 32),
    ("RightPupil", 32),
    ("CentralAxis", 32),
    ("Chin", 64),
    ("LeftEyeBags", 64),
    ("RightEyeBags", 64),
    ("Forehead", 152),
];

/// The `FaceAttributesType` names DetectFaceAttributes accepts (any case).
pub(crate) const ATTRIBUTE_TYPES: [&str; 17] = [
    "none",
    "age",
    "beauty",
    "emotion",
    "eye",
    "eyebrow",
    "gender",
    "hair",
    "hat",
    "headpose",
    "mask",
    "mouth",
    "moustache",
    "nose",
    "shape",
    "skin",
    "smile",
];

/// Runs one of the analysis actions; `None` for any other action.
pub(crate) fn run(action: &str, p: &Params<'_>) -> Option<Outcome> {
    Some(match action {
        "DetectFace" => detect_face(p),
        "DetectFaceAttributes" => detect_face_attributes(p),
        "AnalyzeFace" => analyze_face(p),
        "AnalyzeDenseLandmarks" => analyze_dense_landmarks(p),
        "CompareMaskFace" => compare_mask_face(p),
        "DetectFaceSimilarity" => detect_face_similarity(p),
        "DetectLiveFaceAccurate" => detect_live_face_accurate(p),
        _ => return None,
    })
}

fn bad(name: &str, rule: &str) -> Reject {
    Reject::with(
        "InvalidParameter.InvalidParameter",
        format!("`{name}` must be {rule}"),
    )
}

/// An unsigned integer parameter (uint64 in the API description): a
/// negative value is a type error, `InvalidParameter`, as for `Offset`.
fn unsigned(p: &Params<'_>, name: &str) -> Result<Option<i64>, Reject> {
    match p.int(name) {
        Some(v) if v < 0 => Err(Reject::with(
            "InvalidParameter",
            format!("the value type of parameter `{name}` is not valid"),
        )),
        v => Ok(v),
    }
}

/// An integer parameter from 1 to `max`, `default` when absent.
fn count(p: &Params<'_>, name: &str, default: i64, max: i64) -> Result<usize, Reject> {
    let v = unsigned(p, name)?.unwrap_or(default);
    if !(1..=max).contains(&v) {
        return Err(bad(name, &format!("1 to {max}")));
    }
    Ok(usize::try_from(v).unwrap_or(1))
}

/// A documented 0-or-1 switch (`NeedRotateDetection`, `Mode`): `true` for 1.
fn switch(p: &Params<'_>, name: &str) -> Result<bool, Reject> {
    match unsigned(p, name)? {
        None | Some(0) => Ok(false),
        Some(1) => Ok(true),
        Some(_) => Err(bad(name, "0 or 1")),
    }
}

/// `FaceModelVersion`: 2.0 or 3.0 (default 3.0), or 3.0 only.
fn version(p: &Params<'_>, only_three: bool) -> Result<&'static str, Reject> {
    let v = state::model_version(p.str("FaceModelVersion"))
        .ok_or(Reject::new("InvalidParameterValue.FaceModelVersionIllegal"))?;
    if only_three && v != "3.0" {
        return Err(Reject::with(
            "InvalidParameterValue.FaceModelVersionIllegal",
            "this action supports 3.0 only",
        ));
    }
    Ok(v)
}

/// The image of a call: the URL wins over the Base64 image, as documented;
/// Base64 that is not a PNG, JPEG or BMP cannot be decoded.
fn picture(p: &Params<'_>, url_name: &str, image_name: &str) -> Result<Image, Reject> {
    if let Some(u) = p.str(url_name).filter(|u| !u.is_empty()) {
        url(u)?;
        return Ok(faces::from_url(u));
    }
    image(p.str(image_name).unwrap_or_default())?
        .ok_or(Reject::new("FailedOperation.ImageDecodeFailed"))
}

/// The documented resolution limits: the long side at most 4000 pixels
/// for a JPEG and 2000 for the other formats; the short side at least 64
/// where the action says so.
fn resolution(img: &Image, short_side: bool) -> Result<(), Reject> {
    let long = if img.format == Format::Jpeg {
        MAX_LONG_SIDE.0
    } else {
        MAX_LONG_SIDE.1
    };
    if img.width.max(img.height) > long {
        return Err(Reject::with(
            "FailedOperation.ImageResolutionExceed",
            format!("the long side is over {long} pixels"),
        ));
    }
    if short_side && img.width.min(img.height) < MIN_SHORT_SIDE {
        return Err(Reject::with(
            "FailedOperation.ImageResolutionTooSmall",
            format!("the short side is under {MIN_SHORT_SIDE} pixels"),
        ));
    }
    Ok(())
}

/// The faces of an image, largest first; none is `NoFaceInPhoto`.
fn found(img: &Image) -> Result<&[Face], Reject> {
    if img.faces.is_empty() {
        return Err("InvalidParameterValue.NoFaceInPhoto".into());
    }
    Ok(&img.faces)
}

fn size_fields(out: &mut Map<String, Value>, img: &Image) {
    out.insert("ImageWidth".into(), json!(img.width));
    out.insert("ImageHeight".into(), json!(img.height));
}

/// DetectFace: boxes, the attributes of the five largest faces when
/// `NeedFaceAttributes` is 1, the quality of the thirty largest when
/// `NeedQualityDetection` is 1 (zeros otherwise, as the official example
/// shows); `MinFaceSize` (20 or more) drops smaller faces.
fn detect_face(p: &Params<'_>) -> Outcome {
    let max = count(p, "MaxFaceNum", 1, MAX_FACE_NUM)?;
    let min_size = match unsigned(p, "MinFaceSize")? {
        None => None,
        Some(v) if v >= MIN_FACE_SIZE => u32::try_from(v).ok(),
        Some(_) => return Err(bad("MinFaceSize", "20 or more (34 and 20 documented)")),
    };
    // Any value but 1 means "no", as documented.
    let attributes = unsigned(p, "NeedFaceAttributes")? == Some(1);
    let quality = unsigned(p, "NeedQualityDetection")? == Some(1);
    let version = version(p, false)?;
    switch(p, "NeedRotateDetection")?;
    let img = picture(p, "Url", "Image")?;
    resolution(&img, true)?;
    let seen: Vec<&Face> = found(&img)?
        .iter()
        .filter(|f| min_size.is_none_or(|m| f.rect.width >= m && f.rect.height >= m))
        .take(max)
        .collect();
    if seen.is_empty() {
        return Err(Reject::with(
            "FailedOperation.FaceSizeTooSmall",
            "every face is smaller than MinFaceSize",
        ));
    }
    let infos: Vec<Value> = seen
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let r = f.rect;
            json!({
                "X": r.x,
                "Y": r.y,
                "Width": r.width,
                "Height": r.height,
                "FaceAttributesInfo": face_attributes(f, attributes && i < ATTRIBUTE_FACES),
                "FaceQualityInfo": face_quality(f, quality && i < QUALITY_FACES),
            })
        })
        .collect();
    let mut out = Map::new();
    size_fields(&mut out, &img);
    out.insert("FaceInfos".into(), Value::Array(infos));
    out.insert("FaceModelVersion".into(), json!(version));
    Ok(out)
}

/// The requested `FaceAttributesType` names, lower case; `None` or absent
/// is none. An unknown name is `InvalidParameter.InvalidParameter`.
fn attribute_types(value: Option<&str>) -> Result<Vec<String>, Reject> {
    let mut wanted = Vec::new();
    for name in value.unwrap_or_default().split(',') {
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() {
            continue;
        }
        if !ATTRIBUTE_TYPES.contains(&name.as_str()) {
            return Err(bad(
                "FaceAttributesType",
                "a comma-separated list of None, Age, Beauty, Emotion, Eye, Eyebrow, Gender, \
                 Hair, Hat, Headpose, Mask, Mouth, Moustache, Nose, Shape, Skin, Smile",
            ));
        }
        if name != "none" {
            wanted.push(name);
        }
    }
    Ok(wanted)
}

/// DetectFaceAttributes: boxes and the requested attributes of the five
/// largest faces; what was not requested is 0, as documented. 3.0 only.
fn detect_face_attributes(p: &Params<'_>) -> Outcome {
    let max = count(p, "MaxFaceNum", 1, MAX_FACE_NUM)?;
    let wanted = attribute_types(p.str("FaceAttributesType"))?;
    switch(p, "NeedRotateDetection")?;
    let version = version(p, true)?;
    let img = picture(p, "Url", "Image")?;
    resolution(&img, true)?;
    let infos: Vec<Value> = found(&img)?
        .iter()
        .take(max)
        .enumerate()
        .map(|(i, f)| {
            let on = |name: &str| i < ATTRIBUTE_FACES && wanted.iter().any(|w| w == name);
            json!({
                "FaceRect": face_rect(f.rect),
                "FaceDetailAttributesInfo": face_details(f, &on),
            })
        })
        .collect();
    let mut out = Map::new();
    size_fields(&mut out, &img);
    out.insert("FaceDetailInfos".into(), Value::Array(infos));
    out.insert("FaceModelVersion".into(), json!(version));
    Ok(out)
}

/// `Mode`: 0 every face (up to `all`), 1 the largest only.
fn mode(p: &Params<'_>, all: usize) -> Result<usize, Reject> {
    Ok(if switch(p, "Mode")? { 1 } else { all })
}

/// AnalyzeFace: the 90 documented points of up to ten faces (Mode 0) or
/// of the largest (Mode 1).
fn analyze_face(p: &Params<'_>) -> Outcome {
    let n = mode(p, SHAPE_FACES)?;
    let version = version(p, false)?;
    switch(p, "NeedRotateDetection")?;
    let img = picture(p, "Url", "Image")?;
    resolution(&img, true)?;
    let shapes: Vec<Value> = found(&img)?
        .iter()
        .take(n)
        .map(|f| {
            let parts: Map<String, Value> = SHAPE_POINTS
                .iter()
                .map(|(part, count)| ((*part).to_string(), landmarks(f, part, *count)))
                .collect();
            Value::Object(parts)
        })
        .collect();
    let mut out = Map::new();
    size_fields(&mut out, &img);
    out.insert("FaceShapeSet".into(), Value::Array(shapes));
    out.insert("FaceModelVersion".into(), json!(version));
    Ok(out)
}

/// AnalyzeDenseLandmarks: each face's box and 888 points, up to five faces
/// (Mode 0) or the largest (Mode 1). 3.0 only.
fn analyze_dense_landmarks(p: &Params<'_>) -> Outcome {
    let n = mode(p, DENSE_FACES)?;
    let version = version(p, true)?;
    switch(p, "NeedRotateDetection")?;
    let img = picture(p, "Url", "Image")?;
    resolution(&img, true)?;
    let shapes: Vec<Value> = found(&img)?
        .iter()
        .take(n)
        .map(|f| {
            let Value::Object(mut shape) = face_rect(f.rect) else {
                unreachable!("face_rect is an object")
            };
            for (part, count) in DENSE_POINTS {
                shape.insert(part.to_string(), landmarks(f, part, count));
            }
            Value::Object(shape)
        })
        .collect();
    let mut out = Map::new();
    size_fields(&mut out, &img);
    out.insert("DenseFaceShapeSet".into(), Value::Array(shapes));
    out.insert("FaceModelVersion".into(), json!(version));
    Ok(out)
}

/// The largest faces of images A and B, each at `QualityControl`.
fn pair(p: &Params<'_>) -> Result<(Face, Face), Reject> {
    control_level(
        p,
        "QualityControl",
        4,
        "InvalidParameterValue.QualityControlIllegal",
    )?;
    let level = p.int("QualityControl").unwrap_or(0);
    let a = picture(p, "UrlA", "ImageA")?;
    resolution(&a, true)?;
    let b = picture(p, "UrlB", "ImageB")?;
    resolution(&b, true)?;
    let (fa, fb) = (found(&a)?[0].clone(), found(&b)?[0].clone());
    if !quality_ok(&fa, level) || !quality_ok(&fb, level) {
        return Err("FailedOperation.FaceQualityNotQualified".into());
    }
    Ok((fa, fb))
}

/// CompareMaskFace: [`faces::score`] of the two largest faces. 3.0 only.
fn compare_mask_face(p: &Params<'_>) -> Outcome {
    let version = version(p, true)?;
    let (a, b) = pair(p)?;
    let mut out = Map::new();
    out.insert("Score".into(), json!(faces::score(a.identity, b.identity)));
    out.insert("FaceModelVersion".into(), json!(version));
    Ok(out)
}

/// DetectFaceSimilarity: [`faces::score`] of the two largest faces, in
/// the documented [0, 100] (same person 100, above the fixed 70).
fn detect_face_similarity(p: &Params<'_>) -> Outcome {
    let (a, b) = pair(p)?;
    let mut out = Map::new();
    out.insert("Score".into(), json!(faces::score(a.identity, b.identity)));
    Ok(out)
}

/// DetectLiveFaceAccurate: the largest face, at least 100×100 pixels as
/// documented, scored by [`liveness`]. 3.0 only.
fn detect_live_face_accurate(p: &Params<'_>) -> Outcome {
    let version = version(p, true)?;
    let img = picture(p, "Url", "Image")?;
    resolution(&img, false)?;
    let face = &found(&img)?[0];
    if face.rect.width < LIVE_FACE_SIDE || face.rect.height < LIVE_FACE_SIDE {
        return Err(Reject::with(
            "FailedOperation.FaceSizeTooSmall",
            format!("the face is smaller than {LIVE_FACE_SIDE}x{LIVE_FACE_SIDE} pixels"),
        ));
    }
    let mut out = Map::new();
    out.insert("Score".into(), json!(f64::from(liveness(face))));
    out.insert("FaceModelVersion".into(), json!(version));
    Ok(out)
}

/// The liveness score, 0 to 100: a face of quality 60 or more is live,
/// 70 to 99 from its hash (above every documented threshold but 90 for
/// some, above the recommended 40 for all); a poorer face reads as a
/// recapture, `quality / 2` (under 30).
pub(crate) fn liveness(face: &Face) -> u32 {
    if face.quality >= LIVE_QUALITY {
        70 + u32::try_from(face.attribute(40, 0, 29)).unwrap_or(0)
    } else {
        face.quality / 2
    }
}

/// A value in `lo..=hi` that belongs to the person (the identity), not to
/// one image of them.
fn lasting(identity: u64, salt: &str, lo: i64, hi: i64) -> i64 {
    let mut h = Sha256::new();
    h.update(b"iai-face trait\n");
    h.update(identity.to_be_bytes());
    h.update(salt.as_bytes());
    let d = h.finalize();
    let v = u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
    lo + (v % u64::try_from(hi - lo + 1).unwrap_or(1)) as i64
}

/// What a face looks like, shared by DetectFace and DetectFaceAttributes
/// so that both say the same of it. Types are the documented enumerations
/// of DetectFaceAttributes.
#[derive(Debug, PartialEq, Eq)]
struct Looks {
    /// 0 male, 1 female.
    gender: i64,
    age: i64,
    beauty: i64,
    /// 0 natural ... 6 afraid.
    emotion: i64,
    /// Smile, 0 to 100 (DetectFace's Expression).
    smile: i64,
    /// 0 none, 1 glasses, 2 sunglasses.
    glass: i64,
    /// 0 open, 1 closed.
    eye_closed: i64,
    eyelid: i64,
    eye_size: i64,
    brow_density: i64,
    brow_curve: i64,
    brow_length: i64,
    /// 0 bald ... 4 tied.
    hair_length: i64,
    /// 1 with a fringe.
    bang: i64,
    hair_color: i64,
    /// 0 none, 1 cap, 2 helmet, 3 guard's hat.
    hat_style: i64,
    /// 0 none, 1 to 6 a colour.
    hat_color: i64,
    pitch: i64,
    yaw: i64,
    roll: i64,
    /// 0 none ... 4 worn properly.
    mask: i64,
    mouth_open: i64,
    moustache: i64,
    nose: i64,
    shape: i64,
    skin: i64,
}

impl Looks {
    fn of(f: &Face) -> Self {
        let id = f.identity;
        let gender = lasting(id, "gender", 0, 1);
        let hat_style = (f.attribute(10, 0, 9) - 6).max(0);
        Looks {
            gender,
            age: lasting(id, "age", 1, 80),
            beauty: lasting(id, "beauty", 0, 100),
            emotion: f.attribute(11, 0, 6),
            smile: f.attribute(12, 0, 100),
            glass: (f.attribute(13, 0, 5) - 3).max(0),
            eye_closed: i64::from(f.attribute(14, 0, 9) == 0),
            eyelid: lasting(id, "eyelid", 0, 1),
            eye_size: lasting(id, "eye size", 0, 2),
            brow_density: lasting(id, "brow density", 0, 1),
            brow_curve: lasting(id, "brow curve", 0, 1),
            brow_length: lasting(id, "brow length", 0, 1),
            hair_length: lasting(id, "hair length", 0, 4),
            bang: lasting(id, "bang", 0, 1),
            hair_color: lasting(id, "hair colour", 0, 3),
            hat_style,
            hat_color: if hat_style == 0 {
                0
            } else {
                f.attribute(15, 1, 6)
            },
            pitch: f.attribute(16, -10, 10),
            yaw: f.attribute(17, -10, 10),
            roll: f.attribute(18, -20, 20),
            mask: (f.attribute(19, 0, 8) - 4).max(0),
            mouth_open: i64::from(f.attribute(20, 0, 3) == 0),
            moustache: if gender == 0 {
                lasting(id, "moustache", 0, 1)
            } else {
                0
            },
            nose: lasting(id, "nose", 0, 3),
            shape: lasting(id, "shape", 0, 4),
            skin: lasting(id, "skin", 0, 3),
        }
    }
}

/// DetectFace's FaceAttributesInfo: the face's looks in DetectFace's
/// scales, or zeros (as the official example shows) when not asked for.
fn face_attributes(f: &Face, real: bool) -> Value {
    if !real {
        return json!({
            "Gender": 0, "Age": 0, "Expression": 0, "Glass": false,
            "Pitch": 0, "Yaw": 0, "Roll": 0, "Beauty": 0,
            "Hat": false, "Mask": false, "EyeOpen": true,
            "Hair": {"Length": 0, "Bang": 0, "Color": 0},
        });
    }
    let l = Looks::of(f);
    // Gender: [0, 49] female, [50, 100] male, nearer the ends the surer.
    let gender = if l.gender == 0 {
        f.attribute(21, 70, 100)
    } else {
        f.attribute(21, 0, 30)
    };
    json!({
        "Gender": gender,
        "Age": l.age,
        "Expression": l.smile,
        "Glass": l.glass != 0,
        "Pitch": l.pitch,
        "Yaw": l.yaw,
        "Roll": l.roll,
        "Beauty": l.beauty,
        "Hat": l.hat_style != 0,
        "Mask": l.mask != 0,
        "EyeOpen": l.eye_closed == 0,
        // Here Bang 0 is "with a fringe", 1 "without", as documented.
        "Hair": {"Length": l.hair_length, "Bang": 1 - l.bang, "Color": l.hair_color},
    })
}

/// DetectFace's FaceQualityInfo: the face's quality score and details
/// around it, or zeros when not asked for.
fn face_quality(f: &Face, real: bool) -> Value {
    let q = i64::from(f.quality);
    let near = |salt: u8, spread: i64| {
        if real {
            (q + f.attribute(salt, -spread, spread)).clamp(0, 100)
        } else {
            0
        }
    };
    json!({
        "Score": if real { q } else { 0 },
        "Sharpness": near(30, 5),
        "Brightness": if real { f.attribute(31, 35, 65) } else { 0 },
        "Completeness": {
            "Eyebrow": near(32, 3),
            "Eye": near(33, 3),
            "Nose": near(34, 3),
            "Cheek": near(35, 3),
            "Mouth": near(36, 3),
            "Chin": near(37, 3),
        },
    })
}

/// DetectFaceAttributes' FaceDetailAttributesInfo: each attribute group
/// `on` asks for, from the face's looks; every other one 0.
fn face_details(f: &Face, on: &dyn Fn(&str) -> bool) -> Value {
    let l = Looks::of(f);
    // A probability in [0.5, 1] per attribute, from the face's hash.
    let item = |group: &str, salt: u8, ty: i64| {
        if on(group) {
            json!({"Type": ty, "Probability": f.attribute(salt, 50, 100) as f64 / 100.0})
        } else {
            json!({"Type": 0, "Probability": 0.0})
        }
    };
    let value = |group: &str, v: i64| if on(group) { v } else { 0 };
    json!({
        "Age": value("age", l.age.min(65)),
        "Beauty": value("beauty", l.beauty),
        "Emotion": item("emotion", 50, l.emotion),
        "Eye": {
            "Glass": item("eye", 51, l.glass),
            "EyeOpen": item("eye", 52, l.eye_closed),
            "EyelidType": item("eye", 53, l.eyelid),
            "EyeSize": item("eye", 54, l.eye_size),
        },
        "Eyebrow": {
            "EyebrowDensity": item("eyebrow", 55, l.brow_density),
            "EyebrowCurve": item("eyebrow", 56, l.brow_curve),
            "EyebrowLength": item("eyebrow", 57, l.brow_length),
        },
        "Gender": item("gender", 58, l.gender),
        "Hair": {
            "Length": item("hair", 59, l.hair_length),
            "Bang": item("hair", 60, l.bang),
            "Color": item("hair", 61, l.hair_color),
        },
        "Hat": {
            "Style": item("hat", 62, l.hat_style),
            "Color": item("hat", 63, l.hat_color),
        },
        "HeadPose": {
            "Pitch": value("headpose", l.pitch),
            "Yaw": value("headpose", l.yaw),
            "Roll": value("headpose", l.roll),
        },
        "Mask": item("mask", 64, l.mask),
        "Mouth": {"MouthOpen": item("mouth", 65, l.mouth_open)},
        "Moustache": item("moustache", 66, l.moustache),
        "Nose": item("nose", 67, l.nose),
        "Shape": item("shape", 68, l.shape),
        "Skin": item("skin", 69, l.skin),
        "Smile": value("smile", l.smile),
    })
}

/// Where a part's points lie, in fractions of the face box: an ellipse
/// arc (centre, radii, from and to angle in turns; y grows downwards, so
/// a quarter turn is the bottom), or a vertical line for the central axis.
fn contour(part: &str) -> (f64, f64, f64, f64, f64, f64) {
    match part {
        // Temple to temple round the chin.
        "FaceProfile" => (0.5, 0.45, 0.46, 0.5, 0.5, 0.0),
        "Chin" => (0.5, 0.45, 0.3, 0.5, 0.375, 0.125),
        "Forehead" => (0.5, 0.35, 0.45, 0.3, 0.5, 1.0),
        "LeftEye" => (0.32, 0.4, 0.09, 0.04, 0.0, 1.0),
        "RightEye" => (0.68, 0.4, 0.09, 0.04, 0.0, 1.0),
        "LeftPupil" => (0.32, 0.4, 0.015, 0.015, 0.0, 1.0),
        "RightPupil" => (0.68, 0.4, 0.015, 0.015, 0.0, 1.0),
        "LeftEyeBrow" => (0.32, 0.3, 0.12, 0.03, 0.0, 1.0),
        "RightEyeBrow" => (0.68, 0.3, 0.12, 0.03, 0.0, 1.0),
        "LeftEyeBags" => (0.32, 0.44, 0.09, 0.04, 0.5, 0.0),
        "RightEyeBags" => (0.68, 0.44, 0.09, 0.04, 0.5, 0.0),
        "Nose" => (0.5, 0.55, 0.07, 0.12, 0.0, 1.0),
        "Mouth" | "MouthOutside" => (0.5, 0.75, 0.17, 0.07, 0.0, 1.0),
        "MouthInside" => (0.5, 0.75, 0.12, 0.03, 0.0, 1.0),
        // "CentralAxis": a line down the middle.
        _ => (0.5, 0.5, 0.0, 0.45, 0.75, 1.25),
    }
}

/// `count` points of `part` inside the face's box, shifted a little per
/// face so that two faces do not share landmarks.
fn landmarks(f: &Face, part: &str, count: usize) -> Value {
    let Rect {
        x,
        y,
        width,
        height,
    } = f.rect;
    let (cx, cy, rx, ry, from, to) = contour(part);
    let dx = f.attribute(70, -2, 2) as f64 / 100.0;
    let dy = f.attribute(71, -2, 2) as f64 / 100.0;
    let closed = (to - from).abs() >= 1.0;
    let steps = if closed || count < 2 {
        count.max(1)
    } else {
        count - 1
    };
    let (w, h) = (f64::from(width), f64::from(height));
    let points: Vec<Value> = (0..count)
        .map(|i| {
            let turn = from + (to - from) * i as f64 / steps as f64;
            let a = turn * std::f64::consts::TAU;
            let fx = (cx + dx + rx * a.cos()).clamp(0.0, 1.0);
            let fy = (cy + dy + ry * a.sin()).clamp(0.0, 1.0);
            // Floor, kept inside the box.
            let px = x + ((fx * w) as u32).min(width - 1);
            let py = y + ((fy * h) as u32).min(height - 1);
            json!({"X": px, "Y": py})
        })
        .collect();
    Value::Array(points)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::spec::{Member, Spec};
    use base64::Engine as _;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn png(identity: &str, n: usize, w: u32, h: u32) -> String {
        b64(&faces::make_png(identity, n, w, h).unwrap())
    }

    fn call(action: &str, params: Value) -> Outcome {
        let Value::Object(map) = params else {
            panic!("params must be an object")
        };
        run(action, &Params(&map)).expect("one of the detection actions")
    }

    fn code(outcome: Outcome) -> String {
        outcome.expect_err("a rejection").code.to_string()
    }

    /// Every output field the catalog documents, nullable ones included,
    /// is present, not null, and of its type (through arrays and objects).
    fn all_present(members: &[Member], fields: &Map<String, Value>, path: &str) {
        for m in members {
            let v = fields
                .get(&m.name)
                .unwrap_or_else(|| panic!("{path}.{} is absent", m.name));
            assert!(!v.is_null(), "{path}.{} is null", m.name);
            let items: Vec<&Value> = if m.array {
                v.as_array()
                    .unwrap_or_else(|| panic!("{path}.{} is not an array", m.name))
                    .iter()
                    .collect()
            } else {
                vec![v]
            };
            for item in items {
                if let Some(obj) = item.as_object() {
                    all_present(&m.fields, obj, &format!("{path}.{}", m.name));
                }
            }
        }
    }

    /// The catalog's type check and the all-present check.
    fn checked(action: &str, out: &Map<String, Value>) {
        let wrong = crate::api::shape::check_fields(action, out);
        assert!(wrong.is_empty(), "{action}: {wrong:#?}");
        all_present(&Spec::get().action(action).unwrap().outputs, out, action);
    }

    /// Every point of an answer, wherever it is nested: landmarks, and
    /// both corners of every box.
    fn points(v: &Value, out: &mut Vec<(u64, u64)>) {
        match v {
            Value::Object(m) => {
                let n = |k: &str| m.get(k).and_then(Value::as_u64);
                if let (Some(x), Some(y)) = (n("X"), n("Y")) {
                    out.push((x, y));
                    if let (Some(w), Some(h)) = (n("Width"), n("Height")) {
                        out.push((x + w - 1, y + h - 1));
                    }
                }
                m.values().for_each(|x| points(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| points(x, out)),
            _ => {}
        }
    }

    fn sample(action: &str, image: &str) -> Value {
        match action {
            "CompareMaskFace" | "DetectFaceSimilarity" => {
                json!({"ImageA": image, "ImageB": image})
            }
            _ => json!({"Image": image}),
        }
    }

    #[test]
    fn every_action_answers_every_documented_field_with_its_type() {
        let img = png("alice", 3, 480, 640);
        for action in ACTIONS {
            let mut params = sample(action, &img);
            if *action == "DetectFace" {
                params["NeedFaceAttributes"] = json!(1);
                params["NeedQualityDetection"] = json!(1);
                params["MaxFaceNum"] = json!(3);
            }
            if *action == "DetectFaceAttributes" {
                params["FaceAttributesType"] = json!(
                    "age,beauty,emotion,eye,eyebrow,gender,hair,hat,headpose,mask,mouth,moustache,nose,shape,skin,smile"
                );
            }
            let out = call(action, params).unwrap_or_else(|r| panic!("{action}: {r:?}"));
            checked(action, &out);
        }
    }

    #[test]
    fn the_shape_check_catches_a_missing_or_mistyped_field() {
        // Proof that `checked` can fail: break a real answer two ways.
        let mut out = call("DetectFace", json!({"Image": png("a", 1, 64, 64)})).unwrap();
        out["FaceInfos"][0]["FaceAttributesInfo"]["Glass"] = json!(1);
        assert!(!crate::api::shape::check_fields("DetectFace", &out).is_empty());
        let mut out = call("AnalyzeFace", json!({"Image": png("a", 1, 64, 64)})).unwrap();
        out.remove("ImageWidth");
        assert!(!crate::api::shape::check_fields("AnalyzeFace", &out).is_empty());
    }

    #[test]
    fn answers_are_deterministic_and_lie_inside_the_image() {
        for (w, h, n) in [(64, 64, 1), (640, 480, 4), (100, 1500, 10), (1999, 64, 2)] {
            let img = png("bob", n, w, h);
            for action in [
                "DetectFace",
                "DetectFaceAttributes",
                "AnalyzeFace",
                "AnalyzeDenseLandmarks",
            ] {
                let mut params = sample(action, &img);
                params["MaxFaceNum"] = json!(120);
                if action == "DetectFace" {
                    params["NeedFaceAttributes"] = json!(1);
                }
                if action.starts_with("Analyze") {
                    params.as_object_mut().unwrap().remove("MaxFaceNum");
                }
                let a = call(action, params.clone()).unwrap();
                assert_eq!(a, call(action, params).unwrap(), "{action}");
                assert_eq!(
                    (a["ImageWidth"].as_u64(), a["ImageHeight"].as_u64()),
                    (Some(u64::from(w)), Some(u64::from(h)))
                );
                let mut all = Vec::new();
                points(&Value::Object(a.clone()), &mut all);
                assert!(!all.is_empty(), "{action}");
                for (x, y) in all {
                    assert!(
                        x < u64::from(w) && y < u64::from(h),
                        "{action} {w}x{h}: ({x}, {y})"
                    );
                }
            }
        }
        // Boxes: inside, largest first.
        let out = call(
            "DetectFace",
            json!({"Image": png("bob", 4, 640, 480), "MaxFaceNum": 4}),
        )
        .unwrap();
        let boxes = out["FaceInfos"].as_array().unwrap();
        assert_eq!(boxes.len(), 4);
        for b in boxes {
            let (x, y, w, h) = (
                b["X"].as_u64().unwrap(),
                b["Y"].as_u64().unwrap(),
                b["Width"].as_u64().unwrap(),
                b["Height"].as_u64().unwrap(),
            );
            assert!(x + w <= 640 && y + h <= 480);
        }
        assert!(boxes[0]["Width"].as_u64() >= boxes[3]["Width"].as_u64());
    }

    #[test]
    fn landmark_counts_are_the_documented_ones() {
        let out = call("AnalyzeFace", json!({"Image": png("c", 1, 200, 200)})).unwrap();
        let shape = &out["FaceShapeSet"][0];
        let counts: Vec<usize> = SHAPE_POINTS
            .iter()
            .map(|(p, _)| shape[p].as_array().unwrap().len())
            .collect();
        assert_eq!(counts, [21, 8, 8, 8, 8, 22, 13, 1, 1]);
        assert_eq!(counts.iter().sum::<usize>(), 90);
        let dense = call(
            "AnalyzeDenseLandmarks",
            json!({"Image": png("c", 1, 200, 200)}),
        )
        .unwrap();
        let dense_total: usize = DENSE_POINTS
            .iter()
            .map(|(p, _)| dense["DenseFaceShapeSet"][0][p].as_array().unwrap().len())
            .sum();
        assert_eq!(dense_total, 888);
        // The landmarks sit where a face has them: eyes above the mouth.
        let y = |part: &str| shape[part][0]["Y"].as_u64().unwrap();
        assert!(y("LeftEye") < y("Mouth") && y("LeftEyeBrow") < y("LeftEye"));
        assert!(shape["LeftPupil"][0]["X"].as_u64() < shape["RightPupil"][0]["X"].as_u64());
    }

    #[test]
    fn mode_and_max_face_num_choose_how_many_faces() {
        let img = png("d", 10, 1500, 200);
        let n = |action: &str, params: Value, key: &str| {
            call(action, params).unwrap()[key].as_array().unwrap().len()
        };
        assert_eq!(n("DetectFace", json!({"Image": img}), "FaceInfos"), 1);
        assert_eq!(
            n(
                "DetectFace",
                json!({"Image": img, "MaxFaceNum": 7}),
                "FaceInfos"
            ),
            7
        );
        assert_eq!(
            n(
                "DetectFace",
                json!({"Image": img, "MaxFaceNum": 120}),
                "FaceInfos"
            ),
            10
        );
        assert_eq!(
            n(
                "DetectFaceAttributes",
                json!({"Image": img, "MaxFaceNum": 3}),
                "FaceDetailInfos"
            ),
            3
        );
        assert_eq!(n("AnalyzeFace", json!({"Image": img}), "FaceShapeSet"), 10);
        assert_eq!(
            n(
                "AnalyzeFace",
                json!({"Image": img, "Mode": 1}),
                "FaceShapeSet"
            ),
            1
        );
        assert_eq!(
            n(
                "AnalyzeDenseLandmarks",
                json!({"Image": img}),
                "DenseFaceShapeSet"
            ),
            5
        );
        assert_eq!(
            n(
                "AnalyzeDenseLandmarks",
                json!({"Image": img, "Mode": 1}),
                "DenseFaceShapeSet"
            ),
            1
        );
        for (action, params) in [
            ("DetectFace", json!({"Image": img, "MaxFaceNum": 0})),
            ("DetectFace", json!({"Image": img, "MaxFaceNum": 121})),
            (
                "DetectFaceAttributes",
                json!({"Image": img, "MaxFaceNum": 121}),
            ),
            ("AnalyzeFace", json!({"Image": img, "Mode": 2})),
            ("AnalyzeDenseLandmarks", json!({"Image": img, "Mode": 2})),
            (
                "DetectFace",
                json!({"Image": img, "NeedRotateDetection": 2}),
            ),
            ("DetectFace", json!({"Image": img, "MinFaceSize": 19})),
            (
                "DetectFaceAttributes",
                json!({"Image": img, "FaceAttributesType": "age,wings"}),
            ),
        ] {
            assert_eq!(
                code(call(action, params.clone())),
                "InvalidParameter.InvalidParameter",
                "{params}"
            );
        }
    }

    #[test]
    fn attributes_and_quality_come_only_when_asked_and_only_for_the_first_faces() {
        let img = png("erin", 7, 1400, 200);
        let plain = call("DetectFace", json!({"Image": img, "MaxFaceNum": 7})).unwrap();
        assert_eq!(plain["FaceInfos"][0]["FaceAttributesInfo"]["Age"], 0);
        assert_eq!(plain["FaceInfos"][0]["FaceQualityInfo"]["Score"], 0);
        // Any value but 1 is "no".
        let two = call(
            "DetectFace",
            json!({"Image": img, "MaxFaceNum": 7, "NeedFaceAttributes": 2}),
        )
        .unwrap();
        assert_eq!(two, plain);
        let full = call("DetectFace", json!({"Image": img, "MaxFaceNum": 7, "NeedFaceAttributes": 1, "NeedQualityDetection": 1})).unwrap();
        let faces = full["FaceInfos"].as_array().unwrap();
        for f in &faces[..5] {
            assert_ne!(f["FaceAttributesInfo"]["Age"], 0);
            assert!(f["FaceQualityInfo"]["Score"].as_u64().unwrap() >= 90);
        }
        assert_eq!(
            faces[5]["FaceAttributesInfo"]["Age"], 0,
            "the sixth face has none"
        );
        assert_ne!(
            faces[5]["FaceQualityInfo"]["Score"], 0,
            "quality reaches 30 faces"
        );
        // The quality score is the one QualityControl reads.
        let low = b64(&faces::test_jpeg(Some("identity=q;quality=30"), 200, 200));
        let q = call(
            "DetectFace",
            json!({"Image": low, "NeedQualityDetection": 1}),
        )
        .unwrap();
        assert_eq!(q["FaceInfos"][0]["FaceQualityInfo"]["Score"], 30);
        // DetectFaceAttributes: only the requested groups, case-insensitive.
        let some = call(
            "DetectFaceAttributes",
            json!({"Image": img, "FaceAttributesType": "Age,HEADPOSE"}),
        )
        .unwrap();
        let d = &some["FaceDetailInfos"][0]["FaceDetailAttributesInfo"];
        assert_ne!(d["Age"], 0);
        assert_eq!(d["Beauty"], 0);
        assert_eq!(d["Gender"]["Probability"], 0.0);
        let none = call(
            "DetectFaceAttributes",
            json!({"Image": img, "FaceAttributesType": "None"}),
        )
        .unwrap();
        assert_eq!(
            none["FaceDetailInfos"][0]["FaceDetailAttributesInfo"]["Age"],
            0
        );
    }

    #[test]
    fn attributes_follow_the_documented_enumerations_and_the_person() {
        let all = "age,beauty,emotion,eye,eyebrow,gender,hair,hat,headpose,mask,mouth,moustache,nose,shape,skin,smile";
        for who in ["a", "b", "c", "d", "e", "f", "g", "h"] {
            let out = call(
                "DetectFaceAttributes",
                json!({"Image": png(who, 1, 96, 128), "FaceAttributesType": all}),
            )
            .unwrap();
            let d = &out["FaceDetailInfos"][0]["FaceDetailAttributesInfo"];
            let ty = |path: &[&str]| {
                let mut v = d;
                for p in path {
                    v = &v[*p];
                }
                let p = v["Probability"].as_f64().unwrap();
                assert!((0.5..=1.0).contains(&p));
                v["Type"].as_i64().unwrap()
            };
            for (path, max) in [
                (&["Emotion"][..], 6),
                (&["Eye", "Glass"], 2),
                (&["Eye", "EyeOpen"], 1),
                (&["Eye", "EyelidType"], 1),
                (&["Eye", "EyeSize"], 2),
                (&["Eyebrow", "EyebrowDensity"], 1),
                (&["Eyebrow", "EyebrowCurve"], 1),
                (&["Eyebrow", "EyebrowLength"], 1),
                (&["Gender"], 1),
                (&["Hair", "Length"], 4),
                (&["Hair", "Bang"], 1),
                (&["Hair", "Color"], 3),
                (&["Hat", "Style"], 3),
                (&["Hat", "Color"], 6),
                (&["Mask"], 4),
                (&["Mouth", "MouthOpen"], 1),
                (&["Moustache"], 1),
                (&["Nose"], 3),
                (&["Shape"], 4),
                (&["Skin"], 3),
            ] {
                assert!((0..=max).contains(&ty(path)), "{who} {path:?}");
            }
            assert!((0..=65).contains(&d["Age"].as_i64().unwrap()));
            assert!((0..=100).contains(&d["Smile"].as_i64().unwrap()));
            assert!((-30..=30).contains(&d["HeadPose"]["Pitch"].as_i64().unwrap()));
            assert!((-180..=180).contains(&d["HeadPose"]["Roll"].as_i64().unwrap()));
            // DetectFace says the same of the same face.
            let df = call(
                "DetectFace",
                json!({"Image": png(who, 1, 96, 128), "NeedFaceAttributes": 1}),
            )
            .unwrap();
            let a = &df["FaceInfos"][0]["FaceAttributesInfo"];
            let male = a["Gender"].as_i64().unwrap() >= 50;
            assert_eq!(male, ty(&["Gender"]) == 0, "{who}");
            assert_eq!(a["Glass"].as_bool().unwrap(), ty(&["Eye", "Glass"]) != 0);
            // The same person, another image: the same lasting looks.
            let again = call(
                "DetectFaceAttributes",
                json!({"Image": png(who, 1, 300, 200), "FaceAttributesType": all}),
            )
            .unwrap();
            let d2 = &again["FaceDetailInfos"][0]["FaceDetailAttributesInfo"];
            assert_eq!(
                (&d2["Age"], &d2["Gender"]["Type"], &d2["Skin"]["Type"]),
                (&d["Age"], &d["Gender"]["Type"], &d["Skin"]["Type"])
            );
        }
    }

    #[test]
    fn compare_scores_the_same_person_at_the_top_and_a_stranger_far_below() {
        for action in ["CompareMaskFace", "DetectFaceSimilarity"] {
            let same = call(
                action,
                json!({"ImageA": png("ann", 1, 64, 64), "ImageB": png("ann", 2, 200, 100)}),
            )
            .unwrap();
            assert_eq!(same["Score"], 100.0);
            let other = call(
                action,
                json!({"ImageA": png("ann", 1, 64, 64), "ImageB": png("ben", 1, 64, 64)}),
            )
            .unwrap();
            assert!(other["Score"].as_f64().unwrap() < 30.0, "{action}");
            // Urls win over images, and are identities.
            let urls = call(action, json!({"UrlA": "http://x/a.jpg", "UrlB": "http://x/a.jpg", "ImageB": png("z", 1, 64, 64)})).unwrap();
            assert_eq!(urls["Score"], 100.0);
            let low = b64(&faces::test_jpeg(Some("identity=ann;quality=30"), 100, 100));
            assert_eq!(
                call(action, json!({"ImageA": low, "ImageB": low})).unwrap()["Score"],
                100.0
            );
            assert_eq!(
                code(call(
                    action,
                    json!({"ImageA": low, "ImageB": low, "QualityControl": 1})
                )),
                "FailedOperation.FaceQualityNotQualified"
            );
            assert_eq!(
                code(call(
                    action,
                    json!({"ImageA": low, "ImageB": low, "QualityControl": 5})
                )),
                "InvalidParameterValue.QualityControlIllegal"
            );
        }
        assert_eq!(
            call(
                "CompareMaskFace",
                json!({"UrlA": "http://x/a", "UrlB": "http://x/b"})
            )
            .unwrap()["FaceModelVersion"],
            "3.0"
        );
    }

    #[test]
    fn liveness_is_deterministic_and_tells_a_poor_image_from_a_live_one() {
        let live = png("liv", 1, 300, 400);
        let a = call("DetectLiveFaceAccurate", json!({"Image": live})).unwrap();
        assert_eq!(
            a,
            call("DetectLiveFaceAccurate", json!({"Image": live})).unwrap()
        );
        let s = a["Score"].as_f64().unwrap();
        assert!((70.0..100.0).contains(&s), "{s}");
        let poor = b64(&faces::test_jpeg(Some("identity=liv;quality=30"), 300, 400));
        assert_eq!(
            call("DetectLiveFaceAccurate", json!({"Image": poor})).unwrap()["Score"],
            15.0
        );
        // The face must be at least 100x100.
        assert_eq!(
            code(call(
                "DetectLiveFaceAccurate",
                json!({"Image": png("liv", 1, 64, 64)})
            )),
            "FailedOperation.FaceSizeTooSmall"
        );
    }

    #[test]
    fn images_follow_the_documented_limits_and_codes() {
        for action in ACTIONS {
            let with = |img: String| sample(action, &img);
            assert_eq!(
                code(call(action, with(png("x", 0, 200, 200)))),
                "InvalidParameterValue.NoFaceInPhoto",
                "{action}"
            );
            assert_eq!(
                code(call(action, with(b64(b"GIF89a......")))),
                "FailedOperation.ImageDecodeFailed",
                "{action}"
            );
            assert_eq!(
                code(call(action, json!({}))),
                "InvalidParameterValue.ImageEmpty",
                "{action}"
            );
            assert_eq!(
                code(call(action, with(png("x", 1, 2001, 200)))),
                "FailedOperation.ImageResolutionExceed",
                "{action}"
            );
            let url_params = if action.contains("Compare") || action.contains("Similarity") {
                json!({"UrlA": "ftp://x", "UrlB": "http://x/b"})
            } else {
                json!({"Url": "ftp://x"})
            };
            assert_eq!(
                code(call(action, url_params)),
                "InvalidParameterValue.UrlIllegal",
                "{action}"
            );
            if *action != "DetectLiveFaceAccurate" {
                assert_eq!(
                    code(call(action, with(png("x", 1, 63, 200)))),
                    "FailedOperation.ImageResolutionTooSmall",
                    "{action}"
                );
            }
        }
        // A JPEG may be longer: 4000.
        let long = b64(&faces::test_jpeg(Some("identity=x"), 3000, 300));
        assert!(call("DetectFace", json!({"Image": long})).is_ok());
        // A URL is one face, in 640x480.
        let u = call("DetectFace", json!({"Url": "https://x/y.jpg"})).unwrap();
        assert_eq!(
            (
                u["ImageWidth"].as_u64(),
                u["FaceInfos"].as_array().unwrap().len()
            ),
            (Some(640), 1)
        );
    }

    #[test]
    fn min_face_size_drops_smaller_faces() {
        // 4 faces in 160x100: columns of 40, faces of 32, 29, 27, 24 pixels.
        let img = png("m", 4, 160, 100);
        let n = |min: i64| {
            call(
                "DetectFace",
                json!({"Image": img, "MaxFaceNum": 10, "MinFaceSize": min}),
            )
            .map(|o| o["FaceInfos"].as_array().unwrap().len())
        };
        assert_eq!(n(20).unwrap(), 4);
        assert_eq!(
            code(n(34).map(|_| Map::new())),
            "FailedOperation.FaceSizeTooSmall"
        );
        let big = png("m", 2, 300, 100);
        assert_eq!(
            call(
                "DetectFace",
                json!({"Image": big, "MaxFaceNum": 10, "MinFaceSize": 34})
            )
            .unwrap()["FaceInfos"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn face_model_version_is_checked_per_action() {
        let img = png("v", 1, 64, 64);
        for (action, two_ok) in [
            ("DetectFace", true),
            ("AnalyzeFace", true),
            ("DetectFaceAttributes", false),
            ("AnalyzeDenseLandmarks", false),
            ("DetectLiveFaceAccurate", false),
        ] {
            let r = call(action, json!({"Image": img, "FaceModelVersion": "2.0"}));
            if two_ok {
                assert_eq!(r.unwrap()["FaceModelVersion"], "2.0");
            } else {
                assert_eq!(
                    code(r),
                    "InvalidParameterValue.FaceModelVersionIllegal",
                    "{action}"
                );
            }
            assert_eq!(
                code(call(
                    action,
                    json!({"Image": img, "FaceModelVersion": "4.0"})
                )),
                "InvalidParameterValue.FaceModelVersionIllegal"
            );
        }
        assert_eq!(
            code(call(
                "CompareMaskFace",
                json!({"ImageA": img, "ImageB": img, "FaceModelVersion": "2.0"})
            )),
            "InvalidParameterValue.FaceModelVersionIllegal"
        );
    }

    #[test]
    fn every_code_an_action_answers_is_one_it_documents() {
        let catalog = crate::api::Catalog::get();
        for code in [
            "InvalidParameter.InvalidParameter",
            "InvalidParameterValue.NoFaceInPhoto",
            "InvalidParameterValue.ImageEmpty",
            "InvalidParameterValue.UrlIllegal",
            "InvalidParameterValue.FaceModelVersionIllegal",
            "FailedOperation.ImageDecodeFailed",
            "FailedOperation.ImageSizeExceed",
            "FailedOperation.ImageResolutionExceed",
            "FailedOperation.ImageResolutionTooSmall",
            "FailedOperation.FaceSizeTooSmall",
        ] {
            for action in ACTIONS {
                assert!(catalog.allows(action, code), "{action}: {code}");
            }
        }
        for action in ["CompareMaskFace", "DetectFaceSimilarity"] {
            assert!(catalog.allows(action, "FailedOperation.FaceQualityNotQualified"));
            assert!(catalog.allows(action, "InvalidParameterValue.QualityControlIllegal"));
        }
    }
}
