//! The analysis actions over signed HTTP: detection, attributes,
//! landmarks, comparison and liveness answer the documented shape (every
//! success is type-checked by [`super::call_style`]), in every signing
//! style, and the documented codes where the image says so.

use base64::Engine as _;
use iai_conformance::Style;
use iai_conformance::emulator::faces;
use serde_json::{Value, json};

use super::{call, call_style, code, field, start};

/// A PNG of `identity` with `n` faces, `w`x`h`, Base64.
fn png(identity: &str, n: usize, w: u32, h: u32) -> String {
    base64::engine::general_purpose::STANDARD.encode(faces::make_png(identity, n, w, h).unwrap())
}

#[tokio::test]
async fn every_analysis_action_answers_the_documented_shape_in_every_style() {
    let (emu, c) = start().await;
    let alice = png("alice", 2, 300, 400);
    let bob = png("bob", 1, 300, 400);
    let all = "Age,Beauty,Emotion,Eye,Eyebrow,Gender,Hair,Hat,Headpose,Mask,Mouth,Moustache,Nose,Shape,Skin,Smile";
    let calls = [
        (
            "DetectFace",
            json!({"Image": alice, "MaxFaceNum": 2, "NeedFaceAttributes": 1, "NeedQualityDetection": 1}),
            "FaceInfos",
        ),
        (
            "DetectFaceAttributes",
            json!({"Image": alice, "MaxFaceNum": 2, "FaceAttributesType": all}),
            "FaceDetailInfos",
        ),
        ("AnalyzeFace", json!({"Image": alice}), "FaceShapeSet"),
        (
            "AnalyzeDenseLandmarks",
            json!({"Image": alice}),
            "DenseFaceShapeSet",
        ),
    ];
    for style in [Style::Tc3PostJson, Style::Tc3Get, Style::V1PostForm] {
        for (action, params, list) in &calls {
            let e = call_style(&c, style, action, params.clone()).await;
            assert_eq!(code(&e), "", "{action} {style:?}");
            assert_eq!(field(&e, list).as_array().unwrap().len(), 2, "{action}");
            assert_eq!(
                (field(&e, "ImageWidth"), field(&e, "ImageHeight")),
                (&json!(300), &json!(400))
            );
        }
    }
    for action in ["CompareMaskFace", "DetectFaceSimilarity"] {
        let same = call(
            &c,
            action,
            json!({"ImageA": alice, "ImageB": png("alice", 1, 64, 64)}),
        )
        .await;
        assert_eq!(field(&same, "Score"), &json!(100.0), "{action}");
        let other = call(&c, action, json!({"ImageA": alice, "ImageB": bob})).await;
        assert!(field(&other, "Score").as_f64().unwrap() < 30.0, "{action}");
    }
    let live = call(&c, "DetectLiveFaceAccurate", json!({"Image": bob})).await;
    assert!(field(&live, "Score").as_f64().unwrap() >= 70.0);
    assert_eq!(field(&live, "FaceModelVersion"), "3.0");
    emu.shutdown().await;
}

#[tokio::test]
async fn the_documented_codes_come_back_over_http() {
    let (emu, c) = start().await;
    let none = png("nobody", 0, 200, 200);
    for action in [
        "DetectFace",
        "DetectFaceAttributes",
        "AnalyzeFace",
        "AnalyzeDenseLandmarks",
        "DetectLiveFaceAccurate",
    ] {
        let e = call(&c, action, json!({"Image": none})).await;
        assert_eq!(code(&e), "InvalidParameterValue.NoFaceInPhoto", "{action}");
    }
    for (action, params, expected) in [
        (
            "DetectFace",
            json!({"Image": png("a", 1, 32, 32)}),
            "FailedOperation.ImageResolutionTooSmall",
        ),
        (
            "DetectFace",
            json!({"Image": png("a", 1, 64, 64), "MaxFaceNum": 121}),
            "InvalidParameter.InvalidParameter",
        ),
        // unsigned: a negative value is a type error
        (
            "DetectFace",
            json!({"Image": png("a", 1, 64, 64), "MaxFaceNum": -1}),
            "InvalidParameter",
        ),
        (
            "DetectFaceAttributes",
            json!({"Image": png("a", 1, 64, 64), "FaceModelVersion": "2.0"}),
            "InvalidParameterValue.FaceModelVersionIllegal",
        ),
        (
            "CompareMaskFace",
            json!({"ImageA": png("a", 1, 64, 64), "ImageB": none}),
            "InvalidParameterValue.NoFaceInPhoto",
        ),
        (
            "DetectFaceSimilarity",
            json!({"UrlA": "not a url", "ImageB": none}),
            "InvalidParameterValue.UrlIllegal",
        ),
        (
            "DetectLiveFaceAccurate",
            json!({"Image": png("a", 1, 64, 64)}),
            "FailedOperation.FaceSizeTooSmall",
        ),
        (
            "AnalyzeFace",
            json!({"Image": "aGVsbG8="}),
            "FailedOperation.ImageDecodeFailed",
        ),
    ] {
        assert_eq!(code(&call(&c, action, params).await), expected, "{action}");
    }
    // DetectFace without attributes: present, zero, as the official example.
    let plain = call(
        &c,
        "DetectFace",
        json!({"Url": "https://example.com/a.jpg"}),
    )
    .await;
    let face: &Value = &field(&plain, "FaceInfos")[0];
    assert_eq!(face["FaceAttributesInfo"]["Age"], 0);
    assert_eq!(face["FaceQualityInfo"]["Score"], 0);
    emu.shutdown().await;
}
